"""Cost of one AugSeg training step against one supervised step of the same segmentor, measured side by side.

    python tools/benchmarks/bench_semi_step.py                      # CPU: DeepLabV3+ on ResNet-18, 4 + 4 at 128^2
    python tools/benchmarks/bench_semi_step.py --device cuda --depth 101 --size 513 --batch 8   # AugSeg's VOC step

Supervised step: the segmentor's own ``train_step`` on N labelled images (mmseg's ``EncoderDecoder.loss``, SGD).
AugSeg step: ``AugSeg.train_step`` on N labelled + N unlabelled images (teacher forward on the weak view, strong
augmentation, adaptive CutMix, one student forward on 2N images, backward, SGD); the EMA update of the hook is timed
with it. Augmentation share: the time inside ``strong_view`` and the CutMix (sampling + mixing) over the AugSeg step.
Both steps start from already preprocessed batches (the data pipeline is excluded from both).

Each round times one supervised and one AugSeg step, alternating, after --warmup rounds; the medians are reported
and the ratio is the ratio of the medians. Random weights; SyncBN is replaced by BN (one process).
"""
import argparse
import statistics
import time
from contextlib import ExitStack, contextmanager
from typing import Callable, Dict, List, Tuple
from unittest import mock

import torch
from mmengine.optim import OptimWrapper
from mmengine.registry import init_default_scope
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

import mmext.seg  # noqa: F401  (registers AugSeg)
from mmext.seg.engine.hooks import ema_update_
from mmext.seg.models.segmentors import augseg as augseg_module


def segmentor_cfg(depth: int, size: int, num_classes: int) -> Dict:
    """DeepLabV3+ at output stride 16, as the AugSeg configs (deep stem, multi-grid, ASPP 6/12/18, 256 channels)."""
    norm = dict(type='BN', requires_grad=True)
    base = 64 if depth >= 50 else 16
    last = base * 8 * (4 if depth >= 50 else 1)
    return dict(
        type='EncoderDecoder',
        data_preprocessor=dict(type='SegDataPreProcessor', mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375],
                               bgr_to_rgb=True, pad_val=0, seg_pad_val=255, size=(size, size)),
        backbone=dict(type='ResNetV1c', depth=depth, stem_channels=2 * base, base_channels=base,
                      strides=(1, 2, 2, 1), dilations=(1, 1, 1, 2), multi_grid=(2, 4, 8), norm_cfg=norm),
        decode_head=dict(type='DepthwiseSeparableASPPHead', in_channels=last, in_index=3, channels=256 if depth >= 50
                         else 32, dilations=(1, 6, 12, 18), c1_in_channels=last // 8, c1_channels=48,
                         dropout_ratio=0.0, num_classes=num_classes, norm_cfg=norm, align_corners=True))


def batch(num: int, size: int, num_classes: int, labelled: bool, gen: torch.Generator) -> Dict:
    inputs = [torch.randint(0, 256, (3, size, size), generator=gen, dtype=torch.uint8) for _ in range(num)]
    samples = []
    for _ in range(num):
        sample = SegDataSample(metainfo=dict(img_shape=(size, size), ori_shape=(size, size)))
        if labelled:
            sample.gt_sem_seg = PixelData(data=torch.randint(0, num_classes, (1, size, size), generator=gen))
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)


class Stopwatch:
    """Accumulates the time spent in wrapped calls (synchronising the device around each)."""

    def __init__(self, sync: Callable[[], None]) -> None:
        self.sync = sync
        self.total = 0.0

    def wrap(self, fn: Callable) -> Callable:

        def timed(*args, **kwargs):
            self.sync()
            start = time.perf_counter()
            out = fn(*args, **kwargs)
            self.sync()
            self.total += time.perf_counter() - start
            return out

        return timed


