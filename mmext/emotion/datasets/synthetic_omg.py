"""A synthetic dataset in the OMG-Emotion layout, for offline end-to-end runs (raw files -> features -> training).

Every utterance gets an arousal in [0, 1] and a valence in [-1, 1] (a per-video level plus per-utterance noise,
like the monologues of the real data), and three media whose content follows them, each with its own noise:

- audio: speech synthesised by eSpeak NG (the library and voice data shipped by the ``espeakng-loader`` wheel,
  driven through ctypes) reading the transcript; pitch and speaking rate rise with arousal, around a per-video
  speaker offset;
- transcript: 6 to 10 words, about half of them opinion words whose share of positive ones follows valence;
- video: cartoon faces drawn with OpenCV (mouth curvature follows valence, eye opening and brow raise follow
  arousal, both through per-frame noise), with head jitter; a small share of utterances shows no face at all, to
  exercise the faceless-utterance path.

So audio carries arousal, text carries valence, and the face carries both. Everything is a pure function of
``(seed, split, video index)``; files are written once by :func:`generate_synthetic_omg`, either in mmext's layout
(video-only MPEG-4 with the WAV beside it) or exactly as the challenge's ``prepare_data.py`` leaves the real data
(H.264 + AAC utterance videos and nothing else, so the WAVs must be made by ``tools/emotion/extract_audio.py``).
"""
import csv
import ctypes
import os
import os.path as osp
import wave
from typing import Dict, List, Optional, Tuple

import cv2
import numpy as np

from mmext.utils.synthetic import ensure_generated

SPLIT_FILES = {'train': 'Train', 'val': 'Validation', 'test': 'Test'}
LAYOUTS = ('mmext', 'prepare_data')
VIDEO_COLUMNS = ('link', 'start', 'end', 'video', 'utterance')
LABELLED_COLUMNS = (*VIDEO_COLUMNS, 'arousal', 'valence', 'EmotionMaxVote')
SPLIT_IDS = {'train': 0, 'val': 1, 'test': 2}
DEFAULT_NUM_VIDEOS = {'train': 40, 'val': 12}
POSITIVE_WORDS = ('good', 'great', 'happy', 'love', 'wonderful', 'excellent', 'nice', 'amazing', 'glad', 'fun',
                  'beautiful', 'best')
NEGATIVE_WORDS = ('bad', 'sad', 'terrible', 'hate', 'awful', 'horrible', 'angry', 'worst', 'poor', 'upset', 'ugly',
                  'wrong')
NEUTRAL_WORDS = ('the', 'we', 'went', 'to', 'store', 'today', 'and', 'then', 'it', 'was', 'about', 'this', 'video',
                 'people', 'time', 'think', 'just', 'car', 'house', 'street', 'morning', 'with', 'my', 'friend')
FACELESS_PROB = 0.05


class ESpeak:
    """eSpeak NG from the ``espeakng-loader`` wheel, synthesising into memory (``AUDIO_OUTPUT_RETRIEVAL``)."""
    _RETRIEVAL, _RATE, _PITCH, _POS_CHARACTER = 1, 1, 3, 1
    _instance = None

    def __init__(self) -> None:
        try:
            import espeakng_loader
        except ImportError as err:
            raise ImportError('the synthetic OMG data speaks through eSpeak NG: pip install espeakng-loader (it ships '
                              'the library and voices; see requirements/optional.txt)') from err
        self.lib = ctypes.CDLL(espeakng_loader.get_library_path())
        self.sample_rate = self.lib.espeak_Initialize(self._RETRIEVAL, 0,
                                                      espeakng_loader.get_data_path().encode(), 0)
        if self.sample_rate <= 0:
            raise RuntimeError(f'espeak_Initialize failed ({self.sample_rate})')
        self._chunks: List[np.ndarray] = []
        callback_type = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p)

        def collect(samples, count, events):
            if count > 0:
                self._chunks.append(np.ctypeslib.as_array(samples, shape=(count, )).copy())
            return 0

        self._callback = callback_type(collect)  # kept alive: the library holds the pointer
        self.lib.espeak_SetSynthCallback(self._callback)
        if self.lib.espeak_SetVoiceByName(b'en') != 0:
            raise RuntimeError('eSpeak NG has no English voice in its data folder')

    @classmethod
    def get(cls) -> 'ESpeak':
        """The process-wide engine (eSpeak NG keeps global state)."""
        if cls._instance is None:
            cls._instance = cls()
        return cls._instance

    def say(self, text: str, pitch: int, rate: int) -> np.ndarray:
        """int16 samples at :attr:`sample_rate` of ``text`` spoken at ``pitch`` (0..99) and ``rate`` (words/min)."""
        self._chunks = []
        self.lib.espeak_SetParameter(self._RATE, int(rate), 0)
        self.lib.espeak_SetParameter(self._PITCH, int(pitch), 0)
        data = text.encode()
        status = self.lib.espeak_Synth(data, len(data) + 1, 0, self._POS_CHARACTER, 0, 0, None, None)
        self.lib.espeak_Synchronize()
        if status != 0 or not self._chunks:
            raise RuntimeError(f'eSpeak NG failed to synthesise {text!r} (status {status})')
        return np.concatenate(self._chunks).astype(np.int16)


