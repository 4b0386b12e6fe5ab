"""The challenge workflow on synthetic data laid out as prepare_data.py lays out the real data: utterance videos ->
WAVs -> features -> two models -> one submission CSV that the official scoring formula accepts, every row present."""
import csv
import json
import os
import os.path as osp
import wave

import numpy as np
import pytest

from mmext.emotion.datasets.media import run_ffmpeg
from tools import train as train_tool
from tools.emotion import extract_audio, extract_features, make_submission


def official_score(gold_csv, submission_csv):
    """calculateEvaluationCCC.py (final version), restated: columns by name, rows by position, pooled CCC with
    population standard deviations and Pearson's r."""
    with open(gold_csv) as f:
        gold = list(csv.DictReader(f))
    with open(submission_csv) as f:
        pred = list(csv.DictReader(f))
    out = {}
    for target in ('arousal', 'valence'):
        y_true = np.array([float(r[target]) for r in gold])
        y_pred = np.array([float(r[target]) for r in pred])
        rho = np.corrcoef(y_pred, y_true)[0, 1]
        sd_t, sd_p = np.std(y_true), np.std(y_pred)
        out[target] = 2 * rho * sd_t * sd_p / (sd_p**2 + sd_t**2 + (np.mean(y_pred) - np.mean(y_true))**2)
    return out


def wav_format(path):
    with wave.open(path) as f:
        return f.getnchannels(), f.getsampwidth(), f.getnframes()


def test_media_to_scored_submission(challenge_workspace):
    configs = challenge_workspace
    test_videos = osp.join('data', 'Videos', 'Test')
    assert sorted(os.listdir(test_videos)) == ['synth2000', 'synth2001', 'youtube_videos_temp']
    assert not any(name.endswith('.wav') for _, _, files in os.walk('data') for name in files)
    # A video without an audio stream, a video that never downloaded, and an upper-case extension.
    silent = osp.join(test_videos, 'synth2000', 'utterance_1.mp4')
    assert run_ffmpeg(['-i', silent, '-an', '-c:v', 'copy', silent + '.tmp.mp4']).returncode == 0
    os.replace(silent + '.tmp.mp4', silent)
    os.remove(osp.join(test_videos, 'synth2001', 'utterance_2.mp4'))
    train_video = osp.join('data', 'Videos', 'Train', 'synth0001', 'utterance_3')
    os.rename(train_video + '.mp4', train_video + '.MP4')

    for split in ('train', 'val'):
        assert extract_audio.main([configs['arousal'], '--split', split, '--workers', '2'])['failed'] == 0
    summary = extract_audio.main([configs['arousal'], '--split', 'test'])
    assert summary == dict(total=6, existing=0, converted=5, no_audio_stream=1, failed=1)
    with open(osp.join('data', 'features', 'Test', 'wav_failures.json')) as f:
        assert [r['utterance'] for r in json.load(f)] == ['utterance_2.mp4']
    assert wav_format(osp.join(test_videos, 'synth2001', 'utterance_1.wav'))[:2] == (1, 2)  # 16-bit mono
    assert wav_format(osp.join(test_videos, 'synth2000', 'utterance_1.wav')) == (1, 2, 0)  # no audio stream
    assert wav_format(train_video + '.wav')[2] > 0
    # Resumed: the WAVs made are kept, the failure is tried again.
    again = extract_audio.main([configs['arousal'], '--split', 'test'])
    assert again == dict(total=6, existing=5, converted=0, no_audio_stream=0, failed=1)

    extract_features.main([configs['arousal'], '--split', 'train', '--fit-stats'])
    extract_features.main([configs['arousal'], '--split', 'val'])
    assert extract_features.main([configs['arousal'], '--split', 'test'])['failed'] == 1
    with np.load(osp.join('data', 'features', 'Test', 'synth2000', 'utterance_1.npz')) as cache:
        assert cache['audio_mask'] == 0  # kept, the audio masked

    checkpoints = {}
    for target, config in configs.items():
        train_tool.main([config, '--work-dir', f'work_{target}'])
        checkpoints[target] = osp.join(f'work_{target}', 'epoch_1.pth')
    gold = osp.join('data', 'omg_TestVideos_WithLabels.csv')
    result = make_submission.main(['--model', configs['arousal'], checkpoints['arousal'], '--model',
                                   configs['valence'], checkpoints['valence'], '--out', 'submission.csv', '--gold',
                                   gold])
    assert (result['rows'], result['predicted'], result['fallback']) == (6, 5, 1)

    with open(osp.join('data', 'omg_TestVideos_WithoutLabels.csv')) as f:
        expected = [(r['video'], r['utterance']) for r in csv.DictReader(f)]
    with open('submission.csv') as f:
        reader = csv.DictReader(f)
        rows = list(reader)
    assert reader.fieldnames == ['video', 'utterance', 'arousal', 'valence']
    assert [(r['video'], r['utterance']) for r in rows] == expected
    values = np.array([[float(r['arousal']), float(r['valence'])] for r in rows])
    assert np.isfinite(values).all() and (0 < values[:, 0]).all() and (values[:, 0] < 1).all()
    # The missing utterance has the mean of its video's other predictions.
    np.testing.assert_allclose(values[4], values[[3, 5]].mean(0))
    scores = official_score(gold, 'submission.csv')
    assert result['arousal_ccc'] == pytest.approx(scores['arousal'], abs=1e-12)
    assert result['valence_ccc'] == pytest.approx(scores['valence'], abs=1e-12)

    with pytest.raises(ValueError, match=r"no model predicts \['valence'\]"):
        make_submission.main(['--model', configs['arousal'], checkpoints['arousal'], '--out', 'one.csv'])


def test_one_joint_model_or_two_single_target_models(tmp_path):
    joint = (('arousal', 'valence'), {('v', 'u1.mp4'): dict(pred_arousal=0.2, pred_valence=-0.1)}, 'split.csv')
    merged, split_csv = make_submission.merge_models([joint])
    assert merged == {('v', 'u1.mp4'): dict(pred_arousal=0.2, pred_valence=-0.1)} and split_csv == 'split.csv'
    arousal = (('arousal', ), {('v', 'u1.mp4'): dict(pred_arousal=0.3)}, 'split.csv')
    with pytest.raises(ValueError, match='arousal is predicted by model 1 and model 2'):
        make_submission.merge_models([arousal, joint])
    with pytest.raises(ValueError, match='different split CSVs'):
        make_submission.merge_models([arousal, (('valence', ), {}, 'other.csv')])


def test_every_row_is_written_even_a_malformed_one(tmp_path):
    rows = [dict(video='v', utterance='u1.mp4'), dict(video='', utterance=''), dict(video='v', utterance='u2.mp4')]
    predictions = {('v', 'u1.mp4'): dict(pred_arousal=0.2, pred_valence=0.4),
                   ('v', 'u2.mp4'): dict(pred_arousal=0.4, pred_valence=0.0)}
    assert make_submission.write_submission(rows, predictions, str(tmp_path / 's.csv')) == 1
    with open(tmp_path / 's.csv') as f:
        written = list(csv.DictReader(f))
    assert [(r['video'], r['utterance']) for r in written] == [('v', 'u1.mp4'), ('', ''), ('v', 'u2.mp4')]
    # The malformed row has no video of its own: the split's mean.
    assert float(written[1]['arousal']) == pytest.approx(0.3) and float(written[1]['valence']) == pytest.approx(0.2)
