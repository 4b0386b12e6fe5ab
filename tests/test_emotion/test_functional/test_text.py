"""Tokenisation and lexicon counts (lexicons read from the vaderSentiment / afinn / textblob wheels)."""
import importlib.util

import numpy as np
import pytest

from mmext.emotion.functional import lexicon_counts, load_lexicon, tokenize


def test_tokenize_like_the_authors_plus_lowercase():
    assert tokenize("I'm SO happy, it's a great day! 2 x") == ['im', 'so', 'happy', 'its', 'great', 'day']
    assert tokenize('') == []


@pytest.mark.parametrize('name, package', [('vader', 'vaderSentiment'), ('afinn', 'afinn'),
                                           ('textblob', 'textblob')])
def test_bundled_lexicons_load_offline(name, package):
    if importlib.util.find_spec(package) is None:  # not imported: textblob's import pulls NLTK (seconds)
        pytest.skip(f'{package} is not installed')
    lexicon = load_lexicon(name)
    assert len(lexicon) > 500
    assert lexicon['good'] == 1 and lexicon['bad'] == -1


def test_counts_per_lexicon_then_tokens():
    pytest.importorskip('vaderSentiment')
    pytest.importorskip('afinn')
    counts = lexicon_counts(tokenize('a good good day, a terrible store'), ('vader', 'afinn'))
    np.testing.assert_array_equal(counts, [2, 1, 2, 1, 5])


def test_unknown_lexicon_is_named():
    with pytest.raises(ValueError, match='unknown lexicon'):
        load_lexicon('bing_liu')
