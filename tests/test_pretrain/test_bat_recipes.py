"""Settings of the BAT ImageNet configs that the paper leaves open follow EViT's scripts, and the DeiT-T keep rate
matches the paper's FLOP claim (docs/bat.md, section 4; configs/bat/README.md)."""
import os.path as osp

import pytest
from mmengine.config import Config
from mmpretrain.registry import MODELS

from mmext.utils import count_flops

BAT_CONFIGS = osp.join(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))), 'configs', 'bat')
DEIT_S_T = [
    'bat_deit-small-kr0.7_8xb256-300e_in1k', 'bat_deit-small-kr0.7_4xb256-30e-ft_in1k',
    'bat_deit-small-kr0.4_4xb256-30e-ft_in1k', 'bat_deit-tiny-kr0.7_8xb256-300e_in1k',
    'bat_deit-tiny-kr0.7_4xb256-30e-ft_in1k', 'evit_deit-small-kr0.7_4xb256-30e-ft_in1k',
    'tome_deit-small-kr0.7_4xb256-30e-ft_in1k'
]


def load(name: str) -> Config:
    return Config.fromfile(osp.join(BAT_CONFIGS, f'{name}.py'))


@pytest.mark.parametrize('name', DEIT_S_T)
def test_drop_path_and_no_ema_as_evit(name):
    """EViT's main.py: drop path 0.1 (scratch and fine-tune); its EMA copy is never the reported model."""
    cfg = load(name)
    assert cfg.model.backbone.drop_path_rate == 0.1
    assert not any(hook['type'] == 'EMAHook' for hook in cfg.get('custom_hooks', []))


def test_deit_tiny_keep_rate_for_the_papers_flop_saving():
    """The paper: DeiT-T at 0.8 GFLOPs, about 40 % fewer than DeiT-T (keep rate 0.7 saves 35 %)."""
    flops = {}
    for name, backbone in (('deit', dict(type='VisionTransformer', arch='deit-tiny')),
                           ('bat', load('bat_deit-tiny-kr0.65_8xb256-300e_in1k').model.backbone)):
        model = MODELS.build(backbone)
        model.eval()
        flops[name] = count_flops(model, (3, 224, 224))['flops']
    assert 1 - flops['bat'] / flops['deit'] == pytest.approx(0.40, abs=0.01)
