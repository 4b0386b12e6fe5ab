"""CAE v2 on Fashion-MNIST: linear probe of a random-init encoder vs CAE v2 with a random teacher vs CAE v2 with
torchvision's ImageNet MobileNetV2 as teacher, several seeds, plus the teachers' own probes as reference rows.

For each seed: pre-train the two configs (``tools/train.py``, ``--jobs`` at a time, ``OMP_NUM_THREADS=1``); take
their encoders, and the random-init encoder (the pre-training model right after ``init_weights`` with the seed);
compute each frozen encoder's probe features (CLS token after the final norm, the probe config's BEiTViT) once for
the probe's training images and the test set; train the probe config's neck and head (BatchNorm without affine +
Linear, SGD, cosine) on those cached features; report top-1 on the test set after the last epoch. The probe config
has no augmentation, so training its head on cached features is the config's probe, at a fraction of the cost (the
frozen encoder runs once instead of once per epoch). The teachers' rows probe the pooled stage features (their CLS
target) of the 56 px teacher view, divided by one global scale (their std over the training images; the cosine loss
is blind to it), with the same head and recipe.

    python tools/benchmarks/caev2_teacher_fashion_mnist.py --seeds 0 1 2 --work-dir work_dirs/caev2_fashion_mnist
    python tools/benchmarks/caev2_teacher_fashion_mnist.py --references-only   # random init + teachers, no CAE v2

Finished pre-trainings and probes are reused (``--rerun`` repeats them); the table (mean ± sample std, Δ against
the random-teacher row with an equal-variance t-test at 5 %) is printed and written to ``<work-dir>/results.md``.
"""
import argparse
import copy
import json
import os
import os.path as osp
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))  # run from a checkout

from tools.benchmarks.caev2_toy_linear_probe import pretrained_weights, random_init_weights  # noqa: E402
from tools.reproduction.report import format_mean_std, noise_statement  # noqa: E402
from tools.reproduction.runs import REPO_ROOT, last_scalars, parse_cfg_options, train  # noqa: E402

CONFIG_DIR = osp.join(REPO_ROOT, 'configs', 'cae_v2')
PRETRAIN = {
    'random teacher': osp.join(CONFIG_DIR, 'caev2_vit-mini-p4_mbv2-random-teacher_1xb128-5e_fashion-mnist-28px.py'),
    'ImageNet teacher': osp.join(CONFIG_DIR, 'caev2_vit-mini-p4_mbv2-in1k-teacher_1xb128-5e_fashion-mnist-28px.py'),
}
PROBE = osp.join(CONFIG_DIR, 'benchmarks', 'beit-mini-p4_1xb100-linear-30e_fashion-mnist-28px.py')
ROWS = ('random init', 'CAE v2, random teacher', 'CAE v2, ImageNet teacher', 'teacher alone: random MobileNetV2',
        'teacher alone: ImageNet MobileNetV2')
BASELINE = 'CAE v2, random teacher'


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--seeds', nargs='+', type=int, default=[0, 1, 2])
    parser.add_argument('--work-dir', default='work_dirs/caev2_fashion_mnist', help='one sub-folder per run')
    parser.add_argument('--data-root', default='data/fashion_mnist', help='raw Fashion-MNIST IDX files')
    parser.add_argument('--jobs', type=int, default=2, help='pre-trainings run at the same time')
    parser.add_argument('--references-only', action='store_true',
                        help='only the random-init and teacher probes (to fix the protocol before CAE v2 runs)')
    parser.add_argument('--pretrain-options', nargs='*', default=[], help='extra key=value for the pre-trainings')
    parser.add_argument('--probe-options', nargs='*', default=[], help='extra key=value for the probe config')
    parser.add_argument('--rerun', action='store_true', help='train again even if a run has finished')
    return parser.parse_args(argv)


def load_split(cfg, loader: str) -> Tuple[np.ndarray, np.ndarray]:
    """Images [N, H, W] uint8 and labels [N] of a loader's FashionMNIST dataset (its ``indices`` applied)."""
    from mmpretrain.registry import DATASETS
    dataset_cfg = dict(cfg[loader].dataset.to_dict(), pipeline=[])
    dataset = DATASETS.build(dataset_cfg)
    infos = [dataset.get_data_info(i) for i in range(len(dataset))]
    return np.stack([info['img'] for info in infos]), np.array([int(info['gt_label']) for info in infos])


@torch.no_grad()
def encoder_features(model, images: np.ndarray, batch_size: int = 500) -> torch.Tensor:
    """The probe model's backbone output (CLS token after the final norm) for grey images, [N, D]."""
    model.eval()
    out = []
    for start in range(0, len(images), batch_size):
        batch = torch.from_numpy(images[start:start + batch_size])[:, None]
        inputs = model.data_preprocessor({'inputs': batch, 'data_samples': None})['inputs']
        out.append(model.backbone(inputs)[-1])
    return torch.cat(out)


