"""Tests for the mutants ``python benchmarks/mutation_score.py`` found surviving (docs/TESTING.md),
each with a hand-computed expectation."""

from __future__ import annotations

import dataclasses
import re

import pytest

from sarchat_tasks.build.rules import BoxProblem, aspect_ratio, coco_box_to_pixels, description_object_kept
from sarchat_tasks.scoring import (
    ReferenceAnswerError,
    average_score,
    counting_reference,
    identification_reference,
    referring_reference,
    score_grounding,
)
from sarchat_tasks.utils.answers import _sentence_ends, categorised_boxes, description_items, stated_count
from sarchat_tasks.utils.boxes import DEFAULT, parse_boxes
from sarchat_tasks.utils.frames import Frame, padded_square, qwen25_lmms_eval_size, qwen25_resized_size
from sarchat_tasks.utils.matching import box_iou, match_boxes
from sarchat_tasks.utils.vocabulary import (
    box_area_ratio,
    find_attributes,
    grid_cell,
    is_negated,
    relation_word,
    shape_word,
    word_pattern,
)


@pytest.mark.parametrize(
    ("answer", "count"),
    [
        ("There are twenty-", 20),  # a dangling hyphen: twenty, not an out-of-range read after it
        ("There are twenty-one ships.", 21),  # twenty + one
        ("There are twenty one ships.", 21),
        # "2 or no": "no" does not make a hedge; the ship statement "no ships" decides: 0
        ("There are 2 or no ships.", 0),
        ("There are 2 or 3 ships.", -1),  # a real hedge
        # a total decides, not the sum of the sentence: 3, not 3 + 2 + 1 = 6
        ("A total of 3 ships: 2 large ships and 1 small ship.", 3),
        ("In all, a total of 3 ships and 2 ships docked.", 3),
        # no total: the sum of the sentence's statements, 2 + 1
        ("2 large ships and 1 small ship.", 3),
    ],
)
def test_stated_count_edges(answer, count):
    assert stated_count(answer, "ship") == count


@pytest.mark.parametrize(
    ("text", "ends"),
    [
        # a run-on clause after a word ending in "a" or "z" (the ends of the letter range) ends the
        # sentence at the space before the capital
        ("A ship in the top area There is a tank", [22]),
        ("A ship near the blitz There is a tank", [21]),
        ("A ship In The Middle", []),  # Title Case is not a new clause
        ("A ship. A tank", [6]),
    ],
)
def test_sentence_ends(text, ends):
    assert _sentence_ends(text) == ends


@pytest.mark.parametrize(("width", "height"), [(0, 100), (100, 0), (-1, 100), (100, -1)])
def test_qwen25_size_refuses_an_empty_side(width, height):
    with pytest.raises(ValueError, match="must be positive"):
        qwen25_resized_size(width, height)


@pytest.mark.parametrize(
    ("min_pixels", "max_pixels", "ok"),
    [(0, 100, False), (1, 100, True), (100, 100, True), (101, 100, False)],
)
def test_frame_pixel_bounds(min_pixels, max_pixels, ok):
    if ok:
        assert Frame("qwen25", min_pixels, max_pixels).min_pixels == min_pixels
    else:
        with pytest.raises(ValueError, match="min_pixels"):
            Frame("qwen25", min_pixels, max_pixels)


def test_frame_is_immutable():
    # frames are shared (IMAGE_FRAME, conventions) and compared by value: none may change after creation
    frame = Frame("qwen25")
    with pytest.raises(dataclasses.FrozenInstanceError):
        frame.kind = "image"
    assert hash(frame) == hash(Frame("qwen25"))


@pytest.mark.parametrize(
    ("reference", "threshold", "tp"),
    [
        # thin references (under one pixel): predicted identically, IoU 1; an area floored at 1 pixel
        # of height or width would make it 5 / 10 = 0.5
        ([0.0, 0.0, 10.0, 0.5], 0.75, 1),
        ([0.0, 0.0, 0.5, 10.0], 0.75, 1),
    ],
)
def test_thin_reference_boxes_match_themselves(reference, threshold, tp):
    assert match_boxes([reference], [reference], threshold).tp == tp


def test_match_result_is_immutable():
    result = match_boxes([[0, 0, 10, 10]], [[0, 0, 10, 10]], 0.5)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.tp = 0


