import copy
import functools
import os
import os.path as osp
import sys

import pytest
import torch
from mmengine.registry import DefaultScope

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def pytest_configure(config):
    """Under pytest-xdist (``make test`` runs 2 workers) every worker is a process with torch's default of one
    intra-op thread per core: share the cores out instead of putting workers x cores threads on them."""
    workers = int(os.environ.get('PYTEST_XDIST_WORKER_COUNT', '1'))
    if workers > 1:
        torch.set_num_threads(max(1, len(os.sched_getaffinity(0)) // workers))


@pytest.fixture(scope='module', autouse=True)
def isolate_default_scope():
    """Drops the mmengine default scopes a test module created (``init_default_scope``, Runners) when it ends.

    The current scope is the last DefaultScope instance created, so without this a module would see the scope of
    whichever module ran before it; under pytest-xdist that differs from run to run.
    """
    instances = DefaultScope._instance_dict  # mmengine's ManagerMixin keeps no public way to drop an instance
    before = set(instances)
    yield
    for name in [name for name in instances if name not in before]:
        del instances[name]


@pytest.fixture(scope='session', autouse=True)
def memoised_runner_start():
    """Each in-process Runner formats its config with yapf several times (logged, dumped, stored in every checkpoint;
    about 10 s each for the tiny AugSeg config on a loaded 2-core machine) and collects an environment report (about
    6 s, subprocesses included). Both are pure functions of their input within a session: compute each input once."""
    import mmengine.config.config as config_module
    import mmengine.runner.runner as runner_module
    format_code, collect_env = config_module.FormatCode, runner_module.collect_env
    formatted = {}

    def cached_format_code(text, style_config=None, **kwargs):
        key = (text, repr(style_config), repr(sorted(kwargs.items())))
        if key not in formatted:
            formatted[key] = format_code(text, style_config=style_config, **kwargs)
        return formatted[key]

    env = functools.lru_cache(maxsize=None)(collect_env)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(config_module, 'FormatCode', cached_format_code)
        patch.setattr(runner_module, 'collect_env', lambda: copy.deepcopy(env()))
        yield


@pytest.fixture(autouse=True)
def restore_torch_global_flags():
    """Undo what an in-process Runner with ``randomness.deterministic`` sets globally, so tests stay independent."""
    deterministic = torch.are_deterministic_algorithms_enabled()
    warn_only = torch.is_deterministic_algorithms_warn_only_enabled()
    cudnn = (torch.backends.cudnn.benchmark, torch.backends.cudnn.deterministic)
    yield
    torch.use_deterministic_algorithms(deterministic, warn_only=warn_only)
    torch.backends.cudnn.benchmark, torch.backends.cudnn.deterministic = cudnn


@pytest.fixture(scope='session')
def repo_root() -> str:
    return REPO_ROOT


@pytest.fixture(scope='session')
def synthetic_seg_root(tmp_path_factory) -> str:
    """One generated copy of the synthetic segmentation data shared by the whole session."""
    return str(tmp_path_factory.mktemp('synthetic_shapes'))


@pytest.fixture(scope='session')
def tool_env() -> dict:
    """Environment for running tools/*.py in a subprocess with this checkout importable."""
    env = dict(os.environ)
    env['PYTHONPATH'] = REPO_ROOT + os.pathsep + env.get('PYTHONPATH', '')
    env['PYTHON'] = sys.executable
    env.setdefault('OMP_NUM_THREADS', '1')
    return env


@pytest.fixture(scope='session')
def tiny_seg_config() -> str:
    """tests/data/tiny_fcn_synthetic.py: a deterministic FCN small enough for tool tests."""
    return osp.join(REPO_ROOT, 'tests', 'data', 'tiny_fcn_synthetic.py')


@pytest.fixture(scope='session')
def seg_data_overrides(synthetic_seg_root) -> list:
    """``--cfg-options`` pointing every dataloader of a synthetic-shapes config at the session's data."""
    return [f'{loader}.dataset.data_root={synthetic_seg_root}'
            for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')]


@pytest.fixture(scope='session')
def tiny_semi_seg_config() -> str:
    """tests/data/tiny_augseg_synthetic.py: a deterministic AugSeg (2 labelled + 2 unlabelled per step)."""
    return osp.join(REPO_ROOT, 'tests', 'data', 'tiny_augseg_synthetic.py')


@pytest.fixture(scope='session')
def semi_seg_data_overrides(synthetic_seg_root) -> list:
    """``--cfg-options`` pointing the labelled and unlabelled sets and the val/test sets at the session's data."""
    return [f'train_dataloader.dataset.datasets.{i}.data_root={synthetic_seg_root}' for i in (0, 1)] + [
        f'{loader}.dataset.data_root={synthetic_seg_root}' for loader in ('val_dataloader', 'test_dataloader')]
