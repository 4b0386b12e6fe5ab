"""Every config under configs/ loads, names the import entry of its scope, keeps its upstream baseline's weights and
data root, and builds a model that runs a forward pass on a tiny input (CPU, random init, nothing downloaded).

Configs are discovered by glob, so a new method's configs are covered without a new test.
"""
import ast
import glob
import json
import os.path as osp
import re

import pytest
import torch
from mmengine.config import Config
from mmengine.hub import get_config
from mmengine.registry import DefaultScope

from mmext.utils.launch import SCOPE_ENTRIES

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = sorted(p for p in glob.glob(osp.join(REPO_ROOT, 'configs', '**', '*.py'), recursive=True)
                 if f'{osp.sep}_base_{osp.sep}' not in p)
IDS = [osp.relpath(p, osp.join(REPO_ROOT, 'configs')) for p in CONFIGS]
# A full upstream baseline config (its _base_/ fragments are building blocks, not baselines).
UPSTREAM = re.compile(r"^(mmseg|mmpretrain|mmdet)::(?!_base_/)")
WEIGHT_KEYS = ('pretrained', 'checkpoint', 'load_from')
TINY = 64


def offline(node):
    """The offline overrides of the tests, in place: no pretrained weights, BN instead of SyncBN."""
    if isinstance(node, dict):
        if node.get('type') == 'SyncBN':
            node['type'] = 'BN'
        if 'pretrained' in node:
            node['pretrained'] = None
        init_cfg = node.get('init_cfg')
        if isinstance(init_cfg, dict) and init_cfg.get('type') == 'Pretrained':
            node['init_cfg'] = None
        for value in node.values():
            offline(value)
    elif isinstance(node, (list, tuple)):
        for value in node:
            offline(value)


def base_files(path: str) -> list:
    """The ``_base_`` entries of a config file, read from its source."""
    for node in ast.parse(open(path).read()).body:
        if isinstance(node, ast.Assign) and any(getattr(t, 'id', None) == '_base_' for t in node.targets):
            value = ast.literal_eval(node.value)
            return [value] if isinstance(value, str) else list(value)
    return []


def upstream_base(path: str):
    """The mmseg::/mmpretrain:: baseline config a config of ours derives from (through local bases), or None."""
    for base in base_files(path):
        if UPSTREAM.match(base):
            return base
        local = osp.join(osp.dirname(path), base)
        if osp.isfile(local):
            found = upstream_base(local)
            if found:
                return found
    return None


def weight_paths(node, key=None):
    """(key, value) of every string that names weights to load: pretrained / checkpoint / load_from values."""
    if isinstance(node, dict):
        for k, value in node.items():
            yield from weight_paths(value, k)
    elif isinstance(node, (list, tuple)):
        for value in node:
            yield from weight_paths(value, key)
    elif isinstance(node, str) and key in WEIGHT_KEYS:
        yield key, node


def cached_or_produced_here(weights: str) -> bool:
    """A download URL, an empty placeholder, or ``work_dirs/<stem of one of our configs>/...``."""
    if weights == '' or '://' in weights:
        return True
    parts = weights.split('/')
    stems = {osp.splitext(osp.basename(p))[0] for p in CONFIGS}
    return len(parts) > 2 and parts[0] == 'work_dirs' and parts[1] in stems


def data_roots(cfg):
    """Per loader, the data roots of its data set (of each part of a ConcatDataset, e.g. labelled + unlabelled)."""
    roots = {}
    for name in ('train_dataloader', 'val_dataloader'):
        dataset = cfg.get(name, {}).get('dataset')
        if dataset is not None:
            roots[name] = {part.get('data_root') for part in dataset.get('datasets', [dataset])}
    return roots


def test_configs_found():
    methods = {osp.basename(osp.dirname(p)) for p in CONFIGS}
    assert {'sdn', 'bat', 'demo'} <= methods


@pytest.mark.parametrize('path', CONFIGS, ids=IDS)
def test_config_names_the_entry_of_its_scope(path):
    cfg = Config.fromfile(path)
    scope = cfg.get('default_scope')
    assert scope in SCOPE_ENTRIES, f'default_scope must be one of {tuple(SCOPE_ENTRIES)}'
    imports = cfg.get('custom_imports', {})
    assert SCOPE_ENTRIES[scope] in imports.get('imports', []), \
        f"custom_imports must name {SCOPE_ENTRIES[scope]!r} (the entry of scope {scope!r})"
    assert imports.get('allow_failed_imports') is False