@contextmanager
def timer(sync: Callable[[], None], out: List[float]):
    sync()
    start = time.perf_counter()
    yield
    sync()
    out.append(time.perf_counter() - start)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--depth', type=int, default=18, choices=(18, 50, 101))
    parser.add_argument('--size', type=int, default=128, help='crop side')
    parser.add_argument('--batch', type=int, default=4, help='N labelled (= N unlabelled) images per step')
    parser.add_argument('--num-classes', type=int, default=21)
    parser.add_argument('--rounds', type=int, default=5)
    parser.add_argument('--warmup', type=int, default=1)
    args = parser.parse_args(argv)

    init_default_scope('mmseg')
    device = torch.device(args.device)
    sync = torch.cuda.synchronize if device.type == 'cuda' else (lambda: None)
    torch.manual_seed(0)
    seg = segmentor_cfg(args.depth, args.size, args.num_classes)
    supervised = MODELS.build(seg).to(device).train()
    semi = MODELS.build(dict(type='AugSeg', segmentor=seg)).to(device).train()
    sup_optim = OptimWrapper(torch.optim.SGD(supervised.parameters(), lr=1e-3, momentum=0.9))
    semi_optim = OptimWrapper(torch.optim.SGD(semi.student.parameters(), lr=1e-3, momentum=0.9))

    aug_watch = Stopwatch(sync)
    semi.strong_view = aug_watch.wrap(semi.strong_view)
    # AugSeg.unsup_views looks both CutMix functions up in its module at call time: time them there, for this run.
    with ExitStack() as patches:
        for name in ('sample_adaptive_cutmix', 'adaptive_label_injecting_cutmix'):
            patches.enter_context(mock.patch.object(augseg_module, name, aug_watch.wrap(getattr(augseg_module, name))))
        sup_t, semi_t, aug_t = measure(args, supervised, semi, sup_optim, semi_optim, aug_watch, sync)
    print(f'device {args.device}, DeepLabV3+ R{args.depth} (OS16), crop {args.size}, {args.batch} labelled + '
          f'{args.batch} unlabelled per step, {args.rounds} rounds (median):')
    print(f'  supervised step       {sup_t * 1e3:9.1f} ms')
    print(f'  AugSeg step           {semi_t * 1e3:9.1f} ms   = {semi_t / sup_t:.2f} x supervised')
    print(f'  augmentation in step  {aug_t * 1e3:9.1f} ms   = {100 * aug_t / semi_t:.1f} % of the AugSeg step')


def measure(args, supervised, semi, sup_optim, semi_optim, aug_watch, sync) -> Tuple[float, float, float]:
    """Median times of the supervised step, the AugSeg step (+ EMA) and the augmentation inside it."""
    gen = torch.Generator().manual_seed(0)
    sup_data = batch(args.batch, args.size, args.num_classes, True, gen)
    unsup_data = batch(args.batch, args.size, args.num_classes, False, gen)
    semi_data = dict(
        inputs=dict(sup=sup_data['inputs'] + [None] * args.batch, unsup=[None] * args.batch + unsup_data['inputs']),
        data_samples=dict(sup=sup_data['data_samples'] + [None] * args.batch,
                          unsup=[None] * args.batch + unsup_data['data_samples']))

    sup_times, semi_times, aug_times = [], [], []
    for round_idx in range(args.warmup + args.rounds):
        keep = round_idx >= args.warmup
        times: List[float] = []
        with timer(sync, times):
            supervised.train_step(batch_copy(sup_data), sup_optim)
        aug_watch.total = 0.0
        with timer(sync, times):
            semi.train_step(batch_copy(semi_data), semi_optim)
            ema_update_(semi.teacher, semi.student, 0.999)
        if keep:
            sup_times.append(times[0])
            semi_times.append(times[1])
            aug_times.append(aug_watch.total)

    return tuple(statistics.median(t) for t in (sup_times, semi_times, aug_times))


def batch_copy(data: Dict) -> Dict:
    """train_step writes into the data samples (padding); give each step fresh ones."""

    def copy(item):
        if isinstance(item, dict):
            return {k: copy(v) for k, v in item.items()}
        if isinstance(item, list):
            return [copy(v) for v in item]
        return item.clone() if isinstance(item, (torch.Tensor, SegDataSample)) else item

    return copy(data)


if __name__ == '__main__':
    main()
