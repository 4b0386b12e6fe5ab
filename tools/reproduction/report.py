"""Tables, noise statements and the figure of the mini suite (pure functions on numbers, no training)."""
import math
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence

import numpy as np


def mean_and_std(values: Sequence[float]) -> tuple:
    """Mean and sample standard deviation (ddof=1; None for fewer than two values)."""
    values = np.asarray(values, dtype=float)
    return float(values.mean()), (float(values.std(ddof=1)) if values.size > 1 else None)


def format_mean_std(values: Sequence[float], digits: int) -> str:
    """``'m ± s'`` over seeds, or just ``'m'`` for one seed (no spread to show)."""
    mean, std = mean_and_std(values)
    return f'{mean:.{digits}f}' if std is None else f'{mean:.{digits}f} ± {std:.{digits}f}'


def pooled_std(a: Sequence[float], b: Sequence[float]) -> Optional[float]:
    """Pooled sample standard deviation of two groups, sqrt(((na-1) sa^2 + (nb-1) sb^2) / (na + nb - 2)); None
    unless both groups have at least two values."""
    if len(a) < 2 or len(b) < 2:
        return None
    var_a, var_b = np.var(a, ddof=1), np.var(b, ddof=1)
    return float(math.sqrt(((len(a) - 1) * var_a + (len(b) - 1) * var_b) / (len(a) + len(b) - 2)))


@dataclass(frozen=True)
class NoiseVerdict:
    """Whether a row's Δ to the baseline stands out of the seed-to-seed noise (see :func:`noise_verdict`).

    Attributes:
        delta (float): difference of the means, row − baseline.
        ratio (float, optional): |Δ| in standard errors; None when not estimated (one seed) or without spread.
        critical (float, optional): the two-sided 95 % quantile of Student's t; None with one seed.
        within (bool, optional): True within noise, False beyond, None when the noise is not estimated.
    """
    delta: float
    ratio: Optional[float]
    critical: Optional[float]
    within: Optional[bool]


def noise_verdict(values: Sequence[float], baseline: Sequence[float]) -> NoiseVerdict:
    """Δ of the means (row − baseline) and whether it stands out of the seed-to-seed noise.

    The noise of Δ is its standard error from the pooled std over seeds, ``s_p * sqrt(1/n_a + 1/n_b)``; Δ is
    "within noise" when ``|Δ| / SE`` is below the two-sided 95 % quantile of Student's t with ``n_a + n_b - 2``
    degrees of freedom (2.78 for 3 + 3 seeds), i.e. an equal-variance t-test at 5 % does not reject "no
    difference". This is deliberately stricter than "|Δ| > one pooled std": with 3 seeds a gap of 1.4 stds is
    ordinary. With one seed in either row no noise is estimated (``within`` None); when every seed of both rows
    gives the same value, only Δ = 0 is within noise.

    Args:
        values (Sequence[float]): the row's metric, one value per seed.
        baseline (Sequence[float]): the baseline row's metric, one value per seed.
    """
    from scipy.stats import t as student_t
    delta = float(np.mean(values) - np.mean(baseline))
    pooled = pooled_std(values, baseline)
    if pooled is None:
        return NoiseVerdict(delta, None, None, None)
    critical = float(student_t.ppf(0.975, len(values) + len(baseline) - 2))
    stderr = pooled * math.sqrt(1 / len(values) + 1 / len(baseline))
    if stderr == 0:
        return NoiseVerdict(delta, None, critical, delta == 0)
    ratio = abs(delta) / stderr
    return NoiseVerdict(delta, ratio, critical, ratio < critical)


