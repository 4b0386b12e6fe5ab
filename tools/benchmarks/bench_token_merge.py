"""Inference throughput of DeiT and its token-reduced variants (BAT, EViT mode, ToMe mode) measured in one run.

    python tools/benchmarks/bench_token_merge.py [--arch deit-small] [--keep-rate 0.7] [--batch 32] [--rounds 12]

All four backbones share one set of random weights and the same code path (mmpretrain's ``VisionTransformer``
for DeiT, :class:`mmext.pretrain.models.BATViT` with ``mode='bat' | 'evit' | 'tome'`` at the same keep rate and
reducing layers, so their FLOPs match to within 1 %). Timing is interleaved: each round runs one batch of every model
in turn, so a change of machine load affects all of them alike; the first ``--warmup`` rounds are discarded. Reported
per model: images/s of the median round and of the fastest round (the least disturbed by other processes on a shared
machine), each also as a ratio to DeiT. GFLOPs come from :func:`mmext.utils.count_flops`
(attention included, 1 multiply-add = 1 FLOP). Eval mode, ``no_grad``; ``--dtype bf16`` / ``fp16`` use autocast.
"""
import argparse
import statistics
import time
from typing import Callable, Dict, Tuple

import torch
from mmengine.registry import init_default_scope
from mmpretrain.registry import MODELS

import mmext.pretrain  # noqa: F401  (registers BATViT)
from mmext.utils import count_flops

DTYPES = {'fp32': None, 'bf16': torch.bfloat16, 'fp16': torch.float16}


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Throughput of DeiT vs BAT / EViT / ToMe token reduction')
    parser.add_argument('--arch', default='deit-small', help="mmpretrain ViT arch, e.g. 'deit-tiny', 'deit-small'")
    parser.add_argument('--keep-rate', type=float, default=0.7, help='keep rate rho of the reduced models')
    parser.add_argument('--reduce-layers', type=int, nargs='+', default=[3, 6, 9])
    parser.add_argument('--batch', type=int, default=32)
    parser.add_argument('--shape', type=int, default=224, help='square input size')
    parser.add_argument('--rounds', type=int, default=12, help='timed rounds (one batch per model per round)')
    parser.add_argument('--warmup', type=int, default=3, help='untimed rounds first')
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--dtype', choices=sorted(DTYPES), default='fp32')
    parser.add_argument('--threads', type=int, help='torch.set_num_threads (CPU)')
    return parser.parse_args(argv)


def build_models(arch: str, keep_rate: float, reduce_layers, shape: int) -> Dict[str, torch.nn.Module]:
    """DeiT and the three reduced variants with identical (random) weights, in eval mode."""
    deit = MODELS.build(dict(type='VisionTransformer', arch=arch, img_size=shape))
    models = {'DeiT': deit}
    for name, mode in (('BAT', 'bat'), ('EViT-mode', 'evit'), ('ToMe-mode', 'tome')):
        model = MODELS.build(
            dict(type='BATViT', arch=arch, img_size=shape, keep_rate=keep_rate, reduce_layers=reduce_layers,
                 mode=mode))
        model.load_state_dict(deit.state_dict(), strict=True)
        models[name] = model
    for model in models.values():
        model.eval()
    return models


def _timer(device: torch.device) -> Callable[[], float]:
    if device.type == 'cuda':
        return lambda: (torch.cuda.synchronize(device), time.perf_counter())[1]
    return time.perf_counter


def benchmark(models: Dict[str, torch.nn.Module], images: torch.Tensor, rounds: int, warmup: int,
              dtype=None) -> Dict[str, Tuple[float, float]]:
    """Images/s of every model over interleaved rounds.

    Args:
        models (dict[str, nn.Module]): models on ``images.device``.
        images (Tensor): one batch, [B, 3, H, W].
        rounds (int): timed rounds.
        warmup (int): untimed rounds first.
        dtype (torch.dtype, optional): autocast dtype; None runs in fp32.

    Returns:
        dict[str, tuple[float, float]]: images per second of every model in its median and its fastest round.
    """
    now = _timer(images.device)
    times = {name: [] for name in models}
    with torch.no_grad(), torch.autocast(images.device.type, dtype=dtype, enabled=dtype is not None):
        for i in range(warmup + rounds):
            for name, model in models.items():
                start = now()
                model(images)
                if i >= warmup:
                    times[name].append(now() - start)
    batch = images.shape[0]
    return {name: (batch / statistics.median(t), batch / min(t)) for name, t in times.items()}


def main(argv=None) -> None:
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    init_default_scope('mmpretrain')
    torch.manual_seed(0)
    device = torch.device(args.device)
    models = build_models(args.arch, args.keep_rate, args.reduce_layers, args.shape)
    gflops = {name: count_flops(model, (3, args.shape, args.shape))['flops'] / 1e9 for name, model in models.items()}
    tokens = {
        name: '-' if name == 'DeiT' else '/'.join(str(model.token_counts()[i]) for i in args.reduce_layers)
        for name, model in models.items()
    }
    for model in models.values():
        model.to(device)
    images = torch.randn(args.batch, 3, args.shape, args.shape, device=device)
    throughput = benchmark(models, images, args.rounds, args.warmup, DTYPES[args.dtype])

    where = torch.cuda.get_device_name(device) if device.type == 'cuda' else f'CPU, {torch.get_num_threads()} threads'
    print(f'{args.arch}, keep rate {args.keep_rate}, layers {tuple(args.reduce_layers)}, batch {args.batch}, '
          f'{args.shape}x{args.shape}, {args.dtype}, {where}, {args.rounds} interleaved rounds')
    rows = [('model', 'tokens after reduce layers', 'GFLOPs', 'images/s (median)', 'vs DeiT', 'images/s (best)',
             'vs DeiT')]
    for name in models:
        (median, best), (deit_median, deit_best) = throughput[name], throughput['DeiT']
        rows.append((name, tokens[name], f'{gflops[name]:.3f}', f'{median:.1f}', f'{median / deit_median:.2f}x',
                     f'{best:.1f}', f'{best / deit_best:.2f}x'))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    rows.insert(1, tuple('-' * w for w in widths))
    for row in rows:
        print('| ' + ' | '.join(cell.ljust(w) for cell, w in zip(row, widths)) + ' |')

if __name__ == '__main__':
    main()
