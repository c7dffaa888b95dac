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
    if isinstance(predicted, list) and isinstance(reference, list) and len(predicted) * len(reference) <= _SMALL:
        small = _match_small(predicted, reference, threshold, n_invalid)
        if small is not None:
            return small
    pred = as_boxes(predicted)
    ref = as_boxes(reference)
    n_pred, n_ref = len(pred), len(ref)
    if n_pred == 0 or n_ref == 0:
        return MatchResult(0, n_pred + n_invalid, n_ref)
    iou = box_iou(pred, ref)
    eligible = iou >= threshold
    rows = np.flatnonzero(eligible.any(axis=1))
    cols = np.flatnonzero(eligible.any(axis=0))
    if len(rows) == 0:
        return MatchResult(0, n_pred + n_invalid, n_ref)
    # Each eligible pair is worth more than every IoU sum can add up to, so the assignment
    # maximises the number of pairs first and their total IoU second.
    sub_iou = iou[np.ix_(rows, cols)]
    sub_ok = eligible[np.ix_(rows, cols)]
    bonus = float(min(len(rows), len(cols)) + 1)
    weight = np.where(sub_ok, bonus + sub_iou, 0.0)
    r, c = linear_sum_assignment(weight, maximize=True)
    keep = sub_ok[r, c]
    pairs = tuple(zip(rows[r[keep]].tolist(), cols[c[keep]].tolist()))
    tp = len(pairs)
    return MatchResult(tp, n_pred - tp + n_invalid, n_ref - tp, pairs)


# Up to this many prediction-reference pairs, matching runs in plain Python: numpy and scipy cost
# tens of microseconds a call in overhead, and nearly every SARChat sample is this small.
_SMALL = 64


def _iou(a: Sequence[float], b: Sequence[float]) -> float:
    """One IoU, with the same float operations in the same order as ``box_iou``."""
    area_a = max(a[2] - a[0], 0.0) * max(a[3] - a[1], 0.0)
    area_b = max(b[2] - b[0], 0.0) * max(b[3] - b[1], 0.0)
    inter = max(min(a[2], b[2]) - max(a[0], b[0]), 0.0) * max(min(a[3], b[3]) - max(a[1], b[1]), 0.0)
    union = area_a + area_b - inter
    return inter / union if union > 0 else 0.0


def _match_small(predicted: list, reference: list, threshold: float, n_invalid: int) -> MatchResult | None:
    """``match_boxes`` for small inputs where the answer needs no assignment solver: no eligible
    pair, or all eligible pairs in one row or one column (then the best of them, when it is
    unique). Returns None when the general solver is needed, so results never differ."""
    n_pred, n_ref = len(predicted), len(reference)
    if n_pred == 0 or n_ref == 0:
        return MatchResult(0, n_pred + n_invalid, n_ref)
    for box in (*predicted, *reference):
        if len(box) != 4:
            return None  # let as_boxes raise its error
    eligible = []
    for i, p in enumerate(predicted):
        for j, r in enumerate(reference):
            value = _iou(p, r)
            if value >= threshold:
                eligible.append((value, i, j))
    if not eligible:
        return MatchResult(0, n_pred + n_invalid, n_ref)
    rows = {i for _, i, _ in eligible}
    cols = {j for _, _, j in eligible}
    if len(rows) > 1 and len(cols) > 1:
        return None
    best = max(value for value, _, _ in eligible)
    winners = [(i, j) for value, i, j in eligible if value == best]
    if len(winners) > 1:
        return None  # a tie: the solver's choice decides the pair
    return MatchResult(1, n_pred - 1 + n_invalid, n_ref - 1, (winners[0],))
