"""OMG-Emotion (Barros et al., "The OMG-Emotion Behavior Dataset", IJCNN 2018) over cached per-utterance features.

The dataset joins a split's videos CSV with its transcripts CSV on ``(video, utterance)``, validates every row
(:mod:`.omg_csv`), attaches the per-utterance media and feature-cache paths, and the video-level transcript (all of
the video's utterances in the split, for the text branch's video context). Features are computed once by
``tools/emotion/extract_features.py`` into ``cache_dir``; training only loads them (``LoadCachedFeatures``).
"""
import logging
import os
import os.path as osp
from collections import defaultdict
from typing import Dict, List, Optional

import numpy as np
from mmengine.dataset import BaseDataset
from mmengine.logging import print_log

from mmext.registry import DATASETS
from mmext.utils.validation import check_choice
from .omg_csv import LABEL_RANGES, read_transcript_csv, read_video_csv
from .transforms.loading import EXTRACT_COMMAND, read_feature_cache


@DATASETS.register_module()
class OMGEmotionDataset(BaseDataset):
    """Utterances of one OMG-Emotion split.

    Each item: ``video``, ``utterance``, ``start``, ``end``, ``order_idx``, ``video_path``, ``wav_path``,
    ``feature_path``, ``transcript``, ``video_transcript`` and, for labelled splits, ``gt_arousal``, ``gt_valence``,
    ``emotion``.

    Rows that fail validation are skipped and counted in the log (``on_malformed='raise'`` raises instead, naming
    the file and line). With ``require_features=True`` (training/testing), utterances without a cached feature file
    (extraction failed: missing or undecodable media) are skipped and counted too, and so are those without any
    detected face when ``faceless='drop'`` (the authors' trimodal set). ``faceless='keep'`` keeps them with zero
    visual features and ``visual_mask = 0`` (needed for a complete challenge submission; silent audio is always
    kept, with ``audio_mask = 0``). The counts are in ``self.skipped``; the valid rows left out for want of
    features are listed in ``metainfo['unscored']`` (``CCCMetric`` gives them its fallback prediction, so a
    validation score covers every row). A split left without any utterance raises an error naming the CSV and the
    counts. A labelled split (``test_mode=False``) must have the ``arousal`` and ``valence`` columns; the
    unlabelled test CSV needs ``test_mode=True``.

    The utterance video is found whatever the case of its extension (``utterance_1.MP4`` for ``utterance_1.mp4``).

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
    _UNSCORED_KEYS = ('video', 'utterance', 'order_idx', *(f'gt_{target}' for target in LABEL_RANGES))

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
        rows, malformed = read_video_csv(self.ann_file, require_labels=not self.test_mode)
        if not rows:
            found = (f'all {len(malformed)} data rows are malformed, the first: {malformed[0]}' if malformed else
                     'it has a header and no data row')
            raise ValueError(f'{self.ann_file} has no valid utterance row ({found}); point ann_file to a split CSV '
                             'with data rows')
        transcripts = {}
        if self.transcript_file is not None:
            transcripts, bad_transcripts, repeated = read_transcript_csv(self.data_path(self.transcript_file))
            malformed += bad_transcripts
            if repeated:
                more = '; ...' if len(repeated) > 1 else ''
                print_log(f'{len(repeated)} repeated transcript rows ({repeated[0]}{more})', logger='current',
                          level=logging.WARNING)
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
        listings: Dict[str, Dict[str, str]] = {}
        for row in rows:
            names = dict(video=row['video'], utterance=row['utterance'], stem=osp.splitext(row['utterance'])[0])
            row['video_transcript'] = ' '.join(video_text[row['video']])
            row['video_path'] = find_ignoring_case(self.data_path(self.video_path_tmpl.format(**names)), listings)
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
        kept, unscored = [], []
        for row in rows:
            if not osp.isfile(row['feature_path']):
                self.skipped['no_features'] += 1
                unscored.append({k: row[k] for k in self._UNSCORED_KEYS if k in row})
            elif self.faceless == 'drop' and not _has_face(row['feature_path']):
                self.skipped['no_face'] += 1
            else:
                kept.append(row)
        # Rows the model cannot see; CCCMetric scores them with its fallback prediction (faceless='drop' is a
        # deliberate subset and stays out).
        self._metainfo['unscored'] = unscored
        if not kept:
            raise ValueError(
                f'{self.ann_file}: none of its {len(rows)} valid utterances can be used ({self.skipped}): '
                f"{self.skipped['no_features']} have no feature cache in {self.data_path(self.cache_dir)}, "
                f"{self.skipped['no_face']} no face (faceless='drop'); extract the features first: {EXTRACT_COMMAND}")
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
    return bool(read_feature_cache(feature_path, ('visual_mask', ))['visual_mask'])


def find_ignoring_case(path: str, listings: Optional[Dict[str, Dict[str, str]]] = None) -> str:
    """``path``, or the file of its folder whose name differs only in case (``utterance_1.MP4`` for
    ``utterance_1.mp4``); ``path`` unchanged when neither exists.

    Args:
        path (str): Expected file.
        listings (dict, optional): Folder -> {lower-cased name: name}, filled on first use (one listing per folder).
    """
    if osp.isfile(path):
        return path
    folder, name = osp.split(path)
    listings = {} if listings is None else listings
    if folder not in listings:
        listings[folder] = {entry.lower(): entry for entry in os.listdir(folder)} if osp.isdir(folder) else {}
    found = listings[folder].get(name.lower())
    return osp.join(folder, found) if found is not None else path
