"""tools/reproduce.py: the mini suite's cache and resume, its noise statements and outputs; the paper suite on a real
(short) training run; model-index.yml and configs/paper_results.yml against the metafiles and READMEs."""
import dataclasses
import glob
import json
import os
import os.path as osp
import re
import signal
import subprocess
import sys
import time

import pytest
import yaml

from tools import reproduce
from tools.reproduction import mini, paper, report

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


# ------------------------------------------------------------------------------------------------ fake registry


def fake_experiments(state_dir: str):
    """Two jobs that log their calls to ``state_dir/calls.txt``. ``slow`` waits while ``state_dir/block`` exists
    (so a test can kill the suite in the middle of it); ``fast`` runs first (higher cost)."""

    def fast(ctx):
        with open(osp.join(state_dir, 'calls.txt'), 'a') as f:
            f.write(f'fast {ctx.seed}\n')
        return {'baseline': {'score': 60.0 + ctx.seed * 0.1}}

    def slow(ctx):
        with open(osp.join(state_dir, 'calls.txt'), 'a') as f:
            f.write(f'slow {ctx.seed}\n')
        open(osp.join(state_dir, 'slow_started'), 'w').close()
        while osp.exists(osp.join(state_dir, 'block')):
            time.sleep(0.05)
        return {'method': {'score': 62.0 + ctx.seed * 0.3}}

    return [mini.Experiment(
        name='toy', title='toy method vs baseline', rows=('baseline', 'method'), baseline='baseline',
        metrics=(mini.Metric('score', 'score'), ), jobs=(mini.Job('toy/fast', fast, 2.0), mini.Job('toy/slow', slow)),
        settings={'mini': {'iters': 3}, 'readme': {'iters': 10}}, notes={'mini': 'three steps', 'readme': 'ten'})]


def calls(state_dir: str) -> list:
    path = osp.join(state_dir, 'calls.txt')
    return open(path).read().split('\n')[:-1] if osp.exists(path) else []


def quiet(*_):
    pass


def test_finished_jobs_are_skipped_and_settings_changes_rerun(tmp_path):
    state, work = str(tmp_path / 'state'), str(tmp_path / 'work')
    os.makedirs(state)
    experiments = fake_experiments(state)
    first = mini.run_suite(experiments, [0, 1], work, log=quiet)
    assert sorted(calls(state)) == ['fast 0', 'fast 1', 'slow 0', 'slow 1']
    assert first['results']['toy'][1] == {'baseline': {'score': 60.1}, 'method': {'score': 62.3}}
    second = mini.run_suite(experiments, [0, 1], work, log=quiet)
    assert len(calls(state)) == 4 and second['results'] == first['results']
    # cached_only tables what is there and runs nothing (seed 2 is missing).
    third = mini.run_suite(experiments, [0, 1, 2], work, log=quiet, cached_only=True)
    assert len(calls(state)) == 4 and third['results'] == first['results'] and third['ran'] == 0
    # Other settings (here the readme protocol) are not served from the cache of the mini ones.
    mini.run_suite(experiments, [0], work, protocol='readme', log=quiet)
    assert sorted(calls(state)[4:]) == ['fast 0', 'slow 0']


