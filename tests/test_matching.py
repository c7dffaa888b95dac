"""IoU and one-to-one matching (docs/METRICS.md, "IoU" and "Matching")."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from sarchat_tasks.utils.matching import MatchResult, as_boxes, box_iou, match_boxes


def reference_iou(a, b) -> float:
    """Textbook IoU of two boxes, written independently of the vectorised one."""
    iw = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    ih = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = iw * ih
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


@pytest.mark.parametrize(
    ("a", "b", "iou"),
    [
        ((0, 0, 10, 10), (0, 0, 10, 10), 1.0),
        ((0, 0, 10, 10), (5, 0, 15, 10), 50 / 150),  # half overlap: 50 / (100 + 100 - 50)
        ((0, 0, 10, 10), (10, 0, 20, 10), 0.0),  # touching edges: no +1 pixel convention
        ((0, 0, 10, 10), (2, 2, 4, 4), 4 / 100),  # contained
        ((0, 0, 0, 10), (0, 0, 0, 10), 0.0),  # zero area
    ],
)
def test_iou_hand_computed(a, b, iou):
    assert box_iou([a], [b])[0, 0] == pytest.approx(iou)


def test_iou_matches_reference_on_random_boxes():
    rng = np.random.default_rng(0)
    xy = rng.uniform(0, 100, size=(40, 2))
    wh = rng.uniform(0, 40, size=(40, 2))
    boxes = np.hstack([xy, xy + wh])
    got = box_iou(boxes[:25], boxes[25:])
    want = np.array([[reference_iou(a, b) for b in boxes[25:]] for a in boxes[:25]])
    np.testing.assert_allclose(got, want, atol=1e-12)


def test_shapes():
    assert box_iou([], [[0, 0, 1, 1]]).shape == (0, 1)
    assert as_boxes([]).shape == (0, 4)
    with pytest.raises(ValueError, match=r"\(N, 4\)"):
        box_iou([[0, 0, 1]], [[0, 0, 1, 1]])


def counts(result: MatchResult) -> tuple[int, int, int]:
    return (result.tp, result.fp, result.fn)


def test_matching_is_one_to_one():
    # two predictions on one reference: one TP, one FP
    assert counts(match_boxes([[0, 0, 10, 10], [0, 0, 10, 10]], [[0, 0, 10, 10]], 0.5)) == (1, 1, 0)


def test_matching_maximises_pairs_not_greedy_iou():
    # p0 overlaps r0 best (IoU .8) and r1 a little (16/164); p1 overlaps only r0 (IoU .6).
    # Greedy best-IoU-first pairs p0-r0 and leaves p1 unmatched; the maximum matching pairs both.
    ref = [[0, 0, 10, 10], [8, 0, 18, 10]]
    p0 = [0, 0, 10, 8]  # IoU with r0 = 80/100 = .8
    p1 = [0, 0, 6, 10]  # IoU with r0 = 60/100, none with r1
    assert box_iou([p0], [ref[0]])[0, 0] == pytest.approx(0.8)
    assert box_iou([p0], [ref[1]])[0, 0] == pytest.approx(16 / 164)
    result = match_boxes([p0, p1], ref, 0.05)
    assert (result.tp, result.fp, result.fn) == (2, 0, 0)
    assert sorted(result.pairs) == [(0, 1), (1, 0)]


def test_matching_prefers_higher_total_iou_among_maximum_matchings():
    ref = [[0, 0, 10, 10], [20, 0, 30, 10]]
    pred = [[0, 0, 10, 9], [0, 0, 10, 6]]  # both match only r0; the better one must be taken
    result = match_boxes(pred, ref, 0.5)
    assert (result.tp, result.fp, result.fn) == (1, 1, 1)
    assert result.pairs == ((0, 0),)


def test_threshold_is_inclusive():
    # IoU exactly .5 matches at .5
    pred, ref = [[0, 0, 10, 10]], [[0, 0, 20, 10]]  # 100 / 200 = .5
    assert box_iou(pred, ref)[0, 0] == 0.5
    assert match_boxes(pred, ref, 0.5).tp == 1


def test_invalid_predictions_count_as_false_positives():
    assert counts(match_boxes([[0, 0, 1, 1]], [[0, 0, 1, 1]], 0.5, n_invalid=2)) == (1, 2, 0)
    assert counts(match_boxes([], [[0, 0, 1, 1]], 0.5, n_invalid=1)) == (0, 1, 1)


def test_empty_sides():
    assert match_boxes([], [], 0.5) == MatchResult(0, 0, 0)
    assert match_boxes([[0, 0, 1, 1]], [], 0.5) == MatchResult(0, 1, 0)
    assert match_boxes([], [[0, 0, 1, 1]], 0.5) == MatchResult(0, 0, 1)


def test_matching_count_equals_brute_force_maximum():
    rng = np.random.default_rng(1)
    for _ in range(30):
        pred = np.hstack([(xy := rng.uniform(0, 30, (4, 2))), xy + rng.uniform(5, 15, (4, 2))])
        ref = np.hstack([(xy := rng.uniform(0, 30, (3, 2))), xy + rng.uniform(5, 15, (3, 2))])
        ok = box_iou(pred, ref) >= 0.3
        best = 0
        for perm in itertools.permutations(range(4), 3):
            best = max(best, sum(ok[p, r] for r, p in enumerate(perm)))
        assert match_boxes(pred, ref, 0.3).tp == best


def test_an_iou_of_exactly_the_threshold_matches_despite_rounding():
    # intersection 2.6, union 5.2: IoU 1/2, which floating-point arithmetic gives as 0.4999999999999999
    a, b = [(0.1, 0.0, 2.7, 1.0)], [(0.1, 0.0, 5.3, 1.0)]
    assert box_iou(a, b)[0, 0] < 0.5
    result = match_boxes(a, b, 0.5)
    assert (result.tp, result.fp, result.fn) == (1, 0, 0)
    # a real shortfall still fails: 2.6 / 5.2001 = 0.49999
    result = match_boxes(a, [(0.1, 0.0, 5.3001, 1.0)], 0.5)
    assert (result.tp, result.fp, result.fn) == (0, 1, 1)
