"""TorchvisionTeacher: tokens = [pooled map, map resampled to the student's grid] of a frozen torchvision CNN cut at
a stage; weights through torchvision's weights API from the hub cache (never downloaded here)."""
import urllib.error

import pytest
import torch
from mmengine.optim import build_optim_wrapper
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample
from torchvision.models import mobilenet_v2

from mmext.pretrain.models.target_generators import TorchvisionTeacher
from mmext.pretrain.models.target_generators.torchvision_teacher import (IMAGENET_MEAN, IMAGENET_STD, feature_tokens,
                                                                         resample_to_grid)

HUB_FILE = 'mobilenet_v2-b0353104.pth'  # the file name of torchvision's MobileNet_V2_Weights.IMAGENET1K_V1


def reference_net(seed: int = 0) -> torch.nn.Module:
    torch.manual_seed(seed)
    return mobilenet_v2().eval()


def normalised(x: torch.Tensor) -> torch.Tensor:
    mean, std = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1), torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)
    return (x - mean) / std


def test_resample_by_hand():
    feature = torch.arange(16.).view(1, 1, 4, 4)
    # 'area' to 2 x 2: the mean of each 2 x 2 block, raster order.
    expected = torch.tensor([[2.5, 4.5, 10.5, 12.5]]).view(1, 4, 1)
    torch.testing.assert_close(resample_to_grid(feature, (2, 2)), expected)
    # Same grid: the cells themselves, whatever the mode.
    torch.testing.assert_close(resample_to_grid(feature, (4, 4), 'bilinear'), feature.view(1, 1, 16).transpose(1, 2))
    # 2 x 2 to 4 x 4 by 'area' repeats each cell over its 2 x 2 block.
    up = resample_to_grid(torch.tensor([[[[1., 2.], [3., 4.]]]]), (4, 4))
    assert up.view(4, 4).tolist() == [[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4], [3, 3, 4, 4]]
    tokens = feature_tokens(feature.expand(2, 3, 4, 4), (2, 2))
    assert tokens.shape == (2, 5, 3)
    torch.testing.assert_close(tokens[:, 0], torch.full((2, 3), 7.5))  # the global average pool
    with pytest.raises(ValueError, match='resample'):
        resample_to_grid(feature, (2, 2), 'lanczos')


def test_tokens_are_the_torchvision_features_pooled_and_resampled():
    net = reference_net()
    teacher = TorchvisionTeacher(stage='features.13', token_grid=(2, 2))
    teacher.body.load_state_dict({k: v for k, v in net.state_dict().items() if k in teacher.body.state_dict()})
    x = 255 * torch.rand(2, 3, 64, 64)
    with torch.no_grad():
        feature = net.features[:14](normalised(x))  # [2, 96, 4, 4]
    tokens, returned = teacher(x)
    assert tokens.shape == (2, 5, 96) and not tokens.requires_grad
    torch.testing.assert_close(returned, feature)
    torch.testing.assert_close(tokens[:, 0], feature.mean((2, 3)))
    blocks = feature.unfold(2, 2, 2).unfold(3, 2, 2).mean((-1, -2))  # [2, 96, 2, 2] block means
    torch.testing.assert_close(tokens[:, 1:], blocks.flatten(2).transpose(1, 2))
    # A grey image is the RGB image with three equal channels; normalisation is per channel (ImageNet's).
    grey = 255 * torch.rand(2, 1, 64, 64)
    torch.testing.assert_close(teacher(grey)[0], teacher(grey.expand(-1, 3, -1, -1))[0])
    # mean/std None: the input is taken as normalised already.
    raw = TorchvisionTeacher(stage='features.13', token_grid=(2, 2), mean=None, std=None)
    raw.body.load_state_dict(teacher.body.state_dict())
    torch.testing.assert_close(raw(normalised(x))[0], tokens)


def test_frozen_eval_mode_and_batchnorm_statistics_kept():
    teacher = TorchvisionTeacher(stage='features.6', token_grid=(4, 4))
    assert not any(p.requires_grad for p in teacher.parameters()) and not teacher.training
    teacher.train()
    assert not any(m.training for m in teacher.modules())
    before = {k: v.clone() for k, v in teacher.state_dict().items()}
    teacher(255 * torch.rand(4, 3, 32, 32))  # BatchNorm in train mode would update its running statistics
    assert all(torch.equal(v, before[k]) for k, v in teacher.state_dict().items())


