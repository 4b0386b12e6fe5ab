"""The mini suite: every method's toy experiment next to its baseline, on CPU, cached per job and seed.

An :class:`Experiment` is one comparison (rows: the method and its baseline, in one table). Its :class:`Job` s are
the units that run and are cached: one job at one seed writes ``<work_dir>/<job>/seed<k>/result.json`` when it
finishes, holding its rows' metrics and the settings it ran with. A rerun skips every job whose result is there with
the same settings, so a suite killed midway resumes with the unfinished jobs (an unfinished job starts over).

Each experiment has two protocols of settings: ``readme``, the toy protocol its method README reports (3 seeds of
it reproduce the README's mean ± std), and ``mini``, fewer iterations / epochs so that one seed of the whole suite
fits in about 15 minutes on a 2-core CPU. Jobs run as subprocesses of the existing tools (``tools/train.py``,
``tools/benchmarks/*.py``, ``tools/emotion/run_toy.py``) with ``OMP_NUM_THREADS=1``.
"""
import json
import os
import os.path as osp
import re
import shutil
import time
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Sequence, Union

from tools.reproduction import runs

SEG_METRICS = ('mIoU', 'mBIoU', 'aAcc')


@dataclass(frozen=True)
class Metric:
    """A column: the key the job returns, its table label, decimals."""
    key: str
    label: str
    digits: int = 2


@dataclass(frozen=True)
class JobContext:
    seed: int
    run_dir: str
    settings: dict


@dataclass(frozen=True)
class Job:
    """One cached unit. ``run(ctx)`` returns ``{row: {metric key: value}}`` for one seed; ``cost`` (rough minutes
    of one mini run) orders the queue, longest first, so that two parallel workers finish together."""
    name: str
    run: Callable[[JobContext], Dict[str, Dict[str, float]]]
    cost: float = 1.0


@dataclass(frozen=True)
class PaperGain:
    """A published gain of a row's method over the same kind of baseline as the experiment's, e.g. AugSeg over
    supervised only: both numbers as a method README lists them (the test suite checks that they are there), the
    unit, and the setting named briefly (dataset, model; its numbers are checked too)."""
    method: float
    baseline: float
    unit: str
    setting: str
    readme: str

    def __str__(self) -> str:
        # As many decimals as the more precise published number: 79.5 - 79.8 is -0.3, not -0.30.
        digits = max(len(repr(v).partition('.')[2]) for v in (self.method, self.baseline))
        return f'{self.method - self.baseline:+.{digits}f} {self.unit} ({self.setting})'


@dataclass(frozen=True)
class Experiment:
    name: str
    title: str
    rows: Sequence[str]
    baseline: str
    metrics: Sequence[Metric]
    jobs: Sequence[Job]
    settings: Dict[str, dict]  # protocol ('mini' / 'readme') -> settings handed to every job
    notes: Dict[str, str] = field(default_factory=dict)  # protocol -> what runs, in words
    compare: Sequence[str] = ()  # metric keys with a Δ column and a figure panel; default: the first metric
    # row -> what the method's paper reports against the same kind of baseline: a PaperGain, or a short note where
    # the paper has no comparable number (in the table's 'paper' column and next to the row in the figure).
    paper: Dict[str, Union[PaperGain, str]] = field(default_factory=dict)

    @property
    def compared(self) -> List[Metric]:
        keys = self.compare or (self.metrics[0].key, )
        return [m for m in self.metrics if m.key in keys]


# --------------------------------------------------------------------------------------------------------------
# Jobs built on the existing tools


def seg_train_job(name: str, config: str, row: str, cost: float) -> Job:
    """An iteration-based mmseg toy config trained once; validation after the last iteration."""

    def run(ctx: JobContext) -> Dict[str, Dict[str, float]]:
        iters = ctx.settings['iters']
        options = [f'randomness.seed={ctx.seed}', f'train_cfg.max_iters={iters}', f'train_cfg.val_interval={iters}',
                   f'param_scheduler.0.end={iters}', f'default_hooks.checkpoint.interval={iters}']
        runs.train(config, ctx.run_dir, options, echo=False)
        return {row: _require(runs.final_metrics(ctx.run_dir, SEG_METRICS), ctx.run_dir)}

    return Job(name, run, cost)


BAT_TOY = 'configs/bat/bat_vit-tiny-p4-kr0.7_1xb64-30e_synthetic-shapes-32px.py'
BAT_MODES = {'DeiT (keep rate 1)': ['model.backbone.keep_rate=1.0'], 'BAT': [],
             'EViT-mode': ['model.backbone.mode=evit'], 'ToMe-mode': ['model.backbone.mode=tome']}
