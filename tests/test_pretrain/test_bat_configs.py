"""Every config under configs/bat/ builds its classifier and runs a forward pass (CPU, random init, no weights);
the toy config also trains and validates for one short epoch on the embedded data."""
import glob
import os.path as osp
import re

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmpretrain.registry import HOOKS, MODELS

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = sorted(glob.glob(osp.join(REPO_ROOT, 'configs', 'bat', '*.py')))
TOY = osp.join(REPO_ROOT, 'configs', 'bat', 'bat_vit-tiny-p4-kr0.7_1xb64-30e_synthetic-shapes-32px.py')


def test_configs_found():
    assert len(CONFIGS) >= 13 and TOY in CONFIGS


@pytest.mark.parametrize('path', CONFIGS, ids=[osp.basename(p) for p in CONFIGS])
def test_config_builds_and_forwards(path):
    cfg = Config.fromfile(path)
    assert cfg.custom_imports == dict(imports=['mmext'], allow_failed_imports=False)
    assert not re.search(r'https?://', open(path).read()), 'paths must come from variables, not URLs'
    assert cfg.model.backbone.type == 'BATViT'
    init_default_scope(cfg.default_scope)
    # 64 x 64 inputs (16 tokens of 16 x 16) keep ViT-B cheap; the toy config is already small
    img_size = cfg.model.backbone.get('img_size', 224)
    if img_size == 224:
        cfg.model.backbone.img_size = img_size = 64
    model = MODELS.build(cfg.model)
    model.eval()
    with torch.no_grad():
        feats = model.extract_feat(torch.randn(1, 3, img_size, img_size))
        scores = model.head(feats)
    assert scores.shape == (1, cfg.model.head.num_classes) and torch.isfinite(scores).all()


@pytest.mark.parametrize('path', CONFIGS, ids=[osp.basename(p) for p in CONFIGS])
def test_config_hooks_registered(path):
    cfg = Config.fromfile(path)
    missing = [h['type'] for h in cfg.get('custom_hooks', []) if HOOKS.get(h['type']) is None]
    assert not missing


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



def test_metafile_lists_every_imagenet_config():
    import yaml
    with open(osp.join(REPO_ROOT, 'configs', 'bat', 'metafile.yml')) as f:
        models = yaml.safe_load(f)['Models']
    listed = {m['Config'] for m in models}
    assert all(osp.isfile(osp.join(REPO_ROOT, path)) for path in listed)
    assert listed == {osp.relpath(p, REPO_ROOT) for p in CONFIGS if p != TOY}
