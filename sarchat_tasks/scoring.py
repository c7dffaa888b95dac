"""SARChat-Bench scoring: reference parsing, per-sample scores and their aggregation into Table 3.

The paper (arXiv 2502.08168, section 4) names the metrics but publishes no code; the rules here are
this project's specification, written out rule by rule in docs/METRICS.md. Two kinds of column:

* ``share``: the percentage of applicable samples answered correctly (counting_only,
  grounding_abstract_position, identification_*);
* ``pooled``: Acc = sum TP / sum (TP + FP + FN) over the column's samples (paper equation 3),
  pooled so that an image with 40 ships weighs 40 times an image with one.

Scoring never raises on model output: a response that cannot be read scores as an empty answer.
Reference answers are parsed once, by ``parse_reference``, when a test set is prepared.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sarchat_tasks.errors import SarchatError
from sarchat_tasks.utils.answers import (
    ATTRIBUTES,
    categorised_boxes,
    description_items,
    stated_attributes,
    stated_count,
)
from sarchat_tasks.utils.boxes import parse_boxes
from sarchat_tasks.utils.matching import MatchResult, match_boxes_at
from sarchat_tasks.utils.vocabulary import CATEGORIES, find_categories, find_relations

TASKS: tuple[str, ...] = ("counting", "grounding", "identification", "referring", "description", "classification")
SUBSETS: tuple[str, ...] = ("multi", "single")
TASKS_WITH_SUBSETS: frozenset[str] = frozenset({"grounding", "identification", "referring"})
SHARE, POOLED = "share", "pooled"

# Only the first MAX_RESPONSE_CHARS of a response are read: the longest reference answer is a few
# thousand characters, and the bound keeps the time per sample bounded on runaway generations.
MAX_RESPONSE_CHARS = 100_000


@dataclass(frozen=True)
class Column:
    """One reported metric: its kind, the subset it covers (None = all), and whether it is a
    Table 3 column (and so enters the task score) or an extra."""

    name: str
    kind: str
    subset: str | None = None
    in_table: bool = True


TASK_COLUMNS: dict[str, tuple[Column, ...]] = {
    "counting": (
        Column("counting_only", SHARE),
        Column("counting_iou25", POOLED),
        Column("counting_iou50", POOLED),
    ),
    "grounding": (
        Column("grounding_abstract_position", SHARE),
        Column("grounding_multi", POOLED, "multi"),
        Column("grounding_single", POOLED, "single"),
        Column("grounding_multi_iou25", POOLED, "multi", in_table=False),
        Column("grounding_single_iou25", POOLED, "single", in_table=False),
    ),
    "identification": (
        Column("identification_multi", SHARE, "multi"),
        Column("identification_single", SHARE, "single"),
    ),
    "referring": (
        Column("referring_multi_iou25", POOLED, "multi"),
        Column("referring_multi_iou50", POOLED, "multi"),
        Column("referring_single_iou25", POOLED, "single"),
        Column("referring_single_iou50", POOLED, "single"),
    ),
    "description": (Column("description", POOLED),),
    "classification": (Column("classification", POOLED),),
}
TABLE3_COLUMNS: tuple[str, ...] = tuple(c.name for t in TASKS for c in TASK_COLUMNS[t] if c.in_table)
COLUMN_KIND: dict[str, str] = {c.name: c.kind for cols in TASK_COLUMNS.values() for c in cols}


class ReferenceAnswerError(SarchatError):
    """A reference answer that cannot be read into the structure its task needs."""


# ---------------------------------------------------------------------------------------------
# References (parsed once, at prepare time)
# ---------------------------------------------------------------------------------------------


def parse_reference(task: str, answer: str, width: int, height: int, question: str = "") -> dict[str, Any]:
    """The structure scoring compares against. Raises ``ReferenceAnswerError`` when unreadable.

    Boxes are read in pixels (the SARChat syntax); a box outside the image by more than one pixel
    is an error, since every reference box comes from an annotation inside its image.
    """
    if task not in TASK_COLUMNS:
        raise ReferenceAnswerError(f"unknown task {task!r}")
    if task in ("counting", "referring"):
        boxes = _reference_boxes(answer, width, height)
        category = _question_category(question)
        if task == "counting":
            count = stated_count(answer)
            return {"count": len(boxes) if count is None else count, "boxes": boxes, "category": category}
        if not boxes:
            raise ReferenceAnswerError("the reference answer holds no box")
        return {"boxes": boxes, "category": category}
    if task == "grounding":
        objects = []
        for item in categorised_boxes(answer, width, height):
            if item.category is None:
                raise ReferenceAnswerError("a reference box has no category word before it")
            objects.append([item.category, _check_inside(item.box.coords, width, height)])
        if not objects:
            raise ReferenceAnswerError("the reference answer holds no box")
        relations = sorted({tuple(r) for r in find_relations(answer)})
        return {"objects": objects, "relations": [list(r) for r in relations]}
    if task == "identification":
        stated = stated_attributes(answer)
        ref: dict[str, Any] = {}
        for attribute in ATTRIBUTES:
            values = stated[attribute]
            if len(values) > 1:
                raise ReferenceAnswerError(f"the reference states several {attribute} values: {sorted(values)}")
            ref[attribute] = next(iter(values), None)
        if ref["category"] is None:
            raise ReferenceAnswerError("the reference answer names no known category")
        return ref
    if task == "description":
        items = description_items(answer)
        if not items:
            raise ReferenceAnswerError("the reference answer names no known category")
        if any(cell is None for _, cell in items):
            raise ReferenceAnswerError("a reference phrase has no position")
        return {"objects": [list(item) for item in items]}
    categories = list(dict.fromkeys(m.value for m in find_categories(answer)))  # in order of mention
    if not categories:
        raise ReferenceAnswerError("the reference answer names no known category")
    return {"categories": categories}


def _reference_boxes(answer: str, width: int, height: int) -> list[list[float]]:
    return [_check_inside(b.coords, width, height) for b in parse_boxes(answer, width, height)]


def _check_inside(coords: tuple[float, float, float, float] | None, width: int, height: int) -> list[float]:
    if coords is None:
        raise ReferenceAnswerError("a reference box has unusable numbers")
    x1, y1, x2, y2 = coords
    if x1 < -1 or y1 < -1 or x2 > width + 1 or y2 > height + 1:
        raise ReferenceAnswerError(f"reference box {list(coords)} lies outside the {width}x{height} image")
    if x2 <= x1 or y2 <= y1:
        raise ReferenceAnswerError(f"reference box {list(coords)} has zero area")
    return [float(v) for v in coords]


def _question_category(question: str) -> str | None:
    found = find_categories(question)
    return found[0].value if found else None


def primary_category(task: str, reference: Mapping[str, Any]) -> str | None:
    """The category a sample is filed under in per-category breakdowns: the queried category
    (counting, referring), the object's (identification), else the most frequent one in the
    reference (first named on ties)."""
    if task in ("counting", "referring", "identification"):
        return reference.get("category")
    if task in ("grounding", "description"):
        names = [obj[0] for obj in reference["objects"]]
    else:
        names = list(reference["categories"])
    if not names:
        return None
    counts = Counter(names)
    return max(names, key=lambda name: (counts[name], -names.index(name)))


# ---------------------------------------------------------------------------------------------
# Per-sample scores (never raise)
# ---------------------------------------------------------------------------------------------


def score_sample(
    task: str,
    subset: str,
    response: Any,
    reference: Mapping[str, Any],
    width: int,
    height: int,
    conventions: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Score one response. Returns ``{"columns": {name: value}, "parse_failure": 0 or 1}`` where a
    share column's value is 0/1, a pooled column's is ``[tp, fp, fn]``, and None marks a column
    the sample does not belong to."""
    text = response if isinstance(response, str) else ""
    text = text[:MAX_RESPONSE_CHARS]
    try:
        return _SCORERS[task](text, subset, reference, width, height, conventions)
    except Exception:  # model output is untrusted: fall back to scoring an empty answer
        return _SCORERS[task]("", subset, reference, width, height, conventions)