def test_killed_suite_resumes_with_unfinished_jobs(tmp_path):
    state, work = str(tmp_path / 'state'), str(tmp_path / 'work')
    os.makedirs(state)
    open(osp.join(state, 'block'), 'w').close()
    script = (f'import sys; sys.path[:0] = [{REPO_ROOT!r}, {osp.dirname(osp.abspath(__file__))!r}]\n'
              'from test_reproduce import fake_experiments\nfrom tools.reproduction import mini\n'
              f'mini.run_suite(fake_experiments({state!r}), [0], {work!r})\n')
    proc = subprocess.Popen([sys.executable, '-c', script], cwd=REPO_ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 60
        while not osp.exists(osp.join(state, 'slow_started')):
            assert proc.poll() is None and time.time() < deadline, 'the suite did not reach the slow job'
            time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert calls(state) == ['fast 0', 'slow 0']
    assert osp.isfile(osp.join(work, 'toy', 'fast', 'seed0', 'result.json'))
    assert not osp.exists(osp.join(work, 'toy', 'slow', 'seed0', 'result.json'))
    os.remove(osp.join(state, 'block'))
    outcome = mini.run_suite(fake_experiments(state), [0], work, log=quiet)
    assert calls(state) == ['fast 0', 'slow 0', 'slow 0']  # fast skipped, slow started over
    assert outcome['results']['toy'][0] == {'baseline': {'score': 60.0}, 'method': {'score': 62.0}}


def test_failed_job_keeps_the_others(tmp_path):
    def broken(ctx):
        raise RuntimeError('no data')

    experiment = fake_experiments(str(tmp_path))[0]
    experiment = dataclasses.replace(experiment, jobs=(experiment.jobs[0], mini.Job('toy/broken', broken)))
    outcome = mini.run_suite([experiment], [0], str(tmp_path / 'work'), log=quiet)
    assert outcome['failures'] == [('toy/broken', 0, 'RuntimeError: no data')]
    assert outcome['results']['toy'][0] == {'baseline': {'score': 60.0}}


# ------------------------------------------------------------------------------------------------ statistics


def test_pooled_std_by_hand():
    # a: mean 2, squared deviations 1 + 0 + 1 = 2; b: mean 5, 4 + 4 = 8; pooled variance (2 + 8) / (3 + 2 - 2).
    assert report.pooled_std([1, 2, 3], [3, 7]) == pytest.approx((10 / 3) ** 0.5)
    assert report.pooled_std([1], [1, 2]) is None


def test_noise_statement():
    # The SDN README's toy runs: t = 1.7 with 4 degrees of freedom (the README's reading: not significant).
    sdn, base = [61.04, 60.98, 61.75], [60.89, 60.32, 60.93]
    assert report.noise_statement(sdn, base) == '+0.54, within noise (1.7 SE < 2.78)'
    # AugSeg vs supervised only: 3.3 mIoU lower, far outside the seed spread.
    augseg, supervised = [58.41, 58.81, 58.61], [62.12, 61.77, 61.81]
    assert report.noise_statement(augseg, supervised) == '-3.29, beyond noise (20.6 SE > 2.78)'
    assert report.noise_statement([0.95], [0.90], digits=3) == '+0.050 (1 seed: noise not estimated)'
    assert report.noise_statement([1.0, 1.0], [1.0, 1.0]) == '+0.00, within noise (no spread over seeds)'
    assert report.noise_statement([2.0, 2.0], [1.0, 1.0]).startswith('+1.00, beyond noise')


def test_noise_verdict_by_hand():
    # The SDN README's toy runs: means 61.2567 and 60.7133, squared deviations summing to 0.36687 and 0.23287, so
    # s_p = sqrt(0.59973 / 4) = 0.38722, SE = s_p * sqrt(2 / 3) = 0.31616 and |Δ| / SE = 0.54333 / 0.31616.
    within = report.noise_verdict([61.04, 60.98, 61.75], [60.89, 60.32, 60.93])
    assert within.delta == pytest.approx(0.54333, abs=1e-5) and within.ratio == pytest.approx(1.7185, abs=1e-3)
    assert within.critical == pytest.approx(2.7764, abs=1e-4) and within.within is True  # t(0.975, 4 dof)
    beyond = report.noise_verdict([58.41, 58.81, 58.61], [62.12, 61.77, 61.81])
    assert beyond.delta == pytest.approx(-3.29, abs=1e-9) and beyond.ratio > beyond.critical and beyond.within is False
    # One seed in either row: Δ only.
    assert report.noise_verdict([0.95], [0.90, 0.91]) == report.NoiseVerdict(pytest.approx(0.045), None, None, None)
    # No spread at all: no ratio; only Δ = 0 is within noise.
    flat = report.noise_verdict([1.0, 1.0], [1.0, 1.0])
    assert flat == report.NoiseVerdict(0.0, None, pytest.approx(4.3027, abs=1e-4), True)  # t(0.975, 2 dof)
    assert report.noise_verdict([2.0, 2.0], [1.0, 1.0]).within is False


def paper_experiment(**changes):
    experiment = mini.Experiment(
        name='semi', title='method vs supervised only', rows=('supervised only', 'method', 'other'),
        baseline='supervised only', metrics=(mini.Metric('mIoU', 'mIoU'), ), jobs=(), settings={}, notes={},
        paper={'method': mini.PaperGain(76.49, 68.73, 'mIoU', 'Cityscapes 1/8, R-50', 'configs/augseg/README.md'),
               'other': 'no comparable row'})
    return dataclasses.replace(experiment, **changes)


def test_table_paper_column():
    results = {s: {'supervised only': {'mIoU': 60.0 + s}, 'method': {'mIoU': 62.0 + s}, 'other': {'mIoU': 61.0}}
               for s in (0, 1, 2)}
    lines = report.experiment_table(paper_experiment(), results)
    assert lines[0] == '| setting | mIoU | Δ mIoU | paper |'
    assert lines[2] == '| supervised only | 61.00 ± 1.00 | baseline | – |'
    assert lines[3].endswith(' | +7.76 mIoU (Cityscapes 1/8, R-50) |')
    assert lines[4].endswith(' | no comparable row |')
    # Without paper texts, no column.
    assert report.experiment_table(paper_experiment(paper={}), results)[0] == '| setting | mIoU | Δ mIoU |'
    # Δ with as many decimals as the more precise of the two published numbers.
    assert str(mini.PaperGain(79.5, 79.8, 'top-1', 'IN-1k', 'configs/bat/README.md')) == '-0.3 top-1 (IN-1k)'


def test_plot_marks_every_verdict(tmp_path):
    # Three seeds: 'method' beyond noise, 'other' within; a second experiment with one seed (noise not estimated),
    # and a third whose baseline job failed (no verdict).
    three = {s: {'supervised only': {'mIoU': 60.0 + 0.1 * s}, 'method': {'mIoU': 62.0 + 0.3 * s},
                 'other': {'mIoU': 60.2 - 0.2 * s}} for s in (0, 1, 2)}
    one = {0: {'supervised only': {'mIoU': 60.0}, 'method': {'mIoU': 61.0}, 'other': {'mIoU': 59.0}}}
    no_baseline = {0: {'method': {'mIoU': 61.0}}}
    experiments = [paper_experiment(), paper_experiment(name='one'), paper_experiment(name='broken', paper={})]
    path = str(tmp_path / 'results.png')
    report.plot(experiments, {'semi': three, 'one': one, 'broken': no_baseline}, path, 'fake')
    with open(path, 'rb') as f:
        assert f.read(8) == b'\x89PNG\r\n\x1a\n'


def test_table_and_figure_from_the_command_line(tmp_path, monkeypatch, capsys):
    state = str(tmp_path / 'state')
    os.makedirs(state)
    monkeypatch.setattr(mini, 'default_experiments', lambda: fake_experiments(state))
    work = str(tmp_path / 'work')
    assert reproduce.main(['--suite', 'mini', '--work-dir', work, '--seeds', '0', '1', '2', '--jobs', '1']) == 0
    table = open(osp.join(work, 'results.md')).read()
    # baseline 60.0/60.1/60.2, method 62.0/62.3/62.6: means 60.10 and 62.30, stds 0.10 and 0.30.
    assert '| baseline | 60.10 ± 0.10 | baseline |' in table
    assert '| method | 62.30 ± 0.30 | +2.20, beyond noise (12.0 SE > 2.78) |' in table
    assert 'Settings (mini): three steps.' in table and '**Mini settings**' in table
    assert table in capsys.readouterr().out
    with open(osp.join(work, 'results.png'), 'rb') as f:
        assert f.read(8) == b'\x89PNG\r\n\x1a\n'
    assert json.load(open(osp.join(work, 'results.json')))['results']['toy']['2']['method'] == {'score': 62.6}
    # One seed: no std, and the statement says that the noise is not estimated.
    reproduce.main(['--suite', 'mini', '--work-dir', work, '--seeds', '0'])
    assert '| method | 62.00 | +2.00 (1 seed: noise not estimated) |' in open(osp.join(work, 'results.md')).read()
    with pytest.raises(SystemExit, match='unknown experiment'):
        reproduce.main(['--suite', 'mini', '--work-dir', work, '--only', 'nope'])


# ------------------------------------------------------------------------------------------------ the registry


def test_default_registry_is_consistent():
    experiments = mini.default_experiments()
    names = [job.name for e in experiments for job in e.jobs]
    assert len(names) == len(set(names))
    assert {'sdn', 'semi', 'bat', 'cae_v2', 'omg_emotion'} == {e.name for e in experiments}
    for experiment in experiments:
        assert experiment.baseline in experiment.rows
        assert set(experiment.settings) == set(experiment.notes) == {'mini', 'readme'}
    for path in re.findall(r"'(configs/[^']+\.py)'", open(mini.__file__).read()):
        assert osp.isfile(osp.join(REPO_ROOT, path)), path


def test_bench_token_merge_table_is_parsed(capsys):
    from tools.benchmarks.bench_token_merge import main as bench_main
    bench_main(['--arch', 'deit-tiny', '--shape', '32', '--batch', '2', '--rounds', '1', '--warmup', '0'])
    rows = mini.parse_bench_table(capsys.readouterr().out)
    assert set(rows) == set(mini.BENCH_ROWS.values())
    assert rows['DeiT (keep rate 1)']['speedup'] == 1.0
    assert rows['BAT']['gflops'] < rows['DeiT (keep rate 1)']['gflops']


# ------------------------------------------------------------------------------------------------ paper suite


def test_paper_suite_reports_a_real_run(tmp_path, tiny_seg_config, seg_data_overrides):
    from tools import train as train_tool  # here: the killed-suite test imports this module without torch
    work = str(tmp_path / 'runs' / 'tiny')
    train_tool.main([tiny_seg_config, '--work-dir', work, '--cfg-options', *seg_data_overrides,
                     'train_cfg.max_iters=2', 'train_cfg.val_interval=2', 'param_scheduler.0.end=2',
                     'default_hooks.checkpoint.interval=2'])
    # The run's mIoU as the text log prints it (independent of the scalars.json that the suite reads).
    log = open(glob.glob(osp.join(work, '*', '*.log'))[0]).read()
    miou = float(re.findall(r'mIoU: ([\d.]+)', log)[-1])
    results = tmp_path / 'paper.yml'
    results.write_text(yaml.safe_dump({'Tiny': {'readme': 'tests/data/tiny_fcn_synthetic.py', 'metric': ['mIoU'],
                                                'select': 'last',
                                                'results': [{'config': 'tiny_fcn_synthetic', 'value': 50.0}]}}))
    text = paper.paper_report([str(tmp_path / 'runs')], str(results))
    assert f'| tiny_fcn_synthetic | 50.00 | {miou:.2f} | {miou - 50:+.2f} | {work} |' in text
    # With the repository's paper numbers the run is a config without a paper number; rows without runs print
    # their launch command.
    text = paper.paper_report([str(tmp_path / 'runs')])
    assert re.search(rf'\| tiny_fcn_synthetic \| {re.escape(work)} \| .*mIoU {miou:.4g}', text)
    assert ('| bat_deit-small-kr0.7_8xb256-300e_in1k | 79.58 | – | – | not run: `bash tools/dist_train.sh '
            'configs/bat/bat_deit-small-kr0.7_8xb256-300e_in1k.py 8` |') in text


def test_select_value_and_train_command():
    entries = [{'loss': 1.0}, {'mIoU': 40.0, 'mse': 3.0}, {'mIoU': 45.0, 'mse': 1.0}, {'mIoU': 42.0, 'mse': 2.0}]
    assert paper.select_value(entries, ['teacher/mIoU', 'mIoU'], 'last') == 42.0
    assert paper.select_value(entries, ['mIoU'], 'best') == 45.0
    assert paper.select_value(entries, ['mIoU'], 'at_min:mse') == 45.0
    assert paper.select_value(entries, ['top1'], 'last') is None
    with pytest.raises(ValueError, match='select'):
        paper.select_value(entries, ['mIoU'], 'median')
    assert paper.train_command('c/a_2xb8+8-80e_voc.py') == 'bash tools/dist_train.sh c/a_2xb8+8-80e_voc.py 2'
    assert paper.train_command('c/b_16xb128-300e_in1k.py').startswith('GPUS=16 GPUS_PER_NODE=8 bash tools/slurm_train')
    assert paper.train_command('c/e_1xb300-300e_omg.py') == 'python tools/train.py c/e_1xb300-300e_omg.py'


def test_mini_paper_gains_match_the_readmes():
    for experiment in mini.default_experiments():
        assert set(experiment.paper) <= set(experiment.rows) - {experiment.baseline}, experiment.name
        for row, note in experiment.paper.items():
            if isinstance(note, str):
                assert not re.search(r'\d', note), (row, note)  # numbers only in a PaperGain, where they are checked
                continue
            readme = open(osp.join(REPO_ROOT, note.readme)).read()
            for number in [f'{note.method}', f'{note.baseline}', *re.findall(r'\d+(?:\.\d+)?', note.setting)]:
                assert number in readme, f'{experiment.name}, {row}: {number} is not in {note.readme}'


def test_paper_numbers_match_the_readmes_and_configs():
    for method, spec in paper.load_paper_results().items():
        readme = open(osp.join(REPO_ROOT, spec['readme'])).read()
        stems = {osp.splitext(osp.basename(p))[0]
                 for p in glob.glob(osp.join(REPO_ROOT, osp.dirname(spec['readme']), '**', '*.py'), recursive=True)}
        for entry in spec['results']:
            assert f'{entry["value"]}' in readme, f'{method}: {entry["value"]} is not in {spec["readme"]}'
            assert entry['config'] is None or entry['config'] in stems, entry['config']


# ------------------------------------------------------------------------------------------------ model index


def test_model_index_lists_every_metafile():
    index = yaml.safe_load(open(osp.join(REPO_ROOT, 'model-index.yml')))
    metafiles = sorted(osp.relpath(p, REPO_ROOT) for p in glob.glob(osp.join(REPO_ROOT, 'configs', '*',
                                                                             'metafile.yml')))
    assert sorted(index['Import']) == metafiles
    for metafile in metafiles:
        meta = yaml.safe_load(open(osp.join(REPO_ROOT, metafile)))
        collections = {c['Name'] for c in meta['Collections']}
        assert meta['Models'], metafile
        for model in meta['Models']:
            assert model['In Collection'] in collections, (metafile, model['Name'])
            assert osp.isfile(osp.join(REPO_ROOT, model['Config'])), (metafile, model['Config'])
