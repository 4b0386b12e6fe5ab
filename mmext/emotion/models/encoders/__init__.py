from .mlp_encoder import MLPEncoder
from .seq_lstm_encoder import SeqLSTMEncoder

__all__ = ['MLPEncoder', 'SeqLSTMEncoder']
