from .emotion_data_sample import AFFECT_TARGETS, EmotionDataSample

__all__ = ['AFFECT_TARGETS', 'EmotionDataSample']
