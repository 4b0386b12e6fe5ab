from .clip_teacher import CLIP_ARCHS, CLIPTeacher

__all__ = ['CLIPTeacher', 'CLIP_ARCHS']