@torch.no_grad()
def teacher_features(teacher, images: np.ndarray, size: int, batch_size: int = 500) -> torch.Tensor:
    """The teacher's CLS target (pooled stage features) of the images resized to ``size`` as the pre-training's
    teacher view is (mmcv bicubic), [N, C]."""
    import mmcv
    out = []
    for start in range(0, len(images), batch_size):
        batch = np.stack([mmcv.imresize(img, (size, size), interpolation='bicubic')
                          for img in images[start:start + batch_size]])
        out.append(teacher(torch.from_numpy(batch)[:, None].float())[0][:, 0])
    return torch.cat(out)


def train_probe(neck, head, train_feats: torch.Tensor, train_labels: np.ndarray, test_feats: torch.Tensor,
                test_labels: np.ndarray, epochs: int, batch_size: int, lr: float, momentum: float,
                seed: int) -> float:
    """Train ``head(neck(f))`` with SGD (momentum, no weight decay, cosine to 0 per iteration, the last partial
    batch dropped) on cached features; top-1 (%) on the test features after the last epoch."""
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    head.init_weights()
    params = [p for p in (*neck.parameters(), *head.parameters()) if p.requires_grad]
    optimizer = torch.optim.SGD(params, lr=lr, momentum=momentum, weight_decay=0.)
    steps_per_epoch = len(train_feats) // batch_size
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs * steps_per_epoch, eta_min=0.)
    labels = torch.from_numpy(np.asarray(train_labels)).long()
    neck.train()
    head.train()
    for _ in range(epochs):
        order = torch.randperm(len(train_feats), generator=gen)
        for step in range(steps_per_epoch):
            index = order[step * batch_size:(step + 1) * batch_size]
            logits = head((neck((train_feats[index], ))[-1], ))
            loss = torch.nn.functional.cross_entropy(logits, labels[index])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
    neck.eval()
    head.eval()
    with torch.no_grad():
        predictions = head((neck((test_feats, ))[-1], )).argmax(1)
    return 100.0 * float((predictions == torch.from_numpy(np.asarray(test_labels)).long()).float().mean())


class Prober:
    """The probe config's data, recipe and model, with helpers for encoders and teachers."""

    def __init__(self, probe_config: str, data_root: str, options: Sequence[str] = ()):
        from mmengine.config import Config
        from mmengine.registry import init_default_scope
        cfg = Config.fromfile(probe_config)
        overrides = [f'{loader}.dataset.data_root={data_root}' for loader in ('train_dataloader', 'val_dataloader')]
        cfg.merge_from_dict(parse_cfg_options([*overrides, *options]))
        init_default_scope(cfg.default_scope)
        self.cfg = cfg
        self.train_images, self.train_labels = load_split(cfg, 'train_dataloader')
        self.test_images, self.test_labels = load_split(cfg, 'val_dataloader')
        optimizer = cfg.optim_wrapper.optimizer
        self.recipe = dict(epochs=cfg.train_cfg.max_epochs, batch_size=cfg.train_dataloader.batch_size,
                           lr=optimizer.lr, momentum=optimizer.get('momentum', 0.))

    def build(self, weights: Optional[str] = None, feature_dim: Optional[int] = None):
        from mmpretrain.registry import MODELS
        model_cfg = copy.deepcopy(self.cfg.model)  # a shallow copy let a teacher row clear the encoders' init_cfg
        # The Runner puts the top-level data_preprocessor into the model; MODELS.build alone does not.
        model_cfg.setdefault('data_preprocessor', self.cfg.get('data_preprocessor'))
        if feature_dim is not None:  # a teacher row: only the neck and head are used
            model_cfg.neck.input_features = feature_dim
            model_cfg.head.in_channels = feature_dim
            model_cfg.backbone.init_cfg = None
        else:
            model_cfg.backbone.init_cfg.checkpoint = weights
        model = MODELS.build(model_cfg)
        model.init_weights()
        return model

    def encoder(self, weights: str, seed: int) -> float:
        model = self.build(weights)
        train_feats = encoder_features(model, self.train_images)
        test_feats = encoder_features(model, self.test_images)
        return train_probe(model.neck, model.head, train_feats, self.train_labels, test_feats, self.test_labels,
                           seed=seed, **self.recipe)

    def teacher(self, teacher, size: int, seed: int) -> float:
        train_feats = teacher_features(teacher, self.train_images, size)
        test_feats = teacher_features(teacher, self.test_images, size)
        # One global scale, which CAE v2's cosine loss never sees: a random MobileNetV2's stage features are ~1e-6,
        # below the probe BatchNorm's eps, which would otherwise flatten them.
        scale = train_feats.std().clamp_min(1e-30)
        train_feats, test_feats = train_feats / scale, test_feats / scale
        model = self.build(feature_dim=train_feats.shape[1])
        return train_probe(model.neck, model.head, train_feats, self.train_labels, test_feats, self.test_labels,
                           seed=seed, **self.recipe)


