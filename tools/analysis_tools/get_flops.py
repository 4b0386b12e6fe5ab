"""FLOPs and parameters of the model of an mmpretrain or mmseg config, attention included.

    python tools/analysis_tools/get_flops.py CONFIG [--shape H [W]] [--cfg-options key=value ...]

The host library is chosen by the config's ``default_scope``. mmpretrain models are counted through
``extract_feat`` (backbone and neck, like mmpretrain's own tool: the numbers ViT papers quote); mmseg segmentors
whole, after their data preprocessor (like mmseg's tool). Counting uses :func:`mmext.utils.count_flops`, which adds
to mmengine's counter ``scaled_dot_product_attention`` (mmengine alone drops it: 0.36 G of DeiT-S's 4.6 G) and
mmext's semantic difference convolution of the SDN neck (``sdc`` and ``sdc_gate`` in the breakdown, whether or not
the compiled extension is built). One multiply-add counts as one FLOP, as in mmengine and in the papers' "GFLOPs".
"""
import argparse

import torch
from mmengine.config import Config, DictAction
from mmengine.model import revert_sync_batchnorm
from mmengine.registry import init_default_scope

from mmext.utils import count_flops


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Count the FLOPs and parameters of the model of a config')
    parser.add_argument('config', help='config file path')
    parser.add_argument('--shape', type=int, nargs='+', default=[224, 224], help='input image size: H [W]')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config, e.g. model.backbone.keep_rate=0.5')
    return parser.parse_args(argv)


def _input_shape(shape) -> tuple:
    if len(shape) not in (1, 2):
        raise ValueError(f'--shape takes H or H W, got {shape}')
    return (3, shape[0], shape[-1])


def _pretrain_model_and_inputs(cfg: Config, input_shape: tuple):
    from mmpretrain.registry import MODELS
    model = MODELS.build(cfg.model)
    if not hasattr(model, 'extract_feat'):
        raise NotImplementedError(f'{type(model).__name__} has no extract_feat; only classifiers are supported.')
    model.forward = model.extract_feat
    return model, (torch.rand(1, *input_shape), )


def _seg_model_and_inputs(cfg: Config, input_shape: tuple):
    from mmseg.registry import MODELS
    from mmseg.structures import SegDataSample
    model = revert_sync_batchnorm(MODELS.build(cfg.model))
    if getattr(model, 'auxiliary_head', None) is not None:
        model.auxiliary_head = None  # training-only branch
    meta = dict(ori_shape=input_shape[1:], pad_shape=input_shape[1:], img_shape=input_shape[1:])
    image = torch.randint(0, 256, input_shape, dtype=torch.uint8)
    data = model.data_preprocessor(dict(inputs=[image], data_samples=[SegDataSample(metainfo=meta)]))
    return model, (data['inputs'], )


BUILDERS = {'mmpretrain': _pretrain_model_and_inputs, 'mmseg': _seg_model_and_inputs}


def get_flops(cfg: Config, shape=(224, 224)) -> dict:
    """Build the model of ``cfg`` and count it on one random image.

    Args:
        cfg (Config): loaded config (its ``custom_imports`` already ran).
        shape (Sequence[int]): H or (H, W).

    Returns:
        dict: ``flops``, ``params``, ``flops_str``, ``params_str``, ``by_operator`` (see
        :func:`mmext.utils.count_flops`) plus ``input_shape`` and ``scope``.
    """
    scope = cfg.get('default_scope')
    if scope not in BUILDERS:
        raise ValueError(f"default_scope={scope!r}: get_flops counts configs with default_scope 'mmpretrain' or "
                         "'mmseg'; set it in the config or pass --cfg-options default_scope=mmpretrain.")
    init_default_scope(scope)
    input_shape = _input_shape(shape)
    model, inputs = BUILDERS[scope](cfg, input_shape)
    model.eval()
    result = count_flops(model, inputs=inputs)
    result.update(input_shape=input_shape, scope=scope)
    return result


def main(argv=None) -> None:
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    result = get_flops(cfg, args.shape)
    counted = 'backbone + neck (extract_feat)' if result['scope'] == 'mmpretrain' else 'whole segmentor'
    split_line = '=' * 30
    print(f'{split_line}\nInput shape: {result["input_shape"]}\nCounted: {counted}\n'
          f'Flops: {result["flops"] / 1e9:.3f} GFLOPs ({result["flops_str"]}; 1 multiply-add = 1 FLOP)\n'
          f'Params: {result["params_str"]}\n'
          f'By operator (G): ' + ', '.join(f'{k} {v / 1e9:.3f}' for k, v in sorted(result['by_operator'].items())) +
          f'\n{split_line}')


if __name__ == '__main__':
    main()