def _empty_columns(task: str) -> dict[str, Any]:
    return {c.name: None for c in TASK_COLUMNS[task]}


def _as_list(result: MatchResult) -> list[int]:
    return [result.tp, result.fp, result.fn]


def _score_counting(text, subset, ref, width, height, conventions):
    boxes = parse_boxes(text, width, height, conventions)
    valid = [b.coords for b in boxes if b.valid]
    n_invalid = len(boxes) - len(valid)
    stated = stated_count(text)
    count = stated if stated is not None else len(boxes)
    columns = _empty_columns("counting")
    columns["counting_only"] = int(count == ref["count"])
    at25, at50 = match_boxes_at(valid, ref["boxes"], (0.25, 0.5), n_invalid)
    columns["counting_iou25"] = _as_list(at25)
    columns["counting_iou50"] = _as_list(at50)
    return {"columns": columns, "parse_failure": int(stated is None and not boxes)}


def _match_by_category(predicted, reference_objects, thresholds: tuple[float, ...]) -> tuple[MatchResult, ...]:
    """Category-aware matching at each threshold: boxes only match boxes of the same category;
    predictions with no category or unusable numbers are false positives."""
    by_category_pred: dict[str, list] = {}
    unmatched = 0
    for item in predicted:
        if item.category is None or not item.box.valid:
            unmatched += 1
        else:
            by_category_pred.setdefault(item.category, []).append(item.box.coords)
    by_category_ref: dict[str, list] = {}
    for category, box in reference_objects:
        by_category_ref.setdefault(category, []).append(box)
    totals = [MatchResult(0, unmatched, 0) for _ in thresholds]
    for category in set(by_category_pred) | set(by_category_ref):
        results = match_boxes_at(by_category_pred.get(category, []), by_category_ref.get(category, []), thresholds)
        totals = [total + result for total, result in zip(totals, results)]
    return tuple(totals)


