"""Answer readers on the answers stock models write (docs/METRICS.md, rule by rule).

Each case is (model output, expected), the expectation worked out by hand from the rule it names.
The outputs are the phrasings Qwen2-VL / Qwen2.5-VL, InternVL and LLaVA write zero-shot: prose,
markdown, lists, JSON, negation; and the SARChat forms, which must keep reading as before.
"""

from __future__ import annotations

import pytest

from sarchat_tasks.metrics import score_sample, task_score
from sarchat_tasks.registry import parse_reference
from sarchat_tasks.utils.answers import (
    WRONG_COUNT,
    categorised_boxes,
    description_items,
    stated_attributes,
    stated_count,
)
from sarchat_tasks.utils.vocabulary import (
    CATEGORY_WORDS,
    find_affirmed_categories,
    find_categories,
    find_cells,
    find_relations,
)

W = H = 512


def columns(task, subset, response, answer, question=""):
    reference = parse_reference(task, answer, W, H, question)
    return score_sample(task, subset, response, reference, W, H)[0]


# counting: the count of the queried category ---------------------------------------------------


@pytest.mark.parametrize(
    ("response", "category", "expected"),
    [
        # the paper's form: a count of instances is a count of the queried category
        ("There are 4 instances. {<294><358><329><427>}{<61><448><122><503>}", "ship", 4),
        ("There is 1 instance. {<294><358><329><427>}", "ship", 1),
        # a bare number, with or without markdown
        ("2", "ship", 2),
        ("2.", "ship", 2),
        ("**2**", "ship", 2),
        ("**Answer:** 3", "ship", 3),
        # markdown * ` # _ read as spaces: between two words it still separates them
        ("There are __2__ ships", "ship", 2),
        ("# Count: `4`", "ship", 4),
        ("There are 2 large_ships", "ship", 2),
        # "the number of X is N", "a total of N X", "X: N"
        ("The number of ships is 2.", "ship", 2),
        ("The number of ships visible in this SAR image is 2.", "ship", 2),
        ("There are a total of 2 ships in the image.", "ship", 2),
        ("Ships: 2\nTanks: 0", "ship", 2),
        ("Ships: 2\nTanks: 0", "tank", 0),
        # per-size counts of the queried category in one sentence are summed: 1 + 1
        ("I see 1 large ship and 1 small ship.", "ship", 2),
        ("There are 2 large ships and 1 small ship.", "ship", 3),
        # a stated total wins over its breakdown: 3, not 3 + 2 + 1
        ("There are 3 ships: 2 large ships and 1 small ship.", "ship", 3),
        # "no X" is 0 for X only
        ("No ships are visible; there are 2 tanks.", "ship", 0),
        ("No ships are visible; there are 2 tanks.", "tank", 2),
        ("I see 2 ships but no tanks.", "tank", 0),
        ("I see 2 ships but no tanks.", "ship", 2),
        ("I don't see any ships in this image.", "ship", 0),
        ("There aren't any tanks, but there are 3 ships.", "tank", 0),
        # number words up to ninety-nine
        ("twenty-one", "ship", 21),
        ("There are twenty one ships.", "ship", 21),
        ("ninety-nine instances", "ship", 99),
        ("I count seven tanks.", "tank", 7),
        # "instances of X" counts X
        ("There are 3 instances of tanks.", "tank", 3),
        ("There are 3 instances of the tanks.", "ship", None),
        # synonyms count as their category: boats are ships
        ("There are two boats in the image.", "ship", 2),
        # a hedge is no valid count
        ("2 or 3 ships", "ship", WRONG_COUNT),
        ("about 2-3", "ship", WRONG_COUNT),
        ("There are 2 to 3 ships.", "ship", WRONG_COUNT),
        # Qwen2-VL / InternVL / LLaVA prose
        ("In this SAR image, there are 3 ships visible. They are located near the coast.", "ship", 3),
        ("There are **2** ships in the image.", "ship", 2),
        ("There is a ship in the image.", "ship", 1),
        ("There's one aircraft on the runway.", "aircraft", 1),
        # nothing stated: None (the scorer then counts the boxes)
        ("{<1><2><3><4>}", "ship", None),
        ("A ship and a car.", "ship", None),
        ("I cannot tell.", "ship", None),
    ],
)
def test_count_of_the_queried_category(response, category, expected):
    assert stated_count(response, category) == expected


