"""AugSeg on SemiBaseSegmentor: one training step with different students, teacher handling, checkpoints, modes."""
import copy
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.optim import OptimWrapper
from mmengine.registry import init_default_scope
from mmengine.runner import load_checkpoint, save_checkpoint
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

import mmext.seg  # noqa: F401  (registers AugSeg)

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))))
SIZE = 32
NORM = dict(type='BN', requires_grad=True)
PREPROCESSOR = dict(
    type='SegDataPreProcessor', mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375], bgr_to_rgb=True,
    pad_val=0, seg_pad_val=255, size=(SIZE, SIZE))
# A narrow DeepLabV3+ (ResNet-18-V1c at width 16, output stride 16 like AugSeg's) with an auxiliary FCN head.
DEEPLABV3PLUS = dict(
    type='EncoderDecoder',
    data_preprocessor=PREPROCESSOR,
    backbone=dict(type='ResNetV1c', depth=18, stem_channels=16, base_channels=16, strides=(1, 2, 2, 1),
                  dilations=(1, 1, 1, 2), norm_cfg=NORM),
    decode_head=dict(type='DepthwiseSeparableASPPHead', in_channels=128, in_index=3, channels=16, dilations=(1, 2, 3),
                     c1_in_channels=16, c1_channels=8, dropout_ratio=0.0, num_classes=6, norm_cfg=NORM,
                     align_corners=True),
    auxiliary_head=dict(type='FCNHead', in_channels=64, in_index=2, channels=8, num_convs=1, dropout_ratio=0.0,
                        num_classes=6, norm_cfg=NORM, loss_decode=dict(type='CrossEntropyLoss', loss_weight=0.4)),
    test_cfg=dict(mode='whole'))


def sdn_toy_student() -> dict:
    """The SDN toy model (FCN + one SDN block on a narrow ResNet-18) from its config."""
    cfg = Config.fromfile(osp.join(REPO_ROOT, 'configs', 'sdn', 'sdn-fcn_r18-w16-d8_1xb8-1k_synthetic-64x64.py'))
    model = cfg.model.to_dict()
    model['data_preprocessor']['size'] = (SIZE, SIZE)
    return model


STUDENTS = {'deeplabv3plus': lambda: copy.deepcopy(DEEPLABV3PLUS), 'sdn_fcn': sdn_toy_student}


@pytest.fixture(scope='module', autouse=True)
def mmseg_scope():
    init_default_scope('mmseg')


def build(student='deeplabv3plus', **kwargs):
    torch.manual_seed(0)
    return MODELS.build(dict(type='AugSeg', segmentor=STUDENTS[student](), **kwargs))


@pytest.fixture(scope='module')
def model():
    """One AugSeg with the DeepLabV3+ student for the tests that do not train it."""
    return build()


def multi_branch_batch(num: int = 2, seed: int = 0) -> dict:
    """What the data loader yields with mmdet's MultiBranch: num labelled, then num unlabelled samples (uint8 BGR,
    smaller than the crop for some, so padding is exercised)."""
    gen = torch.Generator().manual_seed(seed)
    inputs, samples = dict(sup=[], unsup=[]), dict(sup=[], unsup=[])
    for i in range(2 * num):
        h, w = (SIZE, SIZE) if i % 2 == 0 else (SIZE - 4, SIZE - 6)
        img = torch.randint(0, 256, (3, h, w), generator=gen, dtype=torch.uint8)
        sample = SegDataSample(metainfo=dict(img_shape=(h, w), ori_shape=(h, w)))
        branch, other = ('sup', 'unsup') if i < num else ('unsup', 'sup')
        if branch == 'sup':
            sample.gt_sem_seg = PixelData(data=torch.randint(0, 6, (1, h, w), generator=gen, dtype=torch.int64))
        inputs[branch].append(img)
        samples[branch].append(sample)
        inputs[other].append(None)
        samples[other].append(None)
    return dict(inputs=inputs, data_samples=samples)


