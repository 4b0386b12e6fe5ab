"""Every config under configs/sdn/ builds its segmentor and runs a forward pass on a 1x3x64x64 input (CPU, no weights).

The configs are discovered by glob, so adding a config adds a case.
"""
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

from mmseg.registry import MODELS

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = sorted(glob.glob(osp.join(REPO_ROOT, 'configs', 'sdn', '*.py')))


def _offline_cpu(node):
    """Drop weight loading and replace SyncBN (needs a process group) by BN, in place, recursively."""
    if isinstance(node, dict):
        if node.get('type') == 'SyncBN':
            node['type'] = 'BN'
        if 'init_cfg' in node and isinstance(node['init_cfg'], dict) and node['init_cfg'].get('type') == 'Pretrained':
            node['init_cfg'] = None
        for value in node.values():
            _offline_cpu(value)
    elif isinstance(node, (list, tuple)):
        for value in node:
            _offline_cpu(value)


def _leaves(node):
    if isinstance(node, dict):
        for value in node.values():
            yield from _leaves(value)
    elif isinstance(node, (list, tuple)):
        for value in node:
            yield from _leaves(value)
    else:
        yield node


def _types(node):
    if isinstance(node, dict):
        yield node.get('type')
        for value in node.values():
            yield from _types(value)
    elif isinstance(node, (list, tuple)):
        for value in node:
            yield from _types(value)


def test_configs_found():
    assert len(CONFIGS) >= 13


@pytest.mark.parametrize('path', CONFIGS, ids=[osp.basename(p) for p in CONFIGS])
def test_config_builds_and_forwards(path):
    cfg = Config.fromfile(path)
    assert cfg.custom_imports == dict(imports=['mmext'], allow_failed_imports=False)
    for name in ('data_root', 'checkpoint', 'load_from'):
        assert name in cfg, f'{name} must be a variable at the top of {osp.basename(path)}'
    urls = [v for v in _leaves(cfg.to_dict()) if isinstance(v, str) and '://' in v]
    assert not urls, f'configs must not download anything, use the checkpoint variable instead of {urls}'
    is_sdn = osp.basename(path).startswith('sdn-')
    assert is_sdn == ('SDNNeck' in set(_types(cfg.model)))

    model_cfg = cfg.model.to_dict()
    model_cfg['pretrained'] = None
    _offline_cpu(model_cfg)
    init_default_scope(cfg.default_scope)
    model = MODELS.build(model_cfg)
    model.eval()
    with torch.no_grad():
        logits = model(torch.rand(1, 3, 64, 64), mode='tensor')
    num_classes = cfg.model.decode_head.num_classes
    assert logits.shape[:2] == (1, num_classes)
    assert torch.isfinite(logits).all()