def make_transcript(rng: np.random.Generator, valence: float) -> str:
    """6 to 10 words; each is an opinion word with probability 0.5, positive with probability (1 + valence) / 2."""
    words = []
    for _ in range(int(rng.integers(6, 11))):
        if rng.random() < 0.5:
            pool = POSITIVE_WORDS if rng.random() < (1 + valence) / 2 else NEGATIVE_WORDS
        else:
            pool = NEUTRAL_WORDS
        words.append(str(rng.choice(pool)))
    return ' '.join(words)


def draw_face(rng: np.random.Generator, valence: float, arousal: float, size: int,
              background: np.ndarray, skin: np.ndarray, show_face: bool = True) -> np.ndarray:
    """One (size, size, 3) uint8 BGR frame of a cartoon face (or only the background when ``show_face`` is False)."""
    img = np.empty((size, size, 3), np.float32)
    img[:] = background
    if show_face:
        cx, cy = size / 2 + rng.normal(0, size * 0.025), size / 2 + rng.normal(0, size * 0.025)
        fw, fh = size * 0.30, size * 0.40

        def at(x: float, y: float) -> Tuple[int, int]:
            return int(round(cx + x * fw)), int(round(cy + y * fh))

        canvas = img.copy()
        cv2.ellipse(canvas, at(0, 0), (int(fw), int(fh)), 0, 0, 360, skin.tolist(), -1, cv2.LINE_AA)
        cv2.ellipse(canvas, at(0, -0.75), (int(fw * 1.02), int(fh * 0.4)), 0, 180, 360, (40, 50, 70), -1,
                    cv2.LINE_AA)
        eye_open = float(np.clip(0.25 + 0.75 * arousal + rng.normal(0, 0.15), 0.1, 1.0))
        for side in (-1, 1):
            cv2.ellipse(canvas, at(side * 0.38, -0.2), (int(fw * 0.3), int(fh * 0.16)), 0, 0, 360,
                        (skin * 0.7).tolist(), -1, cv2.LINE_AA)
            cv2.line(canvas, at(side * 0.55, -0.38), at(side * 0.15, -0.35 - 0.1 * eye_open), (50, 50, 60), 3,
                     cv2.LINE_AA)
            cv2.ellipse(canvas, at(side * 0.38, -0.18), (int(fw * 0.2), max(1, int(fh * 0.09 * eye_open))), 0, 0,
                        360, (255, 255, 255), -1, cv2.LINE_AA)
            cv2.circle(canvas, at(side * 0.38, -0.18), max(1, int(fh * 0.07 * min(1.0, eye_open + 0.3))),
                       (30, 30, 30), -1, cv2.LINE_AA)
        cv2.line(canvas, at(0, -0.1), at(0.05, 0.18), (110, 130, 170), 2, cv2.LINE_AA)
        smile = float(np.clip(valence + rng.normal(0, 0.3), -1, 1))
        xs = np.linspace(-0.4, 0.4, 20)
        mouth = np.array([at(x, 0.45 + smile * 0.25 * (1 - (x / 0.4)**2)) for x in xs], np.int32)
        cv2.polylines(canvas, [mouth], False, (40, 40, 120), 3, cv2.LINE_AA)
        img = canvas
    img += rng.normal(0, 4, img.shape).astype(np.float32)
    return np.clip(img, 0, 255).astype(np.uint8)


