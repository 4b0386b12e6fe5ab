import numpy as np
import pytest
import torch
from mmpretrain.datasets.transforms import PackInputs
from mmpretrain.registry import TRANSFORMS

from mmext.pretrain.datasets.transforms import blockwise_mask


@pytest.mark.parametrize('num_masked', [30, 49, 98])  # CAE v2 Tiny / Small / Base on the 14 x 14 grid
def test_exact_count_for_every_model_size(num_masked):
    rng = np.random.RandomState(num_masked)
    masks = [blockwise_mask(14, 14, num_masked, min_num_patches=16, rng=rng) for _ in range(100)]
    assert all(m.dtype == bool and m.shape == (14, 14) and m.sum() == num_masked for m in masks)


def test_masks_are_blocks_and_reach_every_patch():
    rng = np.random.RandomState(0)
    masks = np.stack([blockwise_mask(14, 14, 98, min_num_patches=16, rng=rng) for _ in range(200)])
    # Rectangles, not scattered patches: many more masked neighbours than 98 random patches have (about 90).
    def neighbours(m):
        return (m[1:] & m[:-1]).sum() + (m[:, 1:] & m[:, :-1]).sum()

    scattered = [neighbours(rng.permutation(196).reshape(14, 14) < 98) for _ in range(200)]
    assert np.mean([neighbours(m) for m in masks]) > 1.4 * np.mean(scattered)
    # Every patch gets masked sometimes, the last row and column included (mmpretrain's BEiTMaskGenerator draws
    # the corner with an exclusive upper bound and never reaches them).
    assert masks.any(axis=0).all()
    host = TRANSFORMS.build(dict(type='BEiTMaskGenerator', input_size=(14, 14), num_masking_patches=98,
                                 min_num_patches=16))
    np.random.seed(0)
    host_masks = np.stack([host.transform({})['mask'] for _ in range(50)])
    assert not host_masks[:, -1].any() and not host_masks[:, :, -1].any()


def test_edge_counts_and_small_grids():
    rng = np.random.RandomState(1)
    assert not blockwise_mask(8, 8, 0, rng=rng).any()
    assert blockwise_mask(8, 8, 64, min_num_patches=4, rng=rng).all()
    two_by_two = np.stack([blockwise_mask(2, 2, 1, min_num_patches=16, rng=rng) for _ in range(100)])
    assert (two_by_two.sum(axis=(1, 2)) == 1).all() and two_by_two.any(axis=0).all()


def test_transform_packs_the_mask_for_the_algorithm():
    transform = TRANSFORMS.build(dict(type='BlockwiseMaskGenerator', input_size=(4, 4), num_masking_patches=5,
                                      min_num_patches=2))
    results = transform.transform(dict(img=np.zeros((16, 16, 3), np.uint8)))
    sample = PackInputs().transform(results)['data_samples']
    assert sample.mask.dtype == torch.bool and sample.mask.shape == (4, 4) and int(sample.mask.sum()) == 5


def test_argument_errors():
    with pytest.raises(ValueError, match=r'num_masking_patches=17 must lie in \[0, 16\]'):
        TRANSFORMS.build(dict(type='BlockwiseMaskGenerator', input_size=(4, 4), num_masking_patches=17))
    with pytest.raises(ValueError, match='at least 2 x 2'):
        TRANSFORMS.build(dict(type='BlockwiseMaskGenerator', input_size=(1, 8), num_masking_patches=2))
