"""Every class mmext registers, in any registry of any scope, builds from a small config (timm-style sweep).

The classes are found by walking the registries after ``import mmext.all``; the build configs come from
``tests/registry_samples/*.py``, so a new component is covered by adding one line there, and a component without a
sample fails here.
"""
import glob
import importlib
import importlib.util
import os.path as osp

import pytest
from mmengine.registry import DefaultScope, Registry

import mmext.all  # noqa: F401  (registers everything)

SAMPLE_DIR = osp.join(osp.dirname(osp.abspath(__file__)), 'registry_samples')
REGISTRY_MODULES = ('mmengine.registry', 'mmseg.registry', 'mmpretrain.registry', 'mmext.registry')


def registered_by_mmext() -> dict:
    """``'<scope>.<name>'`` -> registry, for every class defined in mmext."""
    found = {}
    for module_name in REGISTRY_MODULES:
        module = importlib.import_module(module_name)
        for registry in vars(module).values():
            if not isinstance(registry, Registry):
                continue
            for name, cls in registry.module_dict.items():
                if getattr(cls, '__module__', '').split('.')[0] == 'mmext':
                    found[f'{registry.scope}.{name}'] = registry
    return found


def samples() -> tuple:
    """``(SAMPLES, SETUP)`` of every module in tests/registry_samples/."""
    collected, setups = {}, {}
    for path in sorted(glob.glob(osp.join(SAMPLE_DIR, '*.py'))):
        name = osp.splitext(osp.basename(path))[0]
        if name == '__init__':
            continue
        spec = importlib.util.spec_from_file_location(f'registry_samples_{name}', path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        overlap = set(collected) & set(module.SAMPLES)
        assert not overlap, f'{overlap} sampled twice ({path})'
        collected.update(module.SAMPLES)
        setups.update(getattr(module, 'SETUP', {}))
    return collected, setups


REGISTERED = registered_by_mmext()
SAMPLES, SETUP = samples()


def test_every_registered_class_has_a_sample_and_every_sample_is_registered():
    assert set(REGISTERED) - set(SAMPLES) == set(), 'add a small build config to tests/registry_samples/'
    assert set(SAMPLES) - set(REGISTERED) == set(), 'sample names a class mmext does not register'


def _fill_tmp(node, tmp: str):
    if isinstance(node, dict):
        return {k: _fill_tmp(v, tmp) for k, v in node.items()}
    if isinstance(node, (list, tuple)):
        return type(node)(_fill_tmp(v, tmp) for v in node)
    if isinstance(node, str):
        return node.replace('{tmp}', tmp)
    return node


@pytest.mark.parametrize('key', sorted(REGISTERED))
def test_registered_class_builds(key, tmp_path):
    if key not in SAMPLES:
        pytest.fail(f'no sample for {key} in tests/registry_samples/')
    registry = REGISTERED[key]
    if key in SETUP:
        SETUP[key](str(tmp_path))
    cfg = _fill_tmp(SAMPLES[key], str(tmp_path))
    with DefaultScope.overwrite_default_scope(registry.scope):
        built = registry.build(cfg)
    assert type(built).__name__ == cfg['type'] or isinstance(built, registry.get(cfg['type']))
