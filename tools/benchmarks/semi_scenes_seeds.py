"""The semi-supervised scene protocol (``configs/augseg/README.md``): oracle, supervised only, AugSeg, iMAS and the
lambda_u = 0 control on the 64 x 64 Fashion-MNIST scene toy, several seeds, and the README's tables.

    # train what is missing (resumable: a run with its final validation is reused), two runs at a time
    python tools/benchmarks/semi_scenes_seeds.py train --fraction 16 --seeds 0 1 2 --jobs 2
    # the tables: learning curves of the supervised rows, final metrics (mean ± std), t-tests against supervised only
    python tools/benchmarks/semi_scenes_seeds.py report --fraction 16 --seeds 0 1 2
    # per-class IoU and the pseudo-labels of each finished run's teacher (tools/analysis_tools/semi_seg_stats.py)
    python tools/benchmarks/semi_scenes_seeds.py stats --fraction 16 --seeds 0 1 2

Runs live in ``<work-dir>/1-<fraction>/<arm>/seed<k>`` (the oracle in ``<work-dir>/oracle/seed<k>``, shared by both
fractions). The semi-supervised arms validate teacher and student (``mmdet.TeacherStudentValLoop``); the teacher is
their reported row.
"""
import argparse
import json
import os
import os.path as osp
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import Dict, List, Optional, Sequence, Tuple

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))  # run from a checkout

from tools.reproduction import runs  # noqa: E402
from tools.reproduction.report import format_mean_std, noise_statement  # noqa: E402

SUP = 'configs/augseg/fcn_r18-w16-d8-pre_1xb8-4k_fashion-mnist-scenes-{}64x64.py'
AUGSEG = 'configs/augseg/augseg_fcn-r18-w16-d8-pre_1xb8+8-4k_fashion-mnist-scenes-1-{}-64x64.py'
IMAS = 'configs/imas/imas_fcn-r18-w16-d8-pre_1xb8+8-4k_fashion-mnist-scenes-1-{}-64x64.py'
TEACHER_STUDENT = ['val_cfg.type=mmdet.TeacherStudentValLoop']
# arm -> (config template, extra options, semi-supervised); '{}' is the label fraction's denominator.
ARMS = {
    'oracle': (SUP.format(''), [], False),
    'suponly': (SUP.format('1-{}-'), [], False),
    'augseg': (AUGSEG, TEACHER_STUDENT, True),
    'imas': (IMAS, TEACHER_STUDENT, True),
    'augseg_lu0': (AUGSEG, TEACHER_STUDENT + ['model.semi_train_cfg.unsup_weight=0'], True),
}
LABELS = {'oracle': 'oracle (all 1,000 labelled)', 'suponly': 'supervised only', 'augseg': 'AugSeg',
          'imas': 'iMAS', 'augseg_lu0': 'lambda_u = 0 control (AugSeg, pseudo-label loss off)'}
METRICS = ('mIoU', 'mBIoU', 'mBFscore', 'aAcc')
MAX_ITERS = 4000  # the configs' schedule
NUM_IMAGES = 1000  # training scenes


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('action', choices=('train', 'report', 'stats'))
    parser.add_argument('--fraction', type=int, choices=(8, 16), required=True, help='1/8 or 1/16 labelled')
    parser.add_argument('--arms', nargs='+', choices=list(ARMS), default=list(ARMS))
    parser.add_argument('--seeds', nargs='+', type=int, default=[0, 1, 2])
    parser.add_argument('--work-dir', default='work_dirs/semi_scenes64')
    parser.add_argument('--jobs', type=int, default=2, help='runs trained at the same time (one thread each)')
    return parser.parse_args(argv)


def run_dir(work_dir: str, fraction: int, arm: str, seed: int) -> str:
    folder = 'oracle' if arm == 'oracle' else osp.join(f'1-{fraction}', arm)
    return osp.abspath(osp.join(work_dir, folder, f'seed{seed}'))