@pytest.mark.parametrize(
    ("box_a", "box_b", "relation"),
    [
        # 1000 x 1000 image: near when the centres are closer than (1000 + 1000) / 8 = 250
        ((0, 0, 1000, 10), (0, 0, 1000, 10), "near"),  # same box, distance 0 (wide: x and y must not mix)
        ((0, 0, 10, 10), (0, 240, 10, 250), "near"),  # centres (5, 5), (5, 245): 240
        ((0, 0, 10, 10), (0, 250, 10, 260), "far"),  # 250 is not closer than 250
        ((0, 0, 10, 10), (150, 200, 160, 210), "far"),  # (5, 5), (155, 205): hypot(150, 200) = 250
        ((0, 0, 10, 10), (140, 200, 150, 210), "near"),  # hypot(140, 200) = 244.1
    ],
)
def test_relation_word(box_a, box_b, relation):
    assert relation_word(box_a, box_b, 1000, 1000) == relation


SCOPES = [(0, 5), (10, 15), (20, 25), (30, 35), (40, 45)]


@pytest.mark.parametrize(
    ("position", "negated"),
    [(0, True), (4, True), (5, False), (12, True), (17, False), (20, True), (37, False), (42, True), (45, False)],
)
def test_is_negated_binary_search(position, negated):
    # inside a scope [start, end) of the five: negated
    assert is_negated(position, SCOPES) is negated


def test_find_attributes_keeps_negated_mentions_unless_affirmed():
    text = "There is no ship in the top left."
    assert find_attributes(text)["category"] == {"ship"}
    assert find_attributes(text, affirmed=True)["category"] == set()


@pytest.mark.parametrize(
    ("word", "count"),
    [("ten", 10), ("eleven", 11), ("twelve", 12), ("thirteen", 13), ("fourteen", 14), ("fifteen", 15),
     ("sixteen", 16), ("seventeen", 17), ("eighteen", 18), ("nineteen", 19), ("twenty", 20), ("thirty", 30),
     ("forty", 40), ("fifty", 50), ("sixty", 60), ("seventy", 70), ("eighty", 80), ("ninety", 90),
     ("ninety-nine", 99), ("one", 1), ("two", 2), ("three", 3), ("four", 4), ("five", 5), ("six", 6),
     ("seven", 7), ("eight", 8), ("nine", 9), ("zero", 0)],
)  # fmt: skip
def test_number_words(word, count):
    assert stated_count(f"There are {word} ships.", "ship") == count


@pytest.mark.parametrize(
    ("box", "inside"),
    [
        # one pixel of slack around a 100 x 100 image
        ("{<-1><-1><101><101>}", True),
        ("{<-1.5><0><10><10>}", False),
        ("{<0><-1.5><10><10>}", False),
        ("{<0><0><101.5><10>}", False),
        ("{<0><0><10><101.5>}", False),
    ],
)
def test_reference_boxes_within_one_pixel_of_the_image(box, inside):
    if inside:
        assert referring_reference(box, 100, 100)["boxes"] == [[-1.0, -1.0, 101.0, 101.0]]
    else:
        with pytest.raises(ReferenceAnswerError, match="outside"):
            referring_reference(box, 100, 100)


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        # a ship box with absurd numbers is a false positive next to the right ship: tp 1, fp 1, fn 0
        ("A ship {<10><10><20><20>} and a ship {<-50000><0><10><10>}", [1, 1, 0]),
        ("A ship {<-50000><0><10><10>}", [0, 1, 1]),
    ],
)
def test_grounding_invalid_boxes_with_a_category_are_false_positives(answer, expected):
    reference = {"objects": [["ship", [10.0, 10.0, 20.0, 20.0]]], "relations": []}
    columns, _ = score_grounding(answer, "single", reference, 100, 100, DEFAULT)
    assert columns["grounding_single"] == expected


@pytest.mark.parametrize("bbox", [[10, 10, 0, 5], [10, 10, 5, 0], [10, 10, -3, 5]])
def test_coco_box_without_width_or_height_says_so(bbox):
    # an empty COCO box is reported as such, not as a box that rounds to nothing
    with pytest.raises(BoxProblem, match="has zero area") as raised:
        coco_box_to_pixels(bbox, 100, 100)
    assert raised.value.reason == "zero_area"


@pytest.mark.parametrize(
    ("box", "ratio"),
    [((10, 20, 40, 30), 3.0), ((0, 0, 10, 10), 1.0), ((5, 50, 15, 90), 0.25)],  # 30/10, 10/10, 10/40
)
def test_aspect_ratio_of_boxes_away_from_the_origin(box, ratio):
    assert aspect_ratio(box) == ratio


