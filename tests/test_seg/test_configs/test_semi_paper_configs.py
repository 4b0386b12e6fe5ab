"""Paper-config fidelity of the AugSeg / iMAS configs that the generic config sweep cannot see."""
import glob
import os.path as osp

import pytest
from mmengine.config import Config

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
