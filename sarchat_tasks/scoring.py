"""SARChat-Bench scoring: reference parsing, per-sample scores and their aggregation into Table 3.

The paper (arXiv 2502.08168, section 4) names the metrics but publishes no code; the rules here are
this project's specification, written out rule by rule in docs/METRICS.md. Two kinds of column:

* ``share``: the percentage of applicable samples answered correctly (counting_only,
  grounding_abstract_position, identification_*);
* ``pooled``: Acc = sum TP / sum (TP + FP + FN) over the column's samples (paper equation 3),
  pooled so that an image with 40 ships weighs 40 times an image with one.

Per task, a reference parser (``<task>_reference``: run once, when a test set is prepared; raises
``ReferenceAnswerError``) and a scorer (``score_<task>``: ``(columns, parse_failure)`` for one
response). ``sarchat_tasks.registry`` binds them to their task; ``sarchat_tasks.metrics`` runs a
scorer so that it never raises on model output (an unreadable response scores as an empty answer).
Given a dict as ``reading``, a scorer also fills it with what it read (boxes in image pixels,
matched pairs with their IoU, count, categories, cells, relations, attributes) and a one-line
``reason``: ``sarchat inspect`` shows that, so the explanation is the scoring itself.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
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
from sarchat_tasks.utils.matching import MatchResult, box_iou, match_boxes_at
from sarchat_tasks.utils.vocabulary import find_affirmed_categories, find_categories, find_relations

SHARE, POOLED = "share", "pooled"
SUBSETS: tuple[str, ...] = ("multi", "single")

# Only the first MAX_RESPONSE_CHARS of a response are read: the longest reference answer is a few
# thousand characters, and the bound keeps the time per sample bounded on runaway generations.
MAX_RESPONSE_CHARS = 100_000


class ReferenceAnswerError(SarchatError):
    """A reference answer that cannot be read into the structure its task needs."""


# ---------------------------------------------------------------------------------------------
# References (parsed once, at prepare time)
# ---------------------------------------------------------------------------------------------


def counting_reference(answer: str, width: int, height: int, question: str = "") -> dict[str, Any]:
    """Counting: the stated count (else the number of boxes), the boxes and the queried category."""
    boxes = _reference_boxes(answer, width, height)
    category = _question_category(question)
    count = stated_count(answer, category)
    return {"count": len(boxes) if count is None else count, "boxes": boxes, "category": category}


def referring_reference(answer: str, width: int, height: int, question: str = "") -> dict[str, Any]:
    """Referring: the boxes (at least one) and the queried category."""
    boxes = _reference_boxes(answer, width, height)
    if not boxes:
        raise ReferenceAnswerError("the reference answer holds no box")
    return {"boxes": boxes, "category": _question_category(question)}


def grounding_reference(answer: str, width: int, height: int, question: str = "") -> dict[str, Any]:
    """Grounding: every (category, box) and the relations stated between categories."""
    objects = []
    for item in categorised_boxes(answer, width, height):
        if item.category is None:
            raise ReferenceAnswerError("a reference box has no category word before it")
        objects.append([item.category, _check_inside(item.box.coords, width, height)])
    if not objects:
        raise ReferenceAnswerError("the reference answer holds no box")
    relations = sorted({tuple(r) for r in find_relations(answer)})
    return {"objects": objects, "relations": [list(r) for r in relations]}


def identification_reference(answer: str, width: int, height: int, question: str = "") -> dict[str, Any]:
    """Identification: one value (or None) per attribute; the category is required."""
    stated = stated_attributes(answer)
    reference: dict[str, Any] = {}
    for attribute in ATTRIBUTES:
        values = stated[attribute]
        if len(values) > 1:
            raise ReferenceAnswerError(f"the reference states several {attribute} values: {sorted(values)}")
        reference[attribute] = next(iter(values), None)
    if reference["category"] is None:
        raise ReferenceAnswerError("the reference answer names no known category")
    return reference


def description_reference(answer: str, width: int, height: int, question: str = "") -> dict[str, Any]:
    """Description: (category, cell) per object phrase; every phrase has a position."""
    items = description_items(answer)
    if not items:
        raise ReferenceAnswerError("the reference answer names no known category")
    if any(cell is None for _, cell in items):
        raise ReferenceAnswerError("a reference phrase has no position")
    return {"objects": [list(item) for item in items]}


def classification_reference(answer: str, width: int, height: int, question: str = "") -> dict[str, Any]:
    """Classification: the categories named, in order of mention."""
    categories = list(dict.fromkeys(m.value for m in find_affirmed_categories(answer)))
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


def most_frequent(names: list[str]) -> str | None:
    """The most frequent name, the first named on ties (a sample's category in breakdowns)."""
    if not names:
        return None
    counts = Counter(names)
    return max(names, key=lambda name: (counts[name], -names.index(name)))


# ---------------------------------------------------------------------------------------------
# Per-sample scores (never raise)
# ---------------------------------------------------------------------------------------------


def _as_list(result: MatchResult) -> list[int]:
    return [result.tp, result.fp, result.fn]


# What a scorer read, for ``reading`` (see the module's docstring); only built when asked for.


def _pairs(result: MatchResult, predicted: list, reference: list, pred_index: list[int], ref_index=None) -> list:
    """The matched pairs as [predicted box number, reference box number, IoU]."""
    pairs = []
    for i, j in result.pairs:
        iou = float(box_iou([predicted[i]], [reference[j]])[0, 0])
        pairs.append([pred_index[i], j if ref_index is None else ref_index[j], round(iou, 4)])
    return sorted(pairs)


def _tally(result: MatchResult, threshold: float) -> str:
    return f"TP {result.tp}, FP {result.fp}, FN {result.fn} at IoU {threshold:g}"


def _box_list(boxes) -> list[dict[str, Any]]:
    return [{"box": list(b.coords) if b.valid else None, "syntax": b.syntax} for b in boxes]


def score_counting(text, subset, ref, width, height, conventions, reading=None):
    boxes = parse_boxes(text, width, height, conventions)
    valid = [b.coords for b in boxes if b.valid]
    n_invalid = len(boxes) - len(valid)
    stated = stated_count(text, ref.get("category"))
    count = stated if stated is not None else len(boxes)
    at25, at50 = match_boxes_at(valid, ref["boxes"], (0.25, 0.5), n_invalid)
    columns = {"counting_only": int(count == ref["count"]), "counting_iou25": _as_list(at25),
               "counting_iou50": _as_list(at50)}  # fmt: skip
    if reading is not None:
        index = [k for k, b in enumerate(boxes) if b.valid]
        source = "stated" if stated is not None else "boxes counted"
        reading.update(
            count=count, count_source=source, reference_count=ref["count"], boxes=_box_list(boxes),
            reference_boxes=[{"box": b} for b in ref["boxes"]],
            matches={"0.25": _pairs(at25, valid, ref["boxes"], index), "0.5": _pairs(at50, valid, ref["boxes"], index)},
            reason=f"count {count} ({source}) vs {ref['count']}; {_tally(at50, 0.5)}",
        )  # fmt: skip
    return columns, stated is None and not boxes


def _match_by_category(
    predicted, reference_objects, thresholds: tuple[float, ...], pairs: list | None = None
) -> tuple[MatchResult, ...]:
    """Category-aware matching at each threshold: boxes only match boxes of the same category;
    predictions with no category or unusable numbers are false positives. Given ``pairs``, one
    list per threshold receives the matched pairs (``_pairs``, numbered over all boxes)."""
    by_category_pred: dict[str, list] = {}
    pred_index: dict[str, list[int]] = {}
    unmatched = 0
    for k, item in enumerate(predicted):
        if item.category is None or not item.box.valid:
            unmatched += 1
        else:
            by_category_pred.setdefault(item.category, []).append(item.box.coords)
            pred_index.setdefault(item.category, []).append(k)
    by_category_ref: dict[str, list] = {}
    ref_index: dict[str, list[int]] = {}
    for k, (category, box) in enumerate(reference_objects):
        by_category_ref.setdefault(category, []).append(box)
        ref_index.setdefault(category, []).append(k)
    totals = [MatchResult(0, unmatched, 0) for _ in thresholds]
    for category in set(by_category_pred) | set(by_category_ref):
        pred, refs = by_category_pred.get(category, []), by_category_ref.get(category, [])
        results = match_boxes_at(pred, refs, thresholds)
        totals = [total + result for total, result in zip(totals, results)]
        for found, result in zip(pairs or (), results):
            found.extend(_pairs(result, pred, refs, pred_index.get(category, []), ref_index.get(category, [])))
    for found in pairs or ():
        found.sort()
    return tuple(totals)


def score_grounding(text, subset, ref, width, height, conventions, reading=None):
    predicted = categorised_boxes(text, width, height, conventions)
    stated_relations = find_relations(text)
    columns: dict[str, Any] = {}
    pairs = ([], []) if reading is not None else None
    reasons = []
    if subset in SUBSETS:
        at25, at50 = _match_by_category(predicted, ref["objects"], (0.25, 0.5), pairs)
        columns[f"grounding_{subset}"] = _as_list(at50)
        columns[f"grounding_{subset}_iou25"] = _as_list(at25)
        reasons.append(_tally(at50, 0.5) + " (same category)")
    if ref["relations"]:
        first_stated: dict[tuple[str, str], str] = {}
        for rel in stated_relations:
            first_stated.setdefault((rel.first, rel.second), rel.relation)
        columns["grounding_abstract_position"] = int(
            all(first_stated.get((a, b)) == relation for a, b, relation in ref["relations"])
        )
        found = sum(first_stated.get((a, b)) == relation for a, b, relation in ref["relations"])
        reasons.append(f"relations {found} of {len(ref['relations'])} stated as the reference")
    if reading is not None:
        reading.update(
            boxes=[{**_box_list([item.box])[0], "category": item.category} for item in predicted],
            reference_boxes=[{"box": box, "category": category} for category, box in ref["objects"]],
            matches={"0.25": pairs[0], "0.5": pairs[1]} if subset in SUBSETS else {},
            relations=[list(rel) for rel in stated_relations], reference_relations=ref["relations"],
            reason="; ".join(reasons) or "no column applies",
        )  # fmt: skip
    return columns, not predicted and not stated_relations


def score_identification(text, subset, ref, width, height, conventions, reading=None):
    stated = stated_attributes(text)
    correct = True
    wrong = None
    for attribute in ATTRIBUTES:  # each attribute the reference states, stated alone
        expected = ref.get(attribute)
        if expected is not None and (len(stated[attribute]) != 1 or expected not in stated[attribute]):
            correct = False
            wrong = attribute
            break
    columns: dict[str, Any] = {}
    if subset in SUBSETS:
        columns[f"identification_{subset}"] = int(correct)
    if reading is not None:
        said = (", ".join(sorted(stated[wrong])) or "nothing") if wrong else ""
        reading.update(
            attributes={a: sorted(stated[a]) for a in ATTRIBUTES},
            reference_attributes={a: ref.get(a) for a in ATTRIBUTES},
            reason="every stated attribute right" if correct else f"{wrong}: said {said}, reference {ref[wrong]}",
        )
    return columns, not any(stated.values())


def score_referring(text, subset, ref, width, height, conventions, reading=None):
    boxes = parse_boxes(text, width, height, conventions)
    valid = [b.coords for b in boxes if b.valid]
    n_invalid = len(boxes) - len(valid)
    columns: dict[str, Any] = {}
    if subset in SUBSETS:
        at25, at50 = match_boxes_at(valid, ref["boxes"], (0.25, 0.5), n_invalid)
        columns[f"referring_{subset}_iou25"] = _as_list(at25)
        columns[f"referring_{subset}_iou50"] = _as_list(at50)
    if reading is not None:
        index = [k for k, b in enumerate(boxes) if b.valid]
        matched = subset in SUBSETS
        reading.update(
            boxes=_box_list(boxes), reference_boxes=[{"box": b, "category": ref.get("category")} for b in ref["boxes"]],
            matches={"0.25": _pairs(at25, valid, ref["boxes"], index),
                     "0.5": _pairs(at50, valid, ref["boxes"], index)} if matched else {},
            reason=_tally(at50, 0.5) if matched else "no column applies",
        )  # fmt: skip
    return columns, not boxes


def _multiset_match(predicted: Iterable, reference: Iterable) -> list[int]:
    pred, ref = Counter(predicted), Counter(reference)
    tp = sum((pred & ref).values())
    return [tp, sum(pred.values()) - tp, sum(ref.values()) - tp]


def score_description(text, subset, ref, width, height, conventions, reading=None):
    items = description_items(text)
    reference = [tuple(obj) for obj in ref["objects"]]
    # An item without a position cannot equal any reference item, which always has one.
    columns = {"description": _multiset_match(items, reference)}
    if reading is not None:
        tp, fp, fn = columns["description"]
        reading.update(items=[list(item) for item in items], reference_items=[list(item) for item in reference],
                       reason=f"TP {tp}, FP {fp}, FN {fn} (category and cell)")  # fmt: skip
    return columns, not items


def score_classification(text, subset, ref, width, height, conventions, reading=None):
    named = {m.value for m in find_affirmed_categories(text)}
    columns = {"classification": _multiset_match(named, ref["categories"])}
    if reading is not None:
        tp, fp, fn = columns["classification"]
        reading.update(categories=sorted(named), reference_categories=list(ref["categories"]),
                       reason=f"TP {tp}, FP {fp}, FN {fn} (categories named)")  # fmt: skip
    return columns, not named


# ---------------------------------------------------------------------------------------------
# Aggregation
# ---------------------------------------------------------------------------------------------


# lmms-eval 0.7.3 prints beside each metric a ``Stderr_CLT``: std(items, ddof=1) / sqrt(n) over the
# numeric items of the very list it handed the aggregation, computed right after it
# (evaluator_utils.TaskOutput.calculate_clt_aggregate_metric). A share's items are 0/1 while its
# value is a percentage, so that standard error came out 100 times too small ("40 ± 0.2449").
# Given a list, ``share_of_samples`` leaves its items as 0/100 (the standard error is then in
# percentage points, like the value) and ``count_of_samples`` hides them (a count of failed
# requests estimates nothing: no standard error is printed). Other aggregations' items (pooled
# [tp, fp, fn], task_score's records) are not numbers: lmms-eval prints none for them.


class _Percent(float):
    """A 0/1 item left as 0/100 for lmms-eval's standard error."""

    sarchat_percent = True  # recognised by this mark, also in the copy export-upstream writes


class _Hidden:
    """An item left out of lmms-eval's standard error (not a number)."""

    __slots__ = ("value",)
    sarchat_hidden = True

    def __init__(self, value: Any) -> None:
        self.value = value


def _plain(values: Iterable[Any]) -> list[Any]:
    """The items as given, whether an earlier call rewrote them or not."""
    return [
        v / 100.0 if getattr(v, "sarchat_percent", False) else v.value if getattr(v, "sarchat_hidden", False) else v
        for v in values
    ]


def share_of_samples(values: Iterable[Any]) -> float | None:
    """Percentage of applicable samples scored 1; None when no sample applies. A list's items are
    left as 0/100 (see above)."""
    plain = _plain(values)
    if isinstance(values, list):
        values[:] = [_Percent(100.0 * v) if isinstance(v, (int, float)) else v for v in plain]
    applicable = [v for v in plain if v is not None]
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


def average_score(task_scores: Mapping[str, float | None], sizes: Mapping[str, int]) -> float | None:
    """S_m of paper equation 4: task scores weighted by the number of samples evaluated."""
    pairs = [(task_scores[t], sizes[t]) for t in task_scores if task_scores[t] is not None and sizes.get(t)]
    weight = sum(n for _, n in pairs)
    if weight == 0:
        return None
    value = sum(score * n for score, n in pairs) / weight
    return value if math.isfinite(value) else None


def count_of_samples(values: Iterable[Any]) -> int:
    """How many samples have the value 1 (``failed_requests``: the samples lmms-eval's backend
    never got an answer for); None values, as in logs written before the metric existed, are 0.
    A list's items are hidden from lmms-eval's standard error (see ``share_of_samples``)."""
    plain = _plain(values)
    if isinstance(values, list):
        values[:] = [_Hidden(v) for v in plain]
    return int(sum(v for v in plain if v))
