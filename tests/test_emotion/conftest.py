import pytest
from mmengine.registry import init_default_scope


@pytest.fixture(autouse=True)
def mmext_scope():
    """The emotion components live in mmext's own registries (scope 'mmext')."""
    import mmext.emotion  # noqa: F401
    init_default_scope('mmext')