def noise_statement(values: Sequence[float], baseline: Sequence[float], digits: int = 2) -> str:
    """:func:`noise_verdict` in words.

    Args:
        values (Sequence[float]): the row's metric, one value per seed.
        baseline (Sequence[float]): the baseline row's metric, one value per seed.
        digits (int): decimals of Δ.

    Returns:
        str: e.g. ``'+0.54, within noise (1.7 SE < 2.78)'`` (|Δ| in standard errors, and the 95 % quantile of t),
        ``'-3.29, beyond noise (20.6 SE > 2.78)'``, ``'+0.40 (1 seed: noise not estimated)'``.
    """
    verdict = noise_verdict(values, baseline)
    text = f'{verdict.delta:+.{digits}f}'
    if verdict.within is None:
        return f'{text} (1 seed: noise not estimated)'
    where = 'within' if verdict.within else 'beyond'
    if verdict.ratio is None:
        return f'{text}, {where} noise (no spread over seeds)'
    sign = '<' if verdict.within else '>'
    return f'{text}, {where} noise ({verdict.ratio:.1f} SE {sign} {verdict.critical:.2f})'


def experiment_table(experiment, results: Dict[int, Dict[str, Dict[str, float]]]) -> List[str]:
    """Markdown lines of one experiment: a row per setting, mean ± std over seeds of each metric, for each compared
    metric the Δ against the baseline row with its noise statement, and, when the experiment has paper texts, what
    the method's paper reports against the same kind of baseline.

    Args:
        experiment (Experiment): what was run (rows, metrics, compared metrics, baseline row, paper texts).
        results (dict[int, dict[str, dict[str, float]]]): per seed, per row, per metric key, the value.
    """
    seeds = sorted(results)

    def values(row: str, key: str) -> List[float]:
        return [results[s][row][key] for s in seeds if key in results[s].get(row, {})]

    metrics = [m for m in experiment.metrics if any(values(r, m.key) for r in experiment.rows)]
    compared = [m for m in experiment.compared if m in metrics]
    header = ['setting', *[m.label for m in metrics], *[f'Δ {m.label}' for m in compared]]
    if experiment.paper:
        header.append('paper')
    lines = ['| ' + ' | '.join(header) + ' |', '|' + '---|' * len(header)]
    for row in experiment.rows:
        cells = [format_mean_std(values(row, m.key), m.digits) if values(row, m.key) else '–' for m in metrics]
        for metric in compared:
            ours, base = values(row, metric.key), values(experiment.baseline, metric.key)
            if row == experiment.baseline:
                cells.append('baseline')
            else:
                cells.append(noise_statement(ours, base, metric.digits) if ours and base else '–')
        if experiment.paper:
            cells.append(str(experiment.paper.get(row, '–')))
        lines.append(f'| {row} | ' + ' | '.join(cells) + ' |')
    return lines


# Marker of a method row in the figure by its verdict (within None: one seed, noise not estimated).
_MARKS = {False: dict(marker='o'), True: dict(marker='o', markerfacecolor='white'),
          None: dict(marker='o', fillstyle='left', markerfacecoloralt='white')}


def _verdict_label(verdict: NoiseVerdict, digits: int) -> str:
    """The figure's label above a method's dot: ``'Δ +2.20'``, ``'≈ noise (Δ +0.54)'`` or ``'Δ +0.40, 1 seed'``."""
    delta = f'Δ {verdict.delta:+.{digits}f}'
    if verdict.within is None:
        return f'{delta}, 1 seed'
    return f'≈ noise ({delta})' if verdict.within else delta