def test_not_any_states_zero():
    assert stated_count("There are not any ships.", "ship") == 0


@pytest.mark.parametrize(
    ("box", "iou"),
    [
        ([0.0, 0.0, 0.5, 0.5], 1.0),  # union 0.25 (under one pixel): still its own IoU 1
        ([0.0, 0.0, 0.5, 0.25], 0.5),  # inside the first: 0.125 / 0.25
    ],
)
def test_box_iou_of_sub_pixel_boxes(box, iou):
    assert box_iou([[0.0, 0.0, 0.5, 0.5]], [box])[0, 0] == iou


@pytest.mark.parametrize(
    ("box", "ratio"),
    [((10, 20, 30, 60), 0.08), ((0, 0, 100, 100), 1.0), ((50, 50, 40, 60), 0.0)],  # 20 * 40 / 100^2; empty: 0
)
def test_box_area_ratio(box, ratio):
    assert box_area_ratio(box, 100, 100) == pytest.approx(ratio)


@pytest.mark.parametrize(
    ("box", "kept"),
    [
        ((90, 90, 95, 95), False),  # 25 px^2 under 1 % of 100 x 100 (100 px^2)
        ((90, 90, 100, 100), True),  # 100 px^2: exactly 1 %
        ((50, 50, 100, 54), False),  # 50 x 4: longer than 10:1
        ((50, 50, 90, 54), True),  # 40 x 4: exactly 10:1
    ],
)
def test_description_object_kept_away_from_the_origin(box, kept):
    assert description_object_kept(box, False, 100, 100) is kept


# --- survivors of the full run on the version 2 readers ------------------------------------------


def test_at_most_two_modifier_words_between_a_number_and_its_noun():
    # "very large" is two modifiers: a count; "very large grey" is three: no statement at all
    assert stated_count("I see 3 very large ships.", "ship") == 3
    assert stated_count("I see 3 very large grey ships.", "ship") is None


@pytest.mark.parametrize(("fillers", "count"), [(10, 2), (11, None)])
def test_number_of_reaches_twelve_tokens(fillers, count):
    # tokens after "of": "ships", the fillers, then "is": "is" is token 11 (read) or 12 (out of reach)
    assert stated_count("The number of ships " + "x " * fillers + "is 2.", "ship") == count


@pytest.mark.parametrize(("distance", "category"), [(200, None), (201, "ship")])
def test_json_label_is_looked_for_within_200_characters_before_the_box(distance, category):
    # The object's "{" stands `distance` characters before the box: within 200 the box takes the
    # object's label ("object": no category, a false positive); beyond, the box is unlabelled and
    # takes the category word before it.
    head = 'A ship. {"label": "object", "note": "'
    tail = '", "bbox_2d": [10, 10, 50, 50]}'
    padding = distance - (len(head) - head.index("{")) - len('", ')
    text = head + "x" * padding + tail
    (box,) = categorised_boxes(text, 100, 100)
    assert box.box.start - text.index("{") == distance
    assert box.category == category


