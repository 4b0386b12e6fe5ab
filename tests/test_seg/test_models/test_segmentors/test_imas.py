"""iMAS on SemiBaseSegmentor: each use of the hardness (loss weights, strong-view blending, CutMix gate and pairing,
optional op magnitude) is checked with a test that fails if the hardness were ignored."""
import numpy as np
import pytest
import torch
from mmengine.optim import OptimWrapper
from mmengine.registry import init_default_scope
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

import mmext.seg.models.segmentors.imas as imas_module
from mmext.seg.models.segmentors.imas import IMAS_OPS, IMAS_STRONG_AUG
from mmext.seg.models.utils import hardness_partners, op_values

SIZE, CLASSES = 32, 3
STUDENT = dict(
    type='EncoderDecoder',
    data_preprocessor=dict(type='SegDataPreProcessor', mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375],
                           bgr_to_rgb=True, size=(SIZE, SIZE)),
    backbone=dict(type='ResNetV1c', depth=18, stem_channels=8, base_channels=8),
    decode_head=dict(type='FCNHead', in_channels=64, channels=8, num_convs=1, num_classes=CLASSES, dropout_ratio=0.0,
                     align_corners=True))


@pytest.fixture(scope='module', autouse=True)
def mmseg_scope():
    init_default_scope('mmseg')


def build(strong_aug=IMAS_STRONG_AUG, **semi_train_cfg):
    torch.manual_seed(0)
    return MODELS.build(dict(type='IMAS', segmentor=STUDENT, semi_train_cfg=semi_train_cfg, strong_aug=strong_aug))


def fixed_hardness(monkeypatch, values):
    """Makes the model see the hardness ``values`` whatever its predictions."""
    monkeypatch.setattr(imas_module, 'instance_hardness', lambda *args, **kwargs: torch.tensor(values))


def labelled(num):
    samples = []
    for i in range(num):
        sample = SegDataSample(metainfo=dict(img_shape=(SIZE, SIZE), ori_shape=(SIZE, SIZE)))
        sample.gt_sem_seg = PixelData(data=torch.randint(0, CLASSES, (1, SIZE, SIZE),
                                                         generator=torch.Generator().manual_seed(i)))
        samples.append(sample)
    return samples


def weak_views(num, seed=0):
    return torch.randn(num, 3, SIZE, SIZE, generator=torch.Generator().manual_seed(seed))


def views_of(model, weak, seed=0):
    return model.unsup_views(weak, labelled(weak.shape[0]), weak, np.random.default_rng(seed))


def step_losses(model, num=2):
    model.semi_step.zero_()  # the same augmentation draws on every call
    weak = weak_views(num)
    return model.loss(dict(sup=weak_views(num, seed=1), unsup=weak),
                      dict(sup=labelled(num), unsup=[SegDataSample() for _ in range(num)]))


def test_one_training_step_through_the_preprocessor():
    model = build()
    model.train()
    gen = torch.Generator().manual_seed(0)
    images = [torch.randint(0, 256, (3, SIZE, SIZE), generator=gen, dtype=torch.uint8) for _ in range(4)]
    samples = labelled(2) + [SegDataSample(metainfo=dict(img_shape=(SIZE, SIZE), ori_shape=(SIZE, SIZE)))] * 2
    batch = dict(inputs=dict(sup=images[:2] + [None] * 2, unsup=[None] * 2 + images[2:]),
                 data_samples=dict(sup=samples[:2] + [None] * 2, unsup=[None] * 2 + samples[2:]))
    teacher_before = {k: v.clone() for k, v in model.teacher.state_dict().items()}
    student_before = {k: v.clone() for k, v in model.student.state_dict().items()}
    log_vars = model.train_step(batch, OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1)))
    assert {'loss', 'sup.decode.loss_ce', 'unsup.loss_ce', 'unsup.pseudo_ratio', 'unsup.hardness',
            'unsup.cutmix'} <= set(log_vars)
    assert all(np.isfinite(float(v.detach())) for v in log_vars.values())
    assert 0.0 <= float(log_vars['unsup.hardness']) <= 1.0 and float(log_vars['unsup.cutmix']) in (0.0, 1.0)
    assert any(not torch.equal(v, student_before[k]) for k, v in model.student.state_dict().items())
    assert all(torch.equal(v, teacher_before[k]) for k, v in model.teacher.state_dict().items())
    assert all(p.grad is None for p in model.teacher.parameters())
    assert model.student.training and not model.teacher.training and int(model.semi_step) == 1


