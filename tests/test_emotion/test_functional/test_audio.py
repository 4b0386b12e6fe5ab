"""Acoustic functionals on generated tones: shape, pitch recovery, rate sensitivity, silent/short signals."""
import numpy as np
import pytest

from mmext.emotion.functional import SilentAudioError, acoustic_functionals, feature_names
from mmext.emotion.functional.audio import contour_functionals, pitch_track

SR = 16000


def harmonic_tone(f0: float, seconds: float = 1.0, syllables_per_s: float = 0.0) -> np.ndarray:
    t = np.arange(int(SR * seconds)) / SR
    tone = sum(np.sin(2 * np.pi * k * f0 * t) / k for k in range(1, 6))
    if syllables_per_s:
        tone = tone * (np.sin(np.pi * syllables_per_s * t)**2)
    return 0.3 * tone / np.abs(tone).max()


def test_shape_names_and_finite():
    values = acoustic_functionals(harmonic_tone(150.0), SR)
    assert values.shape == (len(feature_names()), ) == (482, )
    assert values.dtype == np.float32 and np.isfinite(values).all()


@pytest.mark.parametrize('f0', [90.0, 150.0, 240.0])
def test_pitch_track_recovers_f0(f0):
    frames = np.lib.stride_tricks.sliding_window_view(harmonic_tone(f0), 800)[::160]
    track, voicing = pitch_track(frames, SR)
    assert np.median(track[track > 0]) == pytest.approx(f0, rel=0.03)
    assert np.median(voicing) > 0.8


def test_f0_mean_and_duration_follow_the_signal():
    names = feature_names()
    low, high = acoustic_functionals(harmonic_tone(100.0), SR), acoustic_functionals(harmonic_tone(200.0), SR)
    f0_mean = names.index('f0_mean')
    assert high[f0_mean] == pytest.approx(2 * low[f0_mean], rel=0.05)
    assert low[names.index('duration')] == pytest.approx(1.0)


def test_functionals_by_hand():
    values = contour_functionals(np.array([1.0, 2.0, 3.0, 4.0]), hop_seconds=0.5)
    mean, std, skew, _, lo, hi, rng, q1, median, q3, iqr, slope = values
    assert (mean, lo, hi, rng, median) == (2.5, 1.0, 4.0, 3.0, 2.5)
    assert std == pytest.approx(np.sqrt(1.25)) and skew == pytest.approx(0.0)
    assert (q1, q3, iqr) == (1.75, 3.25, 1.5)
    assert slope == pytest.approx(2.0)  # one unit per 0.5 s
    assert not contour_functionals(np.array([])).any()


def test_silent_and_short_signals_raise_named_errors():
    with pytest.raises(SilentAudioError, match='silent'):
        acoustic_functionals(np.zeros(SR), SR)
    with pytest.raises(SilentAudioError, match='shorter'):
        acoustic_functionals(harmonic_tone(150.0)[:100], SR)
    with pytest.raises(ValueError, match='mono'):
        acoustic_functionals(np.zeros((2, SR)), SR)
