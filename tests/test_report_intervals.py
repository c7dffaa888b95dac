"""The bootstrap intervals: exact point values, resampling by image, shrinking with more data and
covering the truth in simulation. Samples are synthetic records in the sample-log layout."""

from __future__ import annotations

import numpy as np
import pytest

from sarchat_tasks.report.intervals import bootstrap_intervals


def _identification(image: str, correct: int, category: str = "ship") -> dict:
    record = {"identification_multi": correct, "identification_single": None}
    return {"input_media": [image], "avg_score": record, f"category_{category}": record}


def _counting(image: str, only: int, tp: int, fp: int, fn: int) -> dict:
    record = {"counting_only": only, "counting_iou25": [tp, fp, fn], "counting_iou50": [tp, fp, fn]}
    return {"input_media": [image], "avg_score": record, "category_ship": record}


def test_point_values_are_the_scores_of_the_samples():
    samples = {
        "identification": [_identification("a", 1), _identification("a", 0), _identification("b", 1, "car")],
        "counting": [_counting("a", 1, 3, 0, 0), _counting("c", 0, 1, 2, 1)],
    }
    intervals = bootstrap_intervals(samples, iterations=200, seed=1)
    assert intervals.images == 3
    assert intervals.columns["identification_multi"].value == pytest.approx(200 / 3)
    assert intervals.columns["identification_single"].value is None  # no sample applies
    assert intervals.columns["counting_iou25"].value == pytest.approx(100 * 4 / 7)  # 4 TP of 3+0+0+1+2+1
    assert intervals.tasks["identification"].value == pytest.approx(200 / 3)
    counting = (50.0 + 400 / 7 + 400 / 7) / 3
    assert intervals.tasks["counting"].value == pytest.approx(counting)
    assert intervals.avg_score.value == pytest.approx((200 / 3 * 3 + counting * 2) / 5)  # weighted by n_t
    assert intervals.categories["identification"]["car"].value == 100.0
    assert intervals.categories["identification"]["ship"].value == 50.0
    assert intervals.categories["counting"]["tank"].value is None
    again = bootstrap_intervals(samples, iterations=200, seed=1)
    assert again.avg_score == intervals.avg_score  # seeded


def _share_dataset(rng: np.random.Generator, n_images: int, p: float, per_image: int = 1) -> dict:
    """Each image's records share one outcome (the worst case for resampling records)."""
    outcomes = rng.random(n_images) < p
    return {"identification": [_identification(f"img{i}", int(outcomes[i])) for i in range(n_images)
                               for _ in range(per_image)]}  # fmt: skip


def test_intervals_shrink_with_more_samples():
    rng = np.random.default_rng(0)
    small = bootstrap_intervals(_share_dataset(rng, 50, 0.7), iterations=500).columns["identification_multi"]
    large = bootstrap_intervals(_share_dataset(rng, 800, 0.7), iterations=500).columns["identification_multi"]
    width_small, width_large = small.high - small.low, large.high - large.low
    # The width goes as 1/sqrt(n): 16 times the images, about a quarter of the width.
    assert width_large < width_small / 2.5
    assert 2 * 1.96 * 100 * np.sqrt(0.21 / 800) == pytest.approx(width_large, rel=0.25)


def test_the_bootstrap_resamples_images_not_records():
    rng = np.random.default_rng(1)
    clustered = _share_dataset(rng, 40, 0.5, per_image=10)  # 400 records, 40 independent outcomes
    by_image = bootstrap_intervals(clustered, iterations=500).columns["identification_multi"]
    for i, sample in enumerate(clustered["identification"]):
        sample["input_media"] = [f"record{i}"]  # pretend every record had its own image
    by_record = bootstrap_intervals(clustered, iterations=500).columns["identification_multi"]
    assert (by_image.high - by_image.low) > 2.5 * (by_record.high - by_record.low)


def test_intervals_cover_the_truth_in_simulation():
    """Pooled detection accuracy over images with a random number of objects, plus a share
    column; 200 simulated test sets, nominal 95 %."""
    rng = np.random.default_rng(2)
    q, objects, false_rate, p = 0.6, 3.0, 0.5, 0.8
    pooled_truth = 100 * q * objects / (objects + false_rate)  # E[TP] / E[TP + FN + FP]
    covered_pooled = covered_share = 0
    trials = 200
    for _ in range(trials):
        n = 150
        k = rng.poisson(objects, n)
        tp = rng.binomial(k, q)
        fp = rng.poisson(false_rate, n)
        only = (rng.random(n) < p).astype(int)
        samples = {"counting": [_counting(f"i{i}", int(only[i]), int(tp[i]), int(fp[i]), int(k[i] - tp[i]))
                                for i in range(n)]}  # fmt: skip
        result = bootstrap_intervals(samples, iterations=400, seed=int(rng.integers(1 << 31)))
        pooled, share = result.columns["counting_iou50"], result.columns["counting_only"]
        covered_pooled += pooled.low <= pooled_truth <= pooled.high
        covered_share += share.low <= 100 * p <= share.high
    assert 0.89 <= covered_pooled / trials <= 0.99
    assert 0.89 <= covered_share / trials <= 0.99


def test_no_samples_gives_no_numbers():
    result = bootstrap_intervals({}, iterations=10)
    assert result.avg_score is None and result.columns == {} and result.images == 0
