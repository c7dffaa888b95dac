"""Every scoring rule of docs/METRICS.md with a hand-computed expectation."""

from __future__ import annotations

import pytest

from sarchat_tasks.metrics import score_sample, task_score
from sarchat_tasks.registry import TABLE3_COLUMNS, parse_reference, primary_category
from sarchat_tasks.scoring import ReferenceAnswerError, average_score, pooled_accuracy, share_of_samples

W = H = 512
SHIPS = "There are 3 instances. {<294><358><329><427>}{<61><448><122><503>}{<27><199><78><261>}"


def columns(task, subset, response, answer, question=""):
    reference = parse_reference(task, answer, W, H, question)
    return score_sample(task, subset, response, reference, W, H)[0]


def test_table3_columns_are_the_paper_header():
    # the header of the paper's Table 3 as shipped in ../shared/reference/paper_table3.csv
    assert TABLE3_COLUMNS == (
        "counting_only", "counting_iou25", "counting_iou50", "grounding_abstract_position", "grounding_multi",
        "grounding_single", "identification_multi", "identification_single", "referring_multi_iou25",
        "referring_multi_iou50", "referring_single_iou25", "referring_single_iou50", "description", "classification",
    )  # fmt: skip


# counting ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("response", "only", "iou50"),
    [
        (SHIPS, 1, [3, 0, 0]),
        ("There are three instances.", 1, [0, 0, 3]),  # the stated count wins over the (absent) boxes
        ("{<294><358><329><427>}{<61><448><122><503>}{<27><199><78><261>}", 1, [3, 0, 0]),  # no count: boxes counted
        ("There are 3 instances. {<294><358><329><427>}", 1, [1, 0, 2]),
        ("There are 4 instances. {<294><358><329><427>}{<294><358><329><427>}", 0, [1, 1, 2]),  # duplicate box is a FP
        ("There are 2 instances. {<300><358><329><427>}", 0, [1, 0, 2]),  # IoU 29*69/(35*69) = .83
        ("", 0, [0, 0, 3]),
    ],
)
def test_counting(response, only, iou50):
    got = columns("counting", "", response, SHIPS, "[count] Count the ship in this satellite image.")
    assert got["counting_only"] == only
    assert got["counting_iou50"] == iou50


def test_counting_iou25_accepts_looser_boxes():
    # 35 x 69 reference; a prediction shifted 20 px right overlaps 15 x 69: IoU = 15 / (35 + 35 - 15) = .27
    got = columns(
        "counting",
        "",
        "{<314><358><349><427>}",
        "There is 1 instance. {<294><358><329><427>}",
        "[count] Count the ship",
    )
    assert got["counting_iou25"] == [1, 0, 0]
    assert got["counting_iou50"] == [0, 1, 1]


# grounding --------------------------------------------------------------------------------------

GROUNDING = ("In this SAR image, I can identify several objects and their locations: There are 2 ships: one in the bottom "
             "center portion {<294><358><329><427>}, one in the bottom left portion {<61><448><122><503>}. There is 1 harbor: "
             "one in the middle center portion {<193><157><245><306>}. The ship is far from the harbor.")  # fmt: skip


def test_grounding_is_category_aware():
    # right boxes, but the harbor box is called a ship: ships 2 TP + 1 FP, harbor 1 FN
    response = "There are 3 ships: {<294><358><329><427>}{<61><448><122><503>}{<193><157><245><306>}"
    got = columns("grounding", "multi", response, GROUNDING)
    assert got["grounding_multi"] == [2, 1, 1]
    assert got["grounding_single"] is None
    assert got["grounding_abstract_position"] == 0  # the relation is not stated


def test_grounding_abstract_position_needs_the_same_relation_for_the_same_pair():
    assert (
        columns("grounding", "multi", "The harbor is far from the ships.", GROUNDING)["grounding_abstract_position"]
        == 1
    )
    assert columns("grounding", "multi", "The ship is near the harbor.", GROUNDING)["grounding_abstract_position"] == 0
    # the first statement about a pair is the one read
    said_twice = "The ship is near the harbor. The ship is far from the harbor."
    assert columns("grounding", "multi", said_twice, GROUNDING)["grounding_abstract_position"] == 0
    no_relation = "There is 1 aircraft: one in the bottom right portion {<393><326><470><394>}."
    assert columns("grounding", "single", "", no_relation)["grounding_abstract_position"] is None


def test_grounding_single_and_iou25_extra():
    reference = "There is 1 aircraft: one in the bottom right portion {<393><326><470><394>}."
    got = columns("grounding", "single", "aircraft {<413><326><490><394>}", reference)  # IoU 57/97 = .59
    assert got["grounding_single"] == [1, 0, 0] and got["grounding_single_iou25"] == [1, 0, 0]
    got = columns("grounding", "single", "aircraft {<433><326><510><394>}", reference)  # IoU 37/117 = .32
    assert got["grounding_single"] == [0, 1, 1] and got["grounding_single_iou25"] == [1, 0, 0]


# identification ---------------------------------------------------------------------------------

IDENTIFY = "Examining the bottom center area reveals a very small ship."


