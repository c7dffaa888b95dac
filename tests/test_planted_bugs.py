"""Plausible one-line bugs in the scoring code, each pinned by a hand-computed expectation.

Each test names the bug it catches (docs/TESTING.md maps every bug planted by mutation testing to
its test here); the expectations are worked out by hand in the comments, not by running the code.
"""

from __future__ import annotations

import pytest

from sarchat_tasks.metrics import MAX_RESPONSE_CHARS, sample_metrics, score_sample, table_record, task_score
from sarchat_tasks.scoring import score_classification, score_counting, score_grounding
from sarchat_tasks.utils.answers import WRONG_COUNT, stated_count
from sarchat_tasks.utils.boxes import DEFAULT, MAX_NUMBER_CHARS, parse_boxes
from sarchat_tasks.utils.matching import match_boxes
from sarchat_tasks.utils.vocabulary import find_relations, grid_cell


def test_matching_drops_assigned_pairs_below_the_threshold():
    # Eligible at IoU 0.5: p0-r0 (1.0), p1-r0 (90/100 = 0.9), p2-r1 and p2-r2 (90/110 = 0.82 each).
    # p0 and p1 compete for r0, so the assignment runs over all three rows and columns and puts p1 on
    # r1 or r2 (IoU 0): that forced pair is not a match. Right: tp 2, fp 1 (p1), fn 1; the bug: 3/0/0.
    predicted = [[0, 0, 10, 10], [0, 0, 10, 9], [21, 0, 31, 10]]
    reference = [[0, 0, 10, 10], [20, 0, 30, 10], [22, 0, 32, 10]]
    result = match_boxes(predicted, reference, 0.5)
    assert (result.tp, result.fp, result.fn) == (2, 1, 1)


@pytest.mark.parametrize(
    ("answer", "valid"),
    [
        # 10 image sizes of a 100x100 image: 1000 pixels either way, whichever coordinate.
        ("{<-50000><0><10><10>}", False),  # |x1| = 50000 > 1000: absurd although x1 is negative
        ("{<0><-50000><10><10>}", False),
        ("{<0><0><50000><10>}", False),
        ("{<0><0><10><50000>}", False),
        ("{<-1000><0><10><10>}", True),  # exactly 1000 away is still a box (the check is ">")
        ("{<-1001><0><10><10>}", False),
    ],
)
def test_absurd_box_check_uses_the_distance_either_way(answer, valid):
    (box,) = parse_boxes(answer, 100, 100)
    assert box.valid is valid


@pytest.mark.parametrize(
    ("number", "coords"),
    [
        ("0" * 22 + "10", (10.0, 0.0, 20.0, 20.0)),  # 24 characters: read as 10
        ("0" * 23 + "10", None),  # 25 characters: over the limit, the box is invalid
    ],
)
def test_number_length_limit_is_24_characters(number, coords):
    assert MAX_NUMBER_CHARS == 24
    (box,) = parse_boxes(f"{{<{number}><0><20><20>}}", 100, 100)
    assert box.coords == coords


@pytest.mark.parametrize(
    ("padding", "counting_only", "failure"),
    [
        # "There are 2" ends exactly at character 100,000: read, the count 2 is right.
        (MAX_RESPONSE_CHARS - len("There are 2"), 1, False),
        # one space more pushes the "2" past the cap: nothing is read, the count is wrong.
        (MAX_RESPONSE_CHARS - len("There are 2") + 1, 0, True),
    ],
)
def test_response_is_read_up_to_100000_characters(padding, counting_only, failure):
    assert MAX_RESPONSE_CHARS == 100_000
    reference = {"count": 2, "boxes": [], "category": "ship"}
    columns, parse_failure = score_sample(
        "counting", "multi", " " * padding + "There are 2 ships.", reference, 100, 100
    )
    assert (columns["counting_only"], parse_failure) == (counting_only, failure)


@pytest.mark.parametrize(
    ("answer", "count"),
    [
        ("The image shows no ships.", 0),  # "no" mid-sentence states zero
        ("I think there are no ships in the image.", 0),
        ("There is 1 instance.", 1),  # singular generic noun
        ("There is 1 ship.", 1),
        ("There are 123456789 ships.", 123456789),  # 9 digits: still a count
        ("There are 1234567890 ships.", WRONG_COUNT),  # 10 digits: no image has that many
    ],
)
def test_stated_counts(answer, count):
    assert stated_count(answer, "ship") == count


@pytest.mark.parametrize(
    ("answer", "count"),
    [
        # "1 instance of tank" is the tank count even after a statement about ships
        ("There are 3 ships and 1 instance of tank.", 1),
        ("There are 3 ships and 2 instances of tanks.", 2),
        ("There are 3 ships.", None),  # nothing said about tanks
    ],
)
def test_stated_counts_of_instances(answer, count):
    assert stated_count(answer, "tank") == count


