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


def box_iou(boxes_a: Sequence[Sequence[float]] | np.ndarray, boxes_b: Sequence[Sequence[float]] | np.ndarray) -> np.ndarray:
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
