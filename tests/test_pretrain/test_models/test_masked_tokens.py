import pytest
import torch

from mmext.pretrain.models.utils import cls_visible_masked, masked_counts, split_by_mask


def position_tokens(batch: int, num: int) -> torch.Tensor:
    """Token j of every image is the vector (j, j): [B, num, 2]."""
    return torch.arange(num, dtype=torch.float).view(1, num, 1).expand(batch, num, 2).clone()


def test_split_keeps_raster_order_per_image():
    mask = torch.tensor([[True, False, False, True], [False, True, True, False]])
    visible, masked = split_by_mask(position_tokens(2, 4), mask)
    assert visible[..., 0].tolist() == [[1, 2], [0, 3]]
    assert masked[..., 0].tolist() == [[0, 3], [1, 2]]


def test_reorder_teacher_tokens_to_prediction_order():
    # Teacher token j encodes j (0 = CLS, 1 + i = patch i); the target order is [cls, visible..., masked...].
    mask = torch.tensor([[False, True, False, True, True, False], [True, True, False, False, False, True]])
    target = cls_visible_masked(position_tokens(2, 7), mask)
    assert target[..., 0].tolist() == [[0, 1, 3, 6, 2, 4, 5], [0, 3, 4, 5, 1, 2, 6]]
    assert masked_counts(mask) == (3, 3)


def test_counts_must_agree_across_the_batch():
    mask = torch.tensor([[True, False, False], [True, True, False]])
    with pytest.raises(ValueError, match=r'same number of patches, got \[1, 2\]'):
        split_by_mask(position_tokens(2, 3), mask)
    with pytest.raises(ValueError, match='bool'):
        masked_counts(mask.int())


def test_teacher_grid_must_match_the_mask():
    with pytest.raises(ValueError, match='grids must match'):
        cls_visible_masked(position_tokens(1, 5), torch.zeros(1, 16, dtype=torch.bool))
