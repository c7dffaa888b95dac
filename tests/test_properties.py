"""Property tests: every parser and every task's process_results on hostile model output.

Model output is untrusted: any string (random unicode, thousands of boxes, nested brackets,
10,000-digit numbers, NaN/inf, negative and swapped corners, 1 MB) must score without raising,
with the documented metric keys, in bounded time. The ASCII fast path of the vocabulary scans
(``vocabulary.scan``) must find exactly what the case-insensitive patterns find.
"""

from __future__ import annotations

import json
import random
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sarchat_tasks.hooks import process_results
from sarchat_tasks.registry import TASKS
from sarchat_tasks.utils import answers, boxes, matching, vocabulary
from sarchat_tasks.utils.vocabulary import CATEGORIES

REFERENCES = {
    "counting": ("", {"count": 2, "boxes": [[10, 10, 50, 50], [60, 60, 90, 95]], "category": "ship"}),
    "grounding": ("multi", {"objects": [["ship", [10, 10, 50, 50]], ["harbor", [60, 60, 90, 95]]],
                            "relations": [["harbor", "ship", "far"]]}),
    "identification": ("single", {"cell": "top left", "size": "small", "category": "ship", "shape": "square"}),
    "referring": ("multi", {"boxes": [[10, 10, 50, 50], [60, 60, 90, 95]], "category": "ship"}),
    "description": ("", {"objects": [["ship", "top left"], ["harbor", "bottom right"]]}),
    "classification": ("", {"categories": ["ship", "harbor"]}),
}  # fmt: skip
PER_SAMPLE_SECONDS = 2.0  # generous: a 1 MB response, on a loaded 2-core machine
FRAGMENTS = [
    "{<10><10><50><50>}", "<|box_start|>(100,100),(500,500)<|box_end|>", "<box>[[1, 2, 3, 4], [5, 6, 7, 8]]</box>",
    '"bbox_2d": [10, 10, 50, 50]', "[10, 10, 50, 50]", "(60, 60, 90, 95)", "{<nan><inf><-inf><1e999>}",
    "[-5, 300, -10, -400]", "{<50><50><10><10>}", "[[[[[[", "]]]]", "<<<<", "{{{{", "There are 3 instances.",
    "ship", "Harbour", "top left", "very small", "approximately square", "The ship is far from the harbor.",
    "9" * 10_000, "1" * 30 + "." + "2" * 30, "ſhip", "aİrcraft", " ", "\n", ",", "-", "e", "NaN", "Infinity",
    "not ", "No ", "isn't ", "twenty-", "one ", "2 or 3", "Top Left: ", "There are ", "the number of ", ": ",
    '"label": "x"}', "In The Center", "another ", "A ", ". ",
]  # fmt: skip
texts = st.one_of(
    st.text(max_size=300),
    st.lists(st.sampled_from(FRAGMENTS) | st.text(max_size=20), max_size=60).map("".join),
)


def _keys(task: str) -> set[str]:
    return (
        {c.name for c in TASKS[task].columns}
        | {"avg_score", "parse_failure_rate", "failed_requests"}
        | {f"category_{c}" for c in CATEGORIES}
    )


def _doc(task: str) -> dict:
    subset, ref = REFERENCES[task]
    return {"task": task, "subset": subset, "reference": json.dumps(ref), "width": 100, "height": 100,
            "category": "ship"}  # fmt: skip


def _check(task: str, response) -> None:
    start = time.perf_counter()
    out = process_results(_doc(task), [response])
    elapsed = time.perf_counter() - start
    assert set(out) == _keys(task)
    assert out["parse_failure_rate"] in (0, 1)
    assert out["failed_requests"] == 0  # only lmms-eval's own failure marker is a failed request
    assert elapsed < PER_SAMPLE_SECONDS, (task, elapsed, len(response) if isinstance(response, str) else response)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=texts)
def test_process_results_never_raises(text: str):
    for task in TASKS:
        _check(task, text)