def config_of(arm: str, fraction: int) -> Tuple[str, List[str], bool]:
    template, options, semi = ARMS[arm]
    return template.format(fraction), list(options), semi


def prefixes(arm: str) -> Sequence[str]:
    """Metric-key prefixes a run logs: ``teacher/`` and ``student/`` for the semi-supervised arms."""
    return ('teacher/', 'student/') if ARMS[arm][2] else ('', )


def final(directory: str, prefix: str = '') -> Optional[Dict[str, float]]:
    """The last validation's metrics (``prefix`` stripped), or None before the run has validated."""
    metrics = runs.final_metrics(directory, [prefix + k for k in METRICS])
    return None if metrics is None else {k[len(prefix):]: v for k, v in metrics.items()}


def curve(directory: str, prefix: str = '') -> List[Tuple[int, float]]:
    """``(iteration, mIoU)`` of every validation of a run."""
    return [(int(e['step']), float(e[prefix + 'mIoU'])) for e in runs.read_scalars(directory) if prefix + 'mIoU' in e]


def finished(directory: str) -> bool:
    """Whether the run reached its last iteration (the checkpoint hook saves only then)."""
    return osp.exists(osp.join(directory, f'iter_{MAX_ITERS}.pth'))


def train(args: argparse.Namespace) -> None:
    jobs = [(arm, seed) for seed in args.seeds for arm in args.arms]

    def run(job):
        arm, seed = job
        directory = run_dir(args.work_dir, args.fraction, arm, seed)
        config, options, _ = config_of(arm, args.fraction)
        if finished(directory):
            return
        os.makedirs(directory, exist_ok=True)
        runs.train(config, directory, [f'randomness.seed={seed}', *options])

    with ThreadPoolExecutor(args.jobs) as pool:
        list(pool.map(run, jobs))


def report(args: argparse.Namespace) -> None:
    print(f'### Validation mIoU every 500 iterations (seed {args.seeds[0]})\n')
    rows = {}
    for arm in args.arms:
        for prefix in prefixes(arm):
            points = curve(run_dir(args.work_dir, args.fraction, arm, args.seeds[0]), prefix)
            if points:
                rows[f'{LABELS[arm]}{" " + prefix.rstrip("/") if prefix else ""}'] = points
    steps = sorted({s for points in rows.values() for s, _ in points})
    print('| run | ' + ' | '.join(str(s) for s in steps) + ' | last 1,000 its |')
    print('|---|' + '---|' * (len(steps) + 1))
    for name, points in rows.items():
        values = dict(points)
        gain = f'{values[steps[-1]] - values[steps[-3]]:+.2f}' if len(steps) > 2 and steps[-3] in values and \
            steps[-1] in values else '–'
        print(f'| {name} | ' + ' | '.join(f'{values[s]:.2f}' if s in values else '' for s in steps) + f' | {gain} |')

    print('\n### Final validation (finished runs only), mean ± std over seeds\n')
    results = {}
    for arm in args.arms:
        for prefix in prefixes(arm):
            seeds = [s for s in args.seeds if finished(run_dir(args.work_dir, args.fraction, arm, s))]
            if seeds:
                results[(arm, prefix)] = (seeds, [final(run_dir(args.work_dir, args.fraction, arm, s), prefix)
                                                  for s in seeds])
    baseline = results.get(('suponly', ''))
    print('| row | seeds | ' + ' | '.join(METRICS) + ' | Δ mIoU vs supervised only | per-seed mIoU |')
    print('|---|---|' + '---|' * (len(METRICS) + 2))
    for (arm, prefix), (seeds, metrics) in results.items():
        miou = [m['mIoU'] for m in metrics]
        cells = [format_mean_std([m[k] for m in metrics], 2) for k in METRICS]
        compare = [noise_statement(miou, [m['mIoU'] for m in baseline[1]])
                   if baseline and arm != 'suponly' else '–']
        name = f'{LABELS[arm]}{", " + prefix.rstrip("/") if prefix else ""}'
        print(f'| {name} | {",".join(map(str, seeds))} | ' + ' | '.join(cells + compare) + ' | ' +
              ', '.join(f'{v:.2f}' for v in miou) + ' |')


