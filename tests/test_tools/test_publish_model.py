"""tools/misc/publish_model.py turns a training checkpoint into one that weights-only loaders accept."""
import hashlib
import pickle

import pytest
import torch
from mmengine.logging import MessageHub
from mmengine.runner import CheckpointLoader, load_checkpoint

import mmext.ops  # noqa: F401  (any entry installs the weights-only loader)
from tools.misc.publish_model import main


@pytest.fixture
def training_checkpoint(tmp_path):
    """What mmengine's CheckpointHook writes: weights, optimizer, message hub (HistoryBuffer) and meta."""
    model = torch.nn.Linear(3, 2)
    hub = MessageHub.get_instance('mmext_test_publish_model')
    hub.update_scalar('train/loss', 0.5)
    path = str(tmp_path / 'epoch_3.pth')
    torch.save({'meta': {'epoch': 3, 'iter': 30, 'cfg': 'model = dict()', 'dataset_meta': {'classes': ('a', 'b')}},
                'state_dict': model.state_dict(), 'message_hub': hub.state_dict(),
                'optimizer': torch.optim.SGD(model.parameters(), lr=0.1).state_dict()}, path)
    return path, model


def test_refusal_names_the_file_and_the_fix(training_checkpoint):
    path, _ = training_checkpoint
    with pytest.raises(pickle.UnpicklingError, match=r'tools/misc/publish_model\.py .*epoch_3\.pth'):
        CheckpointLoader.load_checkpoint(path, map_location='cpu')


def test_published_in_place_loads_as_pretrained_weights(training_checkpoint, capsys):
    path, source = training_checkpoint
    main([path, path])
    published = torch.load(path, weights_only=True)
    assert sorted(published) == ['meta', 'state_dict']
    assert published['meta'] == {'epoch': 3, 'iter': 30, 'dataset_meta': {'classes': ('a', 'b')}}
    target = torch.nn.Linear(3, 2)
    load_checkpoint(target, path, map_location='cpu', strict=True)
    for name, tensor in source.state_dict().items():
        torch.testing.assert_close(target.state_dict()[name], tensor, rtol=0, atol=0)
    assert 'sha256' in capsys.readouterr().out


def test_sha_suffix_is_the_digest_of_the_written_file(training_checkpoint, tmp_path):
    path, _ = training_checkpoint
    out = main([path, str(tmp_path / 'release' / 'model.pth'), '--sha-suffix'])
    with open(out, 'rb') as file:
        digest = hashlib.sha256(file.read()).hexdigest()
    assert out.endswith(f'model-{digest[:8]}.pth')
    assert not (tmp_path / 'release' / 'model.pth.partial').exists()


def test_non_mmengine_file_is_named(tmp_path):
    path = str(tmp_path / 'bare.pth')
    torch.save({'weights': torch.ones(1)}, path)
    with pytest.raises(KeyError, match='bare.pth has no "state_dict"'):
        main([path, str(tmp_path / 'out.pth')])
