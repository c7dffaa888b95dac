"""Per-sample metric values and their aggregation: what the lmms-eval hooks log and aggregate, and
what ``sarchat rescore`` and ``sarchat score`` recompute from the same code.

Besides a task's own columns (``registry.TaskSpec.columns``), every sample carries its Table 3
columns under ``avg_score`` and under its category's ``category_<name>`` (None under the others),
so that one aggregation, ``task_score``, gives the task score a_t (paper equation 5) over all of a
task's samples or over one category's; and ``parse_failure_rate``, 1 when nothing in the answer
could be read.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from sarchat_tasks.registry import COLUMN_BY_NAME, TASKS
from sarchat_tasks.scoring import AGGREGATIONS, MAX_RESPONSE_CHARS, POOLED, SHARE, count_of_samples, share_of_samples
from sarchat_tasks.utils.vocabulary import CATEGORIES

# lmms-eval's API backends (openai, gemini, ...) put this text where the answer of a request they
# never got one for should be: it is not an answer, so such a sample is not scored (every metric
# None, which the aggregations skip) and counts in failed_requests instead.
FAILED_MARKER = "[LMMS_EVAL_REQUEST_FAILED"
FAILED_REQUESTS = "failed_requests"
_CATEGORY_METRICS = tuple(f"category_{name}" for name in CATEGORIES)
# The metrics every task reports besides its columns, with their aggregation and direction.
EXTRA_METRICS: tuple[tuple[str, str, bool], ...] = (
    ("avg_score", "task_score", True),
    ("parse_failure_rate", "share_of_samples", False),
    (FAILED_REQUESTS, "count_of_samples", False),
    *((name, "task_score", True) for name in _CATEGORY_METRICS),
)
_AGGREGATION_NAMES = {SHARE: "share_of_samples", POOLED: "pooled_accuracy"}


def metric_list() -> list[tuple[str, str, bool]]:
    """(metric, aggregation function name in ``sarchat_tasks.hooks``, higher is better) for every
    metric of the suite: the task YAMLs' ``metric_list``, generated from the registry."""
    columns = [(c.name, _AGGREGATION_NAMES[c.kind], True) for spec in TASKS.values() for c in spec.columns]
    return [*columns, *EXTRA_METRICS]


def score_sample(
    task: str,
    subset: str,
    response: Any,
    reference: Mapping[str, Any],
    width: int,
    height: int,
    conventions: Mapping[str, str] | None = None,
    reading: dict[str, Any] | None = None,
) -> tuple[dict[str, Any], bool]:
    """Score one response: ``({column: value}, parse_failure)`` over all of the task's columns,
    where a share column's value is 0/1, a pooled column's is ``[tp, fp, fn]``, and None marks a
    column the sample does not belong to. Never raises on the response. Given a dict as
    ``reading``, the scorer fills it with what it read and why it scored so (``sarchat inspect``)."""
    spec = TASKS[task]
    text = response[:MAX_RESPONSE_CHARS] if isinstance(response, str) else ""
    try:
        scored, failure = spec.score(text, subset, reference, width, height, conventions, reading=reading)
    except Exception:  # model output is untrusted: fall back to scoring an empty answer
        if reading is not None:
            reading.clear()
            reading["scoring_error"] = "the response could not be read; scored as an empty answer"
        scored, failure = spec.score("", subset, reference, width, height, conventions, reading=reading)
    columns = dict.fromkeys(spec.column_names)
    columns.update(scored)
    return columns, failure


def column_score(name: str, values: Iterable[Any]) -> float | None:
    """Aggregate one column's per-sample values."""
    return AGGREGATIONS[COLUMN_BY_NAME[name].kind](values)


def task_score(records: Iterable[Mapping[str, Any] | None]) -> float | None:
    """a_t of paper equation 5: the plain mean of the task's Table 3 columns, each aggregated over
    the records given. Columns no record applies to are left out of the mean."""
    by_column: dict[str, list] = {}
    for record in records:
        if record is None:
            continue
        for name, value in record.items():
            by_column.setdefault(name, []).append(value)
    scores = [column_score(name, values) for name, values in by_column.items()]
    scores = [s for s in scores if s is not None]
    if not scores:
        return None
    return sum(scores) / len(scores)


def table_record(task: str, columns: Mapping[str, Any]) -> dict[str, Any]:
    """The Table 3 columns of one sample (the record task_score aggregates)."""
    return {name: columns[name] for name in TASKS[task].table_column_names}


def sample_metrics(
    task: str,
    subset: str,
    category: str | None,
    response: Any,
    reference: Mapping[str, Any],
    width: int,
    height: int,
    conventions: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Every metric's per-sample value, as the lmms-eval hook logs it: the task's columns, the
    sample's Table 3 record under ``avg_score`` and under its category's ``category_<name>``
    (None under the others), and ``parse_failure_rate`` (0 or 1)."""
    columns, parse_failure = score_sample(task, subset, response, reference, width, height, conventions)
    out: dict[str, Any] = dict(columns)
    record = table_record(task, columns)
    out["avg_score"] = record
    out["parse_failure_rate"] = int(parse_failure)
    out.update(dict.fromkeys(_CATEGORY_METRICS))
    if category in CATEGORIES:
        out["category_" + category] = record
    return out


def row_metrics(row: Mapping[str, Any], response: Any, conventions: Mapping[str, str] | None = None) -> dict[str, Any]:
    """``sample_metrics`` for a prepared row (an lmms-eval doc), and ``failed_requests``: what
    ``hooks.process_results`` logs and ``sarchat rescore`` and ``merge`` recompute. A failed
    request (lmms-eval's marker text) gets None for every metric and ``failed_requests`` 1."""
    failed = is_failed_request(response)
    reference = json.loads(row["reference"])
    values = sample_metrics(
        row["task"], row["subset"], row["category"], "" if failed else response, reference, row["width"], row["height"],
        conventions,
    )  # fmt: skip
    if failed:
        values = dict.fromkeys(values)
    values[FAILED_REQUESTS] = int(failed)
    return values


def is_failed_request(response: Any) -> bool:
    """Whether a response is lmms-eval's failure marker rather than the model's answer."""
    return isinstance(response, str) and response.lstrip().startswith(FAILED_MARKER)


def aggregate_metrics(task: str, samples: list[Mapping[str, Any]]) -> dict[str, Any]:
    """A task's metrics over per-sample values from ``sample_metrics``, as the task YAML's
    aggregations compute them."""
    metrics: dict[str, Any] = {c.name: column_score(c.name, [s[c.name] for s in samples]) for c in TASKS[task].columns}
    metrics["avg_score"] = task_score(s["avg_score"] for s in samples)
    metrics["parse_failure_rate"] = share_of_samples(s["parse_failure_rate"] for s in samples)
    # logs written before the metric existed have no failed_requests: none failed then
    metrics[FAILED_REQUESTS] = count_of_samples(s.get(FAILED_REQUESTS) for s in samples)
    for name in CATEGORIES:
        metrics[f"category_{name}"] = task_score(s[f"category_{name}"] for s in samples)
    return metrics


def score_records(
    task: str,
    samples: Iterable[tuple[str, Any, Mapping[str, Any], int, int, str | None]],
    conventions: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Score (subset, response, reference, width, height, category) tuples of one task and return
    every metric, with the number of samples under ``samples``."""
    values = [
        sample_metrics(task, subset, category, response, reference, width, height, conventions)
        for subset, response, reference, width, height, category in samples
    ]
    metrics = aggregate_metrics(task, values)
    metrics["samples"] = len(values)
    return metrics
