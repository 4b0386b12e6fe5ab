"""iMAS's hardness on hand-made maps (answers computed by hand), against a NumPy transcription of the official
per-image loop, and the blending / pairing / CutMix it drives."""
import numpy as np
import pytest
import torch

from mmext.seg.models.utils import (blend_by_hardness, hardness_cutmix, hardness_partners, instance_hardness,
                                    sample_hardness_cutmix_boxes, weighted_iou)

TAU = 0.95
# Teacher / student argmax maps of one 2 x 4 image. Per class (teacher count, student count, intersection, union):
# 0: (2, 1, 1, 2) -> IoU 1/2;  1: (3, 3, 2, 4) -> IoU 1/2;  2: (3, 4, 3, 4) -> IoU 3/4.
TEACHER = torch.tensor([[[0, 1, 1, 2], [0, 1, 2, 2]]])
STUDENT = torch.tensor([[[0, 1, 2, 2], [1, 1, 2, 2]]])


def hardness(student, teacher, student_conf=None, teacher_conf=None, **kwargs):
    """instance_hardness of 3-class maps at tau = 0.95; confidences default to 1 (every pixel confident)."""
    ones = torch.ones(student.shape)
    return instance_hardness(student, ones if student_conf is None else student_conf, teacher,
                             ones if teacher_conf is None else teacher_conf, 3, TAU, **kwargs)


def test_hand_computed_example():
    # Half the student's pixels are confident: r_s = 1/2, r_t = 1.
    student_conf = torch.tensor([[[0.99, 0.5, 0.99, 0.5], [0.99, 0.5, 0.99, 0.5]]])
    # Background excluded: wIoU_t = (3 * 1/2 + 3 * 3/4) / 6 = 0.625, wIoU_s = (3 * 1/2 + 4 * 3/4) / 7 = 4.5 / 7.
    expected = 0.5 * (1.0 * 0.625 + 0.5 * 4.5 / 7)
    torch.testing.assert_close(hardness(STUDENT, TEACHER, student_conf), torch.tensor([expected]))
    # Background kept: wIoU_t = (2/2 + 3/2 + 9/4) / 8 = 0.59375, wIoU_s = (1/2 + 3/2 + 3) / 8 = 0.625.
    torch.testing.assert_close(hardness(STUDENT, TEACHER, student_conf, background_index=None),
                               torch.tensor([0.5 * (0.59375 + 0.5 * 0.625)]))
    # Unweighted: the mean IoU over the classes present, (1/2 + 1/2 + 3/4) / 3, for both references.
    torch.testing.assert_close(hardness(STUDENT, TEACHER, student_conf, class_weighted=False),
                               torch.tensor([0.5 * (1.75 / 3 + 0.5 * 1.75 / 3)]))


def test_identical_maps_give_the_confident_share():
    label = TEACHER.repeat(2, 1, 1)
    torch.testing.assert_close(hardness(label, label), torch.ones(2))
    # r_t = 1/2 (the first row is confident), r_s = 1/4: h = (1/2 * 1 + 1/4 * 1) / 2.
    teacher_conf = torch.tensor([[[1.0] * 4, [0.0] * 4]]).repeat(2, 1, 1)
    student_conf = torch.tensor([[[1.0, 0.0, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0]]]).repeat(2, 1, 1)
    torch.testing.assert_close(hardness(label, label, student_conf, teacher_conf), torch.full((2, ), 0.375))
    # Nothing confident: h = 0 whatever the agreement.
    unsure = torch.full(label.shape, 0.5)
    torch.testing.assert_close(hardness(label, label, unsure, unsure), torch.zeros(2))


def test_disjoint_maps_give_zero():
    torch.testing.assert_close(hardness(torch.full((1, 4, 4), 1), torch.full((1, 4, 4), 2)), torch.zeros(1))
    # Swapped classes everywhere (1 <-> 2): no pixel agrees.
    torch.testing.assert_close(hardness(3 - TEACHER.clamp(min=1), TEACHER.clamp(min=1)), torch.zeros(1))


def test_background_only_gives_zero_not_nan():
    background = torch.zeros(1, 4, 4, dtype=torch.int64)
    torch.testing.assert_close(hardness(background, background), torch.zeros(1))
    # Only the teacher map is all background: its term is 0, the student's is its weighted IoU (0 here).
    assert float(hardness(torch.ones_like(background), background)) == 0.0
    # Without the background exclusion the same maps agree perfectly.
    torch.testing.assert_close(hardness(background, background, background_index=None), torch.ones(1))


def official_hardness(student: np.ndarray, teacher: np.ndarray, r_s: np.ndarray, r_t: np.ndarray, num_classes: int,
                      class_weighted: bool, ignore_bg: bool) -> np.ndarray:
    """NumPy transcription of the official per-image loop (meanIOU.evaluate with its NaN handling)."""

    def miou(pred, gt):
        hist = np.bincount(num_classes * gt.ravel() + pred.ravel(), minlength=num_classes**2).reshape(
            num_classes, num_classes).astype(np.float64)
        counts = np.bincount(gt.ravel(), minlength=num_classes).astype(np.float64)
        with np.errstate(invalid='ignore', divide='ignore'):
            iu = np.diag(hist) / (hist.sum(1) + hist.sum(0) - np.diag(hist))
            if not class_weighted:
                return np.nanmean(iu)
            if ignore_bg:
                counts[0] = 0
            return np.nansum(iu * counts / counts.sum())

    iou_t = np.array([miou(s, t) for s, t in zip(student, teacher)])
    iou_s = np.array([miou(t, s) for s, t in zip(student, teacher)])
    return (iou_t * r_t + iou_s * r_s) / 2


