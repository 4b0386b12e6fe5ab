"""Tables, noise statements and the figure of the mini suite (pure functions on numbers, no training)."""
import math
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


def noise_statement(values: Sequence[float], baseline: Sequence[float], digits: int = 2) -> str:
    """Δ of the means (row − baseline) and whether it stands out of the seed-to-seed noise.

    The noise of Δ is its standard error from the pooled std over seeds, ``s_p * sqrt(1/n_a + 1/n_b)``; Δ is
    "within noise" when ``|Δ| / SE`` is below the two-sided 95 % quantile of Student's t with ``n_a + n_b - 2``
    degrees of freedom (2.78 for 3 + 3 seeds), i.e. an equal-variance t-test at 5 % does not reject "no
    difference". This is deliberately stricter than "|Δ| > one pooled std": with 3 seeds a gap of 1.4 stds is
    ordinary. With one seed in either row no noise is estimated, and the statement says so.

    Args:
        values (Sequence[float]): the row's metric, one value per seed.
        baseline (Sequence[float]): the baseline row's metric, one value per seed.
        digits (int): decimals of Δ.

    Returns:
        str: e.g. ``'+0.54, within noise (1.7 SE < 2.78)'`` (|Δ| in standard errors, and the 95 % quantile of t),
        ``'-3.29, beyond noise (20.6 SE > 2.78)'``, ``'+0.40 (1 seed: noise not estimated)'``.
    """
    from scipy.stats import t as student_t
    delta = float(np.mean(values) - np.mean(baseline))
    text = f'{delta:+.{digits}f}'
    pooled = pooled_std(values, baseline)
    if pooled is None:
        return f'{text} (1 seed: noise not estimated)'
    critical = float(student_t.ppf(0.975, len(values) + len(baseline) - 2))
    stderr = pooled * math.sqrt(1 / len(values) + 1 / len(baseline))
    if stderr == 0:
        return f'{text}, {"within" if delta == 0 else "beyond"} noise (no spread over seeds)'
    ratio = abs(delta) / stderr
    if ratio < critical:
        return f'{text}, within noise ({ratio:.1f} SE < {critical:.2f})'
    return f'{text}, beyond noise ({ratio:.1f} SE > {critical:.2f})'


def experiment_table(experiment, results: Dict[int, Dict[str, Dict[str, float]]]) -> List[str]:
    """Markdown lines of one experiment: a row per setting, mean ± std over seeds of each metric, and for each
    compared metric the Δ against the baseline row with its noise statement.

    Args:
        experiment (Experiment): what was run (rows, metrics, compared metrics, baseline row).
        results (dict[int, dict[str, dict[str, float]]]): per seed, per row, per metric key, the value.
    """
    seeds = sorted(results)

    def values(row: str, key: str) -> List[float]:
        return [results[s][row][key] for s in seeds if key in results[s].get(row, {})]

    metrics = [m for m in experiment.metrics if any(values(r, m.key) for r in experiment.rows)]
    compared = [m for m in experiment.compared if m in metrics]
    header = ['setting', *[m.label for m in metrics], *[f'Δ {m.label}' for m in compared]]
    lines = ['| ' + ' | '.join(header) + ' |', '|' + '---|' * len(header)]
    for row in experiment.rows:
        cells = [format_mean_std(values(row, m.key), m.digits) if values(row, m.key) else '–' for m in metrics]
        for metric in compared:
            ours, base = values(row, metric.key), values(experiment.baseline, metric.key)
            if row == experiment.baseline:
                cells.append('baseline')
            else:
                cells.append(noise_statement(ours, base, metric.digits) if ours and base else '–')
        lines.append(f'| {row} | ' + ' | '.join(cells) + ' |')
    return lines


def plot(experiments, results: Dict[str, Dict[int, Dict[str, Dict[str, float]]]], path: str, title: str) -> None:
    """One panel per compared metric of every experiment: each row's mean over seeds (dot) with ± sample-std bars
    (none with one seed), the seeds as small crosses, and a dashed line at the baseline's mean (the baseline in
    grey). Dots rather than bars: the axes do not start at zero. Written as a PNG with matplotlib's Agg backend."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    panels = [(e, m) for e in experiments if results.get(e.name) for m in e.compared]
    if not panels:
        return
    columns = min(3, len(panels))
    rows = math.ceil(len(panels) / columns)
    fig, axes = plt.subplots(rows, columns, figsize=(5.4 * columns, 0.6 + 2.6 * rows), squeeze=False)
    for ax in axes.flat[len(panels):]:
        ax.axis('off')
    for ax, (experiment, metric) in zip(axes.flat, panels):
        per_seed = results[experiment.name]
        shown = [(row, [per_seed[s][row][metric.key] for s in sorted(per_seed)
                        if metric.key in per_seed[s].get(row, {})]) for row in experiment.rows]
        shown = [(row, values) for row, values in shown if values]
        for y, (row, values) in enumerate(shown):
            mean, std = mean_and_std(values)
            colour = '0.45' if row == experiment.baseline else 'C0'
            ax.errorbar([mean], [y], xerr=[std or 0.0], fmt='o', color=colour, capsize=4)
            ax.plot(values, [y] * len(values), 'x', color=colour, alpha=0.6, markersize=5)
            if row == experiment.baseline:
                ax.axvline(mean, color='0.6', linestyle='--', linewidth=1)
        ax.set_yticks(range(len(shown)), [row for row, _ in shown], fontsize=8)
        ax.set_ylim(len(shown) - 0.5, -0.5)
        ax.margins(x=0.15)
        ax.set_xlabel(metric.label, fontsize=8)
        ax.set_title(experiment.title, fontsize=8)
        ax.grid(axis='x', alpha=0.3)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