def _score_grounding(text, subset, ref, width, height, conventions):
    predicted = categorised_boxes(text, width, height, conventions)
    stated_relations = find_relations(text)
    columns = _empty_columns("grounding")
    if subset in SUBSETS:
        at25, at50 = _match_by_category(predicted, ref["objects"], (0.25, 0.5))
        columns[f"grounding_{subset}"] = _as_list(at50)
        columns[f"grounding_{subset}_iou25"] = _as_list(at25)
    if ref["relations"]:
        first_stated: dict[tuple[str, str], str] = {}
        for rel in stated_relations:
            first_stated.setdefault((rel.first, rel.second), rel.relation)
        columns["grounding_abstract_position"] = int(
            all(first_stated.get((a, b)) == relation for a, b, relation in ref["relations"])
        )
    return {"columns": columns, "parse_failure": int(not predicted and not stated_relations)}


def _score_identification(text, subset, ref, width, height, conventions):
    stated = stated_attributes(text)
    correct = all(stated[a] == {ref[a]} for a in ATTRIBUTES if ref.get(a) is not None)
    columns = _empty_columns("identification")
    if subset in SUBSETS:
        columns[f"identification_{subset}"] = int(correct)
    return {"columns": columns, "parse_failure": int(not any(stated.values()))}


def _score_referring(text, subset, ref, width, height, conventions):
    boxes = parse_boxes(text, width, height, conventions)
    valid = [b.coords for b in boxes if b.valid]
    n_invalid = len(boxes) - len(valid)
    columns = _empty_columns("referring")
    if subset in SUBSETS:
        at25, at50 = match_boxes_at(valid, ref["boxes"], (0.25, 0.5), n_invalid)
        columns[f"referring_{subset}_iou25"] = _as_list(at25)
        columns[f"referring_{subset}_iou50"] = _as_list(at50)
    return {"columns": columns, "parse_failure": int(not boxes)}