@pytest.mark.parametrize(
    ("response", "correct"),
    [
        ("Present in the bottom center area is a very small ship.", 1),
        ("a very small, wide ship at the bottom-center", 1),  # the reference states no shape: any shape is ignored
        ("Examining the bottom center area reveals a small ship.", 0),  # size differs
        ("Examining the bottom left area reveals a very small ship.", 0),  # cell differs
        ("a very small ship or aircraft in the bottom center", 0),  # two categories: hedging is wrong
        ("a very small ship", 0),  # the cell is missing
        ("", 0),
    ],
)
def test_identification(response, correct):
    assert columns("identification", "multi", response, IDENTIFY)["identification_multi"] == correct


def test_identification_shape_counts_when_the_reference_states_it():
    reference = "Present in the middle center area is a small, tall harbor."
    assert (
        columns("identification", "single", "middle center: small tall harbor", reference)["identification_single"] == 1
    )
    assert (
        columns("identification", "single", "middle center: small wide harbor", reference)["identification_single"] == 0
    )
    assert columns("identification", "single", "middle center: small harbor", reference)["identification_single"] == 0


# referring --------------------------------------------------------------------------------------


def test_referring_subsets_and_thresholds():
    reference = "{<294><358><329><427>} (bottom center){<61><448><122><503>} (bottom left)"
    got = columns("referring", "multi", "{<294><358><329><427>}{<0><0><10><10>}[nan, 1, 2, 3]", reference)
    assert got["referring_multi_iou50"] == [1, 2, 1] and got["referring_multi_iou25"] == [1, 2, 1]
    assert got["referring_single_iou50"] is None


# description ------------------------------------------------------------------------------------

DESCRIBE = ("In this satellite image, we can observe the following: A small ship is visible in the bottom left portion of "
            "the image There is one more small ship on the left side of the image A small harbor is visible in the central "
            "region of the image")  # fmt: skip


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        (DESCRIBE, [3, 0, 0]),
        ("A ship in the bottom left. A ship in the top right.", [1, 1, 2]),
        ("Ships and harbors everywhere.", [0, 2, 3]),  # no positions: nothing matches
        ("", [0, 0, 3]),
    ],
)
def test_description_multiset(response, expected):
    assert columns("description", "", response, DESCRIBE)["description"] == expected


# classification ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        ("It is aircraft", [1, 0, 0]),
        ("Aircrafts.", [1, 0, 0]),
        ("It is an airplane and a ship", [1, 1, 0]),
        ("aircraft, bridge, car, harbor, ship, tank", [1, 5, 0]),  # naming every option scores 1/6
        ("It is a bridge", [0, 1, 1]),
    ],
)
def test_classification(response, expected):
    assert columns("classification", "", response, "It is aircraft")["classification"] == expected


# never raising ----------------------------------------------------------------------------------


@pytest.mark.parametrize("response", [None, 42, b"bytes", ["list"], "\x00" * 10, "{<" * 1000, "[" * 5000 + "]" * 5000])
@pytest.mark.parametrize("task", ["counting", "referring", "classification"])
def test_any_response_scores_without_raising(task, response):
    answers = {"counting": SHIPS, "referring": "{<1><1><5><5>} (top left)", "classification": "It is ship"}
    columns, failure = score_sample(task, "single", response, parse_reference(task, answers[task], W, H, "ship"), W, H)
    assert isinstance(failure, bool) and None not in [v for k, v in columns.items() if task in k and "single" in k]


# aggregation ------------------------------------------------------------------------------------


def test_aggregations():
    assert share_of_samples([1, 0, None, 1]) == pytest.approx(200 / 3)
    assert share_of_samples([None]) is None
    # pooled: (3 + 1) / (3 + 0 + 1 + 1 + 2 + 3) = 4 / 10
    assert pooled_accuracy([[3, 0, 1], None, [1, 2, 3]]) == pytest.approx(40.0)
    assert pooled_accuracy([[0, 0, 0]]) is None
    # task score: mean of the columns the records hold; counting_only 50, iou25 = 2/4 = 50, iou50 = 1/4 = 25
    records = [
        {"counting_only": 1, "counting_iou25": [2, 0, 0], "counting_iou50": [1, 1, 1]},
        {"counting_only": 0, "counting_iou25": [0, 1, 1], "counting_iou50": [0, 0, 1]},
    ]
    assert task_score(records) == pytest.approx((50 + 50 + 25) / 3)
    # equation 4: weights are the samples evaluated; tasks with no score are left out
    assert average_score({"a": 90.0, "b": 60.0, "c": None}, {"a": 1, "b": 2, "c": 5}) == pytest.approx(70.0)


# references -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("task", "answer", "message"),
    [
        ("referring", "nothing here", "no box"),
        ("counting", "There is 1 instance. {<0><0><600><10>}", "outside"),
        ("counting", "There is 1 instance. {<5><5><5><10>}", "zero area"),
        ("grounding", "{<1><1><5><5>} and nothing else", "no category"),
        ("classification", "It is a submarine", "no known category"),
        ("identification", "a very small thing in the top left", "no known category"),
        ("description", "A ship is somewhere", "no position"),
    ],
)
def test_unreadable_references_raise(task, answer, message):
    with pytest.raises(ReferenceAnswerError, match=message):
        parse_reference(task, answer, W, H, "[count] Count the ship")


def test_primary_category():
    assert primary_category("grounding", parse_reference("grounding", GROUNDING, W, H)) == "ship"
    assert primary_category("classification", {"categories": ["harbor", "ship"]}) == "harbor"
    assert primary_category("counting", parse_reference("counting", SHIPS, W, H, "Count the tank")) == "tank"
