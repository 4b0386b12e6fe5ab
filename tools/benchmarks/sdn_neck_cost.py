"""Parameters and multiply-adds that the SDN neck adds to each segmentor of ``configs/sdn``.

The neck is the only difference between an SDN config and its mmseg baseline, so Δparams = the neck's parameters and
ΔFLOPs = the neck's FLOPs. FLOPs are counted by mmext's counter (:func:`mmext.utils.flop_analyzer`, the one
``tools/analysis_tools/get_flops.py`` uses; one multiply-add = one FLOP) on the SDN neck alone, traced on CPU with
random inputs of the shapes the backbone gives at the config's crop size (found on the ``meta`` device, without
computing the backbone). The SDC is counted as its 3×3 weighted sum (``sdc``) plus
its gate (``sdc_gate``, see :func:`mmext.utils.flops.sdc_flop_jit`); convolutions, norms and resizes as mmengine
counts them. ::

    python tools/benchmarks/sdn_neck_cost.py configs/sdn/sdn-*.py
"""
import argparse
import copy
import os.path as osp
import sys

import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from mmseg.registry import MODELS  # noqa: E402

from mmext.utils import flop_analyzer  # noqa: E402


def neck_cost(config: str) -> dict:
    """Cost of the SDN neck of an SDN config at its crop size.

    Returns:
        dict: ``total_params`` (whole model), ``params`` (SDN neck), ``flops`` (SDN neck), ``by_operator`` (dict
        op -> FLOPs of the neck) and ``crop`` (H, W).
    """
    cfg = Config.fromfile(config)
    model_cfg = cfg.model.to_dict()
    model_cfg['pretrained'] = None
    model_cfg['backbone'].pop('init_cfg', None)
    init_default_scope(cfg.default_scope)
    model = MODELS.build(model_cfg)
    model.eval()
    crop = tuple(cfg.get('crop_size', (512, 512)))
    # Shapes of the SDN neck's own inputs (it may follow another neck inside a SequentialNeck), found on meta.
    meta_model = copy.deepcopy(model).to('meta')
    captured = []
    meta_sdn = [m for m in meta_model.neck.modules() if type(m).__name__ == 'SDNNeck'][0]
    meta_sdn.register_forward_pre_hook(lambda module, args: captured.append([x.shape for x in args[0]]))
    with torch.no_grad():
        meta_model.neck(meta_model.backbone(torch.empty(1, 3, *crop, device='meta')))
    sdn = [m for m in model.neck.modules() if type(m).__name__ == 'SDNNeck'][0]
    analyzer = flop_analyzer(sdn, (tuple(torch.randn(shape) for shape in captured[0]), ))
    return dict(
        total_params=sum(p.numel() for p in model.parameters()),
        params=sum(p.numel() for p in sdn.parameters()),
        flops=analyzer.total(),
        by_operator=dict(analyzer.by_operator()),
        crop=crop)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('configs', nargs='+')
    args = parser.parse_args(argv)
    print('| config | crop | model params (M) | SDN params (M) | Δparams | SDN GFLOPs | of which SDC (+ gate) |')
    print('|---|---|---|---|---|---|---|')
    for config in args.configs:
        cost = neck_cost(config)
        total, params, crop = cost['total_params'], cost['params'], cost['crop']
        sdc, gate = cost['by_operator'].get('sdc', 0), cost['by_operator'].get('sdc_gate', 0)
        print(f'| {osp.basename(config)} | {crop[0]}×{crop[1]} | {total / 1e6:.1f} | {params / 1e6:.2f} | '
              f'+{100 * params / (total - params):.1f}% | {cost["flops"] / 1e9:.3g} | '
              f'{sdc / 1e9:.3g} (+ {gate / 1e9:.2g}) |')


if __name__ == '__main__':
    main()
