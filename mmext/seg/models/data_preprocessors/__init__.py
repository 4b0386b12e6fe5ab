from .multi_branch_seg_data_preprocessor import MultiBranchSegDataPreprocessor
from .random_intensity_aug import RandomIntensityAug

__all__ = ['MultiBranchSegDataPreprocessor', 'RandomIntensityAug']
