"""Paper-config fidelity of the AugSeg / iMAS configs that the generic config sweep cannot see."""
import glob
import json
import os.path as osp
import re

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmseg.registry import MODELS

import mmext.seg  # noqa: F401

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
CITYSCAPES = sorted(p for method in ('augseg', 'imas')
                    for p in glob.glob(osp.join(REPO_ROOT, 'configs', method, '*cityscapes*.py')))


def heads(cfg):
    model = cfg.model.get('segmentor', cfg.model)
    aux = model.get('auxiliary_head') or []
    return [model.decode_head, *(aux if isinstance(aux, list) else [aux])]


def test_cityscapes_configs_found():
    assert len(CITYSCAPES) >= 16


@pytest.mark.parametrize('path', CITYSCAPES, ids=[osp.basename(p) for p in CITYSCAPES])
def test_cityscapes_ohem_averages_over_kept_pixels(path):
    """The official OHEM loss is the mean over the kept pixels (docs/augseg.md, section 7), not mmseg's mean over
    labelled pixels: every head with an OHEM sampler uses KeptPixelCrossEntropyLoss."""
    for head in heads(Config.fromfile(path)):
        assert head.sampler.type == 'OHEMPixelSampler' and head.sampler.thresh == 0.7
        assert head.loss_decode.type == 'KeptPixelCrossEntropyLoss'


_BACKBONES = {}  # backbone config -> (per-block dilations of layers 3 and 4, output stride)
DEEPLAB = sorted(p for method in ('augseg', 'imas')
                 for p in glob.glob(osp.join(REPO_ROOT, 'configs', method, '*deeplabv3plus*.py')))


def official_block_dilations(blocks3, blocks4, dilate_layer3, multi_grid):
    """Per-block dilations of layers 3 and 4 in the official ResNet (torchvision's ``_make_layer``: a dilated layer's
    first block keeps the previous dilation; the official ``multi_grid=True`` multiplies by (2, 2, 4))."""
    dilation, layers = 1, []
    for dilate, grids in ((dilate_layer3, [1] * blocks3), (True, [2, 2, 4] if multi_grid else [1] * blocks4)):
        previous = dilation
        dilation *= 2 if dilate else 1
        layers.append([previous * grids[0]] + [dilation * g for g in grids[1:]])
    return layers


def official_network(name):
    """(layer 3 dilated, multi_grid) of the official run a config reproduces."""
    if name.startswith('deeplabv3plus_'):
        return False, False  # SupOnly logs of both papers: output stride 16, multi_grid False
    return '-d8_' in name, True  # AugSeg and iMAS: multi_grid True; iMAS's Cityscapes OS8 dilates layer 3 too


def test_supervised_only_config_for_every_split():
    """Both papers' tables have SupOnly rows: a supervised-only config per labelled list (U2PL's lists aside) and
    backbone (an R-101 leaf next to each R-50 leaf, which names the split)."""
    def splits(pattern):
        found = set()
        for path in glob.glob(osp.join(REPO_ROOT, 'configs', pattern)):
            match = re.search(r"^split(?:, epoch)? = '([^']+)'", open(path).read(), re.M)
            if match:
                found.add(match.group(1))
                assert osp.isfile(path.replace('_r50-', '_r101-')), f'no R-101 twin of {path}'
        return found

    semi = splits('augseg/augseg_deeplabv3plus_r50-*.py') | splits('imas/imas_deeplabv3plus_r50-*.py')
    assert len(semi - {s for s in semi if 'voc_u2pl' in s}) == 13  # classic 5, blended 4, Cityscapes 4
    assert splits('augseg/deeplabv3plus_r50-*.py') == {s for s in semi if 'voc_u2pl' not in s}
    assert splits('imas/deeplabv3plus_r50-*.py') == {s for s in semi if 'cityscapes' in s}


@pytest.mark.parametrize('path', DEEPLAB, ids=[osp.basename(p) for p in DEEPLAB])
def test_backbone_dilations_and_output_stride_are_the_official_networks(path):
    cfg = Config.fromfile(path)
    backbone = dict(cfg.model.get('segmentor', cfg.model).backbone, stem_channels=8, base_channels=4,
                    norm_cfg=dict(type='BN'), init_cfg=None)
    key = json.dumps(backbone, sort_keys=True)
    if key not in _BACKBONES:  # leaves of one base share a backbone: build it once
        with DefaultScope.overwrite_default_scope('mmseg'):
            net = MODELS.build(backbone)
        net.eval()  # mmseg's ResNet.train returns None: no chaining
        with torch.no_grad():
            size = net(torch.rand(1, 3, 64, 64))[3].shape[-1]
        _BACKBONES[key] = ([[block.conv2.dilation[0] for block in layer] for layer in (net.layer3, net.layer4)],
                           64 // size)
    dilations, output_stride = _BACKBONES[key]
    dilate_layer3, multi_grid = official_network(osp.basename(path))
    assert dilations == official_block_dilations(len(dilations[0]), len(dilations[1]), dilate_layer3, multi_grid)
    assert output_stride == (8 if dilate_layer3 else 16)


def test_official_parity_option_builds_on_a_paper_config():
    """docs/augseg.md, section 7: the deep stem and the official decoder on a shipped config, nothing else changed."""
    cfg = Config.fromfile(osp.join(REPO_ROOT, 'configs', 'augseg',
                                   'augseg_deeplabv3plus_r50-d16_2xb8+8-80e_voc-classic-92-513x513.py'))
    cfg.merge_from_dict({'model.segmentor.backbone.stem_channels': 128,
                         'model.segmentor.decode_head.type': 'DeepLabV3PlusHead'})
    segmentor = cfg.model.segmentor.to_dict()
    segmentor.update(pretrained=None)
    for part in ('backbone', 'decode_head'):
        segmentor[part]['norm_cfg'] = dict(type='BN', requires_grad=True)
    with DefaultScope.overwrite_default_scope('mmseg'):
        model = MODELS.build(dict(cfg.model.to_dict(), segmentor=segmentor)).eval()
    assert model.student.backbone.stem[6].out_channels == 128
    assert type(model.student.decode_head).__name__ == 'DeepLabV3PlusHead'
    with torch.no_grad():
        assert model(torch.rand(1, 3, 65, 65), mode='tensor').shape == (1, 21, 17, 17)  # stride-4 logits