@pytest.mark.parametrize('student', sorted(STUDENTS))
def test_one_step_with_any_student(student):
    model = build(student)
    model.train()
    optim = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1))
    teacher_before = copy.deepcopy(model.teacher.state_dict())
    student_before = copy.deepcopy(model.student.state_dict())
    log_vars = model.train_step(multi_branch_batch(), optim)
    expected = {'sup.decode.loss_ce', 'unsup.loss_ce', 'unsup.pseudo_ratio', 'loss'}
    if student == 'deeplabv3plus':
        expected.add('sup.aux.loss_ce')
    assert expected <= set(log_vars) and all(np.isfinite(float(v.detach())) for v in log_vars.values())
    # The student learned, the teacher neither received gradients nor moved (the EMA hook moves it).
    assert all(p.grad is None for p in model.teacher.parameters())
    assert any(not torch.equal(v, student_before[k]) for k, v in model.student.state_dict().items())
    assert all(torch.equal(v, teacher_before[k]) for k, v in model.teacher.state_dict().items())
    assert not model.teacher.training and model.student.training
    assert int(model.semi_step) == 1


def test_unlabelled_ground_truth_never_reaches_the_loss(model):
    batch = model.data_preprocessor(multi_branch_batch(), training=True)
    for sample in batch['data_samples']['unsup']:
        assert torch.all(sample.gt_sem_seg.data == 255)
    assert batch['inputs']['sup'].shape == batch['inputs']['unsup'].shape == (2, 3, SIZE, SIZE)


def test_teacher_stays_in_eval_and_frozen(model):
    model.train()
    assert not model.teacher.training and all(not m.training for m in model.teacher.modules())
    assert all(not p.requires_grad for p in model.teacher.parameters())
    assert all(p.requires_grad for p in model.student.parameters())


def test_state_dict_prefixes_and_plain_checkpoint_loading(tmp_path):
    model = build()  # loads weights: its own copy
    keys = set(model.state_dict())
    assert keys == {'semi_step'} | {f'student.{k}' for k in model.student.state_dict()} | {
        f'teacher.{k}' for k in model.teacher.state_dict()}
    plain = MODELS.build(DEEPLABV3PLUS)
    with torch.no_grad():
        for p in plain.parameters():
            p.normal_()
    path = str(tmp_path / 'plain.pth')
    save_checkpoint(dict(state_dict=plain.state_dict()), path)
    load_checkpoint(model, path, strict=True)
    for branch in (model.student, model.teacher):
        for name, value in plain.state_dict().items():
            assert torch.equal(branch.state_dict()[name], value), name


def test_predict_runs_on_the_teacher_unless_told_otherwise():
    model = build()
    with torch.no_grad():
        for p in model.student.parameters():
            p.mul_(0.9)
    model.eval()
    batch = model.data_preprocessor(dict(inputs=[torch.randint(0, 256, (3, SIZE, SIZE), dtype=torch.uint8)],
                                         data_samples=[SegDataSample(metainfo=dict(img_shape=(SIZE, SIZE),
                                                                                   ori_shape=(SIZE, SIZE)))]))
    teacher_logits = model(batch['inputs'], batch['data_samples'], mode='tensor')
    torch.testing.assert_close(teacher_logits, model.teacher(batch['inputs'], batch['data_samples'], mode='tensor'))
    predictions = model(batch['inputs'], batch['data_samples'], mode='predict')
    assert predictions[0].pred_sem_seg.data.shape == (1, SIZE, SIZE)
    model.semi_test_cfg['predict_on'] = 'student'
    torch.testing.assert_close(model(batch['inputs'], mode='tensor'), model.student(batch['inputs'], mode='tensor'))
    assert not torch.allclose(model(batch['inputs'], mode='tensor'), teacher_logits)


def test_strong_view_is_an_intensity_change_of_the_weak_view(model):
    batch = model.data_preprocessor(multi_branch_batch(), training=True)
    weak = batch['inputs']['unsup']
    preprocessor = model.data_preprocessor
    pixels = preprocessor.to_rgb_pixels(weak)
    assert torch.equal(pixels, pixels.round()) and pixels.min() >= 0 and pixels.max() <= 255
    torch.testing.assert_close(preprocessor.from_rgb_pixels(pixels)[:, :, :SIZE - 4, :SIZE - 6],
                               weak[:, :, :SIZE - 4, :SIZE - 6], atol=1e-5, rtol=0)
    strong = model.strong_view(weak, np.random.default_rng(0))
    assert strong.shape == weak.shape and not torch.equal(strong, weak)
    model.strong_aug, strong_aug = None, model.strong_aug
    assert model.strong_view(weak, np.random.default_rng(0)) is weak
    model.strong_aug = strong_aug