# Row names of tools/benchmarks/bench_token_merge.py's table -> the rows here.
BENCH_ROWS = {'DeiT': 'DeiT (keep rate 1)', 'BAT': 'BAT', 'EViT-mode': 'EViT-mode', 'ToMe-mode': 'ToMe-mode'}


def bat_train_job(row: str, cost: float) -> Job:
    """The BAT toy config in one reduction mode (keep rate 0.7) or unreduced (keep rate 1); top-1 at the last
    validation."""

    def run(ctx: JobContext) -> Dict[str, Dict[str, float]]:
        options = [f'randomness.seed={ctx.seed}', f'train_cfg.max_epochs={ctx.settings["epochs"]}',
                   f'train_cfg.val_interval={ctx.settings["epochs"]}', *BAT_MODES[row]]
        runs.train(BAT_TOY, ctx.run_dir, options, echo=False)
        top1 = _require(runs.last_scalars(ctx.run_dir, 'accuracy/top1'), ctx.run_dir)
        return {row: {'top1': top1}}

    return Job('bat/' + re.sub(r'\W+', '_', row.split()[0].lower()), run, cost)


def parse_bench_table(text: str) -> Dict[str, Dict[str, float]]:
    """GFLOPs and the median-throughput ratio to DeiT of every model in bench_token_merge.py's Markdown table."""
    rows = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip('|').split('|')]
        if len(cells) == 7 and cells[0] in BENCH_ROWS:
            rows[BENCH_ROWS[cells[0]]] = {'gflops': float(cells[2]), 'speedup': float(cells[4].rstrip('x'))}
    return rows


def bat_throughput_job(cost: float) -> Job:
    """tools/benchmarks/bench_token_merge.py: DeiT-S and its reduced variants at keep rate 0.7 on the same random
    weights, 224 x 224, interleaved rounds on one thread; FLOPs by mmext's counter."""

    def run(ctx: JobContext) -> Dict[str, Dict[str, float]]:
        log = osp.join(ctx.run_dir, 'bench.log')
        runs.run_tool([osp.join('tools', 'benchmarks', 'bench_token_merge.py'), '--arch', 'deit-small',
                       '--keep-rate', '0.7', '--batch', str(ctx.settings['batch']), '--rounds',
                       str(ctx.settings['rounds']), '--warmup', '2', '--threads', '1'], log, echo=False)
        with open(log) as f:
            rows = parse_bench_table(f.read())
        if len(rows) != len(BENCH_ROWS):
            raise RuntimeError(f'{log}: expected a table row for each of {sorted(BENCH_ROWS)}')
        return rows

    return Job('bat/throughput', run, cost)


def caev2_job(cost: float) -> Job:
    """tools/benchmarks/caev2_toy_linear_probe.py for one seed: pre-training, then a linear probe of the pre-trained
    encoder and of the same encoder at its random initialisation."""

    def run(ctx: JobContext) -> Dict[str, Dict[str, float]]:
        pre, probe = ctx.settings['pretrain_epochs'], ctx.settings['probe_epochs']
        warmup = ctx.settings['warmup_epochs']
        pretrain_options = [f'train_cfg.max_epochs={pre}', f'default_hooks.checkpoint.interval={pre}',
                            f'param_scheduler.0.end={warmup}', f'param_scheduler.1.begin={warmup}',
                            f'param_scheduler.1.end={pre}']
        probe_options = [f'train_cfg.max_epochs={probe}', f'train_cfg.val_interval={probe}',
                         f'default_hooks.checkpoint.interval={probe}', f'param_scheduler.0.end={probe}']
        runs.run_tool([osp.join('tools', 'benchmarks', 'caev2_toy_linear_probe.py'), '--seeds', str(ctx.seed),
                       '--work-dir', ctx.run_dir, '--pretrain-options', *pretrain_options, '--probe-options',
                       *probe_options], osp.join(ctx.run_dir, 'caev2.log'), echo=False)
        rows = {}
        for row, folder in (('random init', 'random'), ('CAE v2 pre-trained', 'cae')):
            probe_dir = osp.join(ctx.run_dir, 'probe', folder, f'seed{ctx.seed}')
            rows[row] = {'top1': _require(runs.last_scalars(probe_dir, 'accuracy/top1'), probe_dir)}
        return rows

    return Job('cae_v2/pretrain_and_probes', run, cost)


EMOTION_ROWS = ('visual + audio + text', 'visual only', 'audio only', 'text only')


