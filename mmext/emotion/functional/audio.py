"""Utterance-level acoustic functionals in plain numpy, the offline default of the audio branch.

Deng et al. (arXiv 1805.00625) describe each utterance by openSMILE's INTERSPEECH 2010 paralinguistic set (IS10,
1582 values: low-level descriptors (LLDs) per 10 ms frame, their deltas, and statistical functionals over the
utterance). openSMILE's licence is research-only, so it stays an optional backend
(:class:`~mmext.emotion.datasets.transforms.AudioFunctionals`, ``backend='opensmile'``); this module computes a
smaller set of the same kind with numpy only (a deviation, see ``docs/emotion.md``):

- LLDs on 25 ms Hamming frames every 10 ms: log energy, zero-crossing rate, spectral centroid, 85 % roll-off, flux
  and flatness, MFCC 1..12 (26 mel bands), F0 by normalised autocorrelation on 50 ms frames (60..400 Hz) and
  its voicing probability; plus the first difference (delta) of each.
- 12 functionals per contour: mean, standard deviation, skewness, kurtosis, min, max, range, quartiles 1..3,
  inter-quartile range and linear-regression slope (per second). F0 functionals use voiced frames only, as IS10.
- 2 utterance values: duration (s) and voicing onsets per second (a speaking-rate proxy).

Total: 20 LLDs x 2 x 12 + 2 = 482 values. Shape shorthand: S = samples, F = frames, W = frame length in samples.
"""
from typing import List, Tuple

import numpy as np

FRAME_SECONDS = 0.025
HOP_SECONDS = 0.010
PITCH_FRAME_SECONDS = 0.050
NUM_MEL_BANDS = 26
NUM_MFCC = 12
F0_RANGE = (60.0, 400.0)
VOICING_THRESHOLD = 0.45
OCTAVE_TOLERANCE = 0.1
SILENCE_RMS = 1e-4
_LLD_NAMES = ('log_energy', 'zcr', 'spectral_centroid', 'spectral_rolloff85', 'spectral_flux', 'spectral_flatness',
              *(f'mfcc{i}' for i in range(1, NUM_MFCC + 1)), 'f0', 'voicing_prob')
_FUNCTIONAL_NAMES = ('mean', 'std', 'skewness', 'kurtosis', 'min', 'max', 'range', 'q1', 'median', 'q3', 'iqr',
                     'slope')


class SilentAudioError(ValueError):
    """The signal has no energy (or is too short to frame), so no acoustic description exists."""


def feature_names() -> List[str]:
    """Names of the values :func:`acoustic_functionals` returns, in order."""
    contours = [*_LLD_NAMES, *(f'{name}_delta' for name in _LLD_NAMES)]
    return [f'{c}_{f}' for c in contours for f in _FUNCTIONAL_NAMES] + ['duration', 'voicing_onsets_per_s']


def frame_signal(signal: np.ndarray, frame_len: int, hop: int) -> np.ndarray:
    """Overlapping frames of a 1-D signal, shape (F, W), F = 1 + (S - W) // hop (the tail is dropped)."""
    num = 1 + (len(signal) - frame_len) // hop
    idx = np.arange(frame_len)[None, :] + hop * np.arange(num)[:, None]
    return signal[idx]


def mel_filterbank(sample_rate: int, n_fft: int, num_bands: int) -> np.ndarray:
    """Triangular mel filters (HTK mel scale), shape (num_bands, n_fft // 2 + 1)."""
    def hz_to_mel(hz):
        return 2595.0 * np.log10(1.0 + hz / 700.0)

    mel_points = np.linspace(0.0, hz_to_mel(sample_rate / 2), num_bands + 2)
    hz_points = 700.0 * (10**(mel_points / 2595.0) - 1.0)
    bins = np.fft.rfftfreq(n_fft, 1.0 / sample_rate)
    lower, centre, upper = hz_points[:-2, None], hz_points[1:-1, None], hz_points[2:, None]
    rising = (bins[None] - lower) / np.maximum(centre - lower, 1e-9)
    falling = (upper - bins[None]) / np.maximum(upper - centre, 1e-9)
    return np.clip(np.minimum(rising, falling), 0.0, None)


