"""Opinion-lexicon word counts of a transcript, the text description of Deng et al. (arXiv 1805.00625).

The authors' ``feature_extraction/generate_word_feature.py`` strips punctuation, keeps alphabetic tokens longer than
one character, and counts positive, negative and all tokens of Bing Liu's opinion lexicon for the utterance and for
its whole video (plus MPQA counts). Those lexicons need ``nltk.download`` / MATLAB; mmext reads the lexicon files that
the ``vaderSentiment``, ``afinn`` and ``textblob`` wheels ship, located without importing the packages (TextBlob's
import pulls NLTK). Tokens are lower-cased before the lookup (the authors' code does not; a choice of mmext). An empty
transcript counts zero (the authors' loop stops at the first empty one, which truncates the split: a bug not kept).
"""
import importlib.util
import os.path as osp
import re
import string
import xml.etree.ElementTree as ET
from collections import defaultdict
from functools import lru_cache
from typing import Dict, List, Sequence

import numpy as np

# lexicon -> (package, file inside the package)
LEXICON_FILES = {
    'vader': ('vaderSentiment', 'vader_lexicon.txt'),
    'afinn': ('afinn', osp.join('data', 'AFINN-en-165.txt')),
    'textblob': ('textblob', osp.join('en', 'en-sentiment.xml')),
}
_PUNCTUATION = str.maketrans('', '', string.punctuation)


def tokenize(text: str) -> List[str]:
    """Lower-cased alphabetic tokens longer than one character, punctuation removed."""
    tokens = (word.translate(_PUNCTUATION) for word in text.lower().split())
    return [word for word in tokens if word.isalpha() and len(word) > 1]


def _package_file(package: str, relative: str) -> str:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(f'the {package!r} package, which ships this lexicon, is not installed; '
                          f'pip install {package} (see requirements/optional.txt)')
    path = osp.join(list(spec.submodule_search_locations)[0], relative)
    if not osp.isfile(path):
        raise FileNotFoundError(f'lexicon file {path} is missing from the installed {package!r} package')
    return path


@lru_cache(maxsize=None)
def load_lexicon(name: str) -> Dict[str, int]:
    """Polarity (+1 / -1) of every single-word entry of a bundled lexicon.

    Args:
        name (str): ``'vader'`` (VADER mean valence), ``'afinn'`` (AFINN-165 score) or ``'textblob'`` (mean
            polarity over the word's senses in ``en-sentiment.xml``). Words scored 0 are left out.

    Returns:
        dict[str, int]: lower-case word -> +1 or -1.
    """
    if name not in LEXICON_FILES:
        raise ValueError(f'unknown lexicon {name!r}; choose from {tuple(LEXICON_FILES)}')
    path = _package_file(*LEXICON_FILES[name])
    scores: Dict[str, List[float]] = defaultdict(list)
    if name == 'textblob':
        for word in ET.parse(path).getroot().iter('word'):
            scores[word.get('form', '').lower()].append(float(word.get('polarity', 0)))
    else:
        with open(path, encoding='utf-8') as f:
            for line in f:
                fields = line.rstrip('\n').split('\t')
                if len(fields) >= 2:
                    scores[fields[0].lower()].append(float(fields[1]))
    polarity = {}
    for word, values in scores.items():
        mean = float(np.mean(values))
        if re.fullmatch(r'[a-z]+', word) and mean != 0:
            polarity[word] = 1 if mean > 0 else -1
    return polarity


def lexicon_counts(tokens: Sequence[str], lexicons: Sequence[str]) -> np.ndarray:
    """Positive and negative counts per lexicon, then the token count.

    Args:
        tokens (Sequence[str]): Output of :func:`tokenize`.
        lexicons (Sequence[str]): Lexicon names, L of them.

    Returns:
        np.ndarray: float32, shape (2 L + 1,): ``[pos_1, neg_1, ..., pos_L, neg_L, num_tokens]``.
    """
    counts = []
    for name in lexicons:
        polarity = load_lexicon(name)
        values = [polarity.get(token, 0) for token in tokens]
        counts += [values.count(1), values.count(-1)]
    return np.array(counts + [len(tokens)], dtype=np.float32)
