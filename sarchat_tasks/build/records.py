"""SARChat records from SARDet-100K objects: the six tasks' questions and answers, and the files.

For each image the builder writes the records of the six tasks of SARChat-Bench (arXiv
2502.08168, section 3) in the answer formats the paper prints (docs/DATASET.md gives one example
of each and every choice made where the paper is silent):

=============== ==================================== ===========================================
task            records                              subset (single / multi)
=============== ==================================== ===========================================
classification  one per image                        -
description     one per image passing the filters    -
counting        one per (image, category present)    -
grounding       one per image                        one object in the image / several
identification  ~7.3 per object (distinct questions) one object in the image / several
referring       one per (image, category present)    one object of the category / several
=============== ==================================== ===========================================

Template choice is drawn from one ``random.Random`` per (seed, split, task), seeded with a string
(hashed with SHA-512 by ``random``, so independent of ``PYTHONHASHSEED``): the same annotations and
seed give byte-identical files, and adding a task or a split never shifts another's draws. Picks
use ``Random.random()`` (one C call) rather than ``Random.choice`` (several Python calls): at two
million records the difference is a third of the build time.

Records are written as JSON text directly, one per line, with the C string encoder that
``json.dumps(..., ensure_ascii=False)`` itself uses, so each line equals ``json.dumps(record,
ensure_ascii=False)`` while two million records cost seconds, not minutes.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Sequence
from json.encoder import encode_basestring
from pathlib import Path
from typing import Any, TextIO

from sarchat_tasks.build.coco import Instance, SourceImage
from sarchat_tasks.build.rules import (
    CLASSIFICATION_OPTIONS,
    RELATION_PHRASES,
    SHAPE_PHRASES,
    description_image_kept,
    description_object_kept,
    identification_question_count,
    in_category_order,
    join_categories,
    plural,
    relation_pairs,
    subset_of,
)
from sarchat_tasks.build.templates import TemplateBank
from sarchat_tasks.cli import progress
from sarchat_tasks.official import OFFICIAL_FILES
from sarchat_tasks.registry import TABLE5_ORDER
from sarchat_tasks.utils.boxes import format_box
from sarchat_tasks.utils.vocabulary import (
    CATEGORIES,
    box_area_ratio,
    description_size_word,
    grid_cell,
    shape_word,
    size_word,
)

# (task, subset) -> official test file name; subset "" for the tasks without one.
TEST_FILES: dict[tuple[str, str], str] = {task_subset: name for name, task_subset in OFFICIAL_FILES.items()}
# Splits written as one file with every task mixed in (the paper's training file).
MIXED_FILES: dict[str, str] = {"train": "SARChat_train.json", "val": "SARChat_val.json"}
IMAGE_TOKEN = "<image>\n"

Record = tuple[str, str, str, str]  # task, subset, question, answer


def pick(draw: Callable[[], float], options: Sequence[str]) -> str:
    """One of ``options``, uniformly, from a draw in [0, 1)."""
    return options[int(draw() * len(options))]


def pick_distinct(draw: Callable[[], float], n: int, k: int) -> list[int]:
    """``k`` distinct indices from ``range(n)``, uniformly (a partial Fisher-Yates shuffle)."""
    pool = list(range(n))
    for i in range(k):
        j = i + int(draw() * (n - i))
        pool[i], pool[j] = pool[j], pool[i]
    return pool[:k]


def record_line(question: str, answer: str, image_json: str) -> str:
    """One record as JSON, byte-equal to ``json.dumps(record, ensure_ascii=False)``; ``image_json``
    is the image path already encoded as a JSON string."""
    return (
        '{"messages": [{"role": "user", "content": '
        + encode_basestring(IMAGE_TOKEN + question)
        + '}, {"role": "assistant", "content": '
        + encode_basestring(answer)
        + '}], "images": ['
        + image_json
        + "]}"
    )


class JsonArrayWriter:
    """A JSON array written one record per line; the file is valid JSON only once closed."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.count = 0
        self._handle: TextIO = open(path, "w", encoding="utf-8", newline="\n", buffering=1 << 20)

    def write(self, line: str) -> None:
        self._handle.write(("[\n" if self.count == 0 else ",\n") + line)
        self.count += 1

    def close(self) -> None:
        self._handle.write("\n]\n" if self.count else "[]\n")
        self._handle.close()


