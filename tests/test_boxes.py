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