@pytest.mark.parametrize(
    ("answer", "counting_only", "iou50"),
    [
        # The stated 0 wins over the one box, so the count 0 is right; the box is still a false positive.
        ("There are no ships. {<10><10><20><20>}", 1, [0, 1, 0]),
        # No count stated: the box count, 1, is the count, which is wrong.
        ("{<10><10><20><20>}", 0, [0, 1, 0]),
    ],
)
def test_counting_stated_zero_beats_the_box_count(answer, counting_only, iou50):
    reference = {"count": 0, "boxes": [], "category": "ship"}
    columns, _ = score_counting(answer, "multi", reference, 100, 100, DEFAULT)
    assert (columns["counting_only"], columns["counting_iou50"]) == (counting_only, iou50)


@pytest.mark.parametrize(
    ("box", "width", "height", "cell"),
    [
        # centre (5, 55): row 3 * 55 / 90 = 1.83 -> middle; column 3 * 5 / 300 = 0.05 -> left
        ((0, 50, 10, 60), 300, 90, "middle left"),
        # same box on the transposed image: row 3 * 55 / 300 = 0.55 -> top; column 3 * 5 / 90 -> left
        ((0, 50, 10, 60), 90, 300, "top left"),
        # centre (250, 10) on 300 x 90: column 2.5 -> right, row 0.33 -> top
        ((240, 0, 260, 20), 300, 90, "top right"),
    ],
)
def test_grid_cell_row_from_height_column_from_width(box, width, height, cell):
    assert grid_cell(box, width, height) == cell


@pytest.mark.parametrize(
    ("text", "relation"),
    [
        ("The ship is distant from the harbor.", "far"),
        ("The ship is far away from the harbor.", "far"),
        ("The ship is next to the harbor.", "near"),
        ("The ship is not distant from the harbor.", "near"),
    ],
)
def test_relation_words(text, relation):
    assert [tuple(r) for r in find_relations(text)] == [("harbor", "ship", relation)]


def test_task_score_leaves_out_columns_no_record_applies_to():
    # grounding_multi: 1 / (1 + 1) = 50 %; grounding_single: 1 / 1 = 100 %; grounding_abstract_position
    # is None on every record, so it is left out: (50 + 100) / 2 = 75, not 150 / 3 = 50.
    records = [
        {"grounding_abstract_position": None, "grounding_multi": [1, 1, 0], "grounding_single": None},
        {"grounding_abstract_position": None, "grounding_multi": None, "grounding_single": [1, 0, 0]},
    ]
    assert task_score(records) == 75.0


def test_task_score_record_holds_only_the_table_3_columns():
    # A grounding answer with one right box: grounding_single [1, 0, 0] (100 %), also at IoU 0.25,
    # which is not a Table 3 column; abstract position and multi do not apply. The record, and so the
    # task score, has exactly the three Table 3 columns.
    reference = {"objects": [["ship", [10.0, 10.0, 20.0, 20.0]]], "relations": []}
    values = sample_metrics("grounding", "single", "ship", "A ship {<10><10><20><20>}", reference, 100, 100)
    assert values["grounding_single_iou25"] == [1, 0, 0]
    assert values["avg_score"] == {
        "grounding_abstract_position": None,
        "grounding_multi": None,
        "grounding_single": [1, 0, 0],
    }
    columns = {"grounding_abstract_position": 1, "grounding_multi": [0, 1, 0], "grounding_single": [1, 0, 0],
               "grounding_multi_iou25": [0, 0, 1], "grounding_single_iou25": [1, 0, 0]}  # fmt: skip
    assert set(table_record("grounding", columns)) == {
        "grounding_abstract_position",
        "grounding_multi",
        "grounding_single",
    }


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        # no category word before the box: it cannot match, so it is a false positive, and the
        # reference ship is missed
        ("{<10><10><20><20>}", [0, 1, 1]),
        ("A ship {<10><10><20><20>}", [1, 0, 0]),
        # a right ship and an uncategorised box: 1 tp and 1 fp
        ("A ship {<10><10><20><20>} and {<50><50><60><60>}", [1, 1, 0]),
    ],
)
def test_grounding_boxes_without_category_are_false_positives(answer, expected):
    reference = {"objects": [["ship", [10.0, 10.0, 20.0, 20.0]]], "relations": []}
    columns, _ = score_grounding(answer, "single", reference, 100, 100, DEFAULT)
    assert columns["grounding_single"] == expected


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("A ship. Another ship.", [1, 0, 0]),  # a category named twice is one category
        ("A ship and a tank.", [1, 1, 0]),
        ("A tank.", [0, 1, 1]),
    ],
)
def test_classification_counts_each_category_once(answer, expected):
    columns, _ = score_classification(answer, None, {"categories": ["ship"]}, 100, 100, DEFAULT)
    assert columns["classification"] == expected


def test_every_planted_bug_still_has_its_line(monkeypatch):
    """``python benchmarks/mutation_score.py --planted`` replaces each text once in its file: a rewrite
    of that code must update the list (docs/TESTING.md), not silently drop a planted bug."""
    import importlib.util
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    spec = importlib.util.spec_from_file_location("mutation_score", root / "benchmarks" / "mutation_score.py")
    runner = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "mutation_score", runner)  # its dataclasses look their module up
    spec.loader.exec_module(runner)
    assert len(runner.PLANTED) == 14
    for path, _module, old, new in runner.PLANTED:
        source = (root / path).read_text()
        assert source.count(old) == 1, (path, old)
        assert old != new
