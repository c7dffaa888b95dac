"""Plausible bugs in the scoring and build code, each pinned by a hand-computed expectation.

``python benchmarks/mutation_score.py --planted`` plants one bug per rule of docs/METRICS.md and
docs/DATASET.md; docs/TESTING.md maps each rule, by id, to the fast test that fails on its bug. The
tests here cover the rules no other test file pinned; each names its rule id, and the expectations
are worked out by hand in the comments, not by running the code.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sarchat_tasks.metrics import (
    FAILED_MARKER,
    MAX_RESPONSE_CHARS,
    aggregate_metrics,
    row_metrics,
    sample_metrics,
    score_sample,
    table_record,
    task_score,
)
from sarchat_tasks.official import task_of_file, task_of_question
from sarchat_tasks.scoring import (
    ReferenceAnswerError,
    count_of_samples,
    counting_reference,
    description_reference,
    grounding_reference,
    identification_reference,
    most_frequent,
    score_classification,
    score_counting,
    score_description,
    score_grounding,
    score_identification,
    share_of_samples,
)
from sarchat_tasks.task_folder import budget_shortfalls, distinct_budgets, estimate_tokens, generation_budget
from sarchat_tasks.utils.answers import WRONG_COUNT, categorised_boxes, description_items, stated_count
from sarchat_tasks.utils.boxes import DEFAULT, MAX_NUMBER_CHARS, parse_boxes
from sarchat_tasks.utils.matching import match_boxes
from sarchat_tasks.utils.vocabulary import (
    find_affirmed_categories,
    find_cells,
    find_relations,
    find_shapes,
    find_sizes,
    grid_cell,
)

ROOT = Path(__file__).resolve().parent.parent


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


# ---------------------------------------------------------------------------------------------
# One test per rule of docs/METRICS.md and docs/DATASET.md that no other fast test pinned: each fails
# on the planted bug of benchmarks/mutation_score.py named in its comment (docs/TESTING.md, the
# table of rules).
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "valid"),
    [
        # M-box-internvl-four: an item of five numbers is no box, not its first four (norm1000 on a
        # 1000 x 1000 image, so [100, 100, 200, 200] would be a box at those pixels)
        ("<box>[[100, 100, 200, 200, 300]]</box>", [False]),
        ("<box>[[100, 100, 200]]</box>", [False]),
        ("<box>[[100, 100, 200, 200], [1, 2, 3, 4, 5]]</box>", [True, False]),
    ],
)
def test_internvl_items_need_exactly_four_numbers(answer, valid):
    assert [box.valid for box in parse_boxes(answer, 1000, 1000)] == valid


def test_counting_invalid_box_is_a_false_positive():
    # M-box-invalid-fp: one right box and one box whose numbers are not finite. The invalid box is a
    # predicted box that matches nothing: tp 1, fp 1, fn 0 at both thresholds (dropping it: fp 0).
    reference = {"count": 1, "boxes": [[10.0, 10.0, 20.0, 20.0]], "category": "ship"}
    columns, _ = score_counting("{<10><10><20><20>}{<nan><0><5><5>}", "", reference, 100, 100, DEFAULT)
    assert columns["counting_iou25"] == columns["counting_iou50"] == [1, 1, 0]


def test_zero_area_boxes_have_iou_zero_even_with_each_other():
    # M-iou-zero-area: two identical zero-area boxes have intersection 0 and union 0: IoU 0, so they
    # do not match: tp 0, fp 1, fn 1 (an IoU of 1 for them would match them: 1/0/0).
    result = match_boxes([[5, 5, 5, 5]], [[5, 5, 5, 5]], 0.5)
    assert (result.tp, result.fp, result.fn) == (0, 1, 1)


@pytest.mark.parametrize(
    ("text", "named"),
    [
        # M-neg-window: "not" negates the next four words: a(1) single(2) large(3) ship(4); a
        # three-word scope would leave the ship stated
        ("There is not a single large ship here, only a harbor.", ["harbor"]),
        # ... and not the fifth: a(1) ship(2) near(3) the(4) harbor(5)
        ("There is not a ship near the harbor.", ["harbor"]),
        # M-neg-but: the scope ends at "but": tanks are stated
        ("There are no ships but tanks are visible.", ["tank"]),
        # M-neg-punctuation: the scope ends at a comma
        ("No ships, tanks are visible.", ["tank"]),
        # M-neg-number: the scope ends at a number
        ("There are no ships and 2 tanks.", ["tank"]),
        ("This isn't a ship, it is a harbor.", ["harbor"]),  # M-neg-nt: "isn't" negates
        # M-neg-line: the scope of "none" stays on its line: "Ships" on the next line is stated
        ("Tanks: none\nShips: 2", ["tank", "ship"]),
        # M-neg-words: "without" is a negator: the ships are not stated
        ("A harbor without ships.", ["harbor"]),
    ],
)
def test_negation_scope_words_and_lines(text, named):
    assert [m.value for m in find_affirmed_categories(text)] == named


@pytest.mark.parametrize(
    ("answer", "category", "count"),
    [
        ("There was a ship.", "ship", 1),  # M-count-there-is: "there was" + "a" counts one
        ("There is an aircraft.", "aircraft", 1),  # M-count-a-an: "an" counts one after "there is"
        ("There are none.", "ship", 0),  # M-count-none: "there are none" = 0
        ("There are **3** ships.", "ship", 3),  # M-count-markdown: "*" reads as a space
        ("I see 2 very small ships.", "ship", 2),  # M-count-modifiers: two modifier words
        # M-count-not-modifiers: "in" and "the" are no modifiers: "one in the harbor" states no harbor count
        ("There are 3 ships, one in the harbor.", "harbor", None),
        # M-count-instances-of: "1 instance of the tank" is about tanks (not a generic statement, which
        # would leave the first generic one, 2, as the count)
        ("There are 2 instances of the ship and 1 instance of the tank.", "tank", 1),
        # M-count-total-of: "a total of 3 ships" is a total: 3, not 3 + 2 + 1
        ("I count a total of 3 ships: 2 large ships and 1 small ship.", "ship", 3),
        # M-count-hedge-among: a hedge among the summed statements makes the count -1
        ("I see 1 large ship and 2 or 3 small ships.", "ship", WRONG_COUNT),
        # M-count-sentence-sum: only the first statement's sentence is summed: 1, not 1 + 2
        ("I see 1 large ship. I see 2 small ships.", "ship", 1),
        # M-count-number-of: "is" stands ten tokens after "number of" (ships visible in the upper part
        # of the image is), within the twelve
        ("The number of ships visible in the upper part of the image is 4.", "ship", 4),
        # M-count-generic: no statement about ships; the first statement about no category (4) is the count
        ("There are 4 instances: 2 objects on the left and 2 objects on the right.", "ship", 4),
        # M-count-sentences: ";" ends the sentence, so only "1 large ship" is summed (not + 2)
        ("I see 1 large ship; 2 small ships are in the harbor.", "ship", 1),
        # M-count-other-categories: "3 objects" is no statement about ships: 2 large ships, not 5
        ("I see 2 large ships and 3 objects.", "ship", 2),
        # M-count-label: "Ships: 3" does not close its phrase ("large" follows): the statements are
        # 3 large ships + 2 small ships = 5, not the label's 3
        ("Ships: 3 large ships and 2 small ships.", "ship", 5),
        # M-count-bare: a number followed by words is not a bare-number answer
        ("2 of them are visible.", "ship", None),
    ],
)
def test_count_statement_rules(answer, category, count):
    assert stated_count(answer, category) == count


def test_json_label_keys():
    # M-gr-json-keys: "class", "name" and "category" are label keys as "label" is; each box takes its
    # own object's label (reading only "label", the first box would have no category and the second
    # would take "ship", the last category word before it).
    answer = ('[{"bbox_2d": [10, 10, 20, 20], "class": "ship"}, {"bbox_2d": [30, 30, 40, 40], "name": "tank"}, '
              '{"bbox_2d": [50, 50, 60, 60], "category": "harbor"}]')  # fmt: skip
    assert [item.category for item in categorised_boxes(answer, 100, 100)] == ["ship", "tank", "harbor"]


_RELATIONS_REFERENCE = {"objects": [["ship", [10.0, 10.0, 20.0, 20.0]], ["harbor", [60.0, 60.0, 90.0, 90.0]],
                                    ["tank", [10.0, 80.0, 20.0, 90.0]]],
                        "relations": [["harbor", "ship", "far"], ["ship", "tank", "far"]]}  # fmt: skip


@pytest.mark.parametrize(
    ("answer", "correct"),
    [
        # M-gr-abstract-every: both relations must be right; one of two is wrong
        ("The ship is far from the harbor. The ship is near the tank.", 0),
        ("The ship is far from the harbor. The ship is far from the tank.", 1),
        # M-gr-abstract-first: the first relation stated for a pair counts, not a later one
        ("The ship is near the harbor. The ship is far from the harbor. The tank is far from the ship.", 0),
        ("The ship is far from the harbor. The ship is near the harbor. The tank is far from the ship.", 1),
    ],
)
def test_abstract_position_every_relation_first_statement(answer, correct):
    columns, _ = score_grounding(answer, "multi", _RELATIONS_REFERENCE, 100, 100, DEFAULT)
    assert columns["grounding_abstract_position"] == correct


def test_abstract_position_only_for_references_with_relations():
    # M-gr-abstract-applies: a reference without relation sentences has no abstract-position value
    # (not a vacuous 1)
    reference = {"objects": [["ship", [10.0, 10.0, 20.0, 20.0]]], "relations": []}
    columns, _ = score_grounding("A ship {<10><10><20><20>}", "single", reference, 100, 100, DEFAULT)
    assert "grounding_abstract_position" not in columns


def test_identification_ignores_a_shape_the_reference_does_not_state():
    # M-id-unstated: the reference states cell, size and category; the answer adds a shape, ignored
    reference = {"cell": "top left", "size": "small", "category": "ship", "shape": None}
    columns, _ = score_identification("A small, wide ship in the top left.", "single", reference, 100, 100, DEFAULT)
    assert columns["identification_single"] == 1


@pytest.mark.parametrize(
    ("answer", "objects", "expected"),
    [
        # M-desc-multiset: two ships in one cell against two: tp 2 (a set would count 1 and leave fp 1, fn 1)
        ("Two ships in the top left.", [["ship", "top left"], ["ship", "top left"]], [2, 0, 0]),
        # M-desc-category-and-cell: the right cell with the wrong category matches nothing
        ("A tank in the top left.", [["ship", "top left"]], [0, 1, 1]),
        # M-desc-no-cell: an object without a cell matches nothing, even the middle center
        ("A ship.", [["ship", "middle center"]], [0, 1, 1]),
    ],
)
def test_description_matching(answer, objects, expected):
    columns, _ = score_description(answer, None, {"objects": objects}, 100, 100, DEFAULT)
    assert columns["description"] == expected


@pytest.mark.parametrize(
    ("answer", "items"),
    [
        # M-desc-number-digits: "12" before the category word stands for 12 objects
        ("12 ships in the top left.", [("ship", "top left")] * 12),
        # M-desc-number-reach: the number may stand two words before the category word (2 very small ships)
        ("2 very small ships in the top left.", [("ship", "top left")] * 2),
        # M-desc-sentences: ";" ends a sentence: the ship's sentence names no position, and the next
        # names its own category, so the ship keeps none
        ("A ship; a tank in the top left.", [("ship", None), ("tank", "top left")]),
        # M-desc-run-on: "... image Also, in ..." starts a sentence that opens with a position
        (
            "A ship is in the top left of the image Also, in the bottom right there is a tank.",
            [("ship", "top left"), ("tank", "bottom right")],
        ),
        # M-desc-title-case: a Title Case phrase is one sentence: the two positions go to the two ships
        ("Two ships In The Top Left And Bottom Right.", [("ship", "top left"), ("ship", "bottom right")]),
        # M-desc-opening-position: the object takes the last position before it
        ("In the top left and the bottom right, there is a ship.", [("ship", "bottom right")]),
        # M-desc-queue: a run of positions shorter than the queue: the rest take its last position
        ("A ship and a car in the top left.", [("ship", "top left"), ("car", "top left")]),
        # M-desc-colon: a colon ends no sentence: each object takes the position opening its sentence
        ("Top left: a ship. Bottom right: a tank.", [("ship", "top left"), ("tank", "bottom right")]),
    ],
)
def test_description_items_rules(answer, items):
    assert description_items(answer) == items


_PARSE_FAILURE_CASES = [
    # (task, subset, answer, reference): each answer holds something readable, so no parse failure
    ("counting", "", "{<10><10><20><20>}", {"count": 1, "boxes": [[10.0, 10.0, 20.0, 20.0]], "category": "ship"}),  # M-pfr-counting: a box, no count
    ("grounding", "multi", "The ship is near the harbor.",
     {"objects": [["ship", [10.0, 10.0, 20.0, 20.0]]], "relations": [["harbor", "ship", "near"]]}),  # M-pfr-grounding: a relation, no box
    ("identification", "single", "It is in the top left.",
     {"cell": "top left", "size": "small", "category": "ship", "shape": None}),  # M-pfr-identification: a cell, no category
    ("referring", "single", "{<nan><0><5><5>}", {"boxes": [[10.0, 10.0, 20.0, 20.0]], "category": "ship"}),  # M-pfr-referring: a box, if invalid
    ("description", "", "A ship.", {"objects": [["ship", "top left"]]}),  # M-pfr-description: a category, no position
]  # fmt: skip


@pytest.mark.parametrize(("task", "subset", "answer", "reference"), _PARSE_FAILURE_CASES)
def test_parse_failure_needs_nothing_readable(task, subset, answer, reference):
    _, failure = score_sample(task, subset, answer, reference, 100, 100)
    assert failure is False


def test_parse_failure_rate_leaves_failed_requests_out():
    # M-pfr-denominator: three samples, one a failed request (lmms-eval's marker): that one is not a
    # response, so the rate is over the two others: one unreadable of two = 50 % (33.3 % if counted).
    row = {"task": "counting", "subset": "", "category": "ship", "width": 100, "height": 100,
           "reference": json.dumps({"count": 2, "boxes": [], "category": "ship"})}  # fmt: skip
    responses = [FAILED_MARKER + " after 3 retries]", "I cannot tell.", "There are 2 ships."]
    values = [row_metrics(row, response) for response in responses]
    assert aggregate_metrics("counting", values)["parse_failure_rate"] == 50.0


def test_category_of_a_sample_is_the_first_named_on_ties():
    # M-category-ties: tank and ship once each: the first named (tank); ship twice beats tank once
    assert most_frequent(["tank", "ship"]) == "tank"
    assert most_frequent(["tank", "ship", "ship"]) == "ship"


def test_share_items_are_left_as_percentages_and_counts_hidden():
    # M-stderr-percent: after aggregating, a share column's 0/1 items are 0/100 for lmms-eval's
    # Stderr_CLT (in percentage points), None left as it is.
    items = [1, 0, 0, 1, None]
    assert share_of_samples(items) == 50.0
    assert [None if v is None else float(v) for v in items] == [100.0, 0.0, 0.0, 100.0, None]
    # M-stderr-none: failed_requests' items are no numbers lmms-eval could take a standard error of
    counts = [1, 0, 0]
    assert count_of_samples(counts) == 1
    assert not any(isinstance(v, int | float) for v in counts)


def test_reference_box_below_the_image_stops_preparation():
    # M-refs-outside: on a 200 x 50 image, y2 = 90 is 39 px below the bottom (more than 1 px): refused,
    # although 90 is within the width
    with pytest.raises(ReferenceAnswerError, match="outside"):
        counting_reference("There is 1 instance. {<10><10><20><90>}", 200, 50, "How many ships?")


def test_grounding_reference_box_without_category_stops_preparation():
    # M-refs-grounding-category: the first box has no category word before it
    with pytest.raises(ReferenceAnswerError, match="no category"):
        grounding_reference("{<30><30><40><40>} A ship {<10><10><20><20>}", 100, 100)


@pytest.mark.parametrize(
    ("name", "task_and_subset"),
    [
        ("account_results.json", (None, None)),  # M-file-whole-words: "count" inside a word names nothing
        ("SARChat_classify_refer_multi_test_final_results.jsonl", ("referring", "multi")),  # M-file-specific-word
        ("count_and_refer.json", (None, None)),  # M-file-tie: two equally specific words
        ("out/SARChat_classify_count_test/chunk_3_results.jsonl", ("counting", None)),  # M-file-chunk
        (
            "qwen2-vl-multimodal_SARChat_classify_grounding_single_test.json",
            ("grounding", "single"),
        ),  # M-file-subset-word
        ("multi_run_SARChat_classify_grounding_single_test.json", ("grounding", "single")),  # M-file-subset-last
        # M-file-subset-word: "multi" inside "multimodal" is no subset word
        ("SARChat_classify_grounding_test_by_multimodal-model.json", ("grounding", None)),
    ],
)
def test_task_and_subset_of_file_names(name, task_and_subset):
    assert task_of_file(name) == task_and_subset


@pytest.mark.parametrize(
    ("question", "task"),
    [
        ("[ Count ] How many ships are there?", "counting"),  # M-question-tag: any case, spaces inside
        ("Is there a ship or a tank in this image?", "classification"),  # M-question-choice: two categories
        ("Describe the ships in this image.", "description"),
    ],
)
def test_task_of_question(question, task):
    assert task_of_question(question) == task


def test_generation_budget_rule():
    # M-budget-formula, M-budget-round-up: 1000 tokens -> ceil(1000 x 1.25) + 16 = 1266 -> up to 16: 1280
    # (x 1.2 would give 1216; rounding to the nearest 16, 1264)
    assert generation_budget(1000) == 1280
    # M-budget-distinct: three equal budgets go up by 16 each, in order
    assert distinct_budgets({"a": 64, "b": 64, "c": 64}) == {"a": 64, "b": 80, "c": 96}
    # M-budget-tokens: one token per digit: { < 1 2 3 > < 4 5 > } = 11
    assert estimate_tokens("{<123><45>}") == 11


@pytest.mark.parametrize(
    ("text", "cells"),
    [
        ("in the top middle", ["top center"]),  # M-cell-words: the column word "middle" is the center column
        ("at the bottom-centre", ["bottom center"]),
        ("in the middle left", ["middle left"]),  # M-cell-center: a column word after "in the middle" keeps it
        ("in the upper part of the image", ["top center"]),  # M-cell-edge: "upper" is the top row
        ("the lower half", ["bottom center"]),
    ],
)
def test_cell_phrases(text, cells):
    assert [m.value for m in find_cells(text)] == cells


@pytest.mark.parametrize(
    ("text", "sizes", "shapes"),
    [
        ("a very large ship", ["very large"], []),  # M-size-very
        ("a tiny boat", ["very small"], []),  # M-size-synonyms: tiny = very small
        ("a huge tank", ["very large"], []),
        ("an elongated ship", [], []),  # M-shape-words: "elongated" says no axis: no shape
        ("an approximately square tank", [], ["square"]),
    ],
)
def test_size_and_shape_words(text, sizes, shapes):
    assert [m.value for m in find_sizes(text)] == sizes
    assert [m.value for m in find_shapes(text)] == shapes


def test_negated_category_word_gives_no_box_its_category():
    # M-neg-grounding: "tank" is negated, so the box takes "ship", the last category word not negated
    (item,) = categorised_boxes("This is a ship, not a tank: {<10><10><20><20>}", 100, 100)
    assert item.category == "ship"


def test_description_negated_category_is_no_object():
    # M-neg-description: "no harbor" describes no harbor, also when "harbor" ends the negated words
    assert description_items("There is no harbor. A ship is in the top left.") == [("ship", "top left")]


@pytest.mark.parametrize(
    ("task", "subset", "reference", "iou25", "iou50"),
    [
        # M-count-iou, M-gr-iou50, M-ref-iou: the answer's box [10, 10, 20, 20] against [10, 10, 20, 40]:
        # IoU 100 / 300 = 0.33, a match at 0.25 (1/0/0), none at 0.5 (0/1/1)
        ("counting", "", {"count": 1, "boxes": [[10.0, 10.0, 20.0, 40.0]], "category": "ship"},
         "counting_iou25", "counting_iou50"),
        ("grounding", "single", {"objects": [["ship", [10.0, 10.0, 20.0, 40.0]]], "relations": []},
         "grounding_single_iou25", "grounding_single"),
        ("referring", "single", {"boxes": [[10.0, 10.0, 20.0, 40.0]], "category": "ship"},
         "referring_single_iou25", "referring_single_iou50"),
    ],
)  # fmt: skip
def test_box_columns_thresholds(task, subset, reference, iou25, iou50):
    columns, _ = score_sample(task, subset, "There is 1 ship {<10><10><20><20>}", reference, 100, 100)
    assert (columns[iou25], columns[iou50]) == ([1, 0, 0], [0, 1, 1])


def test_grounding_box_category_rules():
    # M-gr-last-category: each box takes the last category word before it
    answer = "A ship {<10><10><20><20>} and a tank {<30><30><40><40>}"
    assert [item.category for item in categorised_boxes(answer, 100, 100)] == ["ship", "tank"]
    # M-gr-same-category: a tank box on the reference ship's place matches nothing: fp 1, fn 1
    reference = {"objects": [["ship", [10.0, 10.0, 20.0, 20.0]]], "relations": []}
    columns, _ = score_grounding("A tank {<10><10><20><20>}", "single", reference, 100, 100, DEFAULT)
    assert columns["grounding_single"] == [0, 1, 1]


def test_identification_two_categories_is_wrong():
    # M-id-one-value: "a ship or a tank" states two categories: hedging is not identification
    reference = {"cell": "top left", "size": "small", "category": "ship", "shape": None}
    columns, _ = score_identification("A small ship or tank in the top left.", "single", reference, 100, 100, DEFAULT)
    assert columns["identification_single"] == 0


@pytest.mark.parametrize(
    ("parse", "answer", "message"),
    [
        (description_reference, "A ship in the top left. A tank.", "no position"),  # M-refs-description-position
        (counting_reference, "There is 1 instance. {<10><10><10><20>}", "zero area"),  # M-refs-zero-area
        (
            identification_reference,
            "A small ship and a large ship in the top left.",
            "several",
        ),  # M-refs-several-values
    ],
)
def test_unreadable_references_stop_preparation(parse, answer, message):
    with pytest.raises(ReferenceAnswerError, match=message):
        parse(answer, 100, 100, "How many ships are there?")


def test_a_budget_below_the_longest_reference_is_named(tmp_path):
    # M-budget-check: a budget of 100 tokens against a longest reference of 101 is one short, named;
    # against 100 it is enough (a budget below half the longest would pass a check at half)
    (tmp_path / "sarchat_counting.yaml").write_text(
        "task: sarchat_counting\ndataset_kwargs:\n  data_files:\n    test: rows/counting.parquet\n"
        "generation_kwargs:\n  max_new_tokens: 100\n"
    )
    (line,) = budget_shortfalls(tmp_path, ["sarchat_counting"], {"counting": 101})
    assert line.startswith("sarchat_counting: max_new_tokens 100") and line.endswith("101 tokens")
    assert budget_shortfalls(tmp_path, ["sarchat_counting"], {"counting": 100}) == []


def test_subset_of_a_record_file_name_first_then_objects():
    from sarchat_tasks.prepare import PrepareError, _subset_of

    two_objects = {"objects": [["ship", [1.0, 1.0, 5.0, 5.0]], ["tank", [10.0, 10.0, 20.0, 20.0]]], "relations": []}
    # M-subset-file-first: the file name's subset wins over the count of objects (two: multi)
    assert _subset_of("grounding", "single", two_objects, "f.json record 1") == "single"
    assert _subset_of("grounding", None, two_objects, "f.json record 1") == "multi"
    # M-subset-identification: an identification record needs its file name to tell
    with pytest.raises(PrepareError, match="cannot tell multi from single"):
        _subset_of("identification", None, {"cell": "top left", "category": "ship"}, "f.json record 1")


def test_built_box_is_clipped_to_the_image_height():
    # D-box-clip: [10, 40, 20, 30] on a 200 x 50 image reaches y = 70: clipped to the height, 50
    # (not to the width, 200), and flagged as crossing the border
    from sarchat_tasks.build.rules import coco_box_to_pixels

    assert coco_box_to_pixels([10, 40, 20, 30], 200, 50) == ((10, 40, 30, 50), True)


def test_built_relation_is_between_the_first_instances():
    # D-relation-first-instance: on 800 x 800, (W + H) / 8 = 200. The first ship's centre (20, 20) is
    # 56.6 px from the harbor's (60, 60): near; the last ship's (710, 710) is 919 px away: far. The
    # sentence is about the first instance of each category: near.
    from sarchat_tasks.build.coco import Instance, SourceImage
    from sarchat_tasks.build.records import RecordRenderer
    from sarchat_tasks.build.templates import load_templates

    instances = (Instance("ship", (10, 10, 30, 30), False, 1), Instance("harbor", (40, 40, 80, 80), False, 2),
                 Instance("ship", (700, 700, 720, 720), False, 3))  # fmt: skip
    records = RecordRenderer(load_templates(), 0, "test").records(SourceImage(1, "a.jpg", 800, 800, instances))
    (answer,) = [record[3] for record in records if record[0] == "grounding"]
    assert [tuple(r) for r in find_relations(answer)] == [("harbor", "ship", "near")]


def test_built_records_of_an_image_come_in_task_order():
    # D-train-order: an image's records, task by task: classification, description (the 100 x 100
    # ship covers 6.25 % of the 400 x 400 image, so it is described), counting, grounding,
    # identification (several questions), referring
    from itertools import groupby

    from sarchat_tasks.build.coco import Instance, SourceImage
    from sarchat_tasks.build.records import RecordRenderer
    from sarchat_tasks.build.templates import load_templates

    image = SourceImage(1, "a.jpg", 400, 400, (Instance("ship", (0, 0, 100, 100), False, 1),))
    tasks = [
        task for task, _ in groupby(record[0] for record in RecordRenderer(load_templates(), 0, "test").records(image))
    ]
    assert tasks == ["classification", "description", "counting", "grounding", "identification", "referring"]


def test_qwen25_frame_pixels_scale_to_the_image():
    # M-frame-qwen25-scale: lmms-eval's qwen2_5_vl shows a 1920 x 1080 image as 1680 x 952 (see
    # utils/frames.py); the frame's pixel (u, v) is (u * 1920 / 1680, v * 1080 / 952) of the image,
    # so the frame's full box [0, 0, 1680, 952] is the whole image
    from sarchat_tasks.utils.boxes import BoxConventions
    from sarchat_tasks.utils.frames import Frame

    conventions = BoxConventions(frame=Frame("qwen25"))
    (box,) = parse_boxes('{"bbox_2d": [0, 0, 1680, 952]}', 1920, 1080, conventions)
    assert box.coords == pytest.approx((0.0, 0.0, 1920.0, 1080.0))


def _mutation_runner(monkeypatch):
    """benchmarks/mutation_score.py, imported (it is a script, not a module of the package)."""
    import importlib.util
    import sys

    spec = importlib.util.spec_from_file_location("mutation_score", ROOT / "benchmarks" / "mutation_score.py")
    runner = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "mutation_score", runner)  # its dataclasses look their module up
    spec.loader.exec_module(runner)
    return runner


def test_every_planted_bug_still_has_its_line(monkeypatch):
    """``python benchmarks/mutation_score.py --planted`` replaces each text once in its file: a rewrite
    of that code must update the list (docs/TESTING.md), not silently drop a planted bug."""
    runner = _mutation_runner(monkeypatch)
    bugs = runner.planted_bugs()
    assert len(bugs) >= 150
    for bug in bugs:
        source = (ROOT / bug["path"]).read_text()
        for old, new in bug["edits"]:
            assert source.count(old) == 1, (bug["path"], old)
            assert old != new
        compile(runner.planted_source(bug), bug["path"], "exec")  # the bug is a program, not a syntax error


def _rule_table() -> list[list[str]]:
    """The rows of docs/TESTING.md's table of rules: [id, doc, rule, planted bug, file, test]."""
    text = (ROOT / "docs" / "TESTING.md").read_text()
    section = text.split("### Rules and the tests that fail when one is broken", 1)[1].split("\n### ", 1)[0]
    rows = []
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split(" | ")]
        if line.startswith("| `") and len(cells) == 6:
            rows.append([cell.strip("`") if k in (0, 4, 5) else cell for k, cell in enumerate(cells)])
    return rows