class RecordRenderer:
    """Renders the records of one split, image by image, with seeded template choice."""

    def __init__(self, bank: TemplateBank, seed: int, split: str) -> None:
        self.bank = bank
        # One draw function per task: ``random.Random(...).random``.
        self._draw = {task: random.Random(f"sarchat-build:{seed}:{split}:{task}").random for task in TABLE5_ORDER}
        options = ", ".join(CLASSIFICATION_OPTIONS)
        # Questions that depend only on the category are rendered once here, not per record.
        self._classification_questions = [q.format(options=options) for q in bank.get("classification", "questions")]
        self._classification_answer = bank.get("classification", "answer")
        self._description_questions = list(bank.get("description", "questions"))
        self._grounding_questions = list(bank.get("grounding", "questions"))
        self._counting_questions = {
            c: [q.format(category=c, plural=plural(c)) for q in bank.get("counting", "questions")] for c in CATEGORIES
        }
        self._identification_questions = list(bank.get("identification", "questions"))
        self._identification_answers = list(bank.get("identification", "answers"))
        self._identification_objects = list(bank.get("identification", "objects"))
        self._referring_questions = list(bank.get("referring", "questions"))

    def records(self, image: SourceImage) -> Iterator[Record]:
        """Every record of one image, task by task in ``TABLE5_ORDER``."""
        objects = [
            (inst, format_box(inst.box), grid_cell(inst.box, image.width, image.height)) for inst in image.instances
        ]
        groups: dict[str, list[tuple[Instance, str, str]]] = {}
        for obj in objects:
            groups.setdefault(obj[0].category, []).append(obj)
        yield self.classification(image)
        description = self.description(image)
        if description is not None:
            yield description
        yield from self.counting(groups)
        yield self.grounding(image, objects, groups)
        yield from self.identification(image, objects)
        yield from self.referring(groups)

    def classification(self, image: SourceImage) -> Record:
        """Every category present, each named once, in the paper's order."""
        categories = in_category_order([inst.category for inst in image.instances])
        question = pick(self._draw["classification"], self._classification_questions)
        return (
            "classification",
            "",
            question,
            self._classification_answer.format(categories=join_categories(categories)),
        )

    def description(self, image: SourceImage) -> Record | None:
        """One clause per object kept by the filters, in annotation order; None when nothing is kept."""
        if not description_image_kept(image.width, image.height):
            return None
        kept = [
            inst
            for inst in image.instances
            if description_object_kept(inst.box, inst.crossed_border, image.width, image.height)
        ]
        if not kept:
            return None
        draw = self._draw["description"]
        first, more = self.bank.get("description", "first"), self.bank.get("description", "more")
        seen: set[str] = set()
        clauses = []
        for inst in kept:
            template = pick(draw, more if inst.category in seen else first)
            seen.add(inst.category)
            place = pick(draw, self.bank.places[grid_cell(inst.box, image.width, image.height)])
            size = description_size_word(box_area_ratio(inst.box, image.width, image.height))
            clauses.append(template.format(size=size, category=inst.category, place=place))
        answer = self.bank.get("description", "intro") + " " + " ".join(clauses) + "."
        return ("description", "", pick(draw, self._description_questions), answer)

    def counting(self, groups: dict[str, list[tuple[Instance, str, str]]]) -> Iterator[Record]:
        """Per category: the count in digits, then every box."""
        draw = self._draw["counting"]
        for category, members in groups.items():
            count = len(members)
            if count == 1:
                stated = self.bank.get("counting", "answer_one")
            else:
                stated = self.bank.get("counting", "answer_many").format(count=count)
            answer = stated + " " + "".join(box for _, box, _ in members)
            yield ("counting", "", pick(draw, self._counting_questions[category]), answer)

    def grounding(
        self,
        image: SourceImage,
        objects: list[tuple[Instance, str, str]],
        groups: dict[str, list[tuple[Instance, str, str]]],
    ) -> Record:
        """Every object grouped by category (category word before its boxes), then the relations."""
        bank = self.bank
        item = bank.get("grounding", "item")
        parts = [bank.get("grounding", "intro_one" if len(objects) == 1 else "intro_many")]
        for category, members in groups.items():
            items = ", ".join(item.format(cell=cell, box=box) for _, box, cell in members)
            if len(members) == 1:
                parts.append(bank.get("grounding", "group_one").format(category=category, items=items))
            else:
                parts.append(
                    bank.get("grounding", "group_many").format(count=len(members), plural=plural(category), items=items)
                )
        first_boxes = [(category, members[0][0].box) for category, members in groups.items()]
        relation = bank.get("grounding", "relation")
        for first, second, word in relation_pairs(first_boxes, image.width, image.height):
            parts.append(relation.format(first=first, relation=RELATION_PHRASES[word], second=second))
        question = pick(self._draw["grounding"], self._grounding_questions)
        return ("grounding", subset_of(len(objects)), question, " ".join(parts))

    def identification(self, image: SourceImage, objects: list[tuple[Instance, str, str]]) -> Iterator[Record]:
        """Several distinct questions per object; the answer states cell, size, category and,
        in some phrasings, shape."""
        draw = self._draw["identification"]
        subset = subset_of(len(objects))
        per_instance = self.bank.questions_per_instance
        questions, answers, things = (
            self._identification_questions,
            self._identification_answers,
            self._identification_objects,
        )
        for inst, box, cell in objects:
            x1, y1, x2, y2 = inst.box
            size = size_word(box_area_ratio(inst.box, image.width, image.height))
            shape = SHAPE_PHRASES[shape_word(x2 - x1, y2 - y1)]
            count = identification_question_count(per_instance, draw())
            for index in pick_distinct(draw, len(questions), count):
                thing = pick(draw, things).format(size=size, shape=shape, category=inst.category)
                answer = pick(draw, answers).format(cell=cell, object=thing)
                yield ("identification", subset, questions[index].format(box=box), answer)

    def referring(self, groups: dict[str, list[tuple[Instance, str, str]]]) -> Iterator[Record]:
        """Per category: the count and the category in the question, every box with its cell."""
        draw = self._draw["referring"]
        item = self.bank.get("referring", "item")
        for category, members in groups.items():
            count = len(members)
            question = pick(draw, self._referring_questions).format(
                count=count, category=category, plural=plural(category)
            )
            answer = "".join(item.format(box=box, cell=cell) for _, box, cell in members)
            yield ("referring", subset_of(count), question, answer)


def write_split(images: list[SourceImage], renderer: RecordRenderer, split: str, folder: Path) -> dict[str, Any]:
    """Write one split's files into ``folder``; returns records per file and per (task, subset)."""
    if split == "test":
        writers = {key: JsonArrayWriter(folder / name) for key, name in TEST_FILES.items()}
    else:
        mixed = JsonArrayWriter(folder / MIXED_FILES[split])
        writers = {key: mixed for key in TEST_FILES}
    per_task: dict[str, dict[str, int]] = {task: {} for task in TABLE5_ORDER}
    try:
        for image in progress(images, desc=f"build {split}", unit="image"):
            image_json = encode_basestring(image.path)
            for task, subset, question, answer in renderer.records(image):
                writers[(task, subset)].write(record_line(question, answer, image_json))
                per_task[task][subset] = per_task[task].get(subset, 0) + 1
    finally:
        for writer in {id(w): w for w in writers.values()}.values():
            writer.close()
    files = {w.path.name: w.count for w in {id(w): w for w in writers.values()}.values()}
    return {"files": dict(sorted(files.items())), "tasks": per_task}
