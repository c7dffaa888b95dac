"""The construction rules of `sarchat build` (sarchat_tasks/build_rules.py), hand-computed cases."""

from __future__ import annotations

import pytest

from sarchat_tasks.build.rules import (
    CLASSIFICATION_OPTIONS,
    PLURALS,
    BoxProblem,
    aspect_ratio,
    coco_box_to_pixels,
    description_image_kept,
    description_object_kept,
    identification_question_count,
    in_category_order,
    join_categories,
    plural,
    relation_pairs,
    subset_of,
)
from sarchat_tasks.utils.vocabulary import CATEGORIES, category_of, grid_cell, shape_word, size_word

# --- COCO box -> integer pixel corners ---------------------------------------------------------


def test_box_corners_from_xywh():
    assert coco_box_to_pixels([10, 20, 30, 40], 100, 100) == ((10, 20, 40, 60), False)


def test_box_corners_rounded_like_format_box():
    # x2 = 10.4 + 20.3 = 30.7 -> 31; y1 = 2.5 -> 2 (round half to even, as format_box rounds).
    assert coco_box_to_pixels([10.4, 2.5, 20.3, 10.0], 100, 100) == ((10, 2, 31, 12), False)


def test_box_crossing_the_border_is_clipped_and_flagged():
    # x2 = 90 + 20 = 110 > 100: clipped to 100; y1 = -5 < 0: clipped to 0.
    assert coco_box_to_pixels([90, -5, 20, 10], 100, 100) == ((90, 0, 100, 5), True)


def test_box_touching_the_border_is_not_crossing():
    assert coco_box_to_pixels([0, 0, 100, 100], 100, 100) == ((0, 0, 100, 100), False)


def test_sub_pixel_overshoot_is_not_crossing():
    # x2 = 100.4 rounds to 100: inside.
    assert coco_box_to_pixels([80, 10, 20.4, 10], 100, 100) == ((80, 10, 100, 20), False)


@pytest.mark.parametrize("bbox", [[10, 10, 0, 5], [10, 10, 5, 0], [10, 10, -3, 5]])
def test_zero_area_box(bbox):
    with pytest.raises(BoxProblem) as caught:
        coco_box_to_pixels(bbox, 100, 100)
    assert caught.value.reason == "zero_area"


def test_box_rounding_to_nothing_is_zero_area():
    with pytest.raises(BoxProblem) as caught:
        coco_box_to_pixels([10.6, 10, 0.3, 5], 100, 100)  # 10.6 -> 11, 10.9 -> 11
    assert caught.value.reason == "zero_area"


@pytest.mark.parametrize("bbox", [[120, 10, 20, 20], [10, -50, 20, 30], [100, 100, 5, 5]])
def test_box_outside_the_image(bbox):
    with pytest.raises(BoxProblem) as caught:
        coco_box_to_pixels(bbox, 100, 100)
    assert caught.value.reason == "outside_image"
    assert "outside the 100x100 image" in str(caught.value)


# --- description filters -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("width", "height", "kept"),
    [(224, 224, True), (223, 800, False), (800, 223, False), (800, 800, True), (224, 225, True)],
)
def test_description_image_size_filter(width, height, kept):
    assert description_image_kept(width, height) is kept


def test_description_drops_objects_under_one_percent():
    # 800x800 image: 1 % is 6,400 px^2. 80x80 = 6,400 is kept, 80x79 = 6,320 is not.
    assert description_object_kept((0, 0, 80, 80), False, 800, 800)
    assert not description_object_kept((0, 0, 80, 79), False, 800, 800)


def test_description_drops_objects_longer_than_ten_to_one():
    # 400x40 is exactly 10:1 (kept); 401x40 is over (dropped); the same for tall boxes.
    assert description_object_kept((0, 0, 400, 40), False, 800, 800)
    assert not description_object_kept((0, 0, 401, 40), False, 800, 800)
    assert description_object_kept((0, 0, 40, 400), False, 800, 800)
    assert not description_object_kept((0, 0, 40, 401), False, 800, 800)