def plot(experiments, results: Dict[str, Dict[int, Dict[str, Dict[str, float]]]], path: str, title: str) -> None:
    """One panel per compared metric of every experiment, a line per row: its mean over seeds (dot) with ± sample-std
    bars (none with one seed), the seeds as small crosses, and a dashed line at the baseline's mean (the baseline in
    grey). A method's dot is filled when its Δ to the baseline is beyond the seed noise (:func:`noise_verdict`),
    hollow when within it, half-filled with one seed; the label above it gives Δ. The experiment's paper text of a
    row is written at the right of the panel. Dots rather than bars: the axes do not start at zero. Written as a PNG
    with matplotlib's Agg backend."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    panels = [(e, m) for e in experiments if results.get(e.name) for m in e.compared]
    if not panels:
        return
    # Two panels across: the paper texts at the right of each panel need about as much width as the data.
    columns = min(2, len(panels))
    rows = math.ceil(len(panels) / columns)
    most = max(len(e.rows) for e, _ in panels)
    handles = [Line2D([], [], color='0.45', linestyle='--', marker='o', label='baseline (dashed: its mean)'),
               *[Line2D([], [], color='C0', linestyle='none', markersize=7, markeredgewidth=1.3, label=label,
                        **_MARKS[within])
                 for within, label in ((False, 'Δ beyond the seed noise'), (True, '≈ noise: Δ within the seed noise'),
                                       (None, '1 seed: noise not estimated'))],
               Line2D([], [], color='0.3', linestyle='none', marker='x', label='single seeds')]
    legend_columns = len(handles) if columns > 1 else 2  # one panel is too narrow for the legend on one line
    footer = 0.4 + 0.22 * math.ceil(len(handles) / legend_columns)  # inches under the panels: legend, footnote
    height = 0.4 + footer + (0.9 + 0.42 * most) * rows
    fig, axes = plt.subplots(rows, columns, figsize=(7.6 * columns, height), squeeze=False)
    for ax in axes.flat[len(panels):]:
        ax.axis('off')
    for ax, (experiment, metric) in zip(axes.flat, panels):
        per_seed = results[experiment.name]
        shown = [(row, [per_seed[s][row][metric.key] for s in sorted(per_seed)
                        if metric.key in per_seed[s].get(row, {})]) for row in experiment.rows]
        shown = [(row, values) for row, values in shown if values]
        base = dict(shown).get(experiment.baseline)
        for y, (row, values) in enumerate(shown):
            mean, std = mean_and_std(values)
            if row == experiment.baseline:
                colour, mark, label = '0.45', _MARKS[False], 'baseline'
                ax.axvline(mean, color='0.6', linestyle='--', linewidth=1)
            elif base:
                verdict = noise_verdict(values, base)
                colour, mark, label = 'C0', _MARKS[verdict.within], _verdict_label(verdict, metric.digits)
            else:  # the baseline job failed: nothing to compare with
                colour, mark, label = 'C0', _MARKS[False], None
            ax.errorbar([mean], [y], xerr=[std or 0.0], color=colour, capsize=4, markersize=7,
                        markeredgewidth=1.3, linestyle='none', **mark)
            ax.plot(values, [y] * len(values), 'x', color=colour, alpha=0.6, markersize=5)
            if label:
                # On a white box: the label of a row near the baseline's mean sits on its dashed line.
                ax.annotate(label, (mean, y), xytext=(0, 6), textcoords='offset points', ha='center', va='bottom',
                            fontsize=7, color='0.3' if row == experiment.baseline else 'C0',
                            bbox=dict(facecolor='white', edgecolor='none', pad=0.3, alpha=0.85))
            if row in experiment.paper:
                ax.annotate(f'paper: {experiment.paper[row]}', (1.02, y), xycoords=('axes fraction', 'data'),
                            va='center', fontsize=7, style='italic', color='0.25', annotation_clip=False)
        ax.set_yticks(range(len(shown)), [row for row, _ in shown], fontsize=8)
        ax.set_ylim(len(shown) - 0.4, -0.7)  # room above the first row for its label
        ax.margins(x=0.2)
        ax.tick_params(axis='x', labelsize=7)
        ax.set_xlabel(metric.label, fontsize=8)
        ax.set_title(experiment.title, fontsize=8)
        ax.grid(axis='x', alpha=0.3)
    fig.legend(handles=handles, loc='lower center', ncol=legend_columns, fontsize=8, frameon=False,
               bbox_to_anchor=(0.5, 0.36 / height))
    fig.text(0.5, 0.05 / height, 'Bars: ± sample std over seeds. Noise: equal-variance t-test at 5 % (|Δ| / SE '
             'against the t quantile).\n"paper:" the published gain of the method over the same kind of baseline '
             '(dataset, model); the toy settings differ, so only its sign compares.', ha='center', va='bottom',
             fontsize=7, color='0.3')
    fig.suptitle(title, fontsize=10)
    fig.tight_layout(rect=(0, footer / height, 1, 1))
    fig.savefig(path, dpi=110)
    plt.close(fig)