def emotion_job(cost: float) -> Job:
    """tools/emotion/run_toy.py for one seed: data and features once (cached under data/), then the trimodal model
    and its three unimodal ablations for arousal and valence; CCC of the best-validation-MSE checkpoint."""

    def run(ctx: JobContext) -> Dict[str, Dict[str, float]]:
        cmd = [osp.join('tools', 'emotion', 'run_toy.py'), '--seeds', str(ctx.seed), '--work-dir', ctx.run_dir,
               '--data-root', ctx.settings['data_root']]
        if ctx.settings.get('epochs') is not None:
            cmd += ['--max-epochs', str(ctx.settings['epochs'])]
        runs.run_tool(cmd, osp.join(ctx.run_dir, 'run_toy.log'), echo=False)
        with open(osp.join(ctx.run_dir, 'results.json')) as f:
            records = json.load(f)
        rows = {}
        for record in records:
            rows.setdefault(record['setting'], {})[f'{record["target"]}_ccc'] = float(record['ccc'])
        return rows

    return Job('omg_emotion/run_toy', run, cost)


def _require(value, run_dir: str):
    if value is None:
        raise RuntimeError(f'{run_dir}: the run finished without a validation result; see its train_stdout.log')
    return value


# --------------------------------------------------------------------------------------------------------------
# The registry. "cost" values: minutes of one mini job measured alone on the 2-core machine (see docs/reproduce.md).

SEMI_SUP = 'configs/augseg/fcn_r18-w16-d8_1xb8-1k_synthetic-1-8-64x64.py'