def write_wav(path: str, samples: np.ndarray, sample_rate: int) -> None:
    """16-bit mono PCM WAV."""
    with wave.open(path, 'wb') as f:
        f.setnchannels(1)
        f.setsampwidth(2)
        f.setframerate(sample_rate)
        f.writeframes(samples.astype('<i2').tobytes())


def write_video(path: str, frames: List[np.ndarray], fps: float) -> None:
    """MPEG-4 (``mp4v``) video readable by ``cv2.VideoCapture``."""
    height, width = frames[0].shape[:2]
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'mp4v'), fps, (width, height))
    if not writer.isOpened():
        raise OSError(f'OpenCV cannot write {path} (no mp4v encoder in this OpenCV build)')
    for frame in frames:
        writer.write(frame)
    writer.release()


def _emotion_class(arousal: float, valence: float) -> int:
    if valence > 0.3:
        return 3  # Happy
    if valence < -0.3:
        return 0 if arousal > 0.6 else 5  # Anger / Sad
    return 4  # Neutral


def mux_like_prepare_data(video: str, wav: str, out: str) -> None:
    """``out``: the frames of ``video`` and the sound of ``wav`` encoded as the challenge's ``prepare_data.py``
    encodes utterances (``-c:v libx264 -preset superfast -c:a aac``, MP4)."""
    from .media import run_ffmpeg
    done = run_ffmpeg(['-i', video, '-i', wav, '-map', '0:v:0', '-map', '1:a:0', '-c:v', 'libx264', '-preset',
                       'superfast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-f', 'mp4', out])
    if done.returncode != 0:
        raise RuntimeError(f'ffmpeg could not write {out}: {done.stderr.strip()}')


def make_video(seed: int, split: str, index: int, num_utterances: int, out_dir: str, fps: float,
               frame_size: int, layout: str = 'mmext') -> List[dict]:
    """Writes the utterances of one video under ``out_dir/{video}/`` and returns their CSV rows."""
    rng = np.random.default_rng([seed, SPLIT_IDS[split], index])
    video = f'synth{SPLIT_IDS[split]}{index:03d}'
    os.makedirs(osp.join(out_dir, video), exist_ok=True)
    level_a, level_v = rng.uniform(0.15, 0.85), rng.uniform(-0.7, 0.7)
    pitch_offset = rng.uniform(-10, 10)
    background = rng.uniform(60, 200, 3)
    skin = np.array([150, 180, 220]) + rng.normal(0, 10, 3)
    speech = ESpeak.get()
    rows, clock = [], float(rng.uniform(0, 30))
    for k in range(num_utterances):
        arousal = float(np.clip(level_a + rng.normal(0, 0.2), 0, 1))
        valence = float(np.clip(level_v + rng.normal(0, 0.3), -1, 1))
        transcript = make_transcript(rng, valence)
        audio = speech.say(transcript, pitch=np.clip(30 + 60 * arousal + pitch_offset, 0, 99),
                           rate=120 + 150 * arousal + rng.normal(0, 10))
        audio = np.clip(audio + rng.normal(0, 30, audio.shape), -32768, 32767).astype(np.int16)
        duration = len(audio) / speech.sample_rate
        show_face = rng.random() >= FACELESS_PROB
        frames = [
            draw_face(rng, valence, arousal, frame_size, background, skin, show_face)
            for _ in range(max(int(np.ceil(duration * fps)), 1))
        ]
        utterance = f'utterance_{k + 1}.mp4'
        if layout == 'mmext':
            write_video(osp.join(out_dir, video, utterance), frames, fps)
            write_wav(osp.join(out_dir, video, f'utterance_{k + 1}.wav'), audio, speech.sample_rate)
        else:
            tmp_video, tmp_wav = osp.join(out_dir, video, '.frames.mp4'), osp.join(out_dir, video, '.speech.wav')
            write_video(tmp_video, frames, fps)
            write_wav(tmp_wav, audio, speech.sample_rate)
            mux_like_prepare_data(tmp_video, tmp_wav, osp.join(out_dir, video, utterance))
            os.remove(tmp_video)
            os.remove(tmp_wav)
        rows.append(dict(link=f'synthetic:{video}', start=round(clock, 3), end=round(clock + duration, 3), video=video,
                         utterance=utterance, arousal=round(arousal, 4), valence=round(valence, 4),
                         EmotionMaxVote=_emotion_class(arousal, valence), transcript=transcript))
        clock += duration + float(rng.uniform(0.2, 1.0))
    return rows