@pytest.mark.parametrize(
    ("response", "only"),
    [
        ("2", 1),
        ("There are 2 ships and 5 tanks.", 1),  # the ships are counted, not the first number
        ("There are 5 tanks and 2 ships.", 1),
        ("No ships are visible; there are 2 tanks.", 0),
        ("2 or 3 ships", 0),  # a hedge scores 0 even when it includes the right count
        ("There are 2 instances.", 1),
    ],
)
def test_counting_only_reads_the_queried_category(response, only):
    reference = "There are 2 instances. {<294><358><329><427>}{<61><448><122><503>}"
    got = columns("counting", "", response, reference, "[count] How many ships are there in this SAR image?")
    assert got["counting_only"] == only


@pytest.mark.parametrize(
    "response",
    [
        # Qwen2.5-VL: JSON boxes and no stated count: the boxes are counted
        '```json\n[{"bbox_2d": [294, 358, 329, 427], "label": "ship"}, '
        '{"bbox_2d": [61, 448, 122, 503], "label": "ship"}]\n```',
        # InternVL: a count in prose before its boxes (the count is read whatever frame the boxes are in)
        "There are 2 ships in the image: <box>[[294, 358, 329, 427], [61, 448, 122, 503]]</box>",
        # LLaVA: prose only, the count in words
        "In the image, there are two ships visible in the water.",
    ],
)
def test_counting_stock_model_answers(response):
    reference = "There are 2 instances. {<294><358><329><427>}{<61><448><122><503>}"
    got = columns("counting", "", response, reference, "[count] How many ships are there in this SAR image?")
    assert got["counting_only"] == 1


def test_counting_tank_question_with_no_tanks_scores_zero():
    reference = "There are 2 instances. {<294><358><329><427>}{<61><448><122><503>}"
    got = columns("counting", "", "I see 2 ships but no tanks.", reference, "[count] Count the tank in this image.")
    assert got["counting_only"] == 0  # 0 tanks stated, 2 expected


# negation ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "categories"),
    [
        ("This is not a ship, it is a harbor.", ["harbor"]),
        ("It is a harbor, not a ship.", ["harbor"]),
        ("Not a ship but a harbor.", ["harbor"]),
        ("No ships or tanks are visible.", []),  # the scope covers four words
        ("I don't see any ships.", []),
        ("Neither a ship nor a harbor.", []),
        ("There are no ships and 2 tanks.", ["tank"]),  # a number ends the scope
        ("There is not a ship near the harbor.", ["harbor"]),  # harbor is the fifth word after "not"
        ("There isn't a bridge here; I see a car.", ["car"]),
    ],
)
def test_negation_removes_mentions(text, categories):
    assert [m.value for m in find_affirmed_categories(text)] == categories


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        ("This is not a ship, it is a harbor.", [1, 0, 0]),  # was [1, 1, 0] (50)
        ("It is a port.", [1, 0, 0]),
        ("The image shows a harbor; there are no ships or aircraft.", [1, 0, 0]),
        ("It is not a harbor.", [0, 0, 1]),
    ],
)
def test_classification_ignores_negated_categories(response, expected):
    assert columns("classification", "", response, "It is harbor")["classification"] == expected


IDENTIFY = "Examining the bottom center area reveals a very small ship."


@pytest.mark.parametrize(
    ("response", "correct"),
    [
        ("In the bottom center there is a very small ship, not an aircraft.", 1),
        ("This is not an aircraft; it is a very small vessel in the bottom center.", 1),
        ("A very small boat at the bottom-center of the image.", 1),
        ("It is not in the top left: a very small ship in the bottom center.", 1),
        ("A very small ship in the bottom center, or maybe an aircraft.", 0),  # two categories: hedging
    ],
)
def test_identification_with_negation_and_synonyms(response, correct):
    assert columns("identification", "single", response, IDENTIFY)["identification_single"] == correct


@pytest.mark.parametrize(
    ("text", "relation"),
    [
        ("The ship is far from the harbor.", "far"),
        ("The ship is not near the harbor.", "far"),  # the relation is binary: not near = far
        ("The ship isn't close to the harbor.", "far"),
        ("The ship is not far from the harbor.", "near"),
        ("The ships are near the port.", "near"),
    ],
)
def test_negated_relations_state_the_other_relation(text, relation):
    assert [r.relation for r in find_relations(text)] == [relation]
    assert {r.first for r in find_relations(text)} | {r.second for r in find_relations(text)} == {"harbor", "ship"}


def test_grounding_abstract_position_reads_not_near_as_far():
    reference = ("There is 1 ship: one in the top left portion {<1><1><20><20>}. There is 1 harbor: one in the bottom "
                 "right portion {<480><480><500><500>}. The ship is far from the harbor.")  # fmt: skip
    assert (
        columns("grounding", "multi", "The ship is not near the harbor.", reference)["grounding_abstract_position"] == 1
    )
    assert (
        columns("grounding", "multi", "The ship is not far from the harbor.", reference)["grounding_abstract_position"]
        == 0
    )


