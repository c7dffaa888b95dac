"""SARChat answer text from a list of (category, box) objects, shared by every baseline.

Why one module: the baselines differ only in where their objects come from (a CFAR detector, or
training-set priors). The task detection from the question text and the answer wording must be
identical for both, and must be what the scorer reads back (``utils/vocabulary.py`` readers and
``utils/boxes.py`` ``parse_boxes``), so that a difference in score is a difference in what the
baseline saw, never in how it wrote it.

The answer formats are the paper's, worded as the builder's first template of each kind
(``sarchat_tasks/data/templates.yaml``), so that a baseline answer reads like a reference answer:

=================  =====================================================================================
classification     ``It is ship``, ``It is ship and harbor``
counting           ``There are 2 instances. {<x1><y1><x2><y2>}{<x1><y1><x2><y2>}`` (``There is 1 instance.``)
grounding          ``In this SAR image, I can identify several objects and their locations: There are
                   2 ships: one in the bottom center portion {box}, one in the top left portion {box}.``
identification     ``Examining the bottom center area reveals a very small ship.``
referring          ``{box} (bottom center){box} (bottom left)``
description        ``In this satellite image, we can observe the following: A small ship is visible in the
                   bottom left portion of the image There is one more small ship on the left side of the image.``
=================  =====================================================================================

Priors (``Priors``) are the training-set statistics the blind baseline answers from, and the
fallback of the detector baseline when it must name a category it has no evidence for. They are
computed from a SARDet-100K-style COCO file by ``compute_priors`` (use the train split); the
built-in ``DEFAULT_PRIORS`` are documented assumptions for when no such file is given.
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sarchat_tasks.build.rules import RELATION_PHRASES, SHAPE_PHRASES, in_category_order, join_categories, plural
from sarchat_tasks.build.templates import TemplateBank, load_templates
from sarchat_tasks.official import QUESTION_TAG_RE, task_of_question
from sarchat_tasks.utils.boxes import format_box, parse_boxes
from sarchat_tasks.utils.vocabulary import (
    CATEGORIES,
    CELLS,
    box_area_ratio,
    description_size_word,
    find_categories,
    grid_cell,
    relation_word,
    shape_word,
    size_word,
)

Box = tuple[float, float, float, float]
Object = tuple[str, Box]  # (category, (x1, y1, x2, y2)) in pixels

_INT_RE = re.compile(r"\b(\d{1,4})\b")
_NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
                 "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "single": 1}  # fmt: skip
_NUMBER_WORD_RE = re.compile(r"\b(" + "|".join(_NUMBER_WORDS) + r")\b", re.IGNORECASE)

# Description keeps objects of at least 1 % of the image area (the paper's filter).
DESCRIPTION_MIN_AREA = 0.01
# Classification names every category holding at least this share of the objects.
CLASSIFICATION_SHARE = 0.25


# ---------------------------------------------------------------------------------------------
# Questions.
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Question:
    """What a baseline needs from the question text."""

    task: str
    category: str | None = None  # the category asked about (counting, referring)
    number: int | None = None  # the number of objects asked for (referring)
    box: Box | None = None  # the box asked about (identification)
    options: tuple[str, ...] = ()  # the categories offered (classification)


def parse_question(question: str) -> Question:
    """Task, asked category, number, box and options from the question text."""
    text = question or ""
    task = task_of_question(text)
    mentions = [m.value for m in find_categories(text)]
    options = tuple(dict.fromkeys(mentions)) if task == "classification" else ()
    category = mentions[0] if mentions and task in ("counting", "referring", "grounding") else None
    number = None
    box = None
    if task == "referring":
        without_boxes = QUESTION_TAG_RE.sub(" ", text)
        m = _INT_RE.search(without_boxes)
        if m:
            number = int(m.group(1))
        else:
            w = _NUMBER_WORD_RE.search(without_boxes)
            number = _NUMBER_WORDS[w.group(1).lower()] if w else None
    if task == "identification":
        # Large nominal size: the box is in pixels (native syntax), only the absurdity check uses it.
        found = [b for b in parse_boxes(text, 1e6, 1e6) if b.valid]
        box = found[0].coords if found else None
    return Question(task, category, number, box, options)


# ---------------------------------------------------------------------------------------------
# Writers, one per task.
# ---------------------------------------------------------------------------------------------


def _clip(box: Box, width: float, height: float) -> Box:
    x1, y1, x2, y2 = box
    x1, x2 = sorted((min(max(x1, 0.0), width), min(max(x2, 0.0), width)))
    y1, y2 = sorted((min(max(y1, 0.0), height), min(max(y2, 0.0), height)))
    return (x1, y1, x2, y2)


@functools.cache
def bank() -> TemplateBank:
    """The packaged template bank; every writer uses the first template of each kind."""
    return load_templates()


def _first(task: str, key: str) -> str:
    value = bank().get(task, key)
    return value if isinstance(value, str) else value[0]


def write_classification(categories: str | Sequence[str]) -> str:
    """``It is ship``; several categories in ``CATEGORIES`` order: ``It is ship and harbor``,
    ``It is ship, bridge and harbor`` (the builder's format)."""
    names = [categories] if isinstance(categories, str) else list(categories)
    ordered = in_category_order(names) + [c for c in dict.fromkeys(names) if c not in CATEGORIES]
    return _first("classification", "answer").format(categories=join_categories(ordered))


def write_counting(boxes: Sequence[Box]) -> str:
    """``There are N instances. {box}{box}...`` (``There is 1 instance. {box}`` for one)."""
    if len(boxes) == 1:
        text = _first("counting", "answer_one")
    else:
        text = _first("counting", "answer_many").format(count=len(boxes))
    if boxes:
        text += " " + "".join(format_box(b) for b in boxes)
    return text


def _category_groups(objects: Sequence[Object]) -> list[tuple[str, list[Box]]]:
    groups: dict[str, list[Box]] = {}
    for category, box in objects:
        groups.setdefault(category, []).append(box)
    return list(groups.items())


def write_grounding(objects: Sequence[Object], width: float, height: float) -> str:
    """Per category ``There are 2 ships: one in the <cell> portion {box}, ...``, then one relation
    sentence (``The ship is far from the harbor.``) per pair of categories, on their first objects."""
    groups = _category_groups(objects)
    if not groups:
        return "In this SAR image, I can identify no objects."
    parts = [_first("grounding", "intro_one" if len(objects) == 1 else "intro_many")]
    item = _first("grounding", "item")
    for category, boxes in groups:
        items = ", ".join(item.format(cell=grid_cell(b, width, height), box=format_box(b)) for b in boxes)
        if len(boxes) == 1:
            parts.append(_first("grounding", "group_one").format(category=category, items=items))
        else:
            parts.append(
                _first("grounding", "group_many").format(count=len(boxes), plural=plural(category), items=items)
            )
    relation = _first("grounding", "relation")
    for i, (cat_a, boxes_a) in enumerate(groups):
        for cat_b, boxes_b in groups[i + 1 :]:
            word = relation_word(boxes_a[0], boxes_b[0], width, height)
            parts.append(relation.format(first=cat_a, relation=RELATION_PHRASES[word], second=cat_b))
    return " ".join(parts)


def write_identification(box: Box, category: str, width: float, height: float, shape: bool = False) -> str:
    """``Examining the <cell> area reveals a <size> <category>.``; with ``shape``,
    ``... reveals a <size>, <shape> <category>.`` (shape: wide, approximately square, tall)."""
    size = size_word(box_area_ratio(box, width, height))
    objects = bank().get("identification", "objects")
    if shape:
        form = SHAPE_PHRASES[shape_word(box[2] - box[0], box[3] - box[1])]
        thing = next(o for o in objects if "{shape}" in o).format(size=size, shape=form, category=category)
    else:
        thing = next(o for o in objects if "{shape}" not in o).format(size=size, category=category)
    return _first("identification", "answers").format(cell=grid_cell(box, width, height), object=thing)


def write_referring(boxes: Sequence[Box], width: float, height: float) -> str:
    """``{box} (<cell>){box} (<cell>)...``; empty when there is nothing to point at."""
    item = _first("referring", "item")
    return "".join(item.format(box=format_box(b), cell=grid_cell(b, width, height)) for b in boxes)


def write_description(objects: Sequence[Object], width: float, height: float) -> str:
    """``In this satellite image, we can observe the following: A small ship is visible in ...``.

    Clauses are joined by a space with no period between them, and the answer ends with a period,
    as in the paper's data. The first object of a category takes the bank's first ``first``
    clause, later ones alternate its first two ``more`` clauses; each cell its first phrasing.
    """
    head = _first("description", "intro")
    if not objects:
        return head + " no distinct objects."
    first, more = _first("description", "first"), bank().get("description", "more")[:2]
    clauses = []
    seen: Counter[str] = Counter()
    for category, box in objects:
        size = description_size_word(box_area_ratio(box, width, height))
        place = bank().places[grid_cell(box, width, height)][0]
        template = first if seen[category] == 0 else more[(seen[category] - 1) % len(more)]
        clauses.append(template.format(size=size, category=category, place=place))
        seen[category] += 1
    return head + " " + " ".join(clauses) + "."


# ---------------------------------------------------------------------------------------------
# Priors.
# ---------------------------------------------------------------------------------------------

# Tie-break order of cells when frequencies are equal or unknown: centre first (objects of interest
# are usually near the centre of a crop), then the edge middles, then the corners.
CELL_TIEBREAK: tuple[str, ...] = ("middle center", "middle left", "middle right", "top center", "bottom center",
                                  "top left", "top right", "bottom left", "bottom right")  # fmt: skip


@dataclass(frozen=True)
class Priors:
    """Training-set statistics: frequencies, typical counts and box sizes, image size."""

    category_counts: Mapping[str, float]  # instances per category
    typical_count: Mapping[str, int]  # mode of the number of objects per (image, category)
    cell_counts: Mapping[str, float]  # instances per grid cell of their box centre
    typical_box: Mapping[str, tuple[float, float]]  # median box width, height as fractions of the image's
    image_size: tuple[int, int]  # most frequent (width, height)
    source: str = "defaults"
    notes: tuple[str, ...] = field(default=())

    def category_order(self, among: Sequence[str] | None = None) -> list[str]:
        """Categories by decreasing frequency (ties in ``CATEGORIES`` order), optionally restricted."""
        pool = [c for c in CATEGORIES if among is None or c in among]
        return sorted(pool, key=lambda c: (-float(self.category_counts.get(c, 0.0)), CATEGORIES.index(c)))

    def most_frequent(self, among: Sequence[str] | None = None) -> str:
        """The most frequent category (among ``among`` when it names any known category)."""
        order = self.category_order(among) if among else []
        return order[0] if order else self.category_order()[0]

    def cell_order(self) -> list[str]:
        return sorted(CELLS, key=lambda c: (-float(self.cell_counts.get(c, 0.0)), CELL_TIEBREAK.index(c)))

    def count_for(self, category: str) -> int:
        return max(1, int(self.typical_count.get(category, 1)))

    def boxes(self, category: str, n: int, width: float, height: float) -> list[Box]:
        """``n`` boxes of the category's typical size, centred on the most frequent cells in turn."""
        fw, fh = self.typical_box.get(category, (0.1, 0.1))
        bw, bh = max(1.0, fw * width), max(1.0, fh * height)
        cells = self.cell_order()
        out: list[Box] = []
        for i in range(max(0, n)):
            cell = cells[i % len(cells)]
            row, col = cell.split()
            r = ("top", "middle", "bottom").index(row)
            c = ("left", "center", "right").index(col)
            # Past nine objects, shift within the cell so that boxes do not coincide exactly.
            shift = (i // len(cells)) * 0.1
            cx = (c + 0.5 + shift) * width / 3.0
            cy = (r + 0.5 + shift) * height / 3.0
            cx = min(max(cx, bw / 2), width - bw / 2)
            cy = min(max(cy, bh / 2), height - bh / 2)
            out.append((round(cx - bw / 2), round(cy - bh / 2), round(cx + bw / 2), round(cy + bh / 2)))
        return out

    def to_json(self) -> dict:
        return {
            "category_counts": dict(self.category_counts),
            "typical_count": dict(self.typical_count),
            "cell_counts": dict(self.cell_counts),
            "typical_box": {k: list(v) for k, v in self.typical_box.items()},
            "image_size": list(self.image_size),
            "source": self.source,
            "notes": list(self.notes),
        }

    @classmethod
    def from_json(cls, data: Mapping) -> Priors:
        base = DEFAULT_PRIORS
        return cls(
            category_counts={str(k): float(v) for k, v in data.get("category_counts", base.category_counts).items()},
            typical_count={str(k): int(v) for k, v in data.get("typical_count", base.typical_count).items()},
            cell_counts={str(k): float(v) for k, v in data.get("cell_counts", base.cell_counts).items()},
            typical_box={
                str(k): (float(v[0]), float(v[1])) for k, v in data.get("typical_box", base.typical_box).items()
            },
            image_size=tuple(int(v) for v in data.get("image_size", base.image_size)),  # type: ignore[arg-type]
            source=str(data.get("source", "file")),
            notes=tuple(data.get("notes", ())),
        )


# Built-in priors. Category frequencies are the paper's Table 1 instance counts (test split; the
# paper gives none per category for train, and SARDet-100K's splits are random, so the proportions
# carry over). Everything else is an ASSUMPTION, to be replaced by ``compute_priors`` on a train
# split: one object per (image, category) as the typical count (the mode in single-class detection
# sets), no cell preference (centre first on ties), typical box sides as fractions of the image
# side from metre-class resolution (ships and aircraft a few tens of pixels in 512-800 px images,
# vehicles under 20 px, bridges long and thin, harbours large), and 512x512 images (the crop size
# of three SARDet-100K sources).
DEFAULT_PRIORS = Priors(
    category_counts={"ship": 10741, "aircraft": 6779, "car": 1230, "tank": 1773, "bridge": 3281, "harbor": 399},
    typical_count={c: 1 for c in CATEGORIES},
    cell_counts={c: 0.0 for c in CELLS},
    typical_box={
        "ship": (0.07, 0.07),
        "aircraft": (0.09, 0.09),
        "car": (0.025, 0.025),
        "tank": (0.03, 0.03),
        "bridge": (0.06, 0.25),
        "harbor": (0.3, 0.3),
    },
    image_size=(512, 512),
    source="defaults: category frequencies from SARChat-Bench Table 1, the rest assumed",
)


def compute_priors(coco: Mapping | str | Path, source: str | None = None) -> Priors:
    """Priors from a COCO annotation file (or its loaded dict); meant for the train split."""
    if not isinstance(coco, Mapping):
        path = Path(coco)
        source = source or str(path)
        coco = json.loads(path.read_text(encoding="utf-8"))
    names = {c["id"]: str(c["name"]).lower() for c in coco.get("categories", [])}
    images = {im["id"]: (float(im["width"]), float(im["height"])) for im in coco.get("images", [])}
    category_counts: Counter[str] = Counter()
    cell_counts: Counter[str] = Counter()
    per_image: Counter[tuple[int, str]] = Counter()
    fractions: dict[str, list[tuple[float, float]]] = {}
    for ann in coco.get("annotations", []):
        name = names.get(ann.get("category_id"))
        size = images.get(ann.get("image_id"))
        if name not in CATEGORIES or size is None or size[0] <= 0 or size[1] <= 0:
            continue
        x, y, w, h = (float(v) for v in ann["bbox"])
        category_counts[name] += 1
        per_image[(ann["image_id"], name)] += 1
        cell_counts[grid_cell((x, y, x + w, y + h), *size)] += 1
        fractions.setdefault(name, []).append((w / size[0], h / size[1]))
    typical_count: dict[str, int] = {}
    for category in CATEGORIES:
        counts = Counter(n for (_, c), n in per_image.items() if c == category)
        # Mode, ties to the smaller count.
        typical_count[category] = min(counts, key=lambda n: (-counts[n], n)) if counts else 1
    typical_box = dict(DEFAULT_PRIORS.typical_box)
    for category, values in fractions.items():
        ws = sorted(v[0] for v in values)
        hs = sorted(v[1] for v in values)
        typical_box[category] = (_median(ws), _median(hs))
    sizes = Counter((int(w), int(h)) for w, h in images.values())
    image_size = min(sizes, key=lambda s: (-sizes[s], s)) if sizes else DEFAULT_PRIORS.image_size
    return Priors(
        category_counts={c: float(category_counts.get(c, 0)) for c in CATEGORIES},
        typical_count=typical_count,
        cell_counts={c: float(cell_counts.get(c, 0)) for c in CELLS},
        typical_box=typical_box,
        image_size=image_size,
        source=source or "annotations",
    )


def _median(values: Sequence[float]) -> float:
    n = len(values)
    return float(values[n // 2] if n % 2 else (values[n // 2 - 1] + values[n // 2]) / 2.0)


def load_priors(path: str | Path | None) -> Priors:
    """Priors from a JSON written by ``Priors.to_json`` or a COCO annotation file; defaults when None."""
    if path is None or str(path).strip() == "":
        return DEFAULT_PRIORS
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if "annotations" in data and "images" in data:
        return compute_priors(data, source=str(path))
    return Priors.from_json(data)


# ---------------------------------------------------------------------------------------------
# The dispatcher both baselines call.
# ---------------------------------------------------------------------------------------------


def answer(
    question: str | Question,
    objects: Sequence[Object],
    width: float,
    height: float,
    *,
    priors: Priors = DEFAULT_PRIORS,
    box_category: Callable[[Box], str] | None = None,
    shape_words: bool = False,
) -> str:
    """The answer text for ``question`` given the objects a baseline believes are in the image.

    ``objects`` are in the baseline's order of confidence (most confident first): referring takes
    the first ``N``. ``box_category`` names the category inside a given box (identification);
    without it the most frequent category is named. Counting and referring keep the objects of the
    asked category; when none has it, all objects stand in, since the question asserts that the
    category is present.
    """
    q = question if isinstance(question, Question) else parse_question(question)
    width = float(width)
    height = float(height)
    objects = [(c, _clip(b, width, height)) for c, b in objects]
    if q.task == "classification":
        votes = Counter(c for c, _ in objects if not q.options or c in q.options)
        if votes:
            # The categories holding at least CLASSIFICATION_SHARE of the objects (so the majority
            # always): one stray false alarm does not add a category, a real second one does.
            ranked = priors.category_order()
            top = min(votes, key=lambda c: (-votes[c], ranked.index(c)))
            total = sum(votes.values())
            named = [c for c in votes if c == top or votes[c] >= CLASSIFICATION_SHARE * total]
            return write_classification(named)
        return write_classification(priors.most_frequent(q.options or None))
    if q.task in ("counting", "referring"):
        chosen = [o for o in objects if q.category is None or o[0] == q.category] or objects
        boxes = [b for _, b in chosen]
        if q.task == "referring" and q.number is not None:
            boxes = boxes[: q.number]
        return write_counting(boxes) if q.task == "counting" else write_referring(boxes, width, height)
    if q.task == "grounding":
        return write_grounding(objects, width, height)
    if q.task == "identification":
        if q.box is None:
            return f"It is {priors.most_frequent()}."
        box = q.box
        category = box_category(box) if box_category is not None else priors.most_frequent()
        return write_identification(box, category, width, height, shape=shape_words)
    # Description: the paper drops objects under 1 % of the image; keep the largest if none is left.
    kept = [o for o in objects if box_area_ratio(o[1], width, height) >= DESCRIPTION_MIN_AREA]
    if not kept and objects:
        kept = [max(objects, key=lambda o: box_area_ratio(o[1], width, height))]
    return write_description(kept, width, height)


def size_from_question(question: Question, width: float, height: float) -> tuple[float, float]:
    """Widen an assumed image size so that a box named in the question lies inside it."""
    if question.box is None:
        return width, height
    return max(width, math.ceil(question.box[2])), max(height, math.ceil(question.box[3]))
