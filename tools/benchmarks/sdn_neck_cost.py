"""Parameters and multiply-accumulates that the SDN neck adds to each segmentor of ``configs/sdn``.

The neck is the only difference between an SDN config and its mmseg baseline, so Δparams = the neck's parameters and
ΔMACs = the neck's MACs. MACs are counted from layer shapes on the ``meta`` device (no computation, no weights):
convolutions as ``C_out · C_in/groups · k² · H_out · W_out``; an SDC layer as ``C_out · C_in/groups · 9 · H · W``
(its 3×3 weighted sum; the element-wise gate and differences, O(9·C·H·W), are left out, as FLOP counters leave out
activations). Norms, activations and resizes are not counted. ::

    python tools/benchmarks/sdn_neck_cost.py configs/sdn/sdn-*.py
"""
import argparse
import os.path as osp
import sys

import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.registry import init_default_scope

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from mmext.ops import SemanticDifferenceConv2d  # noqa: E402
from mmseg.registry import MODELS  # noqa: E402


def _count_macs(module: nn.Module, inputs, output) -> None:
    if isinstance(module, SemanticDifferenceConv2d):
        u = inputs[0]
        module.macs = module.out_channels * module.in_channels // module.groups * 9 * u.shape[-2] * u.shape[-1]
    elif isinstance(module, nn.Conv2d):
        module.macs = (module.out_channels * module.in_channels // module.groups * module.kernel_size[0] *
                       module.kernel_size[1] * output.shape[-2] * output.shape[-1])


def neck_cost(config: str):
    """Returns (total model params, SDN params, SDN MACs at the config's crop size, crop size)."""
    cfg = Config.fromfile(config)
    model_cfg = cfg.model.to_dict()
    model_cfg['pretrained'] = None
    model_cfg['backbone'].pop('init_cfg', None)
    init_default_scope(cfg.default_scope)
    model = MODELS.build(model_cfg)
    sdn = [m for m in model.neck.modules() if type(m).__name__ == 'SDNNeck'][0]
    crop = tuple(cfg.get('crop_size', (512, 512)))
    model.to('meta').eval()
    hooks = [m.register_forward_hook(_count_macs) for m in sdn.modules()]
    with torch.no_grad():
        model.neck(model.backbone(torch.empty(1, 3, *crop, device='meta')))
    for hook in hooks:
        hook.remove()
    total = sum(p.numel() for p in model.parameters())
    params = sum(p.numel() for p in sdn.parameters())
    macs = sum(getattr(m, 'macs', 0) for m in sdn.modules())
    return total, params, macs, crop


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('configs', nargs='+')
    args = parser.parse_args(argv)
    print('| config | crop | model params (M) | SDN params (M) | Δparams | SDN GMACs |')
    print('|---|---|---|---|---|---|')
    for config in args.configs:
        total, params, macs, crop = neck_cost(config)
        print(f'| {osp.basename(config)} | {crop[0]}×{crop[1]} | {total / 1e6:.1f} | {params / 1e6:.2f} | '
              f'+{100 * params / (total - params):.1f}% | {macs / 1e9:.3g} |')


if __name__ == '__main__':
    main()
