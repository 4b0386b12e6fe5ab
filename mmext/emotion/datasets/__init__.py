from .omg_csv import CSVEncodingError, MalformedRow, read_all_rows, read_transcript_csv, read_video_csv
from .omg_emotion import OMGEmotionDataset
from .synthetic_omg import generate_synthetic_omg
from .transforms import (AudioFunctionals, ExtractFaceCrops, ExtractionError, FaceHOG, FeatureCacheError,
                         LexiconFeatures, LoadCachedFeatures, MinMaxNormalize, PackMultiModalInputs, SentenceEmbedding)

__all__ = [
    'AudioFunctionals', 'CSVEncodingError', 'ExtractFaceCrops', 'ExtractionError', 'FaceHOG', 'FeatureCacheError',
    'LexiconFeatures', 'LoadCachedFeatures', 'MalformedRow', 'MinMaxNormalize', 'OMGEmotionDataset',
    'PackMultiModalInputs', 'SentenceEmbedding', 'generate_synthetic_omg', 'read_all_rows', 'read_transcript_csv',
    'read_video_csv'
]
