"""A full-size synthetic SARChat test set with realistic model responses, shared by the benchmarks.

The benchmarks need the official sizes (226,636 records) with answers written the way the paper's
figures write them, and responses of the kinds a real run produces: exact copies of the reference,
near misses (boxes a few pixels off, a wrong size word, a count off by one), rambling text that runs
on for thousands of characters, and empty strings. Records are generated from a seeded generator,
so two runs of a benchmark score exactly the same inputs and their counts can be compared.

Each record is a prepared-set row (``task``, ``subset``, ``question``, ``answer``, ``width``,
``height``, ``category``, ``reference``) plus ``response``; ``reference`` is what
``sarchat_tasks.registry.parse_reference`` makes of the answer, as ``sarchat prepare`` stores it.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from typing import Any

from sarchat_tasks.registry import parse_reference, primary_category
from sarchat_tasks.task_folder import TOKEN_RE
from sarchat_tasks.utils.vocabulary import (
    CATEGORIES,
    box_area_ratio,
    description_size_word,
    grid_cell,
    relation_word,
    shape_word,
    size_word,
)

# Official test sizes (paper Table 5 / SARCHAT.md): task -> records.
OFFICIAL_SIZES: dict[str, int] = {
    "counting": 11_704,
    "grounding": 11_608,
    "identification": 175_565,
    "referring": 11_703,
    "description": 6_032,
    "classification": 10_024,
}
TOTAL_RECORDS = sum(OFFICIAL_SIZES.values())  # 226,636
# Response kinds and their shares: what a fine-tuned model's run looks like, with a tail of
# runaway generations (rambling) and empty answers.
RESPONSE_KINDS: tuple[tuple[str, float], ...] = (("exact", 0.4), ("near", 0.3), ("rambling", 0.2), ("empty", 0.1))
# Category frequencies of SARDet-100K test instances (paper Table 1).
_CATEGORY_WEIGHTS = (10_741, 6_779, 1_230, 1_773, 3_281, 399)
_PLURAL = {"ship": "ships", "aircraft": "aircraft", "car": "cars", "tank": "tanks", "bridge": "bridges",
           "harbor": "harbors"}  # fmt: skip
_NUMBER_WORDS = ("one", "two", "three", "four", "five", "six")
_RAMBLE = (
    "Looking closely at this synthetic aperture radar image, the bright returns suggest man-made structures. ",
    "There may be a {cat} in the {cell} area, although speckle noise makes it hard to be certain. ",
    "I can see what looks like a {size} {cat} near [{x1}, {y1}, {x2}, {y2}] and possibly another one. ",
    "The backscatter pattern is consistent with metallic objects such as a {cat} or a vessel. ",
    "Coordinates (approximately): ({x1}, {y1}), ({x2}, {y2}); the target seems {shape}. ",
    "Overall the scene contains several objects; let me describe them again in more detail. ",
)


def _box(rng: random.Random, width: int, height: int) -> tuple[int, int, int, int]:
    w = rng.randint(8, max(9, width // 4))
    h = rng.randint(8, max(9, height // 4))
    x1 = rng.randint(0, width - w - 1)
    y1 = rng.randint(0, height - h - 1)
    return (x1, y1, x1 + w, y1 + h)


def _fmt(box: tuple[float, float, float, float]) -> str:
    return "{" + "".join(f"<{round(v)}>" for v in box) + "}"


def _category(rng: random.Random) -> str:
    return rng.choices(CATEGORIES, weights=_CATEGORY_WEIGHTS)[0]


def _scene(rng: random.Random, multi: bool) -> tuple[int, int, list[tuple[str, tuple[int, int, int, int]]]]:
    width, height = rng.choice(((512, 512), (800, 800), (640, 480), (224, 224), (600, 400)))
    n = rng.randint(2, 6) if multi else 1
    first = _category(rng)
    objects = [(first if rng.random() < 0.7 else _category(rng), _box(rng, width, height)) for _ in range(n)]
    return width, height, objects


def _answer(task: str, subset: str, width: int, height: int, objects: list) -> tuple[str, str]:
    """(question, reference answer) in the formats of the paper's figures."""
    if task == "counting":
        cat = objects[0][0]
        boxes = [b for c, b in objects if c == cat]
        head = "There is 1 instance." if len(boxes) == 1 else f"There are {len(boxes)} instances."
        return f"[count] Count the {cat} in this satellite image.", head + " " + "".join(_fmt(b) for b in boxes)
    if task == "grounding":
        parts = []
        groups: dict[str, list] = {}
        for cat, box in objects:
            groups.setdefault(cat, []).append(box)
        for cat, boxes in groups.items():
            name = cat if len(boxes) == 1 else _PLURAL[cat]
            verb = "is" if len(boxes) == 1 else "are"
            each = ", ".join(f"one in the {grid_cell(b, width, height)} portion {_fmt(b)}" for b in boxes)
            parts.append(f"There {verb} {len(boxes)} {name}: {each}.")
        cats = list(groups)
        if len(cats) > 1:
            rel = relation_word(groups[cats[0]][0], groups[cats[1]][0], width, height)
            phrase = "near" if rel == "near" else "far from"
            parts.append(f"The {cats[0]} is {phrase} the {cats[1]}.")
        question = "[grounding] What objects can you identify in this SAR image and where are they located?"
        return question, "In this SAR image, I can identify several objects and their locations: " + " ".join(parts)
    if task == "identification":
        cat, box = objects[0]
        size = size_word(box_area_ratio(box, width, height))
        shape = shape_word(box[2] - box[0], box[3] - box[1])
        answer = f"Examining the {grid_cell(box, width, height)} area reveals a {size}, {shape} {cat}."
        return f"[identify] What can you identify within these coordinates: {_fmt(box)}?", answer
    if task == "referring":
        cat = objects[0][0]
        boxes = [b for c, b in objects if c == cat]
        verb = "Identify" if len(boxes) > 1 else "Locate"
        answer = "".join(f"{_fmt(b)} ({grid_cell(b, width, height)})" for b in boxes)
        return f"[refer] {verb} {len(boxes)} {cat}.", answer
    if task == "description":
        clauses = []
        for i, (cat, box) in enumerate(objects):
            cell = grid_cell(box, width, height)
            where = (
                "in the central region of the image"
                if cell == "middle center"
                else f"in the {cell} portion of the image"
            )
            size = description_size_word(box_area_ratio(box, width, height))
            lead = "A" if i == 0 else "There is one more"
            clauses.append(f"{lead} {size} {cat} is visible {where}" if i == 0 else f"{lead} {size} {cat} {where}")
        return "What do you observe in this satellite imagery?", (
            "In this satellite image, we can observe the following: " + " ".join(clauses)
        )
    names = list(dict.fromkeys(cat for cat, _ in objects))
    question = (
        "Based on these category options (aircraft, bridge, car, harbor, ship, tank), what's visible in this scene?"
    )
    return question, "It is " + " and ".join(names)