def default_experiments() -> List[Experiment]:
    seg_metrics = (Metric('mIoU', 'mIoU'), Metric('mBIoU', 'mBIoU'), Metric('aAcc', 'aAcc'))
    return [
        Experiment(
            name='sdn',
            title='SDN vs baseline (FCN R-18-w16, synthetic shapes 64 px)',
            rows=('FCN (baseline)', '+SDN'),
            baseline='FCN (baseline)',
            metrics=seg_metrics,
            jobs=(seg_train_job('sdn/baseline', 'configs/sdn/fcn_r18-w16-d8_1xb8-1k_synthetic-64x64.py',
                                'FCN (baseline)', 1.0),
                  seg_train_job('sdn/sdn', 'configs/sdn/sdn-fcn_r18-w16-d8_1xb8-1k_synthetic-64x64.py', '+SDN', 1.3)),
            settings={'mini': {'iters': 300}, 'readme': {'iters': 1000}},
            compare=('mIoU', 'mBIoU'),
            # configs/sdn/README.md: the paper's tables have not been checked against the PDF.
            paper={'+SDN': 'no +SDN number confirmed'},
            notes={'mini': '300 of the README\'s 1000 iterations (batch 8); validation after the last iteration',
                   'readme': '1000 iterations, batch 8, validation after the last iteration (configs/sdn/README.md)'}),
        Experiment(
            name='semi',
            title='AugSeg and iMAS vs supervised only (1/8 labelled, synthetic shapes)',
            rows=('supervised only', 'AugSeg (teacher)', 'iMAS (teacher)'),
            baseline='supervised only',
            metrics=seg_metrics,
            jobs=(seg_train_job('semi/supervised', SEMI_SUP, 'supervised only', 0.8),
                  seg_train_job('semi/augseg', 'configs/augseg/augseg_fcn-r18-w16-d8_1xb8+8-1k_synthetic-1-8-64x64.py',
                                'AugSeg (teacher)', 2.5),
                  seg_train_job('semi/imas', 'configs/imas/imas_fcn-r18-w16-d8_1xb8+8-1k_synthetic-1-8-64x64.py',
                                'iMAS (teacher)', 3.0)),
            settings={'mini': {'iters': 300}, 'readme': {'iters': 1000}},
            # Cityscapes 1/8 (372 labelled images), DeepLabV3+ R-50: the toy's label fraction, and the one setting
            # for which both READMEs list the method and the supervised-only run of the same backbone. iMAS: its
            # output-stride-16 log, the output stride of its SupOnly row.
            paper={'AugSeg (teacher)': PaperGain(76.49, 68.73, 'mIoU', 'Cityscapes 1/8, R-50',
                                                 'configs/augseg/README.md'),
                   'iMAS (teacher)': PaperGain(77.43, 69.2, 'mIoU', 'Cityscapes 1/8, R-50', 'configs/imas/README.md')},
            notes={'mini': '300 of the READMEs\' 1000 iterations (8 labelled + 8 unlabelled images per step); the '
                           'EMA teacher is evaluated after the last iteration',
                   'readme': '1000 iterations, 8 labelled (+ 8 unlabelled) images per step, EMA d0 0.99 '
                             '(configs/augseg/README.md, configs/imas/README.md)'}),
        Experiment(
            name='bat',
            title='BAT / EViT / ToMe token reduction vs DeiT (keep rate 0.7)',
            rows=tuple(BAT_MODES),
            baseline='DeiT (keep rate 1)',
            metrics=(Metric('top1', 'top-1 % (toy ViT)', 1), Metric('gflops', 'GFLOPs (DeiT-S 224)', 3),
                     Metric('speedup', 'speed vs DeiT (DeiT-S 224)', 2)),
            jobs=(*(bat_train_job(row, 1.2) for row in BAT_MODES), bat_throughput_job(1.0)),
            compare=('top1', 'speedup'),
            # configs/bat/README.md: BAT's official keep-rate-0.7 log against DeiT-S (DeiT paper); the anchors
            # table's EViT (youweiliang/evit README, keep rate 0.7) and ToMe (facebookresearch/ToMe README, r = 13
            # merges per layer: not the token counts of the ToMe-mode here).
            paper={'BAT': PaperGain(79.58, 79.8, 'top-1', 'IN-1k DeiT-S, 3.0 vs 4.6 GFLOPs', 'configs/bat/README.md'),
                   'EViT-mode': PaperGain(79.5, 79.8, 'top-1', 'IN-1k DeiT-S, 3.0 GFLOPs', 'configs/bat/README.md'),
                   'ToMe-mode': PaperGain(79.36, 79.8, 'top-1', 'IN-1k DeiT-S, r = 13, ~2.7 GFLOPs',
                                          'configs/bat/README.md')},
            settings={'mini': {'epochs': 10, 'batch': 8, 'rounds': 6},
                      'readme': {'epochs': 30, 'batch': 32, 'rounds': 12}},
            notes={'mini': 'toy ViT (6 layers, 96 wide, 4 px patches) trained 10 of the README\'s 30 epochs in each '
                           'mode; FLOPs and throughput of DeiT-S at 224 px (random weights, batch 8, 6 interleaved '
                           'rounds on 1 thread, shared with the other job)',
                   'readme': 'toy ViT 30 epochs per mode (configs/bat/README.md; the README has one seed of BAT and '
                             'keep rate 1 only); DeiT-S throughput batch 32, 12 rounds'}),
        Experiment(
            name='cae_v2',
            title='CAE v2 linear probe vs random init (toy ViT, random CLIP-layout teacher)',
            rows=('random init', 'CAE v2 pre-trained'),
            baseline='random init',
            metrics=(Metric('top1', 'probe top-1 %', 1), ),
            jobs=(caev2_job(5.0), ),
            # configs/cae_v2/README.md lists linear probes of pre-trained encoders only.
            paper={'CAE v2 pre-trained': 'no random-init probe reported'},
            settings={'mini': {'pretrain_epochs': 10, 'warmup_epochs': 1, 'probe_epochs': 10},
                      'readme': {'pretrain_epochs': 50, 'warmup_epochs': 5, 'probe_epochs': 30}},
            notes={'mini': 'pre-training 10 of the README\'s 50 epochs (1 warm-up epoch), linear probes 10 of 30 '
                           'epochs',
                   'readme': 'pre-training 50 epochs, probes 30 epochs (configs/cae_v2/README.md)'}),
        Experiment(
            name='omg_emotion',
            title='OMG-Emotion toy: CCC of the fused model and of each modality alone',
            rows=EMOTION_ROWS,
            baseline='visual + audio + text',
            metrics=(Metric('arousal_ccc', 'arousal CCC', 3), Metric('valence_ccc', 'valence CCC', 3)),
            jobs=(emotion_job(6.0), ),
            compare=('arousal_ccc', 'valence_ccc'),
            # configs/omg_emotion/README.md has the paper's trimodal model only; the challenge's unimodal baselines
            # listed there are other models, scored per video.
            paper={row: 'no unimodal ablation reported' for row in EMOTION_ROWS[1:]},
            settings={'mini': {'epochs': 8, 'data_root': 'data/omg_synthetic'},
                      'readme': {'epochs': None, 'data_root': 'data/omg_synthetic'}},
            notes={'mini': '8 of the README\'s 60 epochs per model (8 models: 4 modality settings x 2 targets), '
                           'the README\'s data (40 + 12 videos)',
                   'readme': '60 epochs, best validation MSE kept (configs/omg_emotion/README.md)'}),
    ]


