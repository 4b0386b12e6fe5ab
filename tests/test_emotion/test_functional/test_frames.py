import pytest

from mmext.emotion.functional import uniform_frame_indices


def test_authors_rule():
    assert uniform_frame_indices(45) == list(range(0, 40, 2))
    assert uniform_frame_indices(7) == [0, 1, 2, 3, 4, 5, 6] + [6] * 13
    assert uniform_frame_indices(20) == list(range(20))
    assert uniform_frame_indices(0) == []
    assert uniform_frame_indices(59, num_frames=4) == [0, 14, 28, 42]


def test_bad_arguments():
    with pytest.raises(ValueError, match='num_frames'):
        uniform_frame_indices(5, num_frames=0)
    with pytest.raises(ValueError, match='num_available'):
        uniform_frame_indices(-1)