def _jitter(rng: random.Random, box: tuple[int, int, int, int], width: int, height: int) -> tuple[int, ...]:
    dx = max(1, (box[2] - box[0]) // 5)
    dy = max(1, (box[3] - box[1]) // 5)
    return (box[0] + rng.randint(-dx, dx), box[1] + rng.randint(-dy, dy), box[2] + rng.randint(-dx, dx),
            box[3] + rng.randint(-dy, dy))  # fmt: skip


def _near_miss(rng: random.Random, task: str, answer: str, width: int, height: int, objects: list) -> str:
    """The reference with one plausible mistake: boxes moved, a word swapped, a count off by one."""
    if task in ("counting", "grounding", "referring"):
        out = answer
        for _, box in objects:
            out = out.replace(_fmt(box), _fmt(_jitter(rng, box, width, height)), 1)
        if task == "counting" and rng.random() < 0.5:
            out = out.replace(" instances", " ships", 1).replace("There are ", "There are 1", 1)
        if rng.random() < 0.3:
            out = out.replace(_fmt(objects[-1][1]), "", 1)  # a missed object
        return out
    swaps = (("small", "large"), ("top", "bottom"), ("left", "right"), ("ship", "aircraft"), ("tank", "car"),
             ("wide", "tall"), ("harbor", "bridge"))  # fmt: skip
    a, b = rng.choice(swaps)
    return answer.replace(a, b, 1) if a in answer else answer.replace(b, a, 1)


def _rambling(rng: random.Random, width: int, height: int, objects: list) -> str:
    """A runaway generation: 1-6 k characters of hedged prose, boxes in other syntaxes, repetition."""
    pieces = []
    target = rng.randint(1_000, 6_000)
    total = 0
    while total < target:
        cat, box = rng.choice(objects)
        x1, y1, x2, y2 = _jitter(rng, box, width, height)
        piece = rng.choice(_RAMBLE).format(
            cat=cat, cell=grid_cell(box, width, height), size=rng.choice(("small", "very small", "large")),
            shape=rng.choice(("wide", "tall", "square")), x1=x1, y1=y1, x2=x2, y2=y2,
        )  # fmt: skip
        pieces.append(piece)
        total += len(piece)
    return "".join(pieces)


# Generation budgets sized for 50 objects per image (counting 1088, grounding 1648, ...): a full-size
# set derives budgets of this order from its own references (docs/PERFORMANCE.md), and the figures
# recorded there were measured with these. The packaged task YAMLs carry the bundled sample's own
# budgets instead (its crowded scenes need up to 3472), which would not describe a full-size run.
FIXED_BUDGETS = {
    "counting": 1088,
    "grounding": 1648,
    "identification": 64,
    "referring": 1392,
    "description": 1152,
    "classification": 32,
}


def generation_budgets() -> dict[str, int]:
    """Each task's ``max_new_tokens`` in this benchmark's runs: ``FIXED_BUDGETS``."""
    return dict(FIXED_BUDGETS)


_BUDGETS = generation_budgets()


def within_budget(text: str, max_tokens: int) -> str:
    """The text a generation stopped at ``max_tokens`` would hold (tokens as the suite estimates
    them): a runaway model cannot write past its task's budget."""
    for count, token in enumerate(TOKEN_RE.finditer(text), start=1):
        if count == max_tokens:
            return text[: token.end()]
    return text


def _response(rng: random.Random, task: str, answer: str, width: int, height: int, objects: list) -> str:
    text = _unbounded_response(rng, task, answer, width, height, objects)
    return within_budget(text, _BUDGETS[task])


def _unbounded_response(rng: random.Random, task: str, answer: str, width: int, height: int, objects: list) -> str:
    kind = rng.choices([k for k, _ in RESPONSE_KINDS], weights=[w for _, w in RESPONSE_KINDS])[0]
    if kind == "exact":
        return answer
    if kind == "near":
        return _near_miss(rng, task, answer, width, height, objects)
    if kind == "rambling":
        return _rambling(rng, width, height, objects)
    return ""


def records(task: str, n: int, seed: int = 0) -> Iterator[dict[str, Any]]:
    """``n`` synthetic rows of one task with their responses, reproducible from ``seed``."""
    rng = random.Random(f"{seed}:{task}")
    for index in range(n):
        subset = ""
        if task in ("grounding", "identification", "referring"):
            subset = "multi" if rng.random() < 0.6 else "single"
        multi = subset == "multi" or (task in ("counting", "description", "classification") and rng.random() < 0.5)
        width, height, objects = _scene(rng, multi)
        if task == "referring" and subset == "multi":
            objects = [(objects[0][0], box) for _, box in objects]  # several targets of one category
        question, answer = _answer(task, subset, width, height, objects)
        reference = parse_reference(task, answer, width, height, question)
        yield {
            "id": f"synthetic_{task}:{index}",
            "task": task,
            "subset": subset,
            "question": question,
            "answer": answer,
            "width": width,
            "height": height,
            "category": primary_category(task, reference) or "",
            "reference": json.dumps(reference, separators=(",", ":")),
            "response": _response(rng, task, answer, width, height, objects),
        }


def full_test_set(scale: float = 1.0, seed: int = 0) -> dict[str, list[dict[str, Any]]]:
    """Every task at its official size times ``scale`` (at least one record each)."""
    return {task: list(records(task, max(1, round(n * scale)), seed)) for task, n in OFFICIAL_SIZES.items()}
