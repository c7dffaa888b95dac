"""Box IoU and one-to-one matching, the localisation core of counting, grounding and referring.

IoU is computed on continuous coordinates (no +1 pixel convention: boxes are corner coordinates,
not pixel index ranges). Matching at threshold t is one-to-one and maximises first the number of
pairs with IoU >= t and then their summed IoU, so that a greedy order can never cost a pair: this
is an assignment problem, solved with ``scipy.optimize.linear_sum_assignment``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment


def as_boxes(boxes: Sequence[Sequence[float]] | np.ndarray) -> np.ndarray:
    """An ``(N, 4)`` float array of ``x1, y1, x2, y2`` rows; raises on any other shape."""
    array = np.asarray(boxes, dtype=np.float64)
    if array.size == 0:
        return np.zeros((0, 4), dtype=np.float64)
    if array.ndim != 2 or array.shape[1] != 4:
        raise ValueError(f"boxes must have shape (N, 4), got {array.shape}")
    return array


def box_iou(
    boxes_a: Sequence[Sequence[float]] | np.ndarray, boxes_b: Sequence[Sequence[float]] | np.ndarray
) -> np.ndarray:
    """Pairwise IoU, shape ``(N, M)``. Degenerate boxes (zero area) have IoU 0 with everything."""
    a = as_boxes(boxes_a)
    b = as_boxes(boxes_b)
    if len(a) == 0 or len(b) == 0:
        return np.zeros((len(a), len(b)), dtype=np.float64)
    area_a = np.clip(a[:, 2] - a[:, 0], 0, None) * np.clip(a[:, 3] - a[:, 1], 0, None)
    area_b = np.clip(b[:, 2] - b[:, 0], 0, None) * np.clip(b[:, 3] - b[:, 1], 0, None)
    left_top = np.maximum(a[:, None, :2], b[None, :, :2])
    right_bottom = np.minimum(a[:, None, 2:], b[None, :, 2:])
    wh = np.clip(right_bottom - left_top, 0, None)
    inter = wh[..., 0] * wh[..., 1]
    union = area_a[:, None] + area_b[None, :] - inter
    with np.errstate(divide="ignore", invalid="ignore"):
        iou = np.where(union > 0, inter / union, 0.0)
    return iou


# The threshold is inclusive and exact: an IoU that is exactly 1/2 in arithmetic can come out of
# floating-point division as 0.49999999999999994 (boxes (0.2, 0, 0.5, 1) and (0.2, 0, 0.8, 1)), so
# an IoU within this much below the threshold counts as reaching it. Boxes in pixels that truly
# differ are far further apart than that.
IOU_TOLERANCE = 1e-9


@dataclass(frozen=True)
class MatchResult:
    """Outcome of matching predictions to references at one IoU threshold."""

    tp: int
    fp: int
    fn: int
    pairs: tuple[tuple[int, int], ...] = ()

    def __add__(self, other: MatchResult) -> MatchResult:
        return MatchResult(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn, self.pairs + other.pairs)


def match_boxes(
    predicted: Sequence[Sequence[float]] | np.ndarray,
    reference: Sequence[Sequence[float]] | np.ndarray,
    threshold: float,
    n_invalid: int = 0,
) -> MatchResult:
    """Match predictions to references one-to-one at IoU >= ``threshold``.

    ``n_invalid`` predictions that were written but unusable count as false positives.
    TP = matched pairs, FP = unmatched predictions, FN = unmatched references.
    ``pairs`` holds (prediction index, reference index).
    """
    return match_boxes_at(predicted, reference, (threshold,), n_invalid)[0]


def match_boxes_at(
    predicted: Sequence[Sequence[float]] | np.ndarray,
    reference: Sequence[Sequence[float]] | np.ndarray,
    thresholds: Sequence[float],
    n_invalid: int = 0,
) -> tuple[MatchResult, ...]:
    """``match_boxes`` at several thresholds, from one IoU matrix."""
    pred = as_boxes(predicted)
    ref = as_boxes(reference)
    n_pred, n_ref = len(pred), len(ref)
    if n_pred == 0 or n_ref == 0:
        return tuple(MatchResult(0, n_pred + n_invalid, n_ref) for _ in thresholds)
    if n_pred * n_ref <= _SMALL:
        iou_rows = _small_iou(pred.tolist(), ref.tolist())
        return tuple(_match_small(iou_rows, threshold, n_invalid) for threshold in thresholds)
    iou = box_iou(pred, ref)
    return tuple(_match_at(iou, threshold, n_invalid) for threshold in thresholds)


# Up to this many prediction-reference pairs the IoU matrix is computed in plain Python: numpy
# costs microseconds a call in overhead, and nearly every SARChat sample is this small.
_SMALL = 64


def _small_iou(pred: list[list[float]], ref: list[list[float]]) -> list[list[float]]:
    """``box_iou`` for a few boxes, as rows of a list, with the same float operations in the same
    order (``min``/``max`` written as comparisons, which return the same operand)."""
    references = [(x1, y1, x2, y2, _area(x1, y1, x2, y2)) for x1, y1, x2, y2 in ref]
    rows = []
    for ax1, ay1, ax2, ay2 in pred:
        area_a = _area(ax1, ay1, ax2, ay2)
        row = []
        for bx1, by1, bx2, by2, area_b in references:
            w = (bx2 if bx2 < ax2 else ax2) - (bx1 if bx1 > ax1 else ax1)
            h = (by2 if by2 < ay2 else ay2) - (by1 if by1 > ay1 else ay1)
            inter = (0.0 if 0.0 > w else w) * (0.0 if 0.0 > h else h)
            union = area_a + area_b - inter
            row.append(inter / union if union > 0 else 0.0)
        rows.append(row)
    return rows


def _area(x1: float, y1: float, x2: float, y2: float) -> float:
    w, h = x2 - x1, y2 - y1
    return (0.0 if 0.0 > w else w) * (0.0 if 0.0 > h else h)


def _match_small(iou_rows: list[list[float]], threshold: float, n_invalid: int) -> MatchResult:
    """``_match_at`` on a small IoU matrix given as rows: in plain Python when no prediction and no
    reference has two eligible partners (then the eligible pairs are the matching), which is
    nearly every SARChat sample; through ``_match_at`` otherwise."""
    cut = threshold - IOU_TOLERANCE
    eligible = [[j for j, value in enumerate(row) if value >= cut] for row in iou_rows]
    partners = [j for row in eligible for j in row]
    if any(len(row) > 1 for row in eligible) or len(set(partners)) < len(partners):
        return _match_at(np.array(iou_rows, dtype=np.float64), threshold, n_invalid)
    n_pred, n_ref = len(iou_rows), len(iou_rows[0])
    pairs = tuple((i, row[0]) for i, row in enumerate(eligible) if row)
    tp = len(pairs)
    return MatchResult(tp, n_pred - tp + n_invalid, n_ref - tp, pairs)


def _match_at(iou: np.ndarray, threshold: float, n_invalid: int) -> MatchResult:
    n_pred, n_ref = iou.shape
    eligible = iou >= threshold - IOU_TOLERANCE
    per_row = eligible.sum(axis=1)
    per_col = eligible.sum(axis=0)
    if not per_row.any():
        return MatchResult(0, n_pred + n_invalid, n_ref)
    if per_row.max() <= 1 and per_col.max() <= 1:
        # No prediction and no reference has two candidates: the eligible pairs are the matching.
        pairs = tuple((int(i), int(j)) for i, j in zip(*np.nonzero(eligible)))
    else:
        rows = np.flatnonzero(per_row)
        cols = np.flatnonzero(per_col)
        # Each eligible pair is worth more than every IoU sum can add up to, so the assignment
        # maximises the number of pairs first and their total IoU second.
        sub_iou = iou[np.ix_(rows, cols)]
        sub_ok = eligible[np.ix_(rows, cols)]
        bonus = float(min(len(rows), len(cols)) + 1)
        r, c = linear_sum_assignment(np.where(sub_ok, bonus + sub_iou, 0.0), maximize=True)
        keep = sub_ok[r, c]
        pairs = tuple(zip(rows[r[keep]].tolist(), cols[c[keep]].tolist()))
    tp = len(pairs)
    return MatchResult(tp, n_pred - tp + n_invalid, n_ref - tp, pairs)