def teacher_from_checkpoint(config: str, weights: Optional[str]):
    """The frozen teacher of a pre-training config; with ``weights``, its tensors from that saved state dict (the
    random teacher a run actually used), else ``init_weights`` (the ImageNet file)."""
    from mmengine.config import Config
    from mmpretrain.registry import MODELS
    teacher = MODELS.build(Config.fromfile(config).model.target_generator)
    if weights is None:
        teacher.init_weights()
    else:
        state = torch.load(weights, map_location='cpu', weights_only=True)['state_dict']
        prefix = 'target_generator.'
        teacher.load_state_dict({k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}, strict=True)
    return teacher


def teacher_view_size(config: str) -> int:
    from mmengine.config import Config
    crops = [t for t in Config.fromfile(config).train_pipeline
             if t['type'] == 'RandomResizedCropAndInterpolationWithTwoPic']
    return int(crops[0]['second_size'])


def cached(path: str, rerun: bool, compute) -> float:
    """A probe's top-1 from ``path`` (JSON), or computed and stored there."""
    if osp.isfile(path) and not rerun:
        with open(path) as f:
            return json.load(f)['top1']
    start = time.process_time()
    value = compute()
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        json.dump({'top1': value, 'cpu_seconds': time.process_time() - start}, f)
    return value


def table(results: Dict[str, List[float]], seeds: Sequence[int]) -> List[str]:
    lines = [f'| encoder | {" | ".join(f"seed {s}" for s in seeds)} | mean ± std (top-1, %) | Δ vs {BASELINE} |',
             '|' + '---|' * (len(seeds) + 3)]
    for row in ROWS:
        values = results.get(row, [])
        if not values:
            continue
        delta = '–' if row == BASELINE or BASELINE not in results else noise_statement(values, results[BASELINE])
        lines.append(f'| {row} | {" | ".join(f"{v:.2f}" for v in values)} | {format_mean_std(values, 2)} | '
                     f'{delta} |')
    return lines


def main(argv=None) -> None:
    args = parse_args(argv)
    work_dir = osp.abspath(args.work_dir)
    data = [f'train_dataloader.dataset.data_root={args.data_root}']
    prober = Prober(PROBE, args.data_root, args.probe_options)
    size = teacher_view_size(PRETRAIN['ImageNet teacher'])
    results = {row: [] for row in ROWS}

    def pretrain(job):
        name, seed = job
        run_dir = osp.join(work_dir, 'pretrain', name.split()[0].lower(), f'seed{seed}')
        if args.rerun or last_scalars(run_dir, 'loss') is None or not osp.isfile(osp.join(run_dir, 'last_checkpoint')):
            train(PRETRAIN[name], run_dir, [f'randomness.seed={seed}', *data, *args.pretrain_options])
        weights = osp.join(run_dir, 'encoder.pth')
        if args.rerun or not osp.isfile(weights):
            pretrained_weights(run_dir, weights)
        return weights

    runs = {}
    if not args.references_only:
        jobs = [(name, seed) for seed in args.seeds for name in PRETRAIN]
        with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            runs = dict(zip(jobs, pool.map(pretrain, jobs)))
    imagenet_teacher = teacher_from_checkpoint(PRETRAIN['ImageNet teacher'], None)
    for seed in args.seeds:
        probe_dir = osp.join(work_dir, 'probe')
        random_weights = osp.join(work_dir, 'random', f'seed{seed}.pth')
        if not osp.isfile(random_weights):
            os.makedirs(osp.dirname(random_weights), exist_ok=True)
            random_init_weights(PRETRAIN['random teacher'], seed, random_weights)
        results['random init'].append(cached(osp.join(probe_dir, 'random_init', f'seed{seed}.json'), args.rerun,
                                             lambda: prober.encoder(random_weights, seed)))
        results['teacher alone: ImageNet MobileNetV2'].append(cached(
            osp.join(probe_dir, 'teacher_imagenet', f'seed{seed}.json'), args.rerun,
            lambda: prober.teacher(imagenet_teacher, size, seed)))
        # The random teacher of the seed's run (from its checkpoint), or one built with the seed before any run.
        source = runs.get(('random teacher', seed)) or random_weights
        results['teacher alone: random MobileNetV2'].append(cached(
            osp.join(probe_dir, 'teacher_random', f'seed{seed}.json'), args.rerun,
            lambda: prober.teacher(teacher_from_checkpoint(PRETRAIN['random teacher'], source), size, seed)))
        for name in PRETRAIN:
            if (name, seed) in runs:
                row = f'CAE v2, {name}'
                results[row].append(cached(osp.join(probe_dir, name.split()[0].lower(), f'seed{seed}.json'),
                                           args.rerun, lambda: prober.encoder(runs[(name, seed)], seed)))
        print(f'seed {seed}: ' + ', '.join(f'{row} {values[-1]:.2f}' for row, values in results.items() if values),
              flush=True)
    lines = table(results, args.seeds)
    print('\n'.join(lines))
    with open(osp.join(work_dir, 'results.md'), 'w') as f:
        f.write('\n'.join(lines) + '\n')


if __name__ == '__main__':
    main()