def test_description_drops_boxes_that_crossed_the_border():
    assert not description_object_kept((0, 0, 200, 200), True, 800, 800)


# --- words -------------------------------------------------------------------------------------


def test_plurals_cover_every_category_and_read_back():
    assert set(PLURALS) == set(CATEGORIES)
    assert plural("ship") == "ships"
    assert plural("aircraft") == "aircraft"
    for category in CATEGORIES:
        assert category_of(plural(category)) == category


def test_classification_options_are_alphabetical():
    assert CLASSIFICATION_OPTIONS == ("aircraft", "bridge", "car", "harbor", "ship", "tank")


@pytest.mark.parametrize(
    ("names", "text"),
    [(["ship"], "ship"), (["ship", "harbor"], "ship and harbor"), (["ship", "car", "harbor"], "ship, car and harbor")],
)
def test_join_categories(names, text):
    assert join_categories(names) == text


def test_category_order_follows_the_paper():
    assert in_category_order(["harbor", "ship", "harbor", "car"]) == ["ship", "car", "harbor"]


def test_aspect_ratio_is_width_over_height():
    assert aspect_ratio((0, 0, 50, 20)) == 2.5
    assert shape_word(50, 20) == "wide"
    assert shape_word(20, 50) == "tall"
    assert shape_word(30, 30) == "square"


def test_identification_size_from_integer_box():
    # 100x100 box in an 800x800 image: 10,000 / 640,000 = 0.0156 -> very small; 160x160 -> 0.04 small.
    assert size_word(100 * 100 / 640_000) == "very small"
    assert size_word(160 * 160 / 640_000) == "small"


def test_grid_cell_of_a_built_box():
    # Centre (125, 110) of an 800x800 image: column 125*3/800 = 0.47, row 110*3/800 = 0.41 -> top left.
    assert grid_cell((100, 100, 150, 120), 800, 800) == "top left"
    # Centre (256, 256) of 512x512: 1.5 -> middle center.
    assert grid_cell((200, 200, 312, 312), 512, 512) == "middle center"


# --- subsets and relations ---------------------------------------------------------------------


def test_subsets():
    assert subset_of(1) == "single"
    assert subset_of(2) == "multi"
    assert subset_of(40) == "multi"


def test_relation_pairs_hand_computed():
    # 800x800: threshold (800 + 800) / 8 = 200 px between centres.
    ship = (100, 100, 150, 120)  # centre (125, 110)
    harbor = (600, 600, 760, 760)  # centre (680, 680): 795 px away -> far
    car = (150, 150, 250, 190)  # centre (200, 170): 96 px from the ship -> near
    pairs = relation_pairs([("ship", ship), ("harbor", harbor), ("car", car)], 800, 800)
    assert pairs == [("ship", "harbor", "far"), ("ship", "car", "near"), ("harbor", "car", "far")]


def test_relation_at_exactly_the_threshold_is_far():
    # Centres 200 px apart horizontally in an 800x800 image: not closer than 200 -> far.
    a, b = (0, 0, 100, 100), (200, 0, 300, 100)
    assert relation_pairs([("ship", a), ("tank", b)], 800, 800) == [("ship", "tank", "far")]


def test_one_category_has_no_relation():
    assert relation_pairs([("ship", (0, 0, 10, 10))], 100, 100) == []


# --- identification question count -------------------------------------------------------------


def test_identification_question_count():
    assert identification_question_count(7.308, 0.0) == 8
    assert identification_question_count(7.308, 0.307) == 8
    assert identification_question_count(7.308, 0.309) == 7
    assert identification_question_count(7.308, 0.999) == 7
    assert identification_question_count(3, 0.0) == 3


def test_identification_question_count_mean():
    draws = [i / 10_000 for i in range(10_000)]
    mean = sum(identification_question_count(7.308, d) for d in draws) / len(draws)
    assert mean == pytest.approx(7.308, abs=1e-3)
