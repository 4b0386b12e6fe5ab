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
        str: e.g. ``'+0.54, within noise (1.7 SE; 95 % needs 2.78, 3 + 3 seeds)'``,
        ``'-3.29, beyond noise (20.7 SE > 2.78, 3 + 3 seeds)'``, ``'+0.40 (1 seed: noise not estimated)'``.
    """
    from scipy.stats import t as student_t
    delta = float(np.mean(values) - np.mean(baseline))
    text = f'{delta:+.{digits}f}'
    pooled = pooled_std(values, baseline)
    if pooled is None:
        return f'{text} (1 seed: noise not estimated)'
    seeds = f'{len(values)} + {len(baseline)} seeds'
    critical = float(student_t.ppf(0.975, len(values) + len(baseline) - 2))
    stderr = pooled * math.sqrt(1 / len(values) + 1 / len(baseline))
    if stderr == 0:
        return f'{text}, {"within" if delta == 0 else "beyond"} noise (no spread over {seeds})'
    ratio = abs(delta) / stderr
    if ratio < critical:
        return f'{text}, within noise ({ratio:.1f} SE; 95 % needs {critical:.2f}, {seeds})'
    return f'{text}, beyond noise ({ratio:.1f} SE > {critical:.2f}, {seeds})'


def experiment_table(experiment, results: Dict[int, Dict[str, Dict[str, float]]]) -> List[str]:
    """Markdown lines of one experiment: a row per setting, mean ± std over seeds of each metric, and Δ of the
    primary metric against the baseline row with its noise statement.

    Args:
        experiment (Experiment): what was run (rows, metrics, baseline row, primary metric).
        results (dict[int, dict[str, dict[str, float]]]): per seed, per row, per metric key, the value.
    """
    seeds = sorted(results)
    metrics = [m for m in experiment.metrics if any(m.key in results[s].get(r, {})
                                                    for s in seeds for r in experiment.rows)]
    primary = experiment.metrics[0]
    header = ['setting', *[m.label for m in metrics], f'Δ {primary.label} vs {experiment.baseline}']
    lines = ['| ' + ' | '.join(header) + ' |', '|' + '---|' * len(header)]

    def values(row: str, key: str) -> List[float]:
        return [results[s][row][key] for s in seeds if key in results[s].get(row, {})]

    for row in experiment.rows:
        cells = [format_mean_std(values(row, m.key), m.digits) if values(row, m.key) else '–' for m in metrics]
        ours, base = values(row, primary.key), values(experiment.baseline, primary.key)
        if row == experiment.baseline:
            comparison = 'baseline'
        elif ours and base:
            comparison = noise_statement(ours, base, primary.digits)
        else:
            comparison = '–'
        lines.append(f'| {row} | ' + ' | '.join(cells) + f' | {comparison} |')
    return lines


def plot(experiments, results: Dict[str, Dict[int, Dict[str, Dict[str, float]]]], path: str, title: str) -> None:
    """One panel per experiment: the primary metric of every row, mean over seeds with ± sample-std error bars
    (none with one seed) and the seeds as dots; the baseline bar is grey. Written as a PNG with matplotlib's Agg."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    shown = [e for e in experiments if results.get(e.name)]
    if not shown:
        return
    columns = min(3, len(shown))
    rows = math.ceil(len(shown) / columns)
    fig, axes = plt.subplots(rows, columns, figsize=(5.2 * columns, 3.6 * rows), squeeze=False)
    for ax in axes.flat[len(shown):]:
        ax.axis('off')
    for ax, experiment in zip(axes.flat, shown):
        per_seed = results[experiment.name]
        key = experiment.metrics[0].key
        labels, means, stds, dots = [], [], [], []
        for row in experiment.rows:
            values = [per_seed[s][row][key] for s in sorted(per_seed) if key in per_seed[s].get(row, {})]
            if not values:
                continue
            mean, std = mean_and_std(values)
            labels.append(row)
            means.append(mean)
            stds.append(std or 0.0)
            dots.append(values)
        positions = np.arange(len(labels))
        colours = ['0.6' if label == experiment.baseline else 'C0' for label in labels]
        ax.barh(positions, means, xerr=stds, color=colours, capsize=3)
        for y, values in zip(positions, dots):
            ax.plot(values, [y] * len(values), 'k.', markersize=4)
        ax.set_yticks(positions, labels, fontsize=8)
        ax.invert_yaxis()
        low = min(min(v) for v in dots)
        high = max(max(v) for v in dots)
        margin = max(high - low, abs(high) * 0.02, 1e-3)
        ax.set_xlim(min(low - margin, 0) if low < 0 else max(0, low - 2 * margin), high + margin)
        ax.set_xlabel(experiment.metrics[0].label, fontsize=8)
        ax.set_title(experiment.title, fontsize=9)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