# --------------------------------------------------------------------------------------------------------------
# Caching and the run loop


def result_path(work_dir: str, job: Job, seed: int) -> str:
    return osp.join(work_dir, job.name, f'seed{seed}', 'result.json')


def load_result(work_dir: str, job: Job, seed: int, settings: dict):
    """The cached rows of ``job`` at ``seed``, or None if it has not finished with these settings."""
    path = result_path(work_dir, job, seed)
    if not osp.isfile(path):
        return None
    with open(path) as f:
        record = json.load(f)
    return record['rows'] if record.get('settings') == settings else None


def run_job(work_dir: str, job: Job, seed: int, settings: dict) -> dict:
    """Runs ``job`` at ``seed`` from scratch in its own folder and caches its rows (written atomically last, so a
    killed job leaves no result and runs again)."""
    path = result_path(work_dir, job, seed)
    run_dir = osp.dirname(path)
    shutil.rmtree(run_dir, ignore_errors=True)  # leftovers of a killed or differently-set run
    os.makedirs(run_dir)
    start = time.perf_counter()
    rows = job.run(JobContext(seed, run_dir, settings))
    record = dict(rows=rows, settings=settings, seconds=round(time.perf_counter() - start, 1))
    with open(path + '.tmp', 'w') as f:
        json.dump(record, f, indent=1)
    os.replace(path + '.tmp', path)
    return rows


def job_seconds(work_dir: str, job: Job, seed: int) -> float:
    with open(result_path(work_dir, job, seed)) as f:
        return json.load(f).get('seconds', 0.0)


def run_suite(experiments: Sequence[Experiment], seeds: Sequence[int], work_dir: str, protocol: str = 'mini',
              workers: int = 1, rerun: bool = False, log=print, cached_only: bool = False) -> dict:
    """Runs (or reads from the cache) every job of ``experiments`` at every seed, ``workers`` jobs at a time;
    with ``cached_only``, runs nothing and returns what the cache holds (e.g. while another process runs the suite).

    Returns:
        dict: ``results[experiment][seed][row][metric]`` of every job that finished, ``failures`` (job, seed,
        error) of the ones that raised, ``seconds`` (the recorded wall time of every finished job, per job and seed)
        and ``ran`` (how many jobs ran now rather than coming from the cache).
    """
    from concurrent.futures import ThreadPoolExecutor, as_completed

    from mmengine.utils import ProgressBar
    os.makedirs(work_dir, exist_ok=True)
    tasks = [(e, job, seed) for e in experiments for job in e.jobs for seed in seeds]
    done, todo = {}, []
    for experiment, job, seed in tasks:
        cached = None if rerun else load_result(work_dir, job, seed, experiment.settings[protocol])
        if cached is None:
            todo.append((experiment, job, seed))
        else:
            done[(job.name, seed)] = cached
            log(f'cached: {job.name} seed {seed} ({result_path(work_dir, job, seed)})')
    todo.sort(key=lambda task: -task[1].cost)  # longest first: two workers end close together
    failures = []
    if cached_only:
        log(f'{len(todo)} job(s) not in the cache (not run: cached_only)')
        todo = []
    if todo:
        log(f'running {len(todo)} job(s), {workers} at a time; logs under {work_dir}/<job>/seed<k>/')
        progress = ProgressBar(len(todo))
        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            futures = {pool.submit(run_job, work_dir, job, seed, experiment.settings[protocol]): (job, seed)
                       for experiment, job, seed in todo}
            for future in as_completed(futures):
                job, seed = futures[future]
                try:
                    done[(job.name, seed)] = future.result()
                    message = f'{job.name} seed {seed}: {job_seconds(work_dir, job, seed):.0f} s'
                except Exception as error:  # one failed job must not lose the others' results
                    failures.append((job.name, seed, f'{type(error).__name__}: {error}'))
                    message = f'{job.name} seed {seed}: FAILED ({error})'
                log('\n' + message)
                progress.update()
        log('')
    results = {}
    for experiment, job, seed in tasks:
        if (job.name, seed) in done:
            per_row = results.setdefault(experiment.name, {}).setdefault(seed, {})
            for row, metrics in done[(job.name, seed)].items():
                per_row.setdefault(row, {}).update(metrics)
    seconds = {(job.name, seed): job_seconds(work_dir, job, seed) for _, job, seed in tasks if (job.name, seed) in done}
    return dict(results=results, failures=failures, seconds=seconds, ran=len(todo))
