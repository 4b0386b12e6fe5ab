"""OMGEmotionDataset: joins, video context, skipped-row counts and the feature-cache checks."""
import os

import numpy as np
import pytest

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
    return DATASETS.build(dict(type='OMGEmotionDataset', data_root=str(root), ann_file='videos.csv',
                               transcript_file='transcripts.csv', video_path_tmpl='Videos/{video}/{utterance}',
                               wav_path_tmpl='Audio/{video}/{stem}.wav', cache_dir='cache', **kwargs))


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