def generate_synthetic_omg(data_root: str,
                           num_videos: Optional[Dict[str, int]] = None,
                           utterances_per_video: int = 8,
                           seed: int = 0,
                           fps: float = 12.0,
                           frame_size: int = 128,
                           layout: str = 'mmext') -> str:
    """Writes (once) a synthetic OMG-Emotion copy under ``data_root``; returns ``data_root``.

    Files, named as the challenge's: ``omg_{Train,Validation}Videos.csv``,
    ``omg_{Train,Validation,Test}Transcripts.csv``, for the test split ``omg_TestVideos_WithoutLabels.csv`` (no
    label columns, what participants get) and ``omg_TestVideos_WithLabels.csv``, and
    ``Videos/{Train,Validation,Test}/{video}/utterance_{k}.mp4``, as ``prepare_data.py --target-dir Videos/Train``
    etc. write them. A folder made with other parameters raises an
    error instead of being reused.

    Args:
        data_root (str): Folder to create.
        num_videos (dict, optional): Videos per split (``'train'``, ``'val'``, ``'test'``); default 40 train and
            12 validation videos.
        utterances_per_video (int): Default: 8.
        seed (int): Default: 0.
        fps (float): Video frame rate. Default: 12.
        frame_size (int): Square frame side in pixels. Default: 128.
        layout (str): ``'mmext'``: video-only MPEG-4 (``mp4v``) with ``utterance_{k}.wav`` beside each;
            ``'prepare_data'``: exactly what ``prepare_data.py`` leaves (H.264 + AAC utterances, no WAV, an empty
            ``youtube_videos_temp`` folder per split; needs imageio-ffmpeg). Default: ``'mmext'``.
    """
    if layout not in LAYOUTS:
        raise ValueError(f'layout must be one of {LAYOUTS}, got {layout!r}')
    num_videos = dict(DEFAULT_NUM_VIDEOS if num_videos is None else num_videos)
    for split in num_videos:
        if split not in SPLIT_FILES:
            raise ValueError(f'num_videos has an unknown split {split!r}; use {tuple(SPLIT_FILES)}')
    params = dict(kind='omg_emotion', num_videos=num_videos, utterances_per_video=utterances_per_video, seed=seed,
                  fps=fps, frame_size=frame_size)
    if layout != 'mmext':  # folders written before layouts existed keep their record
        params['layout'] = layout

    def write(folder: str) -> None:
        for split, count in num_videos.items():
            name = SPLIT_FILES[split]
            videos_dir = osp.join(folder, 'Videos', name)
            rows = [row for i in range(count)
                    for row in make_video(seed, split, i, utterances_per_video, videos_dir, fps, frame_size, layout)]
            if layout == 'prepare_data':
                os.makedirs(osp.join(videos_dir, 'youtube_videos_temp'), exist_ok=True)
            if split == 'test':
                _write_csv(osp.join(folder, 'omg_TestVideos_WithoutLabels.csv'), rows, VIDEO_COLUMNS)
                _write_csv(osp.join(folder, 'omg_TestVideos_WithLabels.csv'), rows, LABELLED_COLUMNS)
            else:
                _write_csv(osp.join(folder, f'omg_{name}Videos.csv'), rows, LABELLED_COLUMNS)
            _write_csv(osp.join(folder, f'omg_{name}Transcripts.csv'), rows,
                       ('link', 'video', 'utterance', 'transcript'))

    ensure_generated(data_root, params, write)
    return data_root


def _write_csv(path: str, rows: List[dict], columns: Tuple[str, ...]) -> None:
    with open(path, 'w', newline='') as f:
        writer = csv.writer(f)
        writer.writerow(columns)
        writer.writerows([row[c] for c in columns] for row in rows)
