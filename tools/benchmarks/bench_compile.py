"""Training-step time of the toy SDN segmentor and the toy BAT classifier, eager against ``torch.compile``.

    python tools/benchmarks/bench_compile.py                        # both toy models at their configs' batch, CPU
    python tools/benchmarks/bench_compile.py --models sdn --device cuda --batch 16
    python tools/benchmarks/bench_compile.py --backend aot_eager    # Dynamo + AOTAutograd without code generation

Models (random weights): ``configs/sdn/sdn-fcn_r18-w16-d8_1xb8-600iter_synthetic-128x128.py`` (FCN R-18 w16 with
one SDN block: its SDC is the operator ``mmext::sdc``) and ``configs/bat/bat_vit-tiny-p4-kr0.7_1xb64-30e_synthetic-
shapes-32px.py`` (6-layer BATViT reducing tokens at two layers), each with its config's optimizer wrapper.

Step: ``model(inputs, data_samples, mode='loss')``, the loss sum, backward and the optimizer step on one batch
that the data preprocessor has already prepared (random images and labels; the data pipeline is not timed). The
compiled step runs the same with ``torch.compile(model)`` (the forward, and through AOTAutograd the backward, are
compiled; the optimizer step stays eager). Eager and compiled copies start from the same weights and step in
alternation, ``--warmup`` rounds first (the first compiled step compiles; its time is printed separately), then the
medians of ``--steps`` rounds and their ratio. Graphs and graph breaks are Dynamo's counts for the compiled model.
"""
import argparse
import copy
import os.path as osp
import statistics
import time
from typing import Callable, Dict, List, Optional, Tuple

import torch
from mmengine.config import Config, DictAction
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope
from mmengine.structures import PixelData

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = dict(
    sdn='configs/sdn/sdn-fcn_r18-w16-d8_1xb8-600iter_synthetic-128x128.py',
    bat='configs/bat/bat_vit-tiny-p4-kr0.7_1xb64-30e_synthetic-shapes-32px.py')


def build(name: str, device: torch.device, size: Optional[int] = None,
          cfg_options: Optional[Dict] = None) -> Tuple[torch.nn.Module, Config]:
    """The toy model of ``name`` (random weights, train mode) and its config; ``size`` overrides the input side."""
    cfg = Config.fromfile(osp.join(REPO, CONFIGS[name]))
    cfg.merge_from_dict(cfg_options or {})
    if name == 'sdn':
        from mmseg.registry import MODELS

        import mmext.seg  # noqa: F401  (the config's custom_imports)
        init_default_scope('mmseg')
        cfg.model.pretrained = None
        if size:
            cfg.model.data_preprocessor.size = (size, size)
    else:
        from mmpretrain.registry import MODELS

        import mmext.pretrain  # noqa: F401
        init_default_scope('mmpretrain')
        if size:
            cfg.model.backbone.img_size = size
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    return model.to(device).train(), cfg


def input_size(name: str, cfg: Config) -> int:
    return cfg.model.data_preprocessor.size[0] if name == 'sdn' else cfg.model.backbone.img_size


def make_batch(name: str, model: torch.nn.Module, batch: int, size: int, num_classes: int) -> Dict:
    """One preprocessed training batch of random uint8 images and labels."""
    gen = torch.Generator().manual_seed(0)
    inputs = [torch.randint(0, 256, (3, size, size), generator=gen, dtype=torch.uint8) for _ in range(batch)]
    samples = []
    for _ in range(batch):
        if name == 'sdn':
            from mmseg.structures import SegDataSample
            sample = SegDataSample(metainfo=dict(img_shape=(size, size), ori_shape=(size, size)))
            sample.gt_sem_seg = PixelData(data=torch.randint(0, num_classes, (1, size, size), generator=gen))
        else:
            from mmpretrain.structures import DataSample
            sample = DataSample().set_gt_label(int(torch.randint(0, num_classes, (), generator=gen)))
        samples.append(sample)
    return model.data_preprocessor(dict(inputs=inputs, data_samples=samples), training=True)


