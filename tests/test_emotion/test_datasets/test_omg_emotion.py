"""OMGEmotionDataset: joins, video context, skipped-row counts and the feature-cache checks."""
import logging
import os
from unittest.mock import patch

import numpy as np
import pytest

from mmext.emotion.datasets import FeatureCacheError
from mmext.registry import DATASETS

VIDEOS = ('link,start,end,video,utterance,arousal,valence,EmotionMaxVote\n'
          'l,0,1,v1,utterance_1.mp4,0.1,0.5,3\n'
          ',,,,,,,\n'
          'l,1,2,v1,utterance_2.mp4,0.2,0.4,3\n'
          'l,0,1,v2,utterance_1.mp4,0.3,-0.5,5\n'
          ',0,1,,,0.1,0.1,4\n'
          'l,0,1,v3,utterance_1.mp4,0.4,0.0,4\n'
          'l,1,2,v3,utterance_2.mp4,0.5,0.1,4\n')
TRANSCRIPTS = ('link,video,utterance,transcript\n'
               'l,v1,utterance_1.mp4,good day\n'
               'l,v1,utterance_2.mp4,bad day\n'
               'l,v2,utterance_1.mp4,\n'
               'l,v3,utterance_1.mp4,fine\n')


@pytest.fixture
def root(tmp_path):
    (tmp_path / 'videos.csv').write_text(VIDEOS)
    (tmp_path / 'transcripts.csv').write_text(TRANSCRIPTS)
    return tmp_path


def build(root, **kwargs):
    cfg = dict(type='OMGEmotionDataset', data_root=str(root), ann_file='videos.csv', transcript_file='transcripts.csv',
               video_path_tmpl='Videos/{video}/{utterance}', wav_path_tmpl='Audio/{video}/{stem}.wav',
               cache_dir='cache')
    return DATASETS.build(dict(cfg, **kwargs))


def cache(root, video, stem, face=True):
    os.makedirs(root / 'cache' / video, exist_ok=True)
    np.savez(root / 'cache' / video / f'{stem}.npz', visual=np.ones((20, 3), np.float32),
             visual_mask=np.float32(face), audio=np.zeros(4, np.float32), text=np.zeros(2, np.float32))


def test_annotations_paths_and_video_context(root):
    dataset = build(root, require_features=False)
    assert len(dataset) == 5 and dataset.skipped['malformed'] == 2
    item = dataset[0]
    assert item['video_path'] == str(root / 'Videos' / 'v1' / 'utterance_1.mp4')
    assert item['wav_path'] == str(root / 'Audio' / 'v1' / 'utterance_1.wav')
    assert item['feature_path'] == str(root / 'cache' / 'v1' / 'utterance_1.npz')
    assert item['transcript'] == 'good day' and item['video_transcript'] == 'good day bad day'
    assert dataset[4]['transcript'] == ''  # v3/utterance_2 has no transcript row
    assert item['order_idx'] == 0 and dataset[4]['order_idx'] == 6
    assert (item['gt_arousal'], item['gt_valence'], item['emotion']) == (0.1, 0.5, 3)


def test_cache_and_faceless_filtering_is_counted(root):
    cache(root, 'v1', 'utterance_1')
    cache(root, 'v1', 'utterance_2', face=False)
    cache(root, 'v2', 'utterance_1')
    dropped = build(root)
    assert len(dropped) == 2 and dropped.skipped == dict(malformed=2, no_features=2, no_face=1)
    kept = build(root, faceless='keep')
    assert len(kept) == 3 and kept.skipped['no_face'] == 0


def test_strict_mode_and_bad_arguments(root):
    with pytest.raises(ValueError, match='videos.csv:3'):
        build(root, on_malformed='raise')
    with pytest.raises(ValueError, match='faceless'):
        build(root, faceless='zeros')


