from .extraction import (AudioFunctionals, ExtractFaceCrops, ExtractionError, FaceHOG, LexiconFeatures,
                         SentenceEmbedding, read_wav)
from .formatting import PackMultiModalInputs
from .loading import LoadCachedFeatures
from .normalization import MinMaxNormalize, apply_min_max, fit_min_max

__all__ = [
    'AudioFunctionals', 'ExtractFaceCrops', 'ExtractionError', 'FaceHOG', 'LexiconFeatures', 'LoadCachedFeatures',
    'MinMaxNormalize', 'PackMultiModalInputs', 'SentenceEmbedding', 'apply_min_max', 'fit_min_max', 'read_wav'
]
