from .fashion_mnist_scenes import FashionMNISTScenes
from .synthetic_shapes import SyntheticShapesDataset

__all__ = ['FashionMNISTScenes', 'SyntheticShapesDataset']
