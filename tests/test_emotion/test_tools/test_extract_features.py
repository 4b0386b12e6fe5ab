"""tools/emotion/extract_features.py: cache, resume after a kill, counted skips of broken media, min-max fit."""
import json
import multiprocessing
import os
import os.path as osp
import signal
import time
import wave

import numpy as np
import pytest

from mmext.emotion.datasets.transforms import ExtractionError, LexiconFeatures
from tools.emotion import extract_features


def cached(root, folder='features/Train'):
    found = {}
    for dirpath, _, files in os.walk(osp.join(root, folder)):
        for name in files:
            if name.endswith('.npz'):
                with np.load(osp.join(dirpath, name)) as z:
                    found[osp.relpath(osp.join(dirpath, name), root)] = {k: z[k] for k in z.files}
    return found


def _slow_extraction(argv):
    original = LexiconFeatures.__call__

    def slow(self, results):
        time.sleep(0.3)
        return original(self, results)

    LexiconFeatures.__call__ = slow
    extract_features.main(argv)


@pytest.mark.skipif('fork' not in multiprocessing.get_all_start_methods(), reason='needs fork')
def test_killed_run_resumes_to_the_same_cache(omg_workspace):
    root, config = 'data', omg_workspace
    reference = extract_features.main([config, '--split', 'train', '--cfg-options',
                                       'train_dataloader.dataset.cache_dir=reference/Train'])
    assert reference == dict(total=6, cached=0, extracted=6, failed=0)

    child = multiprocessing.get_context('fork').Process(target=_slow_extraction, args=([config, '--split', 'train'], ))
    child.start()
    deadline = time.time() + 60
    while len(cached(root)) < 2 and time.time() < deadline and child.is_alive():
        time.sleep(0.02)
    os.kill(child.pid, signal.SIGKILL)
    child.join()
    done = len(cached(root))
    assert 2 <= done < 6, 'the run was not interrupted midway'
    # A temporary file of the killed write is never taken for a cache.
    open(osp.join(root, 'features', 'Train', 'synth0000', '.utterance_9.npz.123.tmp'), 'wb').close()

    summary = extract_features.main([config, '--split', 'train'])
    assert summary == dict(total=6, cached=done, extracted=6 - done, failed=0)
    resumed, expected = cached(root), cached(root, 'reference/Train')
    assert len(resumed) == 6
    for path, arrays in expected.items():
        for key, value in arrays.items():
            np.testing.assert_array_equal(resumed[path.replace('reference', 'features')][key], value)
    again = extract_features.main([config, '--split', 'train'])
    assert again == dict(total=6, cached=6, extracted=0, failed=0)


def test_missing_media_are_counted_skips_and_silent_audio_is_masked(omg_workspace):
    root, config = 'data', omg_workspace
    videos = osp.join(root, 'Videos', 'Train', 'synth0000')
    os.remove(osp.join(videos, 'utterance_1.mp4'))
    with wave.open(osp.join(videos, 'utterance_2.wav'), 'rb') as f:
        params, frames = f.getparams(), f.getnframes()
    with wave.open(osp.join(videos, 'utterance_2.wav'), 'wb') as f:
        f.setparams(params)
        f.writeframes(np.zeros(frames, '<i2').tobytes())
    summary = extract_features.main([config, '--split', 'train', '--fit-stats'])
    assert summary == dict(total=6, cached=0, extracted=5, failed=1)
    with open(osp.join(root, 'features', 'Train', 'extraction_failures.json')) as f:
        reasons = {r['utterance']: r['reason'] for r in json.load(f)}
    assert list(reasons) == ['utterance_1.mp4'] and 'missing video file' in reasons['utterance_1.mp4']
    caches = cached(root)
    silent = caches.pop(osp.join('features', 'Train', 'synth0000', 'utterance_2.npz'))
    assert silent['audio_mask'] == 0 and not silent['audio'].any()
    with np.load(osp.join(root, 'features', 'minmax_stats.npz')) as stats:
        assert stats['audio_min'].shape == (482, ) and stats['visual_max'].shape == (1764, )
        # The silent utterance's zeros are left out of the fit.
        np.testing.assert_array_equal(stats['audio_min'], np.min([c['audio'] for c in caches.values()], axis=0))
    with pytest.raises(ExtractionError, match='missing video file'):
        extract_features.main([config, '--split', 'train', '--on-error', 'raise', '--cfg-options',
                               'train_dataloader.dataset.cache_dir=other'])

    from mmengine.config import Config

    from mmext.registry import DATASETS
    cfg = Config.fromfile(config)
    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    assert len(dataset) + dataset.skipped['no_face'] == 5 and dataset.skipped['no_features'] == 1


def test_mtcnn_backend_finds_the_synthetic_faces(synthetic_omg):
    pytest.importorskip('facenet_pytorch')
    from mmext.emotion.datasets.transforms import ExtractFaceCrops
    video = osp.join(synthetic_omg, 'Videos', 'Train', 'synth0000', 'utterance_1.mp4')
    out = ExtractFaceCrops(backend='mtcnn', crop_size=32)(dict(video_path=video))
    assert out['faces'].shape == (20, 32, 32) and out['visual_mask'] == 1
