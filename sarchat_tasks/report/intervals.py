"""95 % intervals for Table 3 from lmms-eval sample logs: a percentile bootstrap over images.

Several records share an image (an image with three ships gives a counting, a grounding, three
referring and many identification records), and their scores move together, so resampling records
would understate the spread. The bootstrap resamples images with replacement, jointly across the
six tasks, and recomputes every statistic exactly as the scoring does on each replicate:

* a share column is 100 * sum(values) / applicable samples, a pooled one 100 * sum TP / sum(TP+FP+FN),
  so both are ratios of per-image sums: one matrix product per replicate batch gives them all;
* a task score a_t is the mean of the task's columns defined on the replicate (``task_score``);
* the suite's avg_score weighs a_t by the replicate's sample count n_t (paper equation 4).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from sarchat_tasks.cli import progress
from sarchat_tasks.registry import COLUMN_BY_NAME, TASKS
from sarchat_tasks.results.run_logs import sample_image
from sarchat_tasks.scoring import POOLED
from sarchat_tasks.utils.vocabulary import CATEGORIES

ALL = "all"
DEFAULT_ITERATIONS = 1000
BATCH_BYTES = 64 * 2**20


@dataclass(frozen=True)
class Estimate:
    """A statistic on the logged samples and its bootstrap interval (None where undefined)."""

    value: float | None
    low: float | None
    high: float | None


@dataclass
class Intervals:
    """Every interval of one model: Table 3 columns, task scores (overall and per category) and
    the suite's avg_score (None unless every task present has a sample log)."""

    columns: dict[str, Estimate]
    tasks: dict[str, Estimate]
    categories: dict[str, dict[str, Estimate]]
    avg_score: Estimate | None
    iterations: int
    images: int


def _table_columns(task: str) -> list[str]:
    return [c.name for c in TASKS[task].table_columns]


def _scopes() -> list[str]:
    return [ALL, *CATEGORIES]


def _record(sample: Mapping[str, Any], scope: str) -> Mapping[str, Any] | None:
    key = "avg_score" if scope == ALL else f"category_{scope}"
    value = sample.get(key)
    return value if isinstance(value, Mapping) else None


def _resample_counts(rng: np.random.Generator, batch: int, n: int) -> np.ndarray:
    """(batch, n) multiplicities of n units drawn with replacement n times, per replicate."""
    draws = rng.integers(0, n, size=(batch, n))
    flat = (draws + (np.arange(batch) * n)[:, None]).ravel()
    return np.bincount(flat, minlength=batch * n).reshape(batch, n).astype(np.float64)


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, 100.0 * num / np.where(den > 0, den, 1.0), np.nan)


def _nanmean(values: np.ndarray) -> np.ndarray:
    """Mean over the last axis ignoring NaN; NaN where every entry is NaN (no warning)."""
    finite = ~np.isnan(values)
    count = finite.sum(axis=-1)
    total = np.where(finite, values, 0.0).sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def bootstrap_intervals(
    samples_by_task: Mapping[str, Sequence[Mapping[str, Any]]],
    *,
    iterations: int = DEFAULT_ITERATIONS,
    seed: int = 0,
    level: float = 0.95,
) -> Intervals:
    """Percentile intervals for every statistic of one model, from its logged samples.

    ``samples_by_task`` maps a task to its sample-log records (each with ``input_media``,
    ``avg_score`` and ``category_<name>`` holding the sample's Table 3 record). The point value is
    the statistic on the samples as logged, so it equals the results file's number.
    """
    tasks = [t for t in TASKS if t in samples_by_task]
    images: dict[str, int] = {}
    for task in tasks:
        for sample in samples_by_task[task]:
            images.setdefault(sample_image(sample, task), len(images))
    n_images = len(images)
    # Statistic layout: one (num, den) column per (task, scope, Table 3 column), then n_t per task.
    keys = [(task, scope, column) for task in tasks for scope in _scopes() for column in _table_columns(task)]
    index = {key: i for i, key in enumerate(keys)}
    num = np.zeros((n_images, len(keys)))
    den = np.zeros((n_images, len(keys)))
    sizes = np.zeros((n_images, len(tasks)))
    for t, task in enumerate(tasks):
        for sample in samples_by_task[task]:
            unit = images[sample_image(sample, task)]
            sizes[unit, t] += 1
            for scope in _scopes():
                record = _record(sample, scope)
                if record is None:
                    continue
                for column, value in record.items():
                    if value is None or (task, scope, column) not in index:
                        continue
                    k = index[(task, scope, column)]
                    if COLUMN_BY_NAME[column].kind == POOLED:
                        num[unit, k] += value[0]
                        den[unit, k] += value[0] + value[1] + value[2]
                    else:
                        num[unit, k] += value
                        den[unit, k] += 1

    def statistics(w: np.ndarray) -> np.ndarray:
        """(B, n_stats): columns, then task scores per scope, then avg_score, for weights w (B, I)."""
        ratios = _ratio(w @ num, w @ den)
        n_t = w @ sizes
        task_scores = []
        for task in tasks:
            for scope in _scopes():
                cols = [index[(task, scope, c)] for c in _table_columns(task)]
                task_scores.append(_nanmean(ratios[:, cols]))
        task_matrix = np.stack(task_scores, axis=1) if task_scores else np.zeros((w.shape[0], 0))
        overall = task_matrix[:, [t * len(_scopes()) for t in range(len(tasks))]]
        usable = ~np.isnan(overall) & (n_t > 0)
        weight = np.where(usable, n_t, 0.0).sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            avg = np.where(weight > 0, np.where(usable, overall * n_t, 0.0).sum(axis=1) / np.maximum(weight, 1), np.nan)
        return np.concatenate([ratios, task_matrix, avg[:, None]], axis=1)

    point = statistics(np.ones((1, n_images)))[0]
    rng = np.random.default_rng(seed)
    replicates = []
    batch = max(1, min(iterations, BATCH_BYTES // max(1, 8 * n_images * 3)))
    batches = [min(batch, iterations - done) for done in range(0, iterations, batch)] if n_images else []
    for size in progress(batches, desc="bootstrap", unit="batch", disable=len(batches) < 2):
        replicates.append(statistics(_resample_counts(rng, size, n_images)))
    reps = np.concatenate(replicates, axis=0) if replicates else np.full((0, point.size), np.nan)
    tail = 100.0 * (1.0 - level) / 2.0
    lows, highs = np.full(point.size, np.nan), np.full(point.size, np.nan)
    defined = (~np.isnan(reps)).sum(axis=0) > 0 if reps.size else np.zeros(point.size, bool)
    if defined.any():
        lows[defined] = np.nanpercentile(reps[:, defined], tail, axis=0)
        highs[defined] = np.nanpercentile(reps[:, defined], 100.0 - tail, axis=0)

    def estimate(i: int) -> Estimate:
        as_float = [None if np.isnan(x) else float(x) for x in (point[i], lows[i], highs[i])]
        return Estimate(*as_float)

    columns = {column: estimate(index[(task, ALL, column)]) for task in tasks for column in _table_columns(task)}
    offset = len(keys)
    task_estimates: dict[str, Estimate] = {}
    categories: dict[str, dict[str, Estimate]] = {}
    for t, task in enumerate(tasks):
        for s, scope in enumerate(_scopes()):
            value = estimate(offset + t * len(_scopes()) + s)
            if scope == ALL:
                task_estimates[task] = value
            else:
                categories.setdefault(task, {})[scope] = value
    avg = estimate(point.size - 1) if tasks else None
    return Intervals(columns, task_estimates, categories, avg, iterations, n_images)