@pytest.mark.parametrize(
    ("answer", "category", "count"),
    [
        # a text that ends where a statement would go on states nothing (and never raises)
        ("There are ", "ship", None),
        ("There are not", "ship", None),
        ("The number of ships", "ship", None),
        ("Ships: not visible", "ship", None),
        ("The ships are over there", "ship", None),
        ("A ship is somewhere", "ship", None),
        ("There is not a", "ship", None),
        # "There are not any." is a count of nothing: 0; "not any ships" says nothing about tanks
        ("There are not any", "ship", 0),
        ("There are not any ships.", "tank", None),
        # a tens word alone, or with a unit word after a space or a hyphen
        ("forty", "ship", 40),
        ("twenty one", "ship", 21),
        ("twenty-one ships", "ship", 21),
        # "any" is zero only after a negator; other number words after a negator keep their value
        ("Without doubt, two ships are visible.", "ship", 2),
        # hyphenated modifiers: "medium-sized" is two modifier words
        ("I see 3 medium-sized ships.", "ship", 3),
        # "N instances of X" is about X only; "N instances of" with nothing after is about no category
        ("There are 3 instances of tanks.", "ship", None),
        ("There are 3 instances of", "ship", 3),
        # a labelled count names its category: "The answer is 4 ships" says nothing about tanks
        ("The answer is 4 ships", "tank", None),
        # "any" is 0 when a negator stands among the three tokens before it, and only then
        ("Not really any ships here.", "ship", 0),
        ("No ship is near any tank.", "tank", None),
        # "not a single" is 0, also where the text stops; it is about the noun after it only
        ("There is not a single", "ship", 0),
        ("There is not a single ship.", "tank", None),
        # "any" without a negator before it is no number
        ("Are there any ships? Yes, 2 ships.", "ship", 2),
        # "N instances of X" without a modifier is a total, which the sentence's other counts do not add to
        ("There are 2 instances of ships and 1 large ship.", "ship", 2),
        # a total decides over the other counts of its sentence: "X: N", "the number of X is N",
        # "(a) total of N X", "there are exactly N X"; plain counts of a sentence add up
        ("Ships: 2, including 1 large ship.", "ship", 2),
        ("The number of ships is 2, 1 large ship and 1 small ship.", "ship", 2),
        ("Total of 3 ships: 2 small ships and 1 large ship.", "ship", 3),
        ("There are exactly 3 ships: 2 small ships and 1 large ship.", "ship", 3),
        ("I count 2 ships near the harbor and 1 ship in open water.", "ship", 3),
        ("There's a ship in the harbor.", "ship", 1),
        ("The number of ships is", "ship", None),
        ("The number of large ships is about 3.", "ship", 3),  # a qualifier between the copula and N
        # a counted noun ends its statement: the sentence end after it still counts
        ("This SAR image shows two ships. One ship is in the top left.", "ship", 2),
    ],
)
def test_stated_count_at_the_ends_of_statements(answer, category, count):
    assert stated_count(answer, category) == count


@pytest.mark.parametrize(
    ("answer", "items"),
    [
        # a category word glued to a bracket has no number before it: one object
        ("(ships in the center", [("ship", "middle center")]),
        # a number with a modifier between stands for that many objects
        ("3 small ships", [("ship", None)] * 3),
        # a hyphen separates like a space; a number over 999 is no count of described objects
        ("two-ships in the top left", [("ship", "top left")] * 2),
        ("1000 ships in the top left", [("ship", "top left")]),
        # a number stands for the objects with at most two words between; three are too many
        ("I see 4 very large grey tanks.", [("tank", None)]),
        # a tens word and a unit word: twenty-one objects
        ("There are twenty-one ships.", [("ship", None)] * 21),
        # "no harbor" is no object, and the negation ends with its sentence
        ("There is no harbor. Ships: {<1><1><5><5>}", [("ship", None)]),
        # positions of the next sentence go to the objects still without one, sentence by sentence
        (
            "There is a ship. It is in the top left. A tank is in the bottom right.",
            [("ship", "top left"), ("tank", "bottom right")],
        ),
    ],
)
def test_description_items_edges(answer, items):
    assert description_items(answer) == items


@pytest.mark.parametrize(
    ("text", "ends"),
    [
        (" State how many there are", []),  # a capital after a leading space starts the text
        ("a ship  There is a tank", [7]),  # two spaces: the letter before them is lower case
        ("a ship at point A  There is a tank", []),  # the character before the spaces is a capital
        ("a There is a ship", [1]),  # a one-letter word before the capital ends a sentence too
    ],
)
def test_run_on_sentence_ends(text, ends):
    assert _sentence_ends(text) == ends


def test_json_label_found_at_the_start_of_the_text():
    # the object's "{" is the text's first character: its label ("object") decides, not "tank"
    (box,) = categorised_boxes('{"note": "tank", "label": "object", "bbox_2d": [10, 10, 50, 50]}', 100, 100)
    assert box.category is None


@pytest.mark.parametrize(("x_letters", "objects"), [(21, 12), (22, 1)])
def test_description_number_within_48_characters(x_letters, objects):
    # "12" starts 48 characters before "ships" (read: 12 objects) or 49, where the window would cut
    # it to "2": a cut word is not read, so the mention stands for one object
    text = "I see 12 " + "x" * x_letters + " " + "y" * 22 + " ships in the top left"
    assert text.index("ships") - text.index("12") == 48 + x_letters - 21
    assert description_items(text) == [("ship", "top left")] * objects


@pytest.mark.parametrize(
    ("answer", "count"),
    [("There is not one ship.", 0), ("There is not one single ship.", 0), ("There is not a single ship.", 0)],
)
def test_not_one_and_not_a_single_are_zero(answer, count):
    assert stated_count(answer, "ship") == count


