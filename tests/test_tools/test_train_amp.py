"""tools/train.py --amp: the wrapper it picks per device, and a few mixed-precision steps of every shipped toy config.

On a CPU-only machine --amp is bf16 autocast (:class:`CPUAmpOptimWrapper`); on a GPU it is mmengine's fp16
``AmpOptimWrapper`` with loss scaling.
"""
import os
import os.path as osp

import numpy as np
import pytest
import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.optim import AmpOptimWrapper, OptimWrapper
from mmengine.runner import Runner

from mmext.utils.amp import CPUAmpOptimWrapper, amp_optim_wrapper_cfg
from mmext.utils.launch import build_runner
from tools import train as train_tool

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOY_CONFIGS = {
    'demo': 'configs/demo/fcn_r18-d8_1xb8-400iter_synthetic-64x64.py',
    'sdn': 'configs/sdn/sdn-fcn_r18-w16-d8_1xb8-1k_synthetic-64x64.py',
    'bat': 'configs/bat/bat_vit-tiny-p4-kr0.7_1xb64-30e_synthetic-shapes-32px.py',
    'augseg': 'configs/augseg/augseg_fcn-r18-w16-d8_1xb8+8-1k_synthetic-1-8-64x64.py',
    'imas': 'configs/imas/imas_fcn-r18-w16-d8_1xb8+8-1k_synthetic-1-8-64x64.py',
    'cae_v2': 'configs/cae_v2/caev2_vit-tiny-p4_1xb64-50e_synthetic-shapes-32px.py',
    'emotion': 'configs/omg_emotion/trimodal-early-fusion_1xb32-60e_omg-synthetic-arousal.py',
}
ITERS = 2


def test_wrapper_choice_per_device():
    sgd = dict(optimizer=dict(type='SGD', lr=0.1))
    cpu = amp_optim_wrapper_cfg(dict(sgd, type='OptimWrapper'), 'cpu')
    assert cpu == dict(sgd, type='CPUAmpOptimWrapper')
    assert amp_optim_wrapper_cfg(sgd, 'cuda') == dict(sgd, type='AmpOptimWrapper', loss_scale='dynamic')
    # A GPU AMP config on a CPU: fp16-only settings go; a CPU run resumed on a GPU gets fp16 + loss scaling back.
    gpu = dict(sgd, type='AmpOptimWrapper', loss_scale=512., dtype='float16')
    assert amp_optim_wrapper_cfg(gpu, 'cpu') == cpu
    assert amp_optim_wrapper_cfg(cpu, 'cuda') == dict(sgd, type='AmpOptimWrapper', loss_scale='dynamic')
    assert amp_optim_wrapper_cfg(gpu, 'cuda') == gpu  # already set up: unchanged
    with pytest.raises(ValueError, match="optim_wrapper.type.*'ApexOptimWrapper'"):
        amp_optim_wrapper_cfg(dict(sgd, type='ApexOptimWrapper'), 'cuda')
    with pytest.raises(ValueError, match="device is 'mps'"):
        amp_optim_wrapper_cfg(sgd, 'mps')


def test_cpu_amp_wrapper_runs_bf16_keeps_fp32_state_and_loads_gpu_checkpoints():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
    wrapper = CPUAmpOptimWrapper(optimizer=torch.optim.SGD(model.parameters(), lr=0.1))
    before = model[0].weight.detach().clone()
    with wrapper.optim_context(model):
        hidden = model[0](torch.randn(3, 4))
        loss = model[2](hidden.relu()).float().square().mean()
    assert hidden.dtype == torch.bfloat16
    wrapper.backward(loss)
    assert model[0].weight.grad.dtype == torch.float32
    wrapper.step()
    assert model[0].weight.dtype == torch.float32
    assert not torch.equal(before, model[0].weight)
    # The state of a CUDA AmpOptimWrapper run has the GradScaler's entry on top of the optimizer's.
    state = dict(wrapper.state_dict(), loss_scaler={'scale': 65536.0})
    wrapper.load_state_dict(state)
    with pytest.raises(ValueError, match="dtype must be 'bfloat16'"):
        CPUAmpOptimWrapper(dtype='float16', optimizer=torch.optim.SGD(model.parameters(), lr=0.1))