def test_in_cae_v2_the_teacher_gets_no_gradient_no_optimizer_slot_and_its_grid_is_checked():
    cfg = dict(
        type='CAEv2',
        backbone=dict(type='CAEPretrainViT', arch=dict(embed_dims=32, num_layers=1, num_heads=2,
                                                       feedforward_channels=64), img_size=28, patch_size=4,
                      layer_scale_init_value=0.1),
        neck=dict(type='CAEv2Neck', in_dims=32, embed_dims=16, out_dims=32, regressor_depth=1, num_heads=2,
                  num_patches=49),
        head=dict(type='CAEv2Head'),
        target_generator=dict(type='TorchvisionTeacher', stage='features.6', token_grid=(7, 7)))
    torch.manual_seed(0)
    model = MODELS.build(cfg)
    model.init_weights()
    model.train()
    # As the CAE v2 configs build it (mmengine's paramwise constructor leaves out parameters without grad).
    optim_wrapper = build_optim_wrapper(model, dict(optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.05),
                                                    paramwise_cfg=dict(bias_decay_mult=0., norm_decay_mult=0.)))
    optimized = {id(p) for group in optim_wrapper.optimizer.param_groups for p in group['params']}
    assert not optimized & {id(p) for p in model.target_generator.parameters()}
    teacher_before = {k: v.clone() for k, v in model.target_generator.state_dict().items()}
    samples = []
    for i in range(2):
        sample = DataSample()
        sample.set_mask((torch.randperm(49) < 12).view(7, 7))
        samples.append(sample)
    # Student view ImageNet-normalised to 3 channels; teacher view grey 0-255 pixels at twice the size.
    losses = model.loss([torch.randn(2, 3, 28, 28), 255 * torch.rand(2, 1, 56, 56)], samples)
    assert 0 < losses['loss'].item() < 2
    optim_wrapper.update_params(losses['loss'])
    assert all(p.grad is None for p in model.target_generator.parameters())
    assert all(torch.equal(v, teacher_before[k]) for k, v in model.target_generator.state_dict().items())
    with pytest.raises(ValueError, match='7 x 7'):
        MODELS.build(dict(cfg, target_generator=dict(cfg['target_generator'], token_grid=(4, 4))))


def test_weights_come_from_the_hub_cache_through_torchvision(tmp_path, monkeypatch):
    monkeypatch.setattr(torch.hub, 'get_dir', lambda: str(tmp_path))
    (tmp_path / 'checkpoints').mkdir()
    net = reference_net(seed=1)
    torch.save(net.state_dict(), tmp_path / 'checkpoints' / HUB_FILE)  # as torchvision's download leaves it
    teacher = TorchvisionTeacher(stage='features.13', token_grid=(2, 2), weights='IMAGENET1K_V1')
    teacher.init_weights()
    x = 255 * torch.rand(1, 3, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(teacher(x)[1], net.features[:14](normalised(x)))
    # Random init (weights=None) leaves torchvision's initialisation alone.
    random = TorchvisionTeacher(stage='features.13', token_grid=(2, 2))
    before = {k: v.clone() for k, v in random.state_dict().items()}
    random.init_weights()
    assert all(torch.equal(v, before[k]) for k, v in random.state_dict().items())


def test_unreachable_weights_fail_at_first_forward_unless_a_checkpoint_supplies_them(tmp_path, monkeypatch):
    monkeypatch.setattr(torch.hub, 'get_dir', lambda: str(tmp_path))

    def offline(*args, **kwargs):
        raise urllib.error.URLError('no network')

    monkeypatch.setattr(torch.hub, 'download_url_to_file', offline)
    teacher = TorchvisionTeacher(stage='features.6', token_grid=(2, 2), weights='IMAGENET1K_V1')
    teacher.init_weights()  # warns only: a resumed checkpoint may hold the teacher
    with pytest.raises(FileNotFoundError, match='offline_teacher_weights.py'):
        teacher(torch.rand(1, 3, 32, 32))
    partial = {k: v for k, v in list(teacher.state_dict().items())[:3]}
    teacher.load_state_dict(partial, strict=False)
    with pytest.raises(FileNotFoundError, match=HUB_FILE):
        teacher(torch.rand(1, 3, 32, 32))
    teacher.load_state_dict(TorchvisionTeacher(stage='features.6', token_grid=(2, 2)).state_dict())
    assert teacher(torch.rand(1, 3, 32, 32))[0].shape == (1, 5, 32)


def test_bad_arguments_and_inputs_are_named():
    with pytest.raises(ValueError, match='arch='):
        TorchvisionTeacher(arch='mobilenet_v9')
    with pytest.raises(ValueError, match="stage='features.99'"):
        TorchvisionTeacher(stage='features.99')
    with pytest.raises(ValueError, match='IMAGENET1K_V1'):
        TorchvisionTeacher(weights='IMAGENET22K')
    with pytest.raises(ValueError, match='token_grid'):
        TorchvisionTeacher(token_grid=(7, ))
    with pytest.raises(ValueError, match='mean and std'):
        TorchvisionTeacher(mean=None)
    teacher = TorchvisionTeacher(stage='features.3', token_grid=(2, 2))
    with pytest.raises(ValueError, match=r'\[B, 3, H, W\]'):
        teacher(torch.rand(1, 2, 32, 32))
    assert teacher.patch_resolution == (2, 2)