def test_options_are_checked():
    with pytest.raises(KeyError, match='threshold'):
        build(semi_train_cfg=dict(threshold=0.9))
    with pytest.raises(KeyError, match='beta'):
        build(semi_train_cfg=dict(cutmix=dict(beta=(1, 1))))
    with pytest.raises(ValueError, match='predict_on'):
        build(semi_test_cfg=dict(predict_on='ema'))
    cascade = dict(DEEPLABV3PLUS, type='CascadeEncoderDecoder', num_stages=2,
                   decode_head=[DEEPLABV3PLUS['decode_head']] * 2)
    with pytest.raises(TypeError, match='CascadeEncoderDecoder'):
        MODELS.build(dict(type='AugSeg', segmentor=cascade))


def test_weak_view_forward_option_changes_the_student_batch_only(model):
    model.semi_train_cfg['forward_weak_view'] = True
    model.train()
    batch = model.data_preprocessor(multi_branch_batch(), training=True)
    rng = np.random.default_rng(0)
    views, targets = model.unsup_views(batch['inputs']['sup'], batch['data_samples']['sup'],
                                       batch['inputs']['unsup'], rng)
    assert len(views) == 2 and targets[0] is None and targets[1] is not None
    assert views[0] is batch['inputs']['unsup']
    losses = model.loss(batch['inputs'], batch['data_samples'])
    model.semi_train_cfg['forward_weak_view'] = False
    assert torch.isfinite(losses['unsup.loss_ce'])


def test_loss_weights_scale_their_own_losses_only():
    # tau=0 keeps every pseudo-label, so the unsupervised loss is not zero (a zero would hide a dropped weight).
    model = build(semi_train_cfg=dict(tau=0.0))
    model.train()
    batch = model.data_preprocessor(multi_branch_batch(), training=True)
    losses = []
    for sup_weight, unsup_weight in ((1.0, 1.0), (0.5, 2.5)):
        model.semi_train_cfg.update(sup_weight=sup_weight, unsup_weight=unsup_weight)
        model.semi_step.zero_()  # the same augmentation draws for both
        losses.append(model.loss(batch['inputs'], batch['data_samples']))
    plain, weighted = losses
    assert plain['unsup.loss_ce'] > 0
    torch.testing.assert_close(weighted['unsup.loss_ce'], 2.5 * plain['unsup.loss_ce'])
    for name in ('sup.decode.loss_ce', 'sup.aux.loss_ce'):
        torch.testing.assert_close(weighted[name], 0.5 * plain[name])
    torch.testing.assert_close(weighted['unsup.pseudo_ratio'], plain['unsup.pseudo_ratio'])


def test_pseudo_labels_confidences_and_rho_come_from_the_teacher():
    """At initialisation the student equals the teacher; here they differ. The teacher says class 3 everywhere with
    confidence ~1, so rho ~1 and no labelled box is injected; the student is uniform (argmax 0, confidence 1/6,
    rho 0, which would inject a labelled box into every image). The strong view's target must be the teacher's."""
    model = build()
    model.train()
    with torch.no_grad():
        for branch in (model.teacher, model.student):
            branch.decode_head.conv_seg.weight.zero_()
            branch.decode_head.conv_seg.bias.zero_()
        model.teacher.decode_head.conv_seg.bias[3] = 30.0
    batch = model.data_preprocessor(multi_branch_batch(), training=True)
    views, targets = model.unsup_views(batch['inputs']['sup'], batch['data_samples']['sup'],
                                       batch['inputs']['unsup'], np.random.default_rng(0))
    assert len(views) == 1 and views[0].shape == batch['inputs']['unsup'].shape
    assert torch.all(targets[0].label == 3)
    assert torch.all(targets[0].conf > 0.99)