def _write_synthetic_omg_features(root: str, num_utterances: int = 4) -> None:
    """The toy emotion config's data as the feature extractor leaves it: CSVs, one feature cache per utterance
    (the widths of configs/_base_/models/omg_trimodal_early_fusion.py) and min-max statistics."""
    rng = np.random.default_rng(0)
    widths = dict(visual=(20, 1764), audio=(482, ), text=(14, ))
    videos = ['link,start,end,video,utterance,arousal,valence,EmotionMaxVote']
    for i in range(num_utterances):
        videos.append(f'l,{i},{i + 1},v0,utterance_{i}.mp4,{rng.uniform():.3f},{rng.uniform(-1, 1):.3f},4')
        cache_dir = osp.join(root, 'features', 'Train', 'v0')
        os.makedirs(cache_dir, exist_ok=True)
        np.savez(osp.join(cache_dir, f'utterance_{i}.npz'), visual_mask=np.float32(1),
                 **{key: rng.random(shape, dtype=np.float32) for key, shape in widths.items()})
    with open(osp.join(root, 'omg_TrainVideos.csv'), 'w') as f:
        f.write('\n'.join(videos) + '\n')
    stats = {}
    for key, shape in widths.items():
        stats[f'{key}_min'], stats[f'{key}_max'] = np.zeros(shape[-1], np.float32), np.ones(shape[-1], np.float32)
    np.savez(osp.join(root, 'features', 'minmax_stats.npz'), **stats)


@pytest.fixture(scope='module')
def workspace(tmp_path_factory) -> str:
    """A folder to run the toy configs from: their relative data roots resolve in it (short paths also keep
    mmengine's config formatting fast). The image data are generated there on first use."""
    root = tmp_path_factory.mktemp('amp_workspace')
    # The seg toys generate their own data/synthetic_shapes here, with their configs' sizes (the session's
    # synthetic_seg_root holds the 16-image set of tests/data/tiny_fcn_synthetic.py).
    os.makedirs(root / 'data')
    # Transcripts are optional (transcript_file=None); the cached text features stand in for them.
    _write_synthetic_omg_features(str(root / 'data' / 'omg_synthetic'))
    return str(root)


def _tiny_schedule(cfg) -> None:
    """ITERS training iterations on batches of one sample (one labelled + one unlabelled image for AugSeg and iMAS,
    two utterances for the emotion model): no validation, test, checkpoints or LR schedule."""
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=ITERS)
    for key in ('val_cfg', 'val_dataloader', 'val_evaluator', 'test_cfg', 'test_dataloader', 'test_evaluator',
                'param_scheduler'):
        cfg[key] = None
    cfg.default_hooks.checkpoint = None
    cfg.custom_hooks = [hook for hook in cfg.get('custom_hooks', []) if hook.type != 'EarlyStoppingHook']
    loader = cfg.train_dataloader
    loader.update(batch_size=1, num_workers=0, persistent_workers=False)
    if loader.sampler.type == 'mmdet.MultiSourceSampler':
        loader.update(batch_size=2)
        loader.sampler.update(batch_size=2, source_ratio=[1, 1])
    if cfg.model.get('backbone', {}).get('type') == 'ResNetV1c' and cfg.model.backbone.get('base_channels') is None:
        # The demo's full-width ResNet-18: at the toys' width 16 (emulated bf16 convolutions are slow on CPUs
        # without bf16 instructions).
        cfg.model.backbone.update(stem_channels=16, base_channels=16)
        cfg.model.decode_head.in_channels, cfg.model.auxiliary_head.in_channels = 128, 64
    dataset = loader.dataset
    if dataset.type == 'SyntheticShapesClassification':
        dataset.num_samples = 20
    elif dataset.type == 'OMGEmotionDataset':  # batch norm over the batch: two utterances
        loader.batch_size = 2
        dataset.transcript_file = None


@pytest.mark.parametrize('config', list(TOY_CONFIGS.values()), ids=list(TOY_CONFIGS))
def test_amp_trains_toy_config(config, workspace, tmp_path, monkeypatch):
    monkeypatch.chdir(workspace)
    # Seconds per Runner that this test does not need: the environment report and the config's yapf formatting
    # (logged, dumped and stored in the checkpoint metadata).
    monkeypatch.setattr(Runner, '_log_env', lambda self, env_cfg: None)
    monkeypatch.setattr(Config, 'pretty_text', property(lambda self: ''))
    runners, activation_dtypes = [], set()

    def build_tiny_runner(cfg):
        _tiny_schedule(cfg)
        runner = build_runner(cfg)
        # The first convolution / linear layer of the model (the backbone's stem for the image models).
        first = next(m for m in runner.model.modules() if isinstance(m, (nn.Conv2d, nn.Linear)))
        first.register_forward_hook(lambda module, args, out: activation_dtypes.add(out.dtype))
        runners.append(runner)
        return runner

    monkeypatch.setattr(train_tool, 'build_runner', build_tiny_runner)
    train_tool.main([osp.join(REPO_ROOT, config), '--amp', '--work-dir', str(tmp_path)])
    runner, = runners
    on_gpu = torch.cuda.is_available()
    assert type(runner.optim_wrapper) is (AmpOptimWrapper if on_gpu else CPUAmpOptimWrapper)
    assert isinstance(runner.optim_wrapper, OptimWrapper)
    assert activation_dtypes == {torch.float16 if on_gpu else torch.bfloat16}
    losses = runner.message_hub.get_scalar('train/loss').data[0]
    assert len(losses) == ITERS and np.isfinite(losses).all(), losses
    assert all(p.dtype == torch.float32 for p in runner.model.parameters())
