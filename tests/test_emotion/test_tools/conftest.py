import os.path as osp
import shutil

import pytest

TOY_CONFIG = osp.join(osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))), 'configs',
                      'omg_emotion', 'trimodal-early-fusion_1xb32-60e_omg-synthetic-arousal.py')


def _write_config(path, data_root: str, batch_size: int = 3, max_epochs: int = 2) -> str:
    """A copy of the toy config pointed at ``data_root`` with a tiny schedule."""
    path.write_text(f"""_base_ = {TOY_CONFIG!r}
data_root = {data_root!r}
stats_file = {osp.join(data_root, 'features', 'minmax_stats.npz')!r}
feature_keys = ('visual', 'audio', 'text')
pipeline = [
    dict(type='LoadCachedFeatures', keys=feature_keys),
    dict(type='MinMaxNormalize', stats_file=stats_file, keys=feature_keys),
    dict(type='PackMultiModalInputs', keys=feature_keys),
]
train_dataloader = dict(batch_size={batch_size}, dataset=dict(data_root=data_root, pipeline=pipeline))
val_dataloader = dict(batch_size={batch_size}, dataset=dict(data_root=data_root, pipeline=pipeline))
test_dataloader = val_dataloader
train_cfg = dict(max_epochs={max_epochs})
""")
    return str(path)


@pytest.fixture(scope='session')
def synthetic_omg(tmp_path_factory):
    """Raw synthetic OMG files: 2 training videos and 1 validation video of 3 utterances (eSpeak NG needed)."""
    pytest.importorskip('espeakng_loader')
    from mmext.emotion.datasets import generate_synthetic_omg
    root = str(tmp_path_factory.mktemp('omg') / 'data')
    return generate_synthetic_omg(root, num_videos=dict(train=2, val=1), utterances_per_video=3, seed=0)



@pytest.fixture
def omg_workspace(synthetic_omg, tmp_path, monkeypatch):
    """A fresh copy of the raw synthetic files in ``./data`` (cwd = tmp_path) and ``./cfg.py`` pointing at it.

    Relative paths keep the config short: mmengine formats the config with yapf at every Runner start, which takes
    seconds per dataloader once a data_root is as long as pytest's temporary folders.
    """
    monkeypatch.chdir(tmp_path)
    shutil.copytree(synthetic_omg, 'data', ignore=shutil.ignore_patterns('features'))
    return _write_config(tmp_path / 'cfg.py', 'data')


CHALLENGE_CONFIG = TOY_CONFIG.replace('synthetic-arousal', 'synthetic-challenge-arousal')


@pytest.fixture(scope='session')
def synthetic_challenge(tmp_path_factory):
    """Synthetic OMG files laid out as prepare_data.py leaves the real ones (H.264 + AAC videos, no WAV, unlabelled
    test CSV): 2 training, 1 validation and 2 test videos of 3 utterances (eSpeak NG and imageio-ffmpeg needed)."""
    pytest.importorskip('espeakng_loader')
    pytest.importorskip('imageio_ffmpeg')
    from mmext.emotion.datasets import generate_synthetic_omg
    root = str(tmp_path_factory.mktemp('omg_challenge') / 'data')
    return generate_synthetic_omg(root, num_videos=dict(train=2, val=1, test=2), utterances_per_video=3, seed=0,
                                  layout='prepare_data')


@pytest.fixture
def challenge_workspace(synthetic_challenge, tmp_path, monkeypatch):
    """A fresh copy of the prepare_data-style files in ``./data`` and ``./arousal.py``, ``./valence.py``: the
    challenge configs pointed at it with a tiny schedule."""
    monkeypatch.chdir(tmp_path)
    shutil.copytree(synthetic_challenge, 'data')
    configs = {}
    for target in ('arousal', 'valence'):
        base = CHALLENGE_CONFIG.replace('-arousal', f'-{target}')
        (tmp_path / f'{target}.py').write_text(f"""_base_ = {base!r}
stats_file = 'data/features/minmax_stats.npz'
feature_keys = ('visual', 'audio', 'text')
pipeline = [
    dict(type='LoadCachedFeatures', keys=feature_keys),
    dict(type='MinMaxNormalize', stats_file=stats_file, keys=feature_keys),
    dict(type='PackMultiModalInputs', keys=feature_keys),
]
train_dataloader = dict(batch_size=3, dataset=dict(data_root='data', pipeline=pipeline))
val_dataloader = dict(batch_size=3, dataset=dict(data_root='data', pipeline=pipeline))
test_dataloader = dict(batch_size=4, dataset=dict(data_root='data', pipeline=pipeline))
train_cfg = dict(max_epochs=1)
""")
        configs[target] = str(tmp_path / f'{target}.py')
    return configs
