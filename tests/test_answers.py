"""Reading answers: vocabulary words, counts, categorised boxes, description items, attributes."""

from __future__ import annotations

import pytest

from sarchat_tasks.utils.answers import categorised_boxes, description_items, stated_attributes, stated_count
from sarchat_tasks.utils.vocabulary import (
    description_size_word,
    find_categories,
    find_cells,
    find_relations,
    find_shapes,
    find_sizes,
    grid_cell,
    relation_word,
    shape_word,
    size_word,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Ships, a Harbour and two planes", ["ship", "harbor", "aircraft"]),
        ("AIRCRAFT near vessels, boats and cars", ["aircraft", "ship", "ship", "car"]),
        ("cargo, scar, tanker, bridged", []),  # whole words only
    ],
)
def test_categories(text, expected):
    assert [m.value for m in find_categories(text)] == expected


@pytest.mark.parametrize(
    ("text", "cell"),
    [
        ("Examining the bottom center area", "bottom center"),
        ("in the upper-right corner", "top right"),
        ("at the lower left", "bottom left"),
        ("on the left side of the image", "middle left"),
        ("in the right-hand side", "middle right"),
        ("in the central region of the image", "middle center"),
        ("at the centre of the image", "middle center"),
        ("center-left", "middle left"),
        ("in the top part of the scene", "top center"),
        ("at the bottom of the image", "bottom center"),
    ],
)
def test_cells(text, cell):
    assert [m.value for m in find_cells(text)] == [cell]


@pytest.mark.parametrize(
    ("text", "sizes"),
    [("a very small ship", ["very small"]), ("Very-large, medium-sized, mid-sized", ["very large", "medium", "medium"]),
     ("tiny and huge", ["very small", "very large"]), ("mid", [])],
)  # fmt: skip
def test_sizes(text, sizes):
    assert [m.value for m in find_sizes(text)] == sizes


def test_shapes():
    assert [m.value for m in find_shapes("wide, approximately square, TALL, elongated")] == ["wide", "square", "tall"]


def test_relations_are_unordered_pairs():
    rels = find_relations(
        "The ship is far from the harbor. The harbour is close to the ships. Cars are next to a bridge."
    )
    assert [tuple(r) for r in rels] == [
        ("harbor", "ship", "far"),
        ("harbor", "ship", "near"),
        ("bridge", "car", "near"),
    ]


@pytest.mark.parametrize(
    ("box", "cell"),
    [((0, 0, 10, 10), "top left"), ((164, 0, 168, 10), "top left"), ((166, 0, 168, 10), "top center"),
     ((400, 400, 500, 500), "bottom right"), ((200, 240, 300, 260), "middle center")],
)  # fmt: skip
def test_grid_cell_by_centre(box, cell):
    # 500 x 500 image: thirds at 166.67 and 333.33; centre x 166 is left of the line, 167 right of it
    assert grid_cell(box, 500, 500) == cell


def test_grid_cell_boundaries_belong_to_the_next_cell():
    assert grid_cell((0, 0, 200, 10), 300, 300) == "top center"  # centre x = 100 = W/3 exactly
    assert grid_cell((0, 0, 199.8, 10), 300, 300) == "top left"


@pytest.mark.parametrize(
    ("ratio", "word"),
    [(0.5, "very large"), (0.4, "very large"), (0.3999, "large"), (0.25, "large"), (0.1, "medium"), (0.03, "small"),
     (0.0299, "very small")],
)  # fmt: skip
def test_size_words(ratio, word):
    assert size_word(ratio) == word


def test_description_sizes_shapes_relations():
    assert [description_size_word(r) for r in (0.049, 0.05, 0.3, 0.31)] == ["small", "medium", "medium", "large"]
    assert [shape_word(w, h) for w, h in ((16, 10), (15, 10), (6.7, 10), (6.6, 10))] == [
        "wide",
        "square",
        "square",
        "tall",
    ]
    # 400 x 400 image: near below (400 + 400) / 8 = 100 px between centres
    assert relation_word((0, 0, 10, 10), (99, 0, 109, 10), 400, 400) == "near"
    assert relation_word((0, 0, 10, 10), (100, 0, 110, 10), 400, 400) == "far"


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("There are 4 instances. {<1><2><3><4>}", 4),
        ("There is one ship.", 1),
        ("There is a ship in the image", 1),
        ("I count seven tanks here", 7),
        ("there are no ships", 0),
        ("3 small ships", 3),
        ("A ship and a car", None),  # "a" counts only after "there is"
        ("Found " + "9" * 20 + " instances", -1),
        ("nothing to count", None),
    ],
)
def test_stated_count(text, count):
    assert stated_count(text) == count


def test_boxes_take_the_last_category_word_before_them():
    text = "There are 2 ships: one {<1><1><5><5>}, one {<6><6><9><9>}. There is 1 harbor: {<10><10><20><20>} and {<0><0><1><1>}"
    assert [c.category for c in categorised_boxes(text, 100, 100)] == ["ship", "ship", "harbor", "harbor"]
    assert [c.category for c in categorised_boxes("{<1><1><5><5>} ship", 100, 100)] == [None]


def test_json_boxes_take_their_own_label():
    text = '[{"bbox_2d": [1, 1, 5, 5], "label": "ship"}, {"bbox_2d": [6, 6, 9, 9], "label": "car"}]'
    assert [c.category for c in categorised_boxes(text, 100, 100)] == ["ship", "car"]


def test_description_items_pair_categories_with_cells_by_clause():
    reference = ("In this satellite image, we can observe the following: A small ship is visible in the bottom left portion "
                 "of the image There is one more small ship on the left side of the image Also, we can observe another small "
                 "ship in the central region of the image")  # fmt: skip
    assert description_items(reference) == [("ship", "bottom left"), ("ship", "middle left"), ("ship", "middle center")]
    assert description_items("A ship in the top left and a car in the bottom right.") == [
        ("ship", "top left"), ("car", "bottom right")]  # fmt: skip
    assert description_items("Two ships, one in the top left and one in the bottom right.") == [
        ("ship", "top left"), ("ship", "bottom right")]  # fmt: skip
    assert description_items("A bridge. Nothing else.") == [("bridge", None)]
    # a clause opening with "A" after an unpunctuated one starts a new clause
    run_on = "A ship is visible in the top left portion of the image A car is visible"
    assert description_items(run_on) == [("ship", "top left"), ("car", None)]


def test_stated_attributes_collect_distinct_values():
    stated = stated_attributes("Examining the bottom center area reveals a very small, wide ship.")
    assert stated == {"cell": {"bottom center"}, "size": {"very small"}, "category": {"ship"}, "shape": {"wide"}}
