"""The torch>=2.6 checkpoint fix trusts Runner.resume/load_checkpoint only; other loads stay weights_only."""
import os.path as osp
import pickle

import pytest
import torch
from mmengine.logging import HistoryBuffer
from mmengine.registry import DefaultScope, init_default_scope
from mmengine.runner import CheckpointLoader, Runner, load_checkpoint

import mmext.ops  # noqa: F401  (any entry installs the fix)
from mmext.utils import trusted_checkpoint_loading

SENTINEL = {}


def _record_execution(path):
    SENTINEL['executed'] = path
    return {}


class CodeRunningPayload:
    """Unpickling this calls a function of our choice: what weights_only loading exists to refuse."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return _record_execution, (self.path, )


@pytest.fixture
def payload_file(tmp_path):
    path = str(tmp_path / 'evil.pth')
    torch.save({'state_dict': {}, 'meta': CodeRunningPayload(path)}, path)
    SENTINEL.clear()
    return path


def test_code_running_pickle_refused_by_safe_loaders(payload_file):
    with pytest.raises(pickle.UnpicklingError):
        CheckpointLoader.load_checkpoint(payload_file, map_location='cpu')
    with pytest.raises(pickle.UnpicklingError):
        load_checkpoint(torch.nn.Linear(1, 1), payload_file, map_location='cpu')
    assert 'executed' not in SENTINEL


def test_trusted_context_loads_mmengine_training_state(tmp_path):
    path = str(tmp_path / 'train_state.pth')
    buffer = HistoryBuffer()
    buffer.update(1.5)
    torch.save({'state_dict': {'w': torch.ones(2)}, 'message_hub': {'log_scalars': {'loss': buffer}}}, path)
    with pytest.raises(pickle.UnpicklingError):
        CheckpointLoader.load_checkpoint(path, map_location='cpu')
    with trusted_checkpoint_loading():
        loaded = CheckpointLoader.load_checkpoint(path, map_location='cpu')
    assert loaded['message_hub']['log_scalars']['loss'].current() == 1.5
    # The trust ends with the context.
    with pytest.raises(pickle.UnpicklingError):
        CheckpointLoader.load_checkpoint(path, map_location='cpu')


def test_runner_entry_points_are_trusting():
    assert getattr(Runner.resume, '__mmext_trusting__', False)
    assert getattr(Runner.load_checkpoint, '__mmext_trusting__', False)


def test_missing_file_names_the_path(tmp_path):
    missing = osp.join(str(tmp_path), 'nope.pth')
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        CheckpointLoader.load_checkpoint(missing)


def test_runner_load_checkpoint_loads_a_full_training_checkpoint(tmp_path):
    """The granting side: Runner.load_checkpoint (load_from, tools/test.py) loads a checkpoint with training state."""
    from mmengine.logging import MessageHub
    from mmengine.model import BaseModel

    class Tiny(BaseModel):

        def __init__(self):
            super().__init__()
            self.linear = torch.nn.Linear(3, 2)

        def forward(self, inputs, data_samples=None, mode='tensor'):
            return self.linear(inputs)

    source = Tiny()
    hub = MessageHub.get_instance('mmext_test_trusted_load')
    hub.update_scalar('train/loss', 0.25)
    path = str(tmp_path / 'iter_4.pth')
    torch.save({'meta': {'iter': 4}, 'state_dict': source.state_dict(), 'message_hub': hub.state_dict(),
                'optimizer': torch.optim.SGD(source.parameters(), lr=0.1).state_dict()}, path)
    with pytest.raises(pickle.UnpicklingError):  # what mmengine's own call meets on torch >= 2.6 without the fix
        torch.load(path)
    previous_scope = DefaultScope.get_current_instance()
    try:
        runner = Runner(model=Tiny(), work_dir=str(tmp_path / 'work'), default_scope='mmengine')
        checkpoint = runner.load_checkpoint(path, map_location='cpu')
    finally:  # the Runner made 'mmengine' the default scope; later tests expect theirs
        if previous_scope is not None:
            init_default_scope(previous_scope.scope_name)
    assert checkpoint['message_hub']['log_scalars']['train/loss'].current() == 0.25
    for name, tensor in source.state_dict().items():
        torch.testing.assert_close(runner.model.state_dict()[name], tensor, rtol=0, atol=0)