@pytest.mark.parametrize('path', CONFIGS, ids=IDS)
def test_paper_config_keeps_upstream_weights_and_data(path):
    """Weights are the baseline's own (download URLs mmengine caches) or none; data roots are the baseline's."""
    base = upstream_base(path)
    if base is None:
        pytest.skip('not derived from an upstream baseline config (toy config on embedded data)')
    cfg, upstream = Config.fromfile(path), get_config(base)
    local = [(k, v) for k, v in weight_paths(cfg.to_dict()) if not cached_or_produced_here(v)]
    assert not local, ('weights must come from the baseline, a URL mmengine caches, or the work dir of another '
                       f'mmext config (a pretraining run feeding its benchmarks), not local paths: {local}')
    assert data_roots(cfg) == data_roots(upstream), f'data roots must stay those of {base}'


@pytest.mark.parametrize('path', CONFIGS, ids=IDS)
def test_config_hooks_are_registered(path):
    cfg = Config.fromfile(path)
    hooks = __import__(f'{cfg.default_scope}.registry', fromlist=['HOOKS']).HOOKS
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        missing = [h['type'] for h in cfg.get('custom_hooks', []) if hooks.get(h['type']) is None]
    assert not missing


def _segmentor_cfg(model_cfg):
    """The segmentor inside a model config: itself, or the student/teacher config of a semi-supervised wrapper."""
    return model_cfg.get('segmentor', model_cfg)


def _emotion_inputs(model_cfg, batch=2, frames=20):
    """Random features of every modality the regressor encodes: (B, T, D) sequences, (B, D) vectors."""
    inputs = {}
    for name, encoder in model_cfg.encoders.items():
        shape = (batch, frames, encoder.in_dim) if encoder.type == 'SeqLSTMEncoder' else (batch, encoder.in_dim)
        inputs[name] = torch.randn(*shape)
    return inputs


def _forward(model, cfg):
    scope = cfg.default_scope
    if scope == 'mmseg':
        out = model(torch.rand(1, 3, TINY, TINY), mode='tensor')
        assert out.shape[:2] == (1, _segmentor_cfg(cfg.model).decode_head.num_classes)
        return out
    if scope == 'mmpretrain':
        backbone = cfg.model.get('backbone', {})
        size, channels = backbone.get('img_size', TINY), backbone.get('in_channels', 3)
        return model(torch.rand(1, channels, size, size), mode='tensor')
    if scope == 'mmext':
        out = model(_emotion_inputs(cfg.model), mode='tensor')
        assert out.shape == (2, len(cfg.model.head.targets))
        return out
    raise NotImplementedError(f'no tiny forward known for scope {scope!r}: add one to this test')


def _shrink(cfg):
    """ViT-style backbones are built for 64 x 64 inputs (16 patches of 16 x 16) to keep ViT-B cheap."""
    backbone = _segmentor_cfg(cfg.model).get('backbone')
    if backbone is not None and backbone.get('img_size', 0) > TINY:
        backbone.img_size = TINY


# model config (as built here) -> the config whose test built and ran it. Leaves that differ only in their data and
# schedule (split lists, epochs) share one model: it is built and run once, the others are skipped naming that one.
BUILT_MODELS = {}


@pytest.mark.parametrize('path', CONFIGS, ids=IDS)
def test_config_builds_and_forwards(path):
    cfg = Config.fromfile(path)
    model_cfg = cfg.model
    offline(model_cfg)
    _shrink(cfg)
    key = json.dumps([cfg.default_scope, model_cfg.to_dict()], sort_keys=True, default=repr)
    if key in BUILT_MODELS:
        pytest.skip(f'same model as {BUILT_MODELS[key]}, built and run there')
    registry = __import__(f'{cfg.default_scope}.registry', fromlist=['MODELS']).MODELS
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        model = registry.build(model_cfg.to_dict())
        model.eval()
        with torch.no_grad():
            out = _forward(model, cfg)
    tensors = out if isinstance(out, (tuple, list)) else [out]
    assert all(torch.isfinite(t).all() for t in tensors if isinstance(t, torch.Tensor))
    BUILT_MODELS[key] = osp.relpath(path, osp.join(REPO_ROOT, 'configs'))