def dct_matrix(num_out: int, num_in: int) -> np.ndarray:
    """Orthonormal DCT-II basis rows 1..num_out (row 0, the mean, is dropped as for MFCC 1..12), (num_out, num_in)."""
    k = np.arange(1, num_out + 1)[:, None]
    n = np.arange(num_in)[None, :]
    return np.sqrt(2.0 / num_in) * np.cos(np.pi * k * (2 * n + 1) / (2 * num_in))


def pitch_track(frames: np.ndarray, sample_rate: int) -> Tuple[np.ndarray, np.ndarray]:
    """F0 (Hz, 0 where unvoiced) and voicing probability per frame from the normalised autocorrelation.

    Each frame is Hann-windowed and its autocorrelation divided by the window's own (Boersma, "Accurate short-term
    analysis of the fundamental frequency...", 1993), so a periodic frame scores close to 1 at its period even when
    the period is a large part of the frame. Use frames of at least two periods of the lowest F0 (50 ms for 60 Hz).

    Args:
        frames (np.ndarray): Raw (unwindowed) frames, shape (F, W).
        sample_rate (int): Hz.

    Returns:
        tuple[np.ndarray, np.ndarray]: ``f0`` and ``voicing``, each shape (F,).
    """
    width = frames.shape[1]
    window = np.hanning(width)
    centred = (frames - frames.mean(1, keepdims=True)) * window[None]

    def autocorrelation(x: np.ndarray) -> np.ndarray:
        return np.fft.irfft(np.abs(np.fft.rfft(x, n=2 * width, axis=-1))**2, axis=-1)[..., :width]

    acf = autocorrelation(centred)
    window_acf = autocorrelation(window)
    lo = max(int(sample_rate / F0_RANGE[1]), 1)
    hi = min(int(sample_rate / F0_RANGE[0]), width // 2)
    norm = (acf[:, lo:hi + 1] / np.maximum(acf[:, :1], 1e-12)) / (window_acf[lo:hi + 1] / window_acf[0])
    # The correction makes multiples of the period score as high as the period itself: take the shortest lag whose
    # peak is within OCTAVE_TOLERANCE of the best one.
    padded = np.pad(norm, ((0, 0), (1, 1)), constant_values=-np.inf)
    peaks = (norm >= padded[:, :-2]) & (norm >= padded[:, 2:])
    near_best = norm >= (1 - OCTAVE_TOLERANCE) * norm.max(axis=1, keepdims=True)
    candidates = peaks & near_best
    best = np.where(candidates.any(axis=1), candidates.argmax(axis=1), norm.argmax(axis=1))
    rows = np.arange(len(norm))
    voicing = np.clip(norm[rows, best], 0.0, 1.0)
    # Parabolic interpolation around the peak for a sub-sample lag.
    left, mid, right = (norm[rows, np.clip(best + d, 0, norm.shape[1] - 1)] for d in (-1, 0, 1))
    curvature = left - 2 * mid + right
    offset = np.where(curvature < 0, 0.5 * (left - right) / np.where(curvature < 0, curvature, -1), 0.0)
    f0 = sample_rate / (lo + best + np.clip(offset, -1, 1))
    return np.where(voicing >= VOICING_THRESHOLD, f0, 0.0), voicing


def check_audible(signal: np.ndarray, sample_rate: int) -> None:
    """Raises :class:`SilentAudioError` when ``signal`` is shorter than two analysis frames (35 ms) or silent."""
    frame_len = int(round(FRAME_SECONDS * sample_rate))
    hop = int(round(HOP_SECONDS * sample_rate))
    if len(signal) < frame_len + hop:
        raise SilentAudioError(f'{len(signal)} samples at {sample_rate} Hz is shorter than two '
                               f'{FRAME_SECONDS * 1000:.0f} ms frames')
    if np.sqrt(np.mean(np.square(signal, dtype=np.float64))) < SILENCE_RMS:
        raise SilentAudioError(f'the signal is silent (RMS below {SILENCE_RMS})')


def low_level_descriptors(signal: np.ndarray, sample_rate: int) -> np.ndarray:
    """The 20 LLD contours, shape (20, F), in the order of ``_LLD_NAMES``.

    Raises:
        SilentAudioError: when the signal is shorter than two frames or has no energy.
    """
    frame_len = int(round(FRAME_SECONDS * sample_rate))
    hop = int(round(HOP_SECONDS * sample_rate))
    check_audible(signal, sample_rate)
    raw = frame_signal(signal.astype(np.float64), frame_len, hop)
    frames = raw * np.hamming(frame_len)[None]
    n_fft = 1 << (frame_len - 1).bit_length()
    power = np.abs(np.fft.rfft(frames, n=n_fft, axis=1))**2
    freqs = np.fft.rfftfreq(n_fft, 1.0 / sample_rate)
    total = np.maximum(power.sum(1), 1e-12)
    log_energy = np.log(np.maximum(np.mean(frames**2, axis=1), 1e-12))
    zcr = np.mean(np.abs(np.diff(np.signbit(raw).astype(np.int8), axis=1)), axis=1)
    centroid = (power * freqs[None]).sum(1) / total
    rolloff = freqs[np.argmax(np.cumsum(power, axis=1) >= 0.85 * total[:, None], axis=1)]
    magnitude = np.sqrt(power / total[:, None])
    flux = np.concatenate([[0.0], np.sqrt(np.sum(np.diff(magnitude, axis=0)**2, axis=1))])
    flatness = np.exp(np.mean(np.log(power + 1e-12), axis=1)) / (np.mean(power, axis=1) + 1e-12)
    log_mel = np.log(power @ mel_filterbank(sample_rate, n_fft, NUM_MEL_BANDS).T + 1e-10)
    mfcc = log_mel @ dct_matrix(NUM_MFCC, NUM_MEL_BANDS).T
    # Pitch needs longer frames (two periods of 60 Hz), centred on the same 10 ms grid.
    pitch_len = int(round(PITCH_FRAME_SECONDS * sample_rate))
    pad = (pitch_len - frame_len) // 2
    padded = np.pad(signal.astype(np.float64), (pad, pitch_len - frame_len - pad))
    f0, voicing = pitch_track(frame_signal(padded, pitch_len, hop), sample_rate)
    return np.stack([log_energy, zcr, centroid, rolloff, flux, flatness, *mfcc.T, f0, voicing])


def contour_functionals(contour: np.ndarray, hop_seconds: float = HOP_SECONDS) -> np.ndarray:
    """The 12 functionals of one contour (all zeros for an empty contour), shape (12,)."""
    if contour.size == 0:
        return np.zeros(len(_FUNCTIONAL_NAMES))
    mean, std = contour.mean(), contour.std()
    centred = contour - mean
    skew = np.mean(centred**3) / std**3 if std > 0 else 0.0
    kurt = np.mean(centred**4) / std**4 if std > 0 else 0.0
    q1, q2, q3 = np.percentile(contour, [25, 50, 75])
    if contour.size > 1:
        t = np.arange(contour.size) * hop_seconds
        slope = np.sum((t - t.mean()) * centred) / np.sum((t - t.mean())**2)
    else:
        slope = 0.0
    lo, hi = contour.min(), contour.max()
    return np.array([mean, std, skew, kurt, lo, hi, hi - lo, q1, q2, q3, q3 - q1, slope])


def acoustic_functionals(signal: np.ndarray, sample_rate: int) -> np.ndarray:
    """The utterance description: functionals of the LLDs and their deltas, duration and voicing-onset rate.

    Args:
        signal (np.ndarray): Mono waveform in [-1, 1], shape (S,).
        sample_rate (int): Hz.

    Returns:
        np.ndarray: float32, shape (482,), named by :func:`feature_names`.

    Raises:
        SilentAudioError: for a silent or too short signal.
    """
    if signal.ndim != 1:
        raise ValueError(f'signal must be mono with shape (S,), got shape {signal.shape}')
    lld = low_level_descriptors(signal, sample_rate)
    delta = np.diff(lld, axis=1, prepend=lld[:, :1])
    f0_index = _LLD_NAMES.index('f0')
    voiced = lld[f0_index] > 0
    values = []
    for contours in (lld, delta):
        for i, contour in enumerate(contours):
            values.append(contour_functionals(contour[voiced] if i == f0_index else contour))
    duration = len(signal) / sample_rate
    onsets = np.count_nonzero(voiced[1:] & ~voiced[:-1]) + int(voiced[0])
    values.append(np.array([duration, onsets / duration]))
    return np.concatenate(values).astype(np.float32)