@pytest.mark.parametrize('class_weighted, background_index', [(True, 0), (True, None), (False, 0)])
def test_matches_the_official_per_image_loop(class_weighted, background_index):
    gen = torch.Generator().manual_seed(0)
    num_classes = 5
    # Image 2 is all background for the teacher (NaN weights in the official code); image 3 lacks class 4.
    teacher = torch.randint(0, num_classes, (4, 9, 7), generator=gen)
    teacher[2] = 0
    student = torch.where(torch.rand(4, 9, 7, generator=gen) < 0.6, teacher,
                          torch.randint(0, num_classes - 1, (4, 9, 7), generator=gen))
    student_conf, teacher_conf = torch.rand(2, 4, 9, 7, generator=gen)
    ours = instance_hardness(student, student_conf, teacher, teacher_conf, num_classes, 0.5, class_weighted,
                             background_index)
    r_s = (student_conf >= 0.5).float().mean(dim=(1, 2)).numpy()
    r_t = (teacher_conf >= 0.5).float().mean(dim=(1, 2)).numpy()
    expected = official_hardness(student.numpy(), teacher.numpy(), r_s, r_t, num_classes, class_weighted,
                                 background_index is not None)
    np.testing.assert_allclose(ours.numpy(), expected, rtol=1e-6, atol=1e-7)
    assert ours.dtype == torch.float32 and torch.all((ours >= 0) & (ours <= 1))
    # Symmetric: swapping student and teacher changes nothing.
    torch.testing.assert_close(
        instance_hardness(teacher, teacher_conf, student, student_conf, num_classes, 0.5, class_weighted,
                          background_index), ours)


def test_weighted_iou_checks_its_arguments():
    label = torch.zeros(1, 4, 4, dtype=torch.int64)
    with pytest.raises(ValueError, match='label maps of one shape'):
        weighted_iou(label, torch.zeros(1, 4, 5, dtype=torch.int64), 3)
    with pytest.raises(ValueError, match='background_index'):
        weighted_iou(label, label, 3, background_index=3)


def test_blend_by_hardness():
    strong, weak = torch.full((3, 1, 2, 2), 8.0), torch.full((3, 1, 2, 2), 4.0)
    blended = blend_by_hardness(strong, weak, torch.tensor([1.0, 0.0, 0.25]))
    assert torch.equal(blended[0], strong[0]) and torch.equal(blended[1], weak[1])
    torch.testing.assert_close(blended[2], torch.full((1, 2, 2), 0.25 * 8 + 0.75 * 4))


def test_partners_are_mirrored_ranks():
    # Ascending h: image 2, 0, 3, 1 -> pairs (2, 1) and (0, 3).
    assert hardness_partners(torch.tensor([0.3, 0.9, 0.1, 0.5])).tolist() == [3, 2, 1, 0]
    # Odd count: the middle image (index 2) keeps itself.
    assert hardness_partners(torch.tensor([0.2, 0.8, 0.5])).tolist() == [1, 0, 2]
    h = torch.rand(9, generator=torch.Generator().manual_seed(1))
    partners = hardness_partners(h)
    assert torch.equal(partners[partners], torch.arange(9))
    # The hardest image gets the easiest.
    assert int(partners[h.argmin()]) == int(h.argmax())


def test_hardness_cutmix_pastes_the_partner_box():
    # Image i is filled with the value i, its labels with 10 + i, its confidences with i / 10.
    num, size = 4, 8
    values = torch.arange(num, dtype=torch.float32).view(-1, 1, 1, 1)
    img = values.expand(num, 3, size, size).clone()
    label, conf = (10 + values[:, 0]).long().expand(num, size, size), (values[:, 0] / 10).expand(num, size, size)
    h = torch.tensor([0.9, 0.1, 0.5, 0.3])  # partners 1, 0, 3, 2
    boxes = torch.tensor([[0, 0, 2, 2], [2, 2, 8, 8], [1, 0, 3, 8], [0, 0, 0, 0]])
    out_img, out_label, out_conf = hardness_cutmix((img, label, conf), h, boxes)
    partners = [1, 0, 3, 2]
    for i, (top, left, bottom, right) in enumerate(boxes.tolist()):
        inside = torch.zeros(size, size, dtype=torch.bool)
        inside[top:bottom, left:right] = True
        source = torch.where(inside, float(partners[i]), float(i))
        assert torch.equal(out_img[i], source.expand(3, size, size))
        assert torch.equal(out_label[i], (10 + source).long()) and torch.equal(out_conf[i], source / 10)
    assert torch.equal(img, values.expand(num, 3, size, size))  # inputs untouched


def test_cutmix_boxes_share_one_side_ratio_per_batch():
    size = 64
    for seed in range(50):
        side = np.random.default_rng(seed).uniform(0.1, 0.9)  # the first draw: one ratio for the batch
        boxes = sample_hardness_cutmix_boxes(np.random.default_rng(seed), 6, (size, size), (0.1, 0.9), 1 / 16)
        full = 2 * (int(size * side) // 2)
        top, left, bottom, right = boxes.T
        assert np.all((0 <= top) & (top < bottom) & (bottom <= size) & (0 <= left) & (left < right) & (right <= size))
        # Clipping only shrinks a box; away from the borders every box has the batch's size.
        for start, end in ((top, bottom), (left, right)):
            assert np.all(end - start <= full)
            inside = (start > 0) & (end < size)
            assert np.all(end[inside] - start[inside] == full)
            # Centres (start + full / 2 where the start is not clipped) are drawn from [size / 16, size).
            assert np.all(start[start > 0] + full // 2 >= size // 16)