def test_rule_table_and_planted_bugs_agree(monkeypatch):
    """docs/TESTING.md maps every rule of docs/METRICS.md and docs/DATASET.md to a planted bug of
    ``benchmarks/mutation_score.py`` and the named fast test that fails on it. Checked without
    planting anything: each rule of the table has its planted bug (same id, same file), each planted
    bug with a rule id is in the table, and each named test is a test function of its file."""
    runner = _mutation_runner(monkeypatch)
    rows = _rule_table()
    assert len(rows) >= 150
    ids = [row[0] for row in rows]
    assert len(ids) == len(set(ids)), "a rule id stands twice in the table"
    planted = {bug["rule"]: bug for bug in runner.planted_bugs() if bug["rule"]}
    assert sorted(planted) == sorted(ids)
    for rule, doc, _wording, _bug, path, test in rows:
        assert doc in ("METRICS.md", "DATASET.md"), rule
        assert rule.startswith("M-" if doc == "METRICS.md" else "D-"), rule
        assert planted[rule]["path"] == path, rule
        test_file, _, name = test.partition("::")
        source = (ROOT / test_file).read_text()
        assert f"def {name}(" in source, (rule, test)
        assert f"{test_file}" in runner.planted_test_files(path), (rule, test_file)  # --planted runs it
