from .blockwise_mask import BlockwiseMaskGenerator, blockwise_mask, check_mask_size

__all__ = ['BlockwiseMaskGenerator', 'blockwise_mask', 'check_mask_size']