@pytest.mark.parametrize(("y2", "valid"), [(1500, True), (2000, True), (2001, False)])
def test_absurd_box_limit_follows_the_longer_side(y2, valid):
    # 100 x 200 image: the limit is 10 x 200 = 2000 px, so a box reaching y = 1500 is kept
    (box,) = parse_boxes(f"[0, 0, 10, {y2}]", 100, 200)
    assert box.valid == valid


@pytest.mark.parametrize(
    ("size", "simple", "frame"),
    [
        # lmms-eval's default chat class resizes twice: (1680, 952); --force_simple once: (1680, 924)
        ((1920, 1080), False, (1680, 952)),
        ((1920, 1080), True, (1680, 924)),
        # 11 x 10: the first pass lifts it to qwen_vl_utils' 4 tokens (3,136 px): beta = sqrt(3136 / 110)
        # = 5.339, so 84 x 56; the second to lmms-eval's 200,704 px: beta = sqrt(200704 / 4704) = 6.532,
        # so ceil(19.6) * 28 = 560 by ceil(13.06) * 28 = 392
        ((11, 10), False, (560, 392)),
        # 15820 x 812 rounds to 565 x 29 = 16,385 tokens, one over qwen_vl_utils' 16,384: the first pass
        # scales it to 15792 x 784, the second by sqrt(12380928 / 1605632) = 2.777 to 203 x 10 patches
        ((15820, 812), False, (5684, 280)),
    ],
)
def test_qwen25_frame_through_lmms_eval(size, simple, frame):
    assert qwen25_lmms_eval_size(*size, force_simple=simple) == frame


def test_qwen25_frame_default_is_the_double_resize():
    assert Frame("qwen25").force_simple is False
    assert Frame("qwen25").geometry(1920, 1080)[2:4] == (1680.0, 952.0)


def test_qwen25_frame_of_a_one_pixel_wide_image():
    # 1 x 28 is a valid image: the frame is Qwen's, not the image itself
    assert qwen25_resized_size(100, 1) == (4480, 56)  # beta = sqrt(200704 / 100) = 44.8: 160 x 2 patches
    assert Frame("qwen25").geometry(1, 28)[2:4] != (1.0, 28.0)
    assert Frame("qwen25").geometry(28, 1)[2:4] != (28.0, 1.0)


def test_image_frame_is_the_image_itself():
    assert Frame("image").geometry(800, 600) == (0.0, 0.0, 800.0, 600.0, 1.0, 1.0)


@pytest.mark.parametrize(("size", "square"), [((800, 600), (0.0, -100.0, 800)), ((600, 800), (-100.0, 0.0, 800))])
def test_padded_square_pads_the_shorter_side(size, square):
    assert padded_square(*size) == square


@pytest.mark.parametrize(("width", "height"), [(0, 100), (100, 0), (-1, 100)])
def test_grid_cell_refuses_an_empty_image_side(width, height):
    with pytest.raises(ValueError, match="image size must be positive"):
        grid_cell((0, 0, 1, 1), width, height)


def test_shape_of_a_flat_box_is_wide():
    assert shape_word(10, 0) == "wide"  # no height: wider than tall, never a division by zero


@pytest.mark.parametrize(("answer", "count"), [("There are zero ships.", 0), ("There are none.", 0), ("None.", 0)])
def test_zero_words(answer, count):
    assert stated_count(answer, "ship") == count


@pytest.mark.parametrize(
    ("answer", "items"),
    [
        ("There is an aircraft in the top left.", [("aircraft", "top left")]),  # "an": one object
        ("A single ship is in the top left.", [("ship", "top left")]),  # "single": one object
    ],
)
def test_description_articles_stand_for_one_object(answer, items):
    assert description_items(answer) == items


@pytest.mark.parametrize("box", [(0, 0, 0.5, 10), (0, 0, 10, 0.5), (0, 0, 0.5, 0.5)])
def test_sub_pixel_boxes_match_themselves_in_the_small_path(box):
    # a box under one pixel wide or tall still has an area: IoU 1 with itself, matched at 0.5
    result = match_boxes([box], [box], 0.5)
    assert (result.tp, result.fp, result.fn) == (1, 0, 0)


