from .clip_teacher import CLIP_ARCHS, CLIPTeacher
from .torchvision_teacher import TorchvisionTeacher

__all__ = ['CLIPTeacher', 'CLIP_ARCHS', 'TorchvisionTeacher']
