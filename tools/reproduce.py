"""Reproduce mmext's benchmark tables.

Mini suite (CPU, minutes): every method's toy experiment next to its baseline, with a table and a figure::

    python tools/reproduce.py --suite mini                        # 1 seed, mini settings, ~15 min on 2 cores
    python tools/reproduce.py --suite mini --seeds 0 1 2          # mean ± std over 3 seeds
    python tools/reproduce.py --suite mini --protocol readme --seeds 0 1 2   # the READMEs' toy numbers (hours)
    python tools/reproduce.py --suite mini --only sdn bat --jobs 2

Results are cached per job and seed under the work dir (default ``work_dirs/reproduce_<protocol>``): a rerun, or a
run after an interruption, skips what has finished. ``results.md``, ``results.json`` and ``results.png`` are
written there. Each row gives mean ± sample std over seeds and its difference to the experiment's baseline, with a
plain statement of whether that difference is within the seed noise.

Paper suite: the published numbers next to real full-scale runs (MMEngine work dirs of ``tools/train.py`` /
``tools/dist_train.sh``), and the command for every setting that has no run yet::

    python tools/reproduce.py --suite paper --work-dirs work_dirs/
"""
import argparse
import json
import os
import os.path as osp
import platform
import resource
import sys
import time

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))  # run from a checkout without installing

from tools.reproduction import mini, report  # noqa: E402
from tools.reproduction.paper import PAPER_RESULTS, paper_report  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog='\n'.join(__doc__.splitlines()[2:]))
    parser.add_argument('--suite', choices=('mini', 'paper'), default='mini')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0], help='mini: seeds of every job (default: 0)')
    parser.add_argument('--protocol', choices=('mini', 'readme'), default='mini',
                        help="mini: shortened settings (default); readme: the method READMEs' toy protocols")
    parser.add_argument('--work-dir', help='mini: cache and outputs (default: work_dirs/reproduce_<protocol>)')
    names = ', '.join(e.name for e in mini.default_experiments())
    parser.add_argument('--only', nargs='+', metavar='EXPERIMENT', help=f'mini: a subset of the experiments: {names}')
    parser.add_argument('--jobs', type=int, default=2, help='mini: jobs run at the same time (one thread each)')
    parser.add_argument('--rerun', action='store_true', help='mini: ignore the cache and run every job again')
    parser.add_argument('--cached-only', action='store_true',
                        help='mini: run nothing, table what the cache holds (e.g. while another run is going)')
    parser.add_argument('--work-dirs', nargs='*', default=[], help='paper: work dirs of real runs (searched below)')
    parser.add_argument('--paper-results', default=PAPER_RESULTS, help='paper: the published numbers (YAML)')
    parser.add_argument('--out', help='paper: also write the tables to this Markdown file')
    return parser.parse_args(argv)


def select_experiments(names):
    experiments = mini.default_experiments()
    if not names:
        return experiments
    known = {e.name: e for e in experiments}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise SystemExit(f'--only: unknown experiment(s) {unknown}; choose from {sorted(known)}')
    return [known[n] for n in names]


def load_average() -> str:
    return ' '.join(f'{v:.2f}' for v in os.getloadavg()) if hasattr(os, 'getloadavg') else 'n/a'


def children_cpu_seconds() -> float:
    """User + system CPU time of the finished subprocesses of this process (and theirs: data loader workers)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def markdown(experiments, outcome: dict, args, wall: float, cpu: float, load_start: str, load_end: str) -> str:
    seeds = ', '.join(map(str, args.seeds))
    lines = [f'# mmext {args.protocol} suite: toy experiments next to their baselines', '',
             f'Seeds: {seeds} ({len(args.seeds)}). Cells: mean ± sample std over seeds (the mean alone with one '
             'seed). Δ: difference of the means to the baseline row (marked "baseline"); in parentheses |Δ| in '
             'standard errors (SE = pooled std of the two rows over seeds × sqrt(1/n_a + 1/n_b)) and the 95 % '
             'quantile of Student\'s t; "within noise" when the former is below the latter, i.e. a t-test at 5 % '
             'finds no difference. Column "paper": the gain that the method\'s paper reports over the same kind of '
             'baseline (numbers of the method README; settings other than the toy\'s, so only its sign compares), '
             'or a note where it reports none.', '',
             f'Wall time of this invocation {wall / 60:.1f} min ({outcome["ran"]} job(s) run, the others from the '
             f'cache), {args.jobs} job(s) at a time on {os.cpu_count()} CPU(s) '
             f'({platform.processor() or platform.machine()}); load average (1/5/15 min) {load_start} at the start, '
             f'{load_end} at the end. CPU time of the jobs run now: {cpu / 60:.1f} min (user + system; on otherwise '
             f'idle cores the wall time is about that divided by --jobs). Total recorded wall time of the jobs: '
             f'{sum(outcome["seconds"].values()) / 60:.1f} min.', '']
    if args.protocol == 'mini':
        lines += ['**Mini settings**: shorter schedules than the method READMEs\' toy protocols, so the numbers are '
                  'not the READMEs\' (run `--protocol readme --seeds 0 1 2` for those). What changes is given under '
                  'each table.', '']
    results = outcome['results']
    for experiment in experiments:
        lines += [f'## {experiment.title}', '']
        if experiment.name in results:
            lines += report.experiment_table(experiment, results[experiment.name])
        else:
            lines.append('No job of this experiment finished.')
        job_times = [outcome['seconds'][(job.name, s)] for job in experiment.jobs for s in args.seeds
                     if (job.name, s) in outcome['seconds']]
        lines += ['', f'Settings ({args.protocol}): {experiment.notes[args.protocol]}.',
                  f'Job time: {sum(job_times) / 60:.1f} min over {len(job_times)} job run(s).', '']
    if outcome['failures']:
        lines += ['## Failed jobs', ''] + [f'- {name} seed {seed}: {error}' for name, seed, error in
                                           outcome['failures']] + ['']
    return '\n'.join(lines)


def run_mini(args) -> int:
    experiments = select_experiments(args.only)
    work_dir = osp.abspath(args.work_dir or osp.join('work_dirs', f'reproduce_{args.protocol}'))
    load_start, start, cpu_start = load_average(), time.perf_counter(), children_cpu_seconds()
    outcome = mini.run_suite(experiments, args.seeds, work_dir, args.protocol, args.jobs, args.rerun,
                             cached_only=args.cached_only)
    wall, cpu = time.perf_counter() - start, children_cpu_seconds() - cpu_start
    text = markdown(experiments, outcome, args, wall, cpu, load_start, load_average())
    with open(osp.join(work_dir, 'results.md'), 'w') as f:
        f.write(text)
    with open(osp.join(work_dir, 'results.json'), 'w') as f:
        json.dump(dict(protocol=args.protocol, seeds=args.seeds, wall_seconds=round(wall, 1), cpu_seconds=round(cpu, 1),
                       results=outcome['results'], failures=outcome['failures']), f, indent=1)
    report.plot(experiments, outcome['results'], osp.join(work_dir, 'results.png'),
                f'mmext {args.protocol} suite, seeds {", ".join(map(str, args.seeds))}')
    print(text)
    print(f'written: {work_dir}/results.md, results.json, results.png')
    return 1 if outcome['failures'] else 0


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.suite == 'paper':
        text = paper_report(args.work_dirs, args.paper_results)
        print(text)
        if args.out:
            with open(args.out, 'w') as f:
                f.write(text)
        return 0
    return run_mini(args)


if __name__ == '__main__':
    sys.exit(main())