def _multiset_match(predicted: Iterable, reference: Iterable) -> list[int]:
    pred, ref = Counter(predicted), Counter(reference)
    tp = sum((pred & ref).values())
    return [tp, sum(pred.values()) - tp, sum(ref.values()) - tp]


def _score_description(text, subset, ref, width, height, conventions):
    items = description_items(text)
    reference = [tuple(obj) for obj in ref["objects"]]
    # An item without a position cannot equal any reference item, which always has one.
    return {"columns": {"description": _multiset_match(items, reference)}, "parse_failure": int(not items)}


def _score_classification(text, subset, ref, width, height, conventions):
    named = {m.value for m in find_categories(text)}
    return {
        "columns": {"classification": _multiset_match(named, ref["categories"])},
        "parse_failure": int(not named),
    }


_SCORERS = {
    "counting": _score_counting,
    "grounding": _score_grounding,
    "identification": _score_identification,
    "referring": _score_referring,
    "description": _score_description,
    "classification": _score_classification,
}


# ---------------------------------------------------------------------------------------------
# Aggregation
# ---------------------------------------------------------------------------------------------


def share_of_samples(values: Iterable[Any]) -> float | None:
    """Percentage of applicable samples scored 1; None when no sample applies."""
    applicable = [v for v in values if v is not None]
    if not applicable:
        return None
    return 100.0 * sum(applicable) / len(applicable)


def pooled_accuracy(values: Iterable[Any]) -> float | None:
    """100 * sum TP / sum (TP + FP + FN) over applicable samples; None when nothing was counted."""
    tp = total = 0
    for value in values:
        if value is None:
            continue
        tp += value[0]
        total += value[0] + value[1] + value[2]
    if total == 0:
        return None
    return 100.0 * tp / total


AGGREGATIONS = {SHARE: share_of_samples, POOLED: pooled_accuracy}


def column_score(name: str, values: Iterable[Any]) -> float | None:
    """Aggregate one column's per-sample values."""
    return AGGREGATIONS[COLUMN_KIND[name]](values)


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
    return {c.name: columns[c.name] for c in TASK_COLUMNS[task] if c.in_table}


def average_score(task_scores: Mapping[str, float | None], sizes: Mapping[str, int]) -> float | None:
    """S_m of paper equation 4: task scores weighted by the number of samples evaluated."""
    pairs = [(task_scores[t], sizes[t]) for t in task_scores if task_scores[t] is not None and sizes.get(t)]
    weight = sum(n for _, n in pairs)
    if weight == 0:
        return None
    value = sum(score * n for score, n in pairs) / weight
    return value if math.isfinite(value) else None


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
    scored = score_sample(task, subset, response, reference, width, height, conventions)
    out: dict[str, Any] = dict(scored["columns"])
    record = table_record(task, scored["columns"])
    out["avg_score"] = record
    out["parse_failure_rate"] = scored["parse_failure"]
    for name in CATEGORIES:
        out[f"category_{name}"] = record if category == name else None
    return out


def aggregate_metrics(task: str, samples: list[Mapping[str, Any]]) -> dict[str, Any]:
    """A task's metrics over per-sample values from ``sample_metrics``, as the task YAML's
    aggregations compute them."""
    metrics: dict[str, Any] = {c.name: column_score(c.name, [s[c.name] for s in samples]) for c in TASK_COLUMNS[task]}
    metrics["avg_score"] = task_score(s["avg_score"] for s in samples)
    metrics["parse_failure_rate"] = share_of_samples(s["parse_failure_rate"] for s in samples)
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


def count_of_samples(values: Iterable[Any]) -> int:
    """How many samples have the value 1 (``failed_requests``: the samples lmms-eval's backend
    never got an answer for); None values, as in logs written before the metric existed, are 0."""
    return int(sum(v for v in values if v))
