import pytest
import torch
from mmengine.optim import build_optim_wrapper
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

TINY = dict(
    type='CAEv2',
    backbone=dict(type='CAEPretrainViT', arch=dict(embed_dims=32, num_layers=2, num_heads=2, feedforward_channels=64),
                  img_size=32, patch_size=8, layer_scale_init_value=0.1),
    neck=dict(type='CAEv2Neck', in_dims=32, embed_dims=16, out_dims=16, regressor_depth=1, num_heads=2,
              drop_path_rate=0., num_patches=16),
    head=dict(type='CAEv2Head'),
    target_generator=dict(type='CLIPTeacher', arch=dict(input_resolution=32, patch_size=8, width=64, layers=1,
                                                        heads=1, output_dim=16)))


def build(**kwargs):
    torch.manual_seed(0)
    model = MODELS.build(dict(TINY, **kwargs))
    model.init_weights()
    return model


def batch(size: int = 4, num_masked: int = 4, seed: int = 0):
    gen = torch.Generator().manual_seed(seed)
    samples = []
    for _ in range(size):
        sample = DataSample()
        sample.set_mask((torch.randperm(16, generator=gen) < num_masked).view(4, 4))
        samples.append(sample)
    return [torch.randn(size, 3, 32, 32, generator=gen), torch.randn(size, 3, 32, 32, generator=gen)], samples


def test_loss_outputs_and_frozen_teacher():
    model = build()
    model.train()
    assert model.backbone.training and not model.target_generator.training
    # The encoder's sin-cos table is fixed, with a zero CLS slot.
    assert not model.backbone.pos_embed.requires_grad and not model.backbone.pos_embed[0, 0].any()
    inputs, samples = batch()
    losses = model.loss(inputs, samples)
    assert set(losses) == {'loss', 'cls_dist', 'visible_dist', 'masked_dist'}
    assert 0 < losses['loss'].item() < 2
    losses['loss'].backward()
    assert all(p.grad is None for p in model.target_generator.parameters())
    assert model.backbone.patch_embed.projection.weight.grad.any()
    assert model.neck.regressors[0].cross_attn.q.weight.grad.any()


def test_one_step_lowers_the_loss_and_leaves_the_teacher_alone():
    model = build()
    model.train()
    optim_wrapper = build_optim_wrapper(model, dict(
        optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.05),
        paramwise_cfg=dict(bias_decay_mult=0., norm_decay_mult=0., flat_decay_mult=0.)))
    optimized = {id(p) for group in optim_wrapper.optimizer.param_groups for p in group['params']}
    assert not optimized & {id(p) for p in model.target_generator.parameters()}
    teacher_before = {k: v.clone() for k, v in model.target_generator.state_dict().items()}
    inputs, samples = batch()
    before = model.loss(inputs, samples)['loss']
    optim_wrapper.update_params(before)
    after = model.loss(inputs, samples)['loss']
    assert after.item() < before.item()
    for key, value in model.target_generator.state_dict().items():
        torch.testing.assert_close(value, teacher_before[key])


def test_supervision_position_reaches_the_model():
    model = build(head=dict(type='CAEv2Head', supervise=('visible', )))
    inputs, samples = batch()
    losses = model.loss(inputs, samples)
    assert losses['loss'].item() == pytest.approx(losses['visible_dist'].item())
    losses['loss'].backward()
    regressor = model.neck.regressors[0].parameters()
    assert all(p.grad is None or not p.grad.any() for p in regressor)


def test_extract_feat_runs_the_full_image():
    model = build()
    feats = model.extract_feat(torch.randn(2, 3, 32, 32))
    assert len(feats) == 1 and feats[0].shape == (2, 17, 32)  # CLS + all 16 patches, final norm
    assert model(torch.randn(2, 3, 32, 32), mode='tensor')[0].shape == (2, 17, 32)


def test_input_errors():
    with pytest.raises(ValueError, match='target_generator'):
        MODELS.build(dict(TINY, target_generator=None))
    model = build()
    inputs, samples = batch()
    with pytest.raises(ValueError, match='two views'):
        model.loss(inputs[0], samples)
    samples[0].set_mask(torch.zeros(4, 4, dtype=torch.bool))
    with pytest.raises(ValueError, match='same number of patches'):
        model.loss(inputs, samples)


def test_teacher_and_student_grids_are_checked_at_build_time():
    # A teacher with a 8 x 8 grid (patch 4 at 32 px) for a 4 x 4 student, as a ViT-L/14 teacher for a patch-16 student.
    teacher = dict(TINY['target_generator'], arch=dict(TINY['target_generator']['arch'], patch_size=4))
    with pytest.raises(ValueError, match='8 x 8 patch grid but the student backbone a 4 x 4'):
        MODELS.build(dict(TINY, target_generator=teacher))
    with pytest.raises(ValueError, match='neck.num_patches=64'):
        MODELS.build(dict(TINY, neck=dict(TINY['neck'], num_patches=64)))


def test_teacher_runs_before_the_student_backbone():
    model = build()
    calls = []
    model.target_generator.register_forward_pre_hook(lambda *_: calls.append('teacher'))
    model.backbone.register_forward_pre_hook(lambda *_: calls.append('student'))
    model.neck.register_forward_pre_hook(lambda *_: calls.append('neck'))
    model.loss(*batch())
    assert calls == ['teacher', 'student', 'neck']
