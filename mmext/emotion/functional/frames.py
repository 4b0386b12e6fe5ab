"""Choice of the face frames an utterance contributes to the visual branch.

Deng et al. (arXiv 1805.00625; authors' code ``experiment/data.py``) keep the frames where the face tracker
succeeded and take 20 of them: with n >= 20 successful frames the indices ``i * (n // 20)``, i = 0..19; with fewer,
all n frames followed by the last one repeated. An utterance without any face has no frames.
"""
from typing import List


def uniform_frame_indices(num_available: int, num_frames: int = 20) -> List[int]:
    """Indices (into the successful frames) of the ``num_frames`` frames to keep.

    Args:
        num_available (int): n, frames with a detected face.
        num_frames (int): Frames per utterance. Default: 20.

    Returns:
        list[int]: ``num_frames`` indices in ``[0, n)``; empty when ``n == 0``.

    Example:
        >>> uniform_frame_indices(45)[:4], uniform_frame_indices(7)[-3:]
        ([0, 2, 4, 6], [6, 6, 6])
    """
    if num_frames < 1:
        raise ValueError(f'num_frames must be at least 1, got {num_frames}')
    if num_available < 0:
        raise ValueError(f'num_available must be non-negative, got {num_available}')
    if num_available == 0:
        return []
    if num_available >= num_frames:
        step = num_available // num_frames
        return [i * step for i in range(num_frames)]
    return list(range(num_available)) + [num_available - 1] * (num_frames - num_available)