def run_stats(directory: str, arm: str, fraction: int) -> dict:
    """``semi_seg_stats.py`` of a finished run, computed once (``iter_<last>_stats.json`` next to its checkpoint).
    The plain rows' pseudo-labels are taken on the scenes the semi-supervised arms leave unlabelled, so that every
    row is scored on the same images."""
    path = osp.join(directory, f'iter_{MAX_ITERS}_stats.json')
    if not osp.exists(path):
        config, _, semi = config_of(arm, fraction)
        extra = [] if semi else ['--unlabeled-indices', str(NUM_IMAGES // fraction), str(NUM_IMAGES)]
        runs.run_tool([osp.join(runs.REPO_ROOT, 'tools', 'analysis_tools', 'semi_seg_stats.py'), config,
                       osp.join(directory, f'iter_{MAX_ITERS}.pth'), '--out', path, *extra],
                      osp.join(directory, 'stats_stdout.log'))
    with open(path) as f:
        return json.load(f)


def stats(args: argparse.Namespace) -> None:
    """Per-class IoU of each row (the teacher of the semi-supervised arms) and its pseudo-labels on the unlabelled
    scenes, mean over the finished seeds."""
    table = {}
    for arm in args.arms:
        directories = [run_dir(args.work_dir, args.fraction, arm, s) for s in args.seeds]
        found = [run_stats(d, arm, args.fraction) for d in directories if finished(d)]
        if found:
            table[arm] = found
    if not table:
        return
    classes = next(iter(table.values()))[0]['classes']
    print('### Per-class IoU (%), mean over finished seeds (teacher of the semi-supervised arms)\n')
    print('| class | ' + ' | '.join(f'{LABELS[arm]} ({len(found)})' for arm, found in table.items()) + ' |')
    print('|---|' + '---|' * len(table))
    for name in [*classes, 'mIoU']:
        cells = []
        for found in table.values():
            iou = [next(iter(s['iou'].values())) for s in found]  # 'teacher' first, or the plain 'model'
            cells.append(f'{sum(i["IoU"][name] if name != "mIoU" else i["mIoU"] for i in iou) / len(iou):.2f}')
        print(f'| {name} | ' + ' | '.join(cells) + ' |')
    print('\n### Pseudo-labels at tau = 0.95 on the unlabelled scenes (%), mean over finished seeds\n')
    print('| row | kept pixels | accuracy of kept | background share of kept | background share of argmax '
          '| item pixels kept (any label) |')
    print('|---|---|---|---|---|---|')
    for arm, found in table.items():
        labels = [s['pseudo_labels'] for s in found]

        def mean(get) -> str:
            return f'{100 * sum(get(p) for p in labels) / len(labels):.2f}'

        gt_items = [1 - p['class_fraction']['ground_truth'][classes[0]] for p in labels]
        kept_items = [sum(p['kept_ratio_per_class'][c] * p['class_fraction']['ground_truth'][c] for c in classes[1:])
                      for p in labels]
        items = 100 * sum(k / g for k, g in zip(kept_items, gt_items)) / len(labels)
        print(f'| {LABELS[arm]} | {mean(lambda p: p["kept_ratio"])} | {mean(lambda p: p["accuracy_kept"])} | '
              f'{mean(lambda p: p["class_fraction"]["kept"][classes[0]])} | '
              f'{mean(lambda p: p["class_fraction"]["argmax"][classes[0]])} | {items:.2f} |')
    ground_truth = next(iter(table.values()))[0]['pseudo_labels']['class_fraction']['ground_truth'][classes[0]]
    print(f'\nBackground is {100 * ground_truth:.2f} % of the ground-truth pixels of these scenes.')


def main(argv=None) -> None:
    args = parse_args(argv)
    {'train': train, 'report': report, 'stats': stats}[args.action](args)


if __name__ == '__main__':
    main()
