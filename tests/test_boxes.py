"""Box syntaxes and coordinate conventions (docs/METRICS.md, "Boxes")."""

from __future__ import annotations

import math

import pytest

from sarchat_tasks.utils.boxes import BoxConventions, format_box, parse_boxes, rewrite_boxes

W, H = 500, 400


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # native SARChat syntax, pixels, concatenated with no separator
        ("{<294><358><329><427>}{<61><48><122><103>}", [(294, 358, 329, 427), (61, 48, 122, 103)]),
        ("{< 1 >< 2 >< 3 >< 4 >}", [(1, 2, 3, 4)]),
        ("<10><20><30><40>", [(10, 20, 30, 40)]),  # braces optional
        # Qwen2-VL: 0-1000 in both axes, with or without its special-token tags
        ("<|box_start|>(100,200),(300,400)<|box_end|>", [(50, 80, 150, 160)]),
        ("(100, 200), (300, 400)", [(50, 80, 150, 160)]),
        # InternVL: 0-1000, several boxes in one tag
        (
            "<ref>ship</ref><box>[[0, 0, 500, 500], [500, 500, 1000, 1000]]</box>",
            [(0, 0, 250, 200), (250, 200, 500, 400)],
        ),
        # JSON bbox_2d: pixels
        ('{"bbox_2d": [5, 6, 70, 80], "label": "ship"}', [(5, 6, 70, 80)]),
        # plain lists: pixels
        ("[1.5, 2, 10, 20]", [(1.5, 2, 10, 20)]),
        ("(1, 2, 30, 40)", [(1, 2, 30, 40)]),
        # swapped corners are put in order
        ("{<30><40><10><20>}", [(10, 20, 30, 40)]),
        ("no box here [1, 2, 3] (4, 5)", []),
    ],
)
def test_syntaxes_default_conventions(text, expected):
    boxes = parse_boxes(text, W, H)
    assert [b.coords for b in boxes] == [tuple(float(v) for v in e) for e in expected]


@pytest.mark.parametrize(
    ("text", "syntax"),
    [
        ("{<1><2><3><4>}", "native"),
        ("<|box_start|>(1,2),(3,4)<|box_end|>", "qwen"),
        ("<box>[[1,2,3,4]]</box>", "internvl"),
        ('"bbox_2d": [1,2,3,4]', "json"),
        ("[1,2,3,4]", "list"),
    ],
)
def test_syntax_is_recognised(text, syntax):
    assert [b.syntax for b in parse_boxes(text, W, H)] == [syntax]


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("[nan, 1, 2, 3]", "not finite"),
        ("[inf, 1, 2, 3]", "not finite"),
        ("[1e400, 1, 2, 3]", "overflows to inf"),
        ("[" + "9" * 10_000 + ", 1, 2, 3]", "10,000 digits"),
        ("[6000, 1, 2, 3]", "more than ten image sizes away"),
        ("<box>[[1, 2, 3]]</box>", "three numbers"),
    ],
)
def test_unusable_numbers_make_an_invalid_box(text, why):
    boxes = parse_boxes(text, W, H)
    assert len(boxes) == 1, why
    assert boxes[0].coords is None and not boxes[0].valid


def test_conventions_can_be_set_per_syntax():
    unit = BoxConventions(list="unit")
    assert parse_boxes("[0.1, 0.25, 0.5, 1.0]", W, H, unit)[0].coords == (50.0, 100.0, 250.0, 400.0)
    norm = BoxConventions.parse("list=norm1000, qwen=pixel")
    assert parse_boxes("[100, 100, 200, 200]", W, H, norm)[0].coords == (50.0, 40.0, 100.0, 80.0)
    assert parse_boxes("(10,20),(30,40)", W, H, norm)[0].coords == (10.0, 20.0, 30.0, 40.0)
    assert parse_boxes("[999, 0, 999, 999]", 999, 999, BoxConventions(list="norm999"))[0].coords == (
        999.0,
        0.0,
        999.0,
        999.0,
    )