def test_video_disjoint_holdout_partitions_the_split(root):
    held = build(root, require_features=False, video_holdout=dict(ratio=0.3, part='holdout', seed=1))
    rest = build(root, require_features=False, video_holdout=dict(ratio=0.3, part='rest', seed=1))
    held_videos, rest_videos = {r['video'] for r in held}, {r['video'] for r in rest}
    assert len(held_videos) == 1 and held_videos.isdisjoint(rest_videos)
    assert len(held) + len(rest) == 5
    with pytest.raises(ValueError, match='video_holdout'):
        build(root, require_features=False, video_holdout=dict(ratio=1.5, part='rest'))


def test_unusable_splits_name_the_csv_and_the_counts(root):
    (root / 'header.csv').write_text(VIDEOS.splitlines()[0] + '\n')
    with pytest.raises(ValueError, match='header.csv has no valid utterance row .*header and no data row'):
        build(root, ann_file='header.csv', require_features=False)
    (root / 'bad.csv').write_text(VIDEOS.splitlines()[0] + '\n,,,,,,,\nl,0,1,v,u.mp4,7,0,1\n')
    with pytest.raises(ValueError, match=r'bad.csv has no valid utterance row \(all 2 data rows are malformed, '
                       r'the first: .*bad.csv:2: empty video'):
        build(root, ann_file='bad.csv')
    # Training before extraction: every row valid, no cache yet.
    with pytest.raises(ValueError, match=r"videos.csv: none of its 5 valid utterances can be used .*'malformed': 2"
                       r".*5 have no feature cache in .*cache.*extract_features.py"):
        build(root)


def test_labelled_split_without_a_label_column_fails_at_build(root):
    (root / 'nolabel.csv').write_text('link,start,end,video,utterance,valence\nl,0,1,v1,utterance_1.mp4,0.1\n')
    with pytest.raises(ValueError, match=r"nolabel.csv: the header lacks the label columns \['arousal'\]"):
        build(root, ann_file='nolabel.csv', require_features=False)
    unlabelled = build(root, ann_file='nolabel.csv', require_features=False, test_mode=True)
    assert len(unlabelled) == 1 and 'gt_arousal' not in unlabelled[0]


def test_repeated_transcripts_are_warned_about(root):
    (root / 'transcripts.csv').write_text(TRANSCRIPTS + 'l,v1,utterance_1.mp4,other words\n')
    with patch('mmext.emotion.datasets.omg_emotion.print_log') as log:
        dataset = build(root, require_features=False)
    assert dataset[0]['transcript'] == 'good day'
    warnings = [c for c in log.call_args_list if c.kwargs.get('level') == logging.WARNING]
    assert len(warnings) == 1 and 'transcripts.csv:6: repeats v1/utterance_1.mp4' in warnings[0].args[0]


def test_upper_case_extension_is_found(root):
    os.makedirs(root / 'Videos' / 'v1')
    (root / 'Videos' / 'v1' / 'utterance_1.MP4').write_bytes(b'')
    dataset = build(root, require_features=False)
    assert dataset[0]['video_path'] == str(root / 'Videos' / 'v1' / 'utterance_1.MP4')
    assert dataset[1]['video_path'] == str(root / 'Videos' / 'v1' / 'utterance_2.mp4')  # absent: as templated


def test_rows_without_features_are_listed_for_the_metric(root):
    cache(root, 'v1', 'utterance_1')
    cache(root, 'v3', 'utterance_1', face=False)
    dataset = build(root)
    assert len(dataset) == 1 and dataset.skipped == dict(malformed=2, no_features=3, no_face=1)
    unscored = dataset.metainfo['unscored']
    assert [(u['video'], u['utterance'], u['order_idx']) for u in unscored] == [
        ('v1', 'utterance_2.mp4', 2), ('v2', 'utterance_1.mp4', 3), ('v3', 'utterance_2.mp4', 6)]
    assert unscored[0]['gt_arousal'] == 0.2 and unscored[0]['gt_valence'] == 0.4


def test_corrupt_cache_is_named_at_build(root):
    os.makedirs(root / 'cache' / 'v1')
    (root / 'cache' / 'v1' / 'utterance_1.npz').write_bytes(b'PK\x03\x04 truncated')
    with pytest.raises(FeatureCacheError, match='utterance_1.npz is not a readable feature cache'):
        build(root)
