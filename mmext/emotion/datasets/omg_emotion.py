"""OMG-Emotion (Barros et al., "The OMG-Emotion Behavior Dataset", IJCNN 2018) over cached per-utterance features.

The dataset joins a split's videos CSV with its transcripts CSV on ``(video, utterance)``, validates every row
(:mod:`.omg_csv`), attaches the per-utterance media and feature-cache paths, and the video-level transcript (all of
the video's utterances in the split, for the text branch's video context). Features are computed once by
``tools/emotion/extract_features.py`` into ``cache_dir``; training only loads them (``LoadCachedFeatures``).
"""
import os.path as osp
from collections import defaultdict
from typing import List, Optional

import numpy as np
from mmengine.dataset import BaseDataset
from mmengine.logging import print_log

from mmext.registry import DATASETS
from mmext.utils.validation import check_choice
from .omg_csv import LABEL_RANGES, read_transcript_csv, read_video_csv


@DATASETS.register_module()
class OMGEmotionDataset(BaseDataset):
    """Utterances of one OMG-Emotion split.

    Each item: ``video``, ``utterance``, ``start``, ``end``, ``order_idx``, ``video_path``, ``wav_path``,
    ``feature_path``, ``transcript``, ``video_transcript`` and, for labelled splits, ``gt_arousal``, ``gt_valence``,
    ``emotion``.

    Rows that fail validation are skipped and counted in the log (``on_malformed='raise'`` raises instead, naming
    the file and line). With ``require_features=True`` (training/testing), utterances without a cached feature file
    (extraction failed: missing media, silent audio) are skipped and counted too, and so are those without any
    detected face when ``faceless='drop'`` (the authors' trimodal set). ``faceless='keep'`` keeps them with zero
    visual features and ``visual_mask = 0`` (needed for a complete challenge submission). The counts are in
    ``self.skipped``.

    Args:
        ann_file (str): The split's videos CSV, e.g. ``omg_TrainVideos.csv`` (relative to ``data_root``).
        transcript_file (str, optional): The split's transcripts CSV; None = empty transcripts.
        video_path_tmpl (str): Utterance video path relative to ``data_root``; ``{video}``, ``{utterance}`` and
            ``{stem}`` (utterance without extension) are filled in. The challenge's ``prepare_data.py`` writes
            ``<target_dir>/{video}/{utterance}``. Default: ``'Videos/{video}/{utterance}'``.
        wav_path_tmpl (str): The utterance's audio (16-bit PCM WAV, e.g. ``ffmpeg -i utt.mp4 -vn -ac 1 utt.wav``).
            Default: ``'Videos/{video}/{stem}.wav'``.
        cache_dir (str): Folder of the cached features, relative to ``data_root``; one
            ``{cache_dir}/{video}/{stem}.npz`` per utterance. Default: ``'features'``.
        faceless (str): ``'drop'`` or ``'keep'`` utterances without a detected face. Default: ``'drop'``.
        require_features (bool): Skip utterances without a cache file (False: list every valid row, as the
            extraction tool does). Default: True.
        on_malformed (str): ``'skip'`` or ``'raise'``. Default: ``'skip'``.
        video_holdout (dict, optional): Video-disjoint split of this CSV for the clean protocol (model selection
            on held-out *training* videos, the official validation set kept for the report):
            ``dict(ratio=0.15, part='holdout' | 'rest', seed=0)`` keeps the held-out videos (``round(ratio * V)``
            of the V videos, drawn with ``seed``) or the others. None = all rows.
        **kwargs: The rest of :class:`mmengine.dataset.BaseDataset` (``data_root``, ``pipeline``, ``test_mode``...).
    """
    METAINFO = dict(
        targets=tuple(LABEL_RANGES),
        target_ranges=LABEL_RANGES,
        emotions=('Anger', 'Disgust', 'Fear', 'Happy', 'Neutral', 'Sad', 'Surprise'))

    def __init__(self,
                 ann_file: str,
                 transcript_file: Optional[str] = None,
                 video_path_tmpl: str = 'Videos/{video}/{utterance}',
                 wav_path_tmpl: str = 'Videos/{video}/{stem}.wav',
                 cache_dir: str = 'features',
                 faceless: str = 'drop',
                 require_features: bool = True,
                 on_malformed: str = 'skip',
                 video_holdout: Optional[dict] = None,
                 **kwargs) -> None:
        check_choice('faceless', faceless, ('drop', 'keep'))
        check_choice('on_malformed', on_malformed, ('skip', 'raise'))
        if video_holdout is not None:
            unknown = set(video_holdout) - {'ratio', 'part', 'seed'}
            if unknown or not 0 < video_holdout.get('ratio', 0.15) < 1:
                raise ValueError(f'video_holdout must be dict(ratio in (0, 1), part, seed), got {video_holdout}')
            check_choice('video_holdout.part', video_holdout.get('part'), ('holdout', 'rest'))
        self.video_holdout = video_holdout
        self.transcript_file = transcript_file
        self.video_path_tmpl = video_path_tmpl
        self.wav_path_tmpl = wav_path_tmpl
        self.cache_dir = cache_dir
        self.faceless = faceless
        self.require_features = require_features
        self.on_malformed = on_malformed
        self.skipped = dict(malformed=0, no_features=0, no_face=0)
        super().__init__(ann_file=ann_file, **kwargs)

    def data_path(self, relative: str) -> str:
        """``relative`` under ``data_root`` (unchanged when there is no data_root)."""
        return osp.join(self.data_root, relative) if self.data_root else relative

    def load_annotations(self) -> List[dict]:
        """Every valid row of the split with its paths and transcripts, before the feature-cache checks."""
        rows, malformed = read_video_csv(self.ann_file)
        transcripts = {}
        if self.transcript_file is not None:
            transcripts, bad_transcripts = read_transcript_csv(self.data_path(self.transcript_file))
            malformed += bad_transcripts
        if malformed and self.on_malformed == 'raise':
            raise ValueError(f'{len(malformed)} malformed rows, the first: {malformed[0]}')
        self.skipped['malformed'] = len(malformed)
        if malformed:
            shown = '; '.join(str(m) for m in malformed[:5])
            print_log(f'skipped {len(malformed)} malformed CSV rows ({shown}{"; ..." if len(malformed) > 5 else ""})',
                      logger='current')
        missing_transcripts = 0
        for row in rows:
            key = (row['video'], row['utterance'])
            if key not in transcripts and self.transcript_file is not None:
                missing_transcripts += 1
            row['transcript'] = transcripts.get(key, '')
        if missing_transcripts:
            print_log(f'{missing_transcripts} utterances of {self.ann_file} have no transcript row; their text '
                      'features count zero words', logger='current')
        video_text = defaultdict(list)
        for row in rows:
            video_text[row['video']].append(row['transcript'])
        for row in rows:
            names = dict(video=row['video'], utterance=row['utterance'], stem=osp.splitext(row['utterance'])[0])
            row['video_transcript'] = ' '.join(video_text[row['video']])
            row['video_path'] = self.data_path(self.video_path_tmpl.format(**names))
            row['wav_path'] = self.data_path(self.wav_path_tmpl.format(**names))
            row['feature_path'] = self.data_path(osp.join(self.cache_dir, names['video'], names['stem'] + '.npz'))
        if self.video_holdout is not None:
            rows = self._holdout(rows)
        return rows

    def _holdout(self, rows: List[dict]) -> List[dict]:
        videos = sorted({row['video'] for row in rows})
        ratio, seed = self.video_holdout.get('ratio', 0.15), self.video_holdout.get('seed', 0)
        count = min(max(int(round(ratio * len(videos))), 1), len(videos) - 1)
        held = set(np.random.default_rng(seed).permutation(videos)[:count].tolist())
        keep_held = self.video_holdout['part'] == 'holdout'
        return [row for row in rows if (row['video'] in held) == keep_held]

    def load_data_list(self) -> List[dict]:
        rows = self.load_annotations()
        if not self.require_features:
            return rows
        kept = []
        for row in rows:
            if not osp.isfile(row['feature_path']):
                self.skipped['no_features'] += 1
            elif self.faceless == 'drop' and not _has_face(row['feature_path']):
                self.skipped['no_face'] += 1
            else:
                kept.append(row)
        if self.skipped['no_features']:
            print_log(f"skipped {self.skipped['no_features']} utterances of {self.ann_file} without cached features "
                      f'in {self.data_path(self.cache_dir)} (extraction failed or was not run: see '
                      'tools/emotion/extract_features.py and its extraction_failures.json)', logger='current')
        if self.skipped['no_face']:
            print_log(f"dropped {self.skipped['no_face']} utterances of {self.ann_file} without a detected face "
                      "(faceless='drop', as the authors' trimodal set)", logger='current')
        print_log(f'{type(self).__name__}: {len(kept)} utterances from {self.ann_file}', logger='current')
        return kept


def _has_face(feature_path: str) -> bool:
    with np.load(feature_path) as cache:
        return bool(cache['visual_mask'])