@pytest.mark.parametrize("spec", ["list=percent", "polygon=pixel", "list"])
def test_bad_convention_specs_raise(spec):
    with pytest.raises(ValueError):
        BoxConventions.parse(spec)


def test_rewrite_puts_every_box_in_native_pixels():
    text = "a <|box_start|>(100,200),(300,400)<|box_end|> b <box>[[0,0,500,500],[1,1,2,2]]</box> c [nan,1,2,3]"
    rewritten = rewrite_boxes(text, W, H)
    assert rewritten == "a {<50><80><150><160>} b {<0><0><250><200>}{<0.5><0.4><1><0.8>} c {<nan><nan><nan><nan>}"
    assert [b.coords for b in parse_boxes(rewritten, W, H)] == [b.coords for b in parse_boxes(text, W, H)]


def test_format_box_rounds_to_pixels():
    assert format_box((1.4, 2.6, 3.5, 10.0)) == "{<1><3><4><10>}"


def test_non_string_input_reads_as_no_boxes():
    assert parse_boxes(None, W, H) == []  # type: ignore[arg-type]
    assert rewrite_boxes(None, W, H) == ""  # type: ignore[arg-type]
    assert math.isfinite(W)


# syntaxes of the model profiles, hand-computed on an 800 x 600 image ---------------------------


@pytest.mark.parametrize(
    ("text", "syntax", "coords"),
    [
        # Florence-2 bins: (v + 0.5) / 1000 of the side: x 100 -> 100.5 * 0.8 = 80.4, y 200 -> 200.5 * 0.6 = 120.3
        ("<loc_100><loc_200><loc_300><loc_400>", "florence", (80.4, 120.3, 240.4, 240.3)),
        # GeoChat 0-100, the angle ignored: 10 -> 80, 20 -> 120, 30 -> 240, 40 -> 240
        ("{<10><20><30><40>|45}", "rotated", (80.0, 120.0, 240.0, 240.0)),
        ("{<10><20><30><40>|-12.5}", "rotated", (80.0, 120.0, 240.0, 240.0)),
        # DeepSeek-VL2 0-999: 999 -> the full side
        ("<|det|>[[0, 0, 999, 999]]<|/det|>", "deepseek", (0.0, 0.0, 800.0, 600.0)),
        # "bbox" reads as "bbox_2d" (pixels by default)
        ('{"bbox": [1, 2, 3, 4], "label": "ship"}', "json", (1.0, 2.0, 3.0, 4.0)),
    ],
)
def test_profile_syntaxes(text, syntax, coords):
    (box,) = parse_boxes(text, 800, 600)
    assert box.syntax == syntax
    assert box.coords == pytest.approx(coords)


def test_deepseek_lists_every_box():
    boxes = parse_boxes("<|det|>[[0, 0, 999, 999], [1, 2, 3]]<|/det|>", 800, 600)
    assert [b.syntax for b in boxes] == ["deepseek", "deepseek"] and boxes[1].coords is None  # three numbers


def test_frames_map_back_to_the_image():
    from sarchat_tasks.utils.frames import Frame

    # the padded square of 800x600 is 800x800 starting 100 px above the image: 0.25 of it -> y = 200 - 100
    padded = BoxConventions({"list": "unit"}, frame=Frame("padded_square"))
    assert parse_boxes("[0.25, 0.25, 0.5, 0.5]", 800, 600, padded)[0].coords == pytest.approx((200, 100, 400, 300))
    # the centre square of 800x600 is x 100..700: 0.5 of it -> x = 100 + 300
    centre = BoxConventions({"list": "unit"}, frame=Frame("center_square"))
    assert parse_boxes("[0.5, 0.5, 1.0, 1.0]", 800, 600, centre)[0].coords == pytest.approx((400, 300, 700, 600))
    with pytest.raises(ValueError, match="unknown frame"):
        Frame("fisheye")
