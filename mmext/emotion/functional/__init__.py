"""Pure functions of the emotion components (no registries, no I/O beyond reading bundled lexicon files)."""
from .audio import SilentAudioError, acoustic_functionals, check_audible, feature_names
from .ccc import concordance_cc, pearson_cc
from .frames import uniform_frame_indices
from .text import lexicon_counts, load_lexicon, tokenize

__all__ = [
    'SilentAudioError', 'acoustic_functionals', 'check_audible', 'concordance_cc', 'feature_names', 'lexicon_counts',
    'load_lexicon', 'pearson_cc', 'tokenize', 'uniform_frame_indices'
]
