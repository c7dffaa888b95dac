"""The construction rules of SARChat-Bench (arXiv 2502.08168, section 3), one named piece each.

`sarchat build` rebuilds the benchmark from SARDet-100K because the official files are gone; the
paper states how its answers were derived from the detection boxes, and this module writes those
rules down where the paper leaves room for choice. The geometric words themselves (grid cell,
size, shape, relation) come from ``utils/vocabulary.py``, which the scorer reads back with the
same rules, so a built reference always scores 100 against itself. What lives here is what only
the builder needs:

* box conversion: COCO ``[x, y, w, h]`` floats -> integer pixel corners, clipped to the image
  (the SARChat box ``{<x1><y1><x2><y2>}`` holds integer pixels, and every word an answer states
  is derived from that integer box so that anyone can recompute it from the answer alone);
* the description filters (images under 224x224, objects under 1 % of the image, aspect over
  10:1, boxes crossing the image border);
* English for the answers: plurals, category lists, shape and relation phrases;
* the multi / single subsets and the grounding relation pairs.

Every choice the paper leaves open is explained in docs/DATASET.md.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from sarchat_tasks.utils.vocabulary import CATEGORIES, relation_word

Box = tuple[int, int, int, int]

# Plurals for counting questions and grounding groups. "aircraft" is its own plural in English; the
# scorer also reads "aircrafts", but the builder writes the correct form.
PLURALS: dict[str, str] = {
    "ship": "ships",
    "aircraft": "aircraft",
    "car": "cars",
    "tank": "tanks",
    "bridge": "bridges",
    "harbor": "harbors",
}

# The classification options as the paper prints them: alphabetical.
CLASSIFICATION_OPTIONS: tuple[str, ...] = tuple(sorted(CATEGORIES))

# Shape words as the paper writes them in answers ("approximately square"); find_shapes reads the
# qualifier and folds it to "square".
SHAPE_PHRASES: dict[str, str] = {"wide": "wide", "square": "approximately square", "tall": "tall"}

# Relation phrases for "The ship is far from the harbor." (find_relations reads both).
RELATION_PHRASES: dict[str, str] = {"near": "near", "far": "far from"}

# Description filters (paper, section 3: fine-grained description).
DESCRIPTION_MIN_SIDE = 224  # images with a side under 224 px carry too little detail to describe
DESCRIPTION_MIN_AREA_RATIO = 0.01  # objects under 1 % of the image are a few pixels in SAR
DESCRIPTION_MAX_ASPECT = 10.0  # boxes longer than 10:1 either way are annotation slivers

SINGLE, MULTI = "single", "multi"


class BoxProblem(ValueError):
    """A COCO box the builder cannot use. ``reason`` is ``"zero_area"`` or ``"outside_image"``."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def coco_box_to_pixels(bbox: Sequence[float], width: int, height: int) -> tuple[Box, bool]:
    """COCO ``[x, y, w, h]`` -> ``((x1, y1, x2, y2), crossed_border)`` in integer pixels.

    Corners are rounded with ``round`` (as ``format_box`` does) and then clipped to the image, so
    the box an answer prints is the box every word of the answer was computed from.
    ``crossed_border`` says the rounded box reached outside the image before clipping (the
    description task drops such objects). Raises ``BoxProblem`` for a box with no width or height
    (``zero_area``, also when it rounds to nothing) or no part inside the image (``outside_image``).
    """
    x, y, w, h = bbox
    if not (w > 0 and h > 0):
        raise BoxProblem("zero_area", f"box {list(bbox)} has zero area (width {w}, height {h})")
    x1, y1, x2, y2 = round(x), round(y), round(x + w), round(y + h)
    crossed = x1 < 0 or y1 < 0 or x2 > width or y2 > height
    cx1, cy1, cx2, cy2 = max(0, x1), max(0, y1), min(width, x2), min(height, y2)
    if cx2 <= cx1 or cy2 <= cy1:
        if crossed:
            raise BoxProblem("outside_image", f"box {list(bbox)} lies outside the {width}x{height} image")
        raise BoxProblem("zero_area", f"box {list(bbox)} rounds to zero width or height in whole pixels")
    return (cx1, cy1, cx2, cy2), crossed


def aspect_ratio(box: Box) -> float:
    """Width over height, the ratio ``shape_word`` reads (wide > 1.5, tall < 0.67)."""
    return (box[2] - box[0]) / (box[3] - box[1])


def description_image_kept(width: int, height: int) -> bool:
    """The paper drops images "under 224x224": either side under 224 px."""
    return width >= DESCRIPTION_MIN_SIDE and height >= DESCRIPTION_MIN_SIDE


def description_object_kept(box: Box, crossed_border: bool, width: int, height: int) -> bool:
    """An object enters a description unless it covers under 1 % of the image, is longer than
    10:1 in either direction, or its box crossed the image border."""
    if crossed_border:
        return False
    box_w, box_h = box[2] - box[0], box[3] - box[1]
    if box_w * box_h < DESCRIPTION_MIN_AREA_RATIO * width * height:
        return False
    return max(box_w, box_h) <= DESCRIPTION_MAX_ASPECT * min(box_w, box_h)


def subset_of(instance_count: int) -> str:
    """``single`` for one target, ``multi`` for several."""
    return SINGLE if instance_count == 1 else MULTI


def plural(category: str) -> str:
    """The plural of a category name."""
    return PLURALS[category]


def join_categories(categories: Sequence[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``: the classification answer's list."""
    if len(categories) <= 1:
        return "".join(categories)
    return ", ".join(categories[:-1]) + " and " + categories[-1]


def in_category_order(categories: Sequence[str]) -> list[str]:
    """Distinct categories in the order of ``CATEGORIES`` (ship, aircraft, car, tank, bridge,
    harbor), the order of the paper's answers ("It is ship and harbor")."""
    present = set(categories)
    return [c for c in CATEGORIES if c in present]


def relation_pairs(first_boxes: Sequence[tuple[str, Box]], width: int, height: int) -> list[tuple[str, str, str]]:
    """Grounding relations: for every pair of distinct categories present, taken in order of first
    appearance, the relation (near / far) between the first instance of each.

    One relation per pair keeps the sentence count quadratic in categories (at most 15), not in
    instances (an image with 60 ships and a harbor would otherwise get 60 sentences), and the first
    instance is the one the answer lists first.
    """
    pairs = []
    for i, (category_a, box_a) in enumerate(first_boxes):
        for category_b, box_b in first_boxes[i + 1 :]:
            pairs.append((category_a, category_b, relation_word(box_a, box_b, width, height)))
    return pairs


def identification_question_count(questions_per_instance: float, draw: float) -> int:
    """How many distinct questions one instance gets: ``floor(r)`` plus one with probability
    ``r - floor(r)``, ``draw`` being uniform in [0, 1), so the mean over instances is ``r``."""
    whole = math.floor(questions_per_instance)
    return whole + (1 if draw < questions_per_instance - whole else 0)