def test_hardness_compares_student_and_teacher_on_the_weak_view():
    # Student = teacher and every pixel confident (tau 0): h = 1 on every image, so the gate always fires.
    model = build(tau=0.0, hardness=dict(background_index=None))
    model.teacher.load_state_dict(model.student.state_dict())
    model.train()
    losses = step_losses(model)
    assert float(losses['unsup.hardness']) == 1.0 and float(losses['unsup.cutmix']) == 1.0
    assert model.student.training  # the eval-mode student forward restored train mode
    # A different student: they disagree somewhere, h < 1.
    with torch.no_grad():
        model.student.decode_head.conv_seg.bias.add_(torch.tensor([0.0, 5.0, -5.0]))
    assert float(step_losses(model)['unsup.hardness']) < 1.0


def test_unsupervised_loss_is_weighted_per_image_by_hardness(monkeypatch):
    # Blending and CutMix off: the hardness acts through the loss weights only.
    model = build(tau=0.0, blend_strong=False, cutmix=dict(prob=0.0))
    model.train()

    def unsup_loss(h):
        fixed_hardness(monkeypatch, h)
        return float(step_losses(model)['unsup.loss_ce'])

    first, second = unsup_loss([1.0, 0.0]), unsup_loss([0.0, 1.0])
    assert first > 0 and second > 0
    # L_u = lambda_u * mean_i h_i L_i is linear in h.
    assert unsup_loss([0.25, 1.0]) == pytest.approx(0.25 * first + second, rel=1e-5)
    assert unsup_loss([0.0, 0.0]) == 0.0
    model.semi_train_cfg['weighted_loss'] = False
    assert unsup_loss([0.0, 0.0]) == pytest.approx(first + second, rel=1e-5)


def test_strong_view_is_blended_with_the_weak_view_by_hardness(monkeypatch):
    model = build(cutmix=dict(prob=0.0))
    weak = weak_views(3)
    strong = model.strong_view(weak, np.random.default_rng(0), torch.full((3, ), 0.999))
    assert not torch.allclose(strong, weak)
    fixed_hardness(monkeypatch, [1.0, 0.0, 0.25])
    views, targets = views_of(model, weak)
    assert len(views) == 2 and views[0] is weak and targets[0] is None  # x_w forwarded without a loss
    torch.testing.assert_close(views[1][0], strong[0])
    torch.testing.assert_close(views[1][1], weak[1])
    torch.testing.assert_close(views[1][2], 0.25 * strong[2] + 0.75 * weak[2])
    model.semi_train_cfg['blend_strong'] = False
    torch.testing.assert_close(views_of(model, weak)[0][1], strong)


def test_cutmix_is_gated_by_the_mean_hardness(monkeypatch):
    # Without a strong augmentation the gate's uniform is the step's first host draw (seeds 0-5: 0.64, 0.51, 0.26,
    # 0.09, 0.94, 0.81).
    model = build(strong_aug=None)
    outcomes = set()
    for h in ([1.0] * 4, [0.0] * 4, [0.9, 0.1, 0.5, 0.3], [0.2] * 4):
        fixed_hardness(monkeypatch, h)
        for seed in range(6):
            views, _ = views_of(model, weak_views(4), seed)
            expected = np.random.default_rng(seed).random() < np.mean(h)
            assert len(views) == 2 + expected and float(model._step_log['unsup.cutmix']) == expected
            outcomes.add((np.mean(h), expected))
    assert {(0.45, True), (0.45, False)} <= outcomes


