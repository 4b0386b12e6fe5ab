"""The BAT toy config trains and validates for one short epoch on the embedded data (every config's build and
forward is in tests/test_configs/test_all_configs.py)."""
import glob
import os.path as osp

from mmengine.config import Config

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = sorted(glob.glob(osp.join(REPO_ROOT, 'configs', 'bat', '*.py')))
TOY = osp.join(REPO_ROOT, 'configs', 'bat', 'bat_vit-tiny-p4-kr0.7_1xb64-30e_synthetic-shapes-32px.py')


def test_configs_found():
    assert len(CONFIGS) >= 13 and TOY in CONFIGS


def test_toy_config_trains_one_epoch(tmp_path):
    from mmengine.runner import Runner
    cfg = Config.fromfile(TOY)
    cfg.work_dir = str(tmp_path / 'work')
    for loader, num in (('train_dataloader', 40), ('val_dataloader', 20)):
        cfg[loader].update(num_workers=0, persistent_workers=False, batch_size=20)
        cfg[loader].dataset.update(data_root=str(tmp_path / 'data'), num_samples=num)
    cfg.test_dataloader = cfg.val_dataloader
    cfg.train_cfg.update(max_epochs=1, val_interval=1)
    cfg.param_scheduler = [dict(type='LinearLR', start_factor=0.1, by_epoch=True, end=1, convert_to_iter_based=True)]
    cfg.default_hooks.logger.interval = 1
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert 'val/accuracy/top1' in runner.message_hub.log_scalars
    assert runner.model.backbone.token_counts() == (65, 46, 46, 33, 33, 33)