def train_step(forward: Callable, optim_wrapper, data: Dict) -> None:
    losses = forward(data['inputs'], data['data_samples'], mode='loss')
    loss = sum(value for key, value in losses.items() if 'loss' in key)
    optim_wrapper.update_params(loss)


def timed(sync: Callable[[], None], fn: Callable, *args) -> float:
    sync()
    start = time.perf_counter()
    fn(*args)
    sync()
    return time.perf_counter() - start


def bench(name: str, args) -> Dict:
    """Eager and compiled step medians (s), the first compiled step (s) and Dynamo's graph / break counts."""
    device = torch.device(args.device)
    sync = torch.cuda.synchronize if device.type == 'cuda' else (lambda: None)
    eager, cfg = build(name, device, args.size, args.cfg_options)
    size = input_size(name, cfg)
    num_classes = cfg.model.decode_head.num_classes if name == 'sdn' else cfg.model.head.num_classes
    batch_size = args.batch or cfg.train_dataloader.batch_size
    data = make_batch(name, eager, batch_size, size, num_classes)
    compiled_model = copy.deepcopy(eager)
    torch._dynamo.reset()
    counters = torch._dynamo.utils.counters
    counters.clear()
    steps = [(eager, build_optim_wrapper(eager, cfg.optim_wrapper)),
             (torch.compile(compiled_model, backend=args.backend), build_optim_wrapper(compiled_model,
                                                                                       cfg.optim_wrapper))]
    times: List[List[float]] = [[], []]
    first_compiled = None
    for round_idx in range(args.warmup + args.steps):
        for which, (forward, optim_wrapper) in enumerate(steps):
            seconds = timed(sync, train_step, forward, optim_wrapper, data)
            if which == 1 and first_compiled is None:
                first_compiled = seconds
            if round_idx >= args.warmup:
                times[which].append(seconds)
    return dict(
        name=name,
        batch=batch_size,
        size=size,
        eager=statistics.median(times[0]),
        compiled=statistics.median(times[1]),
        first_compiled=first_compiled,
        graphs=counters['stats']['unique_graphs'],
        breaks=sum(counters['graph_break'].values()),
        reasons=sorted({break_summary(reason) for reason in counters['graph_break']}))


def break_summary(reason: str) -> str:
    """The first line of a Dynamo graph-break reason and its explanation (e.g. which op or call)."""
    lines = [line.strip() for line in reason.splitlines()]
    explanation = next((line[len('Explanation:'):].strip() for line in lines if line.startswith('Explanation:')), '')
    return f'{lines[0]}: {explanation}' if explanation else lines[0]


def main(argv=None) -> List[Dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--models', nargs='+', default=['sdn', 'bat'], choices=sorted(CONFIGS))
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--backend', default='inductor', help='torch.compile backend')
    parser.add_argument('--batch', type=int, help='images per step (default: the config\'s train batch size)')
    parser.add_argument('--size', type=int, help='input side (default: the config\'s)')
    parser.add_argument('--steps', type=int, default=5, help='timed rounds (one eager and one compiled step each)')
    parser.add_argument('--warmup', type=int, default=2, help='untimed rounds first (the first one compiles)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, help='config overrides for every model')
    args = parser.parse_args(argv)

    results = [bench(name, args) for name in args.models]
    print(f'torch {torch.__version__}, device {args.device}, backend {args.backend}, {torch.get_num_threads()} '
          f'threads; step = forward (loss) + backward + optimizer step, median of {args.steps} after {args.warmup} '
          'warm-up rounds')
    for r in results:
        print(f"  {r['name']}: batch {r['batch']} at {r['size']}x{r['size']}: eager {r['eager'] * 1e3:.1f} ms, "
              f"compiled {r['compiled'] * 1e3:.1f} ms, eager / compiled = {r['eager'] / r['compiled']:.2f} x; "
              f"first compiled step (compilation) {r['first_compiled']:.1f} s; "
              f"{r['graphs']} graph(s), {r['breaks']} graph break(s)")
        for reason in r['reasons']:
            print(f'    break: {reason}')
    return results


if __name__ == '__main__':
    main()
