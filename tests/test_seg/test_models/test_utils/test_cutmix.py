"""AugSeg's adaptive label-injecting CutMix: alignment, sources, injection odds, boxes."""
import numpy as np
import pytest
import torch

from mmext.seg.models.utils.cutmix import (AdaptiveCutMixDraw, adaptive_label_injecting_cutmix, beta_cut_size,
                                           box_masks, sample_adaptive_cutmix, sample_boxes)

B, H, W = 4, 24, 20
SUP_OFFSET = 50  # labelled image j is encoded as 50 + j, unlabelled image i as i


def tagged_batch():
    """Images, labels and confidences that name their source in every pixel: pixel value = label = source id,
    confidence = id / 100 for unlabelled sources (labelled pixels get 1 from the mixing)."""
    ids = torch.arange(B).view(B, 1, 1).expand(B, H, W)
    strong = ids.unsqueeze(1).expand(B, 3, H, W).float()
    sup = strong + SUP_OFFSET
    return strong.clone(), ids.clone().long(), ids.float() / 100, sup, ids.long() + SUP_OFFSET


def draw(seed: int, **kwargs) -> AdaptiveCutMixDraw:
    return sample_adaptive_cutmix(np.random.default_rng(seed), B, (H, W), **kwargs)


@pytest.mark.parametrize('seed', range(8))
def test_pixels_keep_image_label_confidence_together_and_come_from_allowed_sources(seed):
    strong, label, conf, sup, sup_label = tagged_batch()
    d = draw(seed)
    img, lab, cf = adaptive_label_injecting_cutmix(strong, label, conf, sup, sup_label, torch.full((B, ), 0.5), d)
    assert img.shape == strong.shape and lab.shape == label.shape and lab.dtype == torch.int64
    assert torch.equal(img[:, 0].long(), lab) and torch.equal(img[:, 1], img[:, 2])
    from_sup = lab >= SUP_OFFSET
    assert torch.equal(cf[from_sup], torch.ones_like(cf[from_sup]))
    assert torch.allclose(cf[~from_sup], lab[~from_sup].float() / 100)
    pi = d.perm
    for i in range(B):
        allowed = {i, pi[i], SUP_OFFSET + pi[pi[i]]}
        assert set(lab[i].unique().tolist()) <= allowed
        inside_u = box_masks(torch.as_tensor(d.boxes_u[i:i + 1]), (H, W))[0]
        # Outside its unlabelled box an image keeps its own strong view.
        assert torch.all(lab[i][~inside_u] == i)
        # Labelled pixels only inside the partner's labelled box intersected with the own unlabelled box.
        inside_l = box_masks(torch.as_tensor(d.boxes_l[pi[i]:pi[i] + 1]), (H, W))[0]
        assert not torch.any(from_sup[i] & ~(inside_l & inside_u))


def test_confident_teacher_injects_nothing():
    strong, label, conf, sup, sup_label = tagged_batch()
    for seed in range(5):
        img, lab, _ = adaptive_label_injecting_cutmix(strong, label, conf, sup, sup_label, torch.ones(B), draw(seed))
        assert lab.max() < SUP_OFFSET and img.max() < SUP_OFFSET


def test_single_image_with_zero_confidence_gets_labels_inside_both_boxes_only():
    strong, label, conf, sup, sup_label = (t[:1] for t in tagged_batch())
    d = AdaptiveCutMixDraw(np.array([0]), np.array([[2, 3, 12, 15]]), np.array([[6, 0, 20, 10]]), np.array([0.5]))
    img, lab, cf = adaptive_label_injecting_cutmix(strong, label, conf, sup, sup_label, torch.zeros(1), d)
    expected = torch.zeros(H, W, dtype=torch.bool)
    expected[6:12, 3:10] = True
    assert torch.equal(lab[0] == SUP_OFFSET, expected)
    assert torch.equal(img[0, 0] == SUP_OFFSET, expected) and torch.equal(cf[0] == 1, expected)


def test_injection_probability_is_one_minus_rho():
    # 4 groups of 2000 one-pixel images with rho 0, 0.25, 0.6, 1; identity pairing and full-image boxes, so image i
    # shows labelled image i exactly when it was injected.
    rho_values = torch.tensor([0.0, 0.25, 0.6, 1.0])
    n = 2000
    rho = rho_values.repeat_interleave(n)
    num = rho.numel()
    full = np.tile([0, 0, 1, 1], (num, 1))
    d = AdaptiveCutMixDraw(np.arange(num), full, full, np.random.default_rng(0).random(num))
    strong, sup = torch.zeros(num, 3, 1, 1), torch.ones(num, 3, 1, 1)
    label, sup_label = torch.zeros(num, 1, 1, dtype=torch.long), torch.ones(num, 1, 1, dtype=torch.long)
    _, lab, _ = adaptive_label_injecting_cutmix(strong, label, torch.zeros(num, 1, 1), sup, sup_label, rho, d)
    injected = lab.view(4, n).float().mean(dim=1)
    np.testing.assert_allclose(injected.numpy(), 1 - rho_values.numpy(), atol=0.03)


def test_inputs_are_not_modified():
    tensors = tagged_batch()
    copies = [t.clone() for t in tensors]
    adaptive_label_injecting_cutmix(*tensors, torch.zeros(B), draw(0))
    assert all(torch.equal(a, b) for a, b in zip(tensors, copies))


def test_mismatched_labelled_batch_is_an_error():
    strong, label, conf, sup, sup_label = tagged_batch()
    with pytest.raises(ValueError, match='as many labelled as unlabelled'):
        adaptive_label_injecting_cutmix(strong, label, conf, sup[:2], sup_label[:2], torch.zeros(B), draw(0))


def test_mean_box_areas_before_clipping():
    rng = np.random.default_rng(0)
    size = (1000, 1000)
    for beta, mean_area in (((8.0, 2.0), 0.2), ((4.0, 4.0), 0.5)):
        areas = [np.prod(beta_cut_size(rng, beta, size)) / 1e6 for _ in range(4000)]
        assert abs(np.mean(areas) - mean_area) < 0.01


def test_boxes_are_clipped_and_centred_in_the_official_range():
    rng = np.random.default_rng(0)
    boxes = sample_boxes(rng, 5000, (64, 48), (20, 10), 1 / 8)
    top, left, bottom, right = boxes.T
    assert top.min() >= 0 and left.min() >= 0 and bottom.max() <= 64 and right.max() <= 48
    # Centres in [8, 64) x [6, 48): an unclipped box spans 2 * (20 // 2) rows around its centre.
    centre_rows = np.where(bottom < 64, bottom - 10, top + 10)
    assert centre_rows.min() >= 8 and centre_rows.max() <= 63
    assert np.all(bottom - top <= 20) and np.all(right - left <= 10)
    assert np.any(bottom == 64)  # clipping at the border happens