@settings(max_examples=60, deadline=None)
@given(text=texts)
def test_parsers_never_raise(text: str):
    for box in boxes.parse_boxes(text, 100, 100):
        assert box.coords is None or all(abs(v) <= 1000 for v in box.coords)
        assert box.coords is None or (box.coords[0] <= box.coords[2] and box.coords[1] <= box.coords[3])
    boxes.rewrite_boxes(text, 100, 100)
    count = answers.stated_count(text)
    assert count is None or count >= -1
    for category in CATEGORIES:
        count = answers.stated_count(text, category)
        assert count is None or count >= -1
    assert len(answers.description_items(text)) <= answers.MAX_DESCRIBED_OBJECTS
    answers.categorised_boxes(text, 100, 100)
    answers.description_items(text)
    answers.stated_attributes(text)
    vocabulary.find_relations(text)


# Where a word-run scan could go wrong: runs glued to digits or underscores, "sized" and "n't" glued
# to their word, hyphens, and phrases that start in one family and end in another.
SCAN_FRAGMENTS = ["2ships", "ship_", "_ship", "ship2", "midsized", "mid-sized", "Very-Small", "smallsized", "can't",
                  "cannot", "isn't", "won't", "doesnt", "in the center", "at the middle left", "left-hand side",
                  "The tank isn't near a car", "planes are far away from the port", "centre of the image", "x", "'",
                  "roughly square", "lower part", "top", "in", "at"]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(text=st.lists(st.sampled_from(FRAGMENTS[:20] + SCAN_FRAGMENTS)
                     | st.text(alphabet="abcSHIPtopLEFT -{}<>[]0123456789,._'", max_size=12), max_size=40).map("".join))  # fmt: skip
def test_ascii_fast_path_finds_what_the_case_insensitive_pattern_finds(text: str):
    scans = [vocabulary._CATEGORY_SCAN, vocabulary._CELL_SCAN, vocabulary._SIZE_SCAN, vocabulary._SHAPE_SCAN,
             vocabulary._RELATION_SCAN, vocabulary._NEGATOR_SCAN, vocabulary._ATTRIBUTES_SCAN]  # fmt: skip
    assert text.isascii()
    for vocabulary_pattern in scans:
        slow = [(m.span(), m.lastgroup) for m in vocabulary_pattern.pattern.finditer(text)]
        fast = [(m.span(), m.lastgroup) for m in vocabulary.scan(vocabulary_pattern, text)]
        assert fast == slow, vocabulary_pattern.pattern.pattern[:60]
    slow = [(m.span(), m.lastgroup) for m in boxes._BOX_RE.finditer(text)]
    assert [(m.span(), m.lastgroup) for m in boxes._box_matches(text)] == slow


def test_unicode_case_variants_read_as_their_ascii_words():
    """CPython's case-insensitive re equates ſ/ı/İ/K with s/i/i/k; the tables must too."""
    assert [m.value for m in vocabulary.find_categories("ſhip aİrcraft AIRCRAFT")] == ["ship", "aircraft", "aircraft"]
    assert answers.stated_count("There are ſix ships") == 6


def test_matching_is_optimal_on_small_cases():
    """Against brute force: the most pairs at the threshold, then the largest summed IoU; and the
    plain-Python IoU of small inputs equals the vectorised one."""
    import itertools

    import numpy as np

    rng = random.Random(7)
    for _ in range(1500):

        def box():
            x, y = rng.randint(0, 30), rng.randint(0, 30)
            return [x, y, x + rng.choice([0, 5, 10, 20]), y + rng.choice([0, 5, 10, 20])]

        pred = [box() for _ in range(rng.randint(0, 4))]
        ref = [box() for _ in range(rng.randint(0, 4))]
        threshold = rng.choice([0.0, 0.25, 0.5])
        result = matching.match_boxes(pred, ref, threshold, 1)
        iou = matching.box_iou(np.array(pred, float).reshape(-1, 4), np.array(ref, float).reshape(-1, 4))
        if pred and ref:
            np.testing.assert_array_equal(matching._small_iou(pred, ref), iou)
        best = (0, 0.0)
        for k in range(min(len(pred), len(ref)) + 1):
            for rows in itertools.permutations(range(len(pred)), k):
                for cols in itertools.combinations(range(len(ref)), k):
                    if all(iou[i, j] >= threshold for i, j in zip(rows, cols)):
                        best = max(best, (k, sum(iou[i, j] for i, j in zip(rows, cols))))
        assert result.tp == best[0], (pred, ref, threshold)
        assert sum(iou[i, j] for i, j in result.pairs) == pytest.approx(best[1]), (pred, ref, threshold)
        assert (result.fp, result.fn) == (len(pred) - result.tp + 1, len(ref) - result.tp)


