from .extraction import (AudioFunctionals, ExtractFaceCrops, ExtractionError, FaceHOG, LexiconFeatures,
                         SentenceEmbedding, read_wav)
from .formatting import PackMultiModalInputs
from .loading import FeatureCacheError, LoadCachedFeatures, read_feature_cache
from .normalization import MinMaxNormalize, apply_min_max, fit_min_max

__all__ = [
    'AudioFunctionals', 'ExtractFaceCrops', 'ExtractionError', 'FaceHOG', 'FeatureCacheError', 'LexiconFeatures',
    'LoadCachedFeatures', 'MinMaxNormalize', 'PackMultiModalInputs', 'SentenceEmbedding', 'apply_min_max',
    'fit_min_max', 'read_feature_cache', 'read_wav'
]