# JSON objects keep their own label -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("response", "categories"),
    [
        ('[{"bbox_2d": [1, 1, 5, 5], "label": "ship"}, {"bbox_2d": [6, 6, 9, 9], "label": "not-a-category"}]',
         ["ship", None]),
        ('[{"label": "ship", "bbox_2d": [1, 1, 5, 5]}, {"label": "building", "bbox_2d": [6, 6, 9, 9]}]', ["ship", None]),
        ('[{"bbox_2d": [1, 1, 5, 5], "label": "boat"}, {"bbox_2d": [6, 6, 9, 9], "label": "oil tank"}]', ["ship", "tank"]),
        # an object with no label key takes the last category word before it, as other boxes do
        ('Ships: [{"bbox_2d": [1, 1, 5, 5]}]', ["ship"]),
        # a negated category word is no box's category
        ("There is no harbor. Ships: {<1><1><5><5>}", ["ship"]),
    ],
)  # fmt: skip
def test_json_objects_keep_their_own_label(response, categories):
    assert [c.category for c in categorised_boxes(response, 100, 100)] == categories


def test_a_non_category_json_label_is_a_false_positive():
    reference = ("There are 2 ships: one in the bottom center portion {<294><358><329><427>}, one in the bottom left "
                 "portion {<61><448><122><503>}.")  # fmt: skip
    response = ('[{"bbox_2d": [294, 358, 329, 427], "label": "ship"}, '
                '{"bbox_2d": [61, 448, 122, 503], "label": "not-a-category"}]')  # fmt: skip
    # the second box matches no ship (no label) and the second ship is missed: TP 1, FP 1, FN 1
    assert columns("grounding", "multi", response, reference)["grounding_multi"] == [1, 1, 1]


# description --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("response", "items"),
    [
        # a position stated for a group, counts in words (was scored 25)
        ("There are two ships, one in the top left and one in the bottom right, and a harbor in the center of the image.",
         [("ship", "top left"), ("ship", "bottom right"), ("harbor", "middle center")]),
        # the position in the next sentence (was scored 50)
        ("There is a ship. It is located in the top left corner.", [("ship", "top left")]),
        ("I can see two ships in the image. One is in the top left and the other is in the bottom right.",
         [("ship", "top left"), ("ship", "bottom right")]),
        # "cell: category" lists (was scored 0)
        ("Top left: a ship.\nBottom right: a harbor.", [("ship", "top left"), ("harbor", "bottom right")]),
        ("**Top Left:** two ships\n**Middle Center:** a harbor",
         [("ship", "top left"), ("ship", "top left"), ("harbor", "middle center")]),
        # "category: cell" lists
        ("- Ship: top left\n- Ship: bottom right\n- Harbor: middle center",
         [("ship", "top left"), ("ship", "bottom right"), ("harbor", "middle center")]),
        # Title Case cells (was scored 0)
        ("A Ship In The Top Left Corner And A Harbor In The Center.", [("ship", "top left"), ("harbor", "middle center")]),
        ("I see a ship in the Top left corner.", [("ship", "top left")]),
        # a run of positions shorter than its objects: the rest take the last one
        ("Two ships in the top left.", [("ship", "top left"), ("ship", "top left")]),
        ("A ship and a car in the top left.", [("ship", "top left"), ("car", "top left")]),
        # a sentence opening with a position labels what follows
        ("In the bottom right, there are 2 tanks.", [("tank", "bottom right"), ("tank", "bottom right")]),
        # synonyms
        ("I see two vessels in the upper right and a port in the center.",
         [("ship", "top right"), ("ship", "top right"), ("harbor", "middle center")]),
        # negation: a negated category stands for no object and takes no position
        ("There is no harbor; two ships are in the bottom left.", [("ship", "bottom left"), ("ship", "bottom left")]),
        ("There is no harbor in the top left, but a ship in the bottom right.", [("ship", "bottom right")]),
        ("This is not a ship, it is a harbor in the center.", [("harbor", "middle center")]),
        # a category named again takes the objects the previous sentence left without a position (InternVL style)
        ("This SAR image shows two ships. One ship is located in the top left corner, while the other is in the "
         "bottom right corner. There is also a harbor in the center.",
         [("ship", "top left"), ("ship", "bottom right"), ("harbor", "middle center")]),
        ("A ship is visible. Another ship is in the top left.", [("ship", None), ("ship", "top left")]),
        ("There is a ship. Nothing else is visible. It is in the top left.", [("ship", "top left")]),
        # Qwen2-VL style prose
        ("The image shows a harbor in the center with two ships docked nearby, one on the left side and one on the "
         "right side.", [("harbor", "middle center"), ("ship", "middle left"), ("ship", "middle right")]),
        # no position: items without a cell
        ("Ships and harbors everywhere.", [("ship", None), ("harbor", None)]),
        ("A bridge. Nothing else.", [("bridge", None)]),
    ],
)  # fmt: skip
def test_description_items(response, items):
    assert description_items(response) == items


