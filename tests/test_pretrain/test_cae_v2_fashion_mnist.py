"""The CAE v2 Fashion-MNIST toy (pretrained-teacher comparison) on tiny generated IDX files: the pre-training config
trains with the grey two-view pipeline, its encoder loads into the probe config, and the comparison script's
cached-feature probe and table work. Random teacher weights only: nothing is downloaded."""
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmpretrain.registry import MODELS

from mmext.utils.idx import write_idx
from tools.benchmarks import caev2_teacher_fashion_mnist as bench

RANDOM_TEACHER = bench.PRETRAIN['random teacher']


@pytest.fixture(scope='module')
def data_root(tmp_path_factory):
    """A Fashion-MNIST-shaped release: 60 train / 20 test images whose class sets the mean brightness."""
    root = tmp_path_factory.mktemp('fashion_mnist')
    rng = np.random.default_rng(0)
    for prefix, n in (('train', 60), ('t10k', 20)):
        labels = np.arange(n) % 10
        images = np.clip(rng.normal(20 * labels[:, None, None] + 30, 20, (n, 28, 28)), 0, 255)
        write_idx(str(root / f'{prefix}-images-idx3-ubyte'), images)
        write_idx(str(root / f'{prefix}-labels-idx1-ubyte'), labels)
    return str(root)


def test_the_two_pretraining_configs_differ_only_in_the_teachers_weights():
    pretrained = Config.fromfile(bench.PRETRAIN['ImageNet teacher'])
    random = Config.fromfile(RANDOM_TEACHER)
    assert pretrained.model.target_generator.weights == 'IMAGENET1K_V1'
    assert random.model.target_generator.weights is None
    random.model.target_generator.weights = 'IMAGENET1K_V1'
    assert random.to_dict() == pretrained.to_dict()


def test_pretraining_trains_and_its_encoder_is_the_probe_encoder(data_root, tmp_path):
    from mmengine.runner import Runner
    cfg = Config.fromfile(RANDOM_TEACHER)
    cfg.work_dir = str(tmp_path / 'work')
    cfg.train_dataloader.update(num_workers=0, persistent_workers=False, batch_size=20)
    cfg.train_dataloader.dataset.update(data_root=data_root, indices=40)
    cfg.train_cfg.max_epochs = 1
    cfg.param_scheduler = [dict(type='LinearLR', start_factor=0.1, by_epoch=True, end=1, convert_to_iter_based=True)]
    cfg.default_hooks.logger.interval = 1
    cfg.default_hooks.checkpoint.interval = 1
    runner = Runner.from_cfg(cfg)
    runner.train()
    scalars = runner.message_hub.log_scalars
    assert 0 < scalars['train/loss'].current() < 2 and runner.iter == 2
    # The teacher saw the grey 56 px view (its map is 4 x 4 at 56 px, resampled to the student's 7 x 7 grid).
    assert runner.model.target_generator.patch_resolution == runner.model.backbone.patch_resolution == (7, 7)

    weights = str(tmp_path / 'encoder.pth')
    bench.pretrained_weights(cfg.work_dir, weights)
    prober = bench.Prober(bench.PROBE, data_root, ['train_dataloader.dataset.indices=40'])
    assert prober.train_images.shape == (40, 28, 28) and prober.test_images.shape == (20, 28, 28)
    probe = prober.build(weights)
    model = runner.model.eval()
    x = torch.from_numpy(prober.test_images[:4])[:, None]
    with torch.no_grad():
        expected = model.backbone(model.data_preprocessor({'inputs': [x, x], 'data_samples': []})['inputs'][0],
                                  mask=None)[0][:, 0]
    torch.testing.assert_close(bench.encoder_features(probe, prober.test_images[:4]), expected)


def test_cached_feature_probe_learns_separable_features():
    torch.manual_seed(0)
    labels = np.arange(200) % 4
    centres = torch.randn(4, 8) * 3
    feats = centres[labels] + 0.3 * torch.randn(200, 8)
    neck = MODELS.build(dict(type='ClsBatchNormNeck', input_features=8))
    head = MODELS.build(dict(type='LinearClsHead', num_classes=4, in_channels=8,
                             init_cfg=dict(type='TruncNormal', layer='Linear', std=0.01)))
    top1 = bench.train_probe(neck, head, feats[:100], labels[:100], feats[100:], labels[100:], epochs=5,
                             batch_size=20, lr=0.1, momentum=0.9, seed=0)
    assert top1 == 100.0
    noise = bench.train_probe(neck, head, torch.randn(100, 8), labels[:100], torch.randn(100, 8), labels[100:],
                              epochs=5, batch_size=20, lr=0.1, momentum=0.9, seed=0)
    assert noise < 50.0


def test_teacher_rows_and_table(data_root, tmp_path):
    prober = bench.Prober(bench.PROBE, data_root, ['train_dataloader.dataset.indices=40',
                                                    'train_dataloader.batch_size=20', 'train_cfg.max_epochs=2'])
    teacher = MODELS.build(Config.fromfile(RANDOM_TEACHER).model.target_generator)
    feats = bench.teacher_features(teacher, prober.test_images[:3], size=56)
    torch.testing.assert_close(feats, teacher(torch.from_numpy(np.stack([
        __import__('mmcv').imresize(img, (56, 56), interpolation='bicubic') for img in prober.test_images[:3]
    ]))[:, None].float())[0][:, 0])
    assert feats.shape == (3, 96)
    assert 0 <= prober.teacher(teacher, 56, seed=0) <= 100
    # A random teacher saved in a state dict comes back identical.
    torch.save({'state_dict': {f'target_generator.{k}': v for k, v in teacher.state_dict().items()}},
               tmp_path / 'run.pth')
    again = bench.teacher_from_checkpoint(RANDOM_TEACHER, str(tmp_path / 'run.pth'))
    assert all(torch.equal(v, teacher.state_dict()[k]) for k, v in again.state_dict().items())
    assert bench.teacher_view_size(RANDOM_TEACHER) == 56
    lines = bench.table({'random init': [70., 71., 72.], bench.BASELINE: [80., 80.5, 81.],
                         'CAE v2, ImageNet teacher': [85., 85.2, 84.8]}, [0, 1, 2])
    assert lines[2].startswith('| random init | 70.00 | 71.00 | 72.00 | 71.00 ± 1.00 | -9.50, beyond noise')
    assert lines[3].endswith('| – |') and 'beyond noise' in lines[4]
    assert osp.basename(bench.PROBE).endswith('fashion-mnist-28px.py')
