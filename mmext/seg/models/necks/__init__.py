from .sdn_neck import SDNBlock, SDNNeck
from .sequential_neck import SequentialNeck

__all__ = ['SDNBlock', 'SDNNeck', 'SequentialNeck']