def test_grid_cell_edges():
    assert grid_cell((0, 0, 1, 1), 1, 1) == "middle center"  # a 1 x 1 image is an image: centre 0.5 -> cell 1
    assert grid_cell((90, 90, 110, 110), 100, 100) == "bottom right"  # centre on the far edge: the last cell


def test_shape_of_a_box_under_one_pixel_tall():
    assert shape_word(0.5, 1) == "tall"  # 0.5 / 1 < 0.67


def test_relation_of_a_box_with_itself_is_near():
    # the same box twice: centre distance 0, whatever its x and y (here x1 = 100, y1 = 0)
    assert relation_word((100, 0, 110, 10), (100, 0, 110, 10), 100, 100) == "near"


@pytest.mark.parametrize(("box", "ratio"), [((0, 0, 0.5, 10), 0.0005), ((0, 0, 10, 0.5), 0.0005)])
def test_area_ratio_of_sub_pixel_boxes(box, ratio):
    assert box_area_ratio(box, 100, 100) == pytest.approx(ratio)  # 0.5 x 10 / 10,000


def test_counting_reference_stated_count_wins_over_its_boxes():
    question = "How many ships are there?"
    assert counting_reference("There are 3 instances. {<1><1><5><5>}", 100, 100, question)["count"] == 3
    assert counting_reference("{<1><1><5><5>}{<10><10><20><20>}", 100, 100, question)["count"] == 2  # no statement


@pytest.mark.parametrize("answer", ["{<10><10><10><50>}", "{<10><10><50><10>}"])
def test_reference_box_without_width_or_height_is_refused(answer):
    with pytest.raises(ReferenceAnswerError, match="zero area"):
        referring_reference(answer, 100, 100)


def test_identification_reference_with_two_sizes_is_refused():
    with pytest.raises(ReferenceAnswerError, match="several size values"):
        identification_reference("A small, large ship in the top left.", 100, 100)


def test_average_score_of_one_sample():
    assert average_score({"counting": 50.0}, {"counting": 1}) == 50.0  # weight 1 is a weight


@pytest.mark.parametrize(("bbox", "box"), [([10, 10, 1, 5], (10, 10, 11, 15)), ([10, 10, 5, 1], (10, 10, 15, 11))])
def test_coco_box_one_pixel_wide_or_tall_is_kept(bbox, box):
    assert coco_box_to_pixels(bbox, 100, 100) == (box, False)


@pytest.mark.parametrize("bbox", [[10.2, 10, 0.2, 5], [10, 10.2, 5, 0.2]])
def test_coco_box_rounding_to_nothing_is_zero_area(bbox):
    # 10.2 and 10.4 both round to 10: no whole pixel wide (or tall)
    with pytest.raises(BoxProblem) as problem:
        coco_box_to_pixels(bbox, 100, 100)
    assert problem.value.reason == "zero_area"


def test_description_object_kept_low_in_the_image():
    # 20 x 10 px at y = 90 on 100 x 100: 2 % of the image, 2:1: kept (the width is x2 - x1 = 20)
    assert description_object_kept((0, 90, 20, 100), False, 100, 100)


def test_word_pattern_needs_a_leading_word_boundary():
    # the fast forms assume a match starts at a word start; the message shows the pattern's first 40 characters
    with pytest.raises(ValueError) as error:
        word_pattern(re.compile("ship|" + "x" * 60), ["ship"])
    assert str(error.value) == "a vocabulary pattern must open with a word boundary: " + repr("ship|" + "x" * 35)


@pytest.mark.parametrize(
    ("text", "objects"),
    [
        # the window starts at offset 1, inside "12": the cut word is not read
        ("12 " + "x" * 22 + " " + "y" * 22 + " ships in the top left", 1),
        # the window starts right after a hyphen: "12" is a whole word, read
        ("group-12 " + "x" * 21 + " " + "y" * 22 + " ships in the top left", 12),
    ],
)
def test_description_window_edges(text, objects):
    assert description_items(text) == [("ship", "top left")] * objects


def test_large_matching_without_any_eligible_pair():
    # 9 x 8 = 72 pairs (past the plain-Python path), none overlapping: every box unmatched, plus the
    # 2 unusable predictions
    predicted = [[i * 100, 0, i * 100 + 10, 10] for i in range(9)]
    reference = [[i * 100, 500, i * 100 + 10, 510] for i in range(8)]
    result = match_boxes(predicted, reference, 0.5, n_invalid=2)
    assert (result.tp, result.fp, result.fn) == (0, 11, 8)
