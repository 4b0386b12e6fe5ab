import os
import os.path as osp
import sys

import pytest
import torch

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


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
