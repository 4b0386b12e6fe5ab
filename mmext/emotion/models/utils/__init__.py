from .keras_layers import (DEFAULT_ACTIVATIONS, KERAS_BN, OUTPUT_ACTIVATIONS, HiddenBlock, apply_activations,
                           keras_dense, keras_lstm_init_, resolve_activations)

__all__ = [
    'DEFAULT_ACTIVATIONS', 'HiddenBlock', 'KERAS_BN', 'OUTPUT_ACTIVATIONS', 'apply_activations', 'keras_dense',
    'keras_lstm_init_', 'resolve_activations'
]
