import pytest
import torch
import torch.nn.functional as F
from mmpretrain.registry import MODELS

from mmext.pretrain.models.utils import cls_visible_masked


def build(**kwargs):
    return MODELS.build(dict(type='CAEv2Head', **kwargs))


def tiny_case():
    """One image, 3 patches (patch 1 masked), C = 2; values chosen so every cosine is easy by hand."""
    mask = torch.tensor([[False, True, False]])
    # Teacher tokens in image order: CLS, patch 0, patch 1, patch 2 (not normalised: the loss normalises).
    target = torch.tensor([[[2., 0.], [0., 3.], [1., 1.], [-1., 0.]]])
    pred_cls = torch.tensor([[[1., 0.]]])  # cos with (2, 0) = 1 -> distance 0
    pred_vis = torch.tensor([[[1., 0.], [1., 0.]]])  # vs patch 0 (0, 3): cos 0 -> 1; vs patch 2 (-1, 0): cos -1 -> 2
    pred_msk = torch.tensor([[[0., 1.]]])  # vs patch 1 (1, 1): cos 1/sqrt(2)
    return pred_cls, pred_vis, pred_msk, target, mask


def test_loss_equals_hand_computed_cosine_distance():
    losses = build().loss(*tiny_case())
    masked = 1 - 2**-0.5
    assert losses['loss'].item() == pytest.approx((0 + 1 + 2 + masked) / 4)
    assert losses['cls_dist'].item() == pytest.approx(0)
    assert losses['visible_dist'].item() == pytest.approx(1.5)
    assert losses['masked_dist'].item() == pytest.approx(masked)
    # mmengine adds every key containing "loss" to the total: only the total may carry it.
    assert [k for k in losses if 'loss' in k] == ['loss']


def test_default_equals_cosine_embedding_loss_over_all_tokens():
    gen = torch.Generator().manual_seed(0)
    mask = torch.stack([torch.randperm(16, generator=gen) < 6 for _ in range(3)])
    target = torch.randn(3, 17, 8, generator=gen)
    preds = torch.randn(3, 17, 8, generator=gen)
    losses = build().loss(preds[:, :1], preds[:, 1:11], preds[:, 11:], target, mask)
    ordered = cls_visible_masked(target, mask)
    expected = F.cosine_embedding_loss(preds.reshape(-1, 8), ordered.reshape(-1, 8), torch.ones(3 * 17))
    assert losses['loss'].item() == pytest.approx(expected.item(), rel=1e-5)
    assert 0 <= losses['loss'].item() <= 2
    # Token-count weights (1, V, M) / (1 + V + M) reproduce the uniform token average.
    weighted = build(group_weights=(1 / 17, 10 / 17, 6 / 17)).loss(preds[:, :1], preds[:, 1:11], preds[:, 11:],
                                                                   target, mask)
    assert weighted['loss'].item() == pytest.approx(expected.item(), rel=1e-5)
    zero = build().loss(ordered[:, :1], ordered[:, 1:11], ordered[:, 11:], target, mask)
    assert zero['loss'].item() == pytest.approx(0, abs=1e-6)


@pytest.mark.parametrize('supervise, expected', [
    (('visible', ), 1.5),
    (('masked', ), 1 - 2**-0.5),
    (('cls', 'visible'), (0 + 1 + 2) / 3),
])
def test_supervision_position_selects_the_contributing_tokens(supervise, expected):
    pred_cls, pred_vis, pred_msk, target, mask = tiny_case()
    preds = [p.clone().requires_grad_() for p in (pred_cls, pred_vis, pred_msk)]
    losses = build(supervise=supervise).loss(*preds, target, mask)
    assert losses['loss'].item() == pytest.approx(expected)
    losses['loss'].backward()
    for group, pred in zip(('cls', 'visible', 'masked'), preds):
        if group in supervise:
            assert pred.grad is not None, group  # (zero for the CLS pair, which is already aligned)
        else:
            assert pred.grad is None, group
    # The unsupervised groups are still reported.
    assert set(losses) == {'loss', 'cls_dist', 'visible_dist', 'masked_dist'}


def test_argument_errors():
    with pytest.raises(ValueError, match='non-empty subset'):
        build(supervise=('pixels', ))
    with pytest.raises(ValueError, match='non-empty subset'):
        build(supervise=())
    with pytest.raises(ValueError, match='one weight per supervised group'):
        build(supervise=('visible', 'masked'), group_weights=(1., ))
    pred_cls, pred_vis, pred_msk, target, mask = tiny_case()
    with pytest.raises(ValueError, match='1 \\+ N = 4'):
        build().loss(pred_cls, pred_vis, torch.cat([pred_msk, pred_msk], 1), target, mask)