def test_description_counts_are_bounded():
    assert description_items("999 ships in the top left") == [("ship", "top left")] * 100  # 100 per word
    assert len(description_items("90 ships and " * 20)) == 1000  # 1000 per answer


def test_description_group_answer_scores_100():
    reference = ("In this satellite image, we can observe the following: A small ship is visible in the top left portion of "
                 "the image There is one more small ship in the bottom right portion of the image A large harbor is visible "
                 "in the central region of the image.")  # fmt: skip
    response = ("There are two ships, one in the top left and one in the bottom right, and a harbor in the center of the "
                "image.")  # fmt: skip
    assert columns("description", "", response, reference)["description"] == [3, 0, 0]


# synonyms and cells ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("word", "category"),
    [(word, category) for category, words in CATEGORY_WORDS.items() for word in words]
    + [("Vehicle", "car"), ("TRUCKS", "car"), ("Port", "harbor"), ("docks", "harbor"), ("jet", "aircraft"),
       ("plane", "aircraft"), ("airplane", "aircraft"), ("vessel", "ship"), ("boat", "ship")],
)  # fmt: skip
def test_every_category_word_reads_as_its_category(word, category):
    assert [m.value for m in find_categories(f"I see a {word} here")] == [category]


@pytest.mark.parametrize("text", ["airport", "report", "transport", "docked", "jetty", "carport", "cargo"])
def test_synonyms_are_whole_words(text):
    assert find_categories(text) == []


@pytest.mark.parametrize(
    ("text", "cell"),
    [
        ("in the center", "middle center"),
        ("in the centre", "middle center"),
        ("at the middle", "middle center"),
        ("In The Center", "middle center"),
        ("in the center of the image", "middle center"),
        ("in the middle left", "middle left"),  # a column word after it makes it a row word
        ("in the center-right", "middle right"),
    ],
)
def test_in_the_center_is_middle_center(text, cell):
    assert [m.value for m in find_cells(text)] == [cell]


def test_stated_attributes_leave_out_negated_values():
    stated = stated_attributes("Not in the top left: a very small ship in the bottom center, not an aircraft.")
    assert stated == {"cell": {"bottom center"}, "size": {"very small"}, "category": {"ship"}, "shape": set()}


# the paper's printed answers still read back to 100 ---------------------------------------------

PAPER_EXAMPLES = [
    ("classification", "", "It is aircraft", ""),
    ("counting", "", "There are 4 instances. {<294><358><329><427>}{<61><448><122><503>}{<27><199><78><261>}"
     "{<193><157><245><306>}", "[count] Count the ship in this satellite image."),
    ("grounding", "multi", "In this SAR image, I can identify several objects and their locations: There are 4 ships: one "
     "in the bottom center portion {<294><358><329><427>}, one in the bottom left portion {<61><448><122><503>}, one in "
     "the middle left portion {<27><199><78><261>}, one in the middle center portion {<193><157><245><306>}.", ""),
    ("identification", "single", "Examining the bottom center area reveals a very small ship.", ""),
    ("identification", "single", "Present in the middle center area is a very small aircraft.", ""),
    ("referring", "multi", "{<294><358><329><427>} (bottom center){<61><448><122><503>} (bottom left){<27><199><78><261>} "
     "(middle left){<193><157><245><306>} (middle center)", "[refer] Identify 4 ship."),
    ("referring", "single", "{<393><426><470><494>} (bottom right)", "[refer] Locate 1 aircraft."),
    ("description", "", "In this satellite image, we can observe the following: A small ship is visible in the bottom "
     "left portion of the image There is one more small ship on the left side of the image Also, we can observe another "
     "small ship in the central region of the image.", ""),
]  # fmt: skip


@pytest.mark.parametrize(("task", "subset", "answer", "question"), PAPER_EXAMPLES)
def test_the_papers_answers_score_100_against_themselves(task, subset, answer, question):
    got = columns(task, subset, answer, answer, question)
    assert task_score([{k: v for k, v in got.items() if v is not None}]) == 100.0
