"""The CAE v2 toy config trains on the embedded data, and what it learns loads into the probe / fine-tuning encoder
(every config's build and forward is in tests/test_configs/test_all_configs.py)."""
import glob
import os.path as osp

import torch
from mmengine.config import Config
from mmpretrain.registry import MODELS

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG_DIR = osp.join(REPO_ROOT, 'configs', 'cae_v2')
TOY = osp.join(CONFIG_DIR, 'caev2_vit-tiny-p4_1xb64-50e_synthetic-shapes-32px.py')
PROBE = osp.join(CONFIG_DIR, 'benchmarks', 'beit-tiny-p4_1xb100-linear-30e_synthetic-shapes-32px.py')


def test_configs_found():
    configs = glob.glob(osp.join(CONFIG_DIR, '**', '*.py'), recursive=True)
    assert len(configs) == 12 and TOY in configs and PROBE in configs


def test_toy_config_trains_one_epoch(tmp_path):
    from mmengine.runner import Runner
    cfg = Config.fromfile(TOY)
    cfg.work_dir = str(tmp_path / 'work')
    cfg.train_dataloader.update(num_workers=0, persistent_workers=False, batch_size=20)
    cfg.train_dataloader.dataset.update(data_root=str(tmp_path / 'data'), num_samples=40)
    cfg.train_cfg.max_epochs = 1
    cfg.param_scheduler = [dict(type='LinearLR', start_factor=0.1, by_epoch=True, end=1, convert_to_iter_based=True)]
    cfg.default_hooks.logger.interval = 1
    runner = Runner.from_cfg(cfg)
    runner.train()
    scalars = runner.message_hub.log_scalars
    assert 0 < scalars['train/loss'].current() < 2
    assert {'train/cls_dist', 'train/visible_dist', 'train/masked_dist'} <= set(scalars)


def test_pretrained_encoder_loads_into_the_probe_encoder(tmp_path):
    torch.manual_seed(0)
    pretrain = MODELS.build(Config.fromfile(TOY).model)
    pretrain.init_weights()
    with torch.no_grad():  # move every weight away from its initial value
        for param in pretrain.backbone.parameters():
            param.add_(0.01 * torch.randn_like(param))
    torch.save({'state_dict': pretrain.state_dict()}, tmp_path / 'encoder.pth')
    probe_cfg = Config.fromfile(PROBE).model
    probe_cfg.backbone.init_cfg.checkpoint = str(tmp_path / 'encoder.pth')
    probe = MODELS.build(probe_cfg)
    probe.init_weights()
    pretrain.eval()
    probe.eval()
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        cls_pretrain = pretrain.backbone(x, mask=None)[0][:, 0]
        cls_probe = probe.backbone(x)[0]
    torch.testing.assert_close(cls_probe, cls_pretrain)