def _worst_inputs() -> dict[str, str]:
    """Inputs built against the patterns: long runs that almost match, then fail at the end."""
    mb = 1_000_000
    return {
        "digits": "9" * mb,
        "open_angles": "{<" * (mb // 2),
        "numbers_in_angles": "<1>" * (mb // 3),
        "unclosed_list": "[" + "1, " * (mb // 3),
        "nested_brackets": "[" * (mb // 2) + "]" * (mb // 2),
        "internvl_unclosed": "<box>[" + "[1, 2, 3, 4], " * (mb // 14),
        "spaces_before_number": "<" + " " * mb,
        "words": "ship top left very small " * (mb // 25),
        "relation_no_end": ("ship is far from the " * (mb // 21)),
        "thousands_of_boxes": "{<10><10><50><50>}" * 5_000,
        "random_unicode": "".join(chr(random.Random(1).randint(0x80, 0x2FFF)) for _ in range(200_000)),
        "nan_inf": "{<nan><inf><-inf><1e999>}" * 20_000,
        "negators": "not a ship " * (mb // 11),
        "no_no_no": "no " * (mb // 3),
        "number_words": "twenty-one " * (mb // 11),
        "there_are": "there are " * (mb // 10),
        "hedges": "2 or " * (mb // 5),
        "title_case_lists": "Top Left: A Ship. " * (mb // 18),
        "counts_of_many": "99 ships and " * (mb // 13),
        "json_labels": '{"bbox_2d": [1, 2, 3, 4], "label": "x"}, ' * (mb // 42),
    }


def test_worst_inputs_finish_in_bounded_time():
    for name, text in _worst_inputs().items():
        for task in TASKS:
            start = time.perf_counter()
            out = process_results(_doc(task), [text])
            elapsed = time.perf_counter() - start
            assert set(out) == _keys(task)
            assert elapsed < PER_SAMPLE_SECONDS, (name, task, round(elapsed, 2))


def test_non_string_responses_score_as_empty():
    for response in (None, 12, b"ship", ["ship"], float("nan")):
        for task in TASKS:
            _check(task, response)


ATTRIBUTE_WORDS = ["top", "upper", "middle", "center", "centre", "central", "bottom", "lower", "left", "right", "side",
                   "hand", "part", "of the image", "mid", "sized", "very", "small", "large", "medium", "tiny", "huge",
                   "approximately", "square", "wide", "tall", "elongated", "ship", "ships", "planes", "harbour", "car"]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    words=st.lists(st.sampled_from(ATTRIBUTE_WORDS) | st.text(alphabet="abcdeLMN-", max_size=4), max_size=30),
    separators=st.lists(st.sampled_from([" ", "-", ", ", "  ", "", "x"]), min_size=30, max_size=30),
)
def test_one_attribute_scan_finds_what_four_scans_find(words: list[str], separators: list[str]):
    text = "".join(w + s for w, s in zip(words, separators))
    for variant in (text, text.upper(), text + " ſ"):  # ASCII, upper case, and the non-ASCII path
        assert vocabulary.find_attributes(variant) == {
            "cell": {m.value for m in vocabulary.find_cells(variant)},
            "size": {m.value for m in vocabulary.find_sizes(variant)},
            "shape": {m.value for m in vocabulary.find_shapes(variant)},
            "category": {m.value for m in vocabulary.find_categories(variant)},
        }, variant