def test_cutmix_pairs_the_hardest_with_the_easiest(monkeypatch):
    model = build(cutmix=dict(prob=1.0, box_range=(0.5, 0.5)))
    h = [0.9, 0.1, 0.5, 0.3]
    fixed_hardness(monkeypatch, h)
    partners = hardness_partners(torch.tensor(h)).tolist()
    assert partners == [1, 0, 3, 2]
    # Constant images tell where each pixel of the mixed view comes from.
    weak = torch.arange(4.0).view(4, 1, 1, 1).expand(4, 3, SIZE, SIZE).contiguous()
    (_, mixed, _), (_, mixed_target, strong_target) = views_of(model, weak)
    for i, partner in enumerate(partners):
        from_partner = mixed[i, 0] == partner
        assert torch.all(from_partner | (mixed[i, 0] == i)) and from_partner.sum() >= (SIZE // 4)**2
        # The pasted pixels carry the partner's pseudo-labels and confidences, the others the image's own.
        for field in ('label', 'conf'):
            source = torch.where(from_partner, getattr(strong_target, field)[partner], getattr(strong_target, field)[i])
            assert torch.equal(getattr(mixed_target, field)[i], source)
        torch.testing.assert_close(mixed_target.weight, torch.tensor(h))


def test_adaptive_magnitude_scales_op_strengths_by_hardness(monkeypatch):
    model = build()
    magnitudes = []
    strong_view = model.strong_view

    def recording_strong_view(inputs, rng, magnitude=None):
        magnitudes.append(magnitude.clone())
        return strong_view(inputs, rng, magnitude)

    monkeypatch.setattr(model, 'strong_view', recording_strong_view)
    fixed_hardness(monkeypatch, [0.2, 0.7])
    views_of(model, weak_views(2))
    model.semi_train_cfg['adaptive_magnitude'] = True
    views_of(model, weak_views(2))
    torch.testing.assert_close(magnitudes[0], torch.full((2, ), 0.999))  # the official fixed modifier
    torch.testing.assert_close(magnitudes[1], torch.tensor([0.2, 0.7]))


def test_default_strong_aug_is_two_of_twelve_ops():
    aug = build().strong_aug
    assert aug.ops == IMAS_OPS and len(aug.ops) == 12 and 'invert' in aug.ops
    assert aug.max_ops == 2 and not aug.random_num_ops
    # The official enhance factor 0.95 - 0.85 u m with the fixed m = 0.999.
    u = np.array([0.0, 0.5, 0.999])
    np.testing.assert_allclose(op_values('contrast', u * 0.999, np.ones(3), aug.ranges['contrast']),
                               0.95 - 0.85 * u * 0.999)
    np.testing.assert_allclose(op_values('gaussian_blur', u * 0.999, np.ones(3), aug.ranges['gaussian_blur']),
                               0.1 + 1.9 * u * 0.999)


def test_options_are_checked():
    with pytest.raises(ValueError, match='magnitude'):
        build(magnitude=1.5)
    with pytest.raises(TypeError, match='cutmix.prob'):
        build(cutmix=dict(prob='always'))
    with pytest.raises(ValueError, match='box_range'):
        build(cutmix=dict(box_range=(0.0, 0.5)))
    with pytest.raises(KeyError, match='ignore_bg'):
        build(hardness=dict(ignore_bg=True))


def test_weak_view_is_forwarded_only_when_asked(monkeypatch):
    fixed_hardness(monkeypatch, [1.0, 1.0])  # CutMix fires
    model = build(forward_weak_view=False)
    views, targets = views_of(model, weak_views(2))
    assert len(views) == 2 and all(target is not None for target in targets)
