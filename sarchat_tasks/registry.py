"""The six SARChat-Bench tasks, each defined once: every module that needs to know a task reads it here.

A ``TaskSpec`` holds what defines a task across the flow:

* data: the official test files and their subsets, the question tag, the words that name the task
  in another file name, and how a file without a subset in its name is split (``subset_of``);
* scoring: the columns it reports (kind, subset, whether they are Table 3 columns, the paper's
  sub-header), the reference parser (prepare time) and the scorer (per response), from
  ``sarchat_tasks.scoring``;
* breakdowns: the category a sample is filed under, how many objects its reference holds (the
  lite subset's strata), and a column that covers only part of the task's samples;
* reporting: the task's header in the paper's Table 3 and its test size there (Table 5).

Which task an official file or a question belongs to is read from these specs by
``sarchat_tasks.official``. Adding a task is a ``TaskSpec`` here, one task YAML and its templates in the build's bank
(CONTRIBUTING.md, "Adding a packaged task"); the task YAMLs' metric list, lite twins and groups
are generated from this registry (``python -m sarchat_tasks.task_folder``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sarchat_tasks.scoring import (
    POOLED,
    SHARE,
    SUBSETS,
    ReferenceAnswerError,
    classification_reference,
    counting_reference,
    description_reference,
    grounding_reference,
    identification_reference,
    most_frequent,
    referring_reference,
    score_classification,
    score_counting,
    score_description,
    score_grounding,
    score_identification,
    score_referring,
)

LMMS_TASK_PREFIX = "sarchat_"
Reference = Mapping[str, Any]


@dataclass(frozen=True)
class Column:
    """One reported metric: its kind (``share`` or ``pooled``), the subset it covers (None = all),
    whether it is a Table 3 column (and so enters the task score) or an extra, and its sub-header
    in the paper's Table 3."""

    name: str
    kind: str
    subset: str | None = None
    in_table: bool = True
    label: str = ""


@dataclass(frozen=True)
class TaskSpec:
    """Everything that defines one task (see the module docstring)."""

    name: str
    paper_group: str  # the task's header in the paper's Table 3, also its label in plots
    columns: tuple[Column, ...]
    official_files: Mapping[str, str]
    file_words: tuple[str, ...]
    parse_reference: Callable[[str, int, int, str], dict[str, Any]]
    score: Callable[..., tuple[dict[str, Any], bool]]
    category_of: Callable[[Reference], str | None]
    object_count: Callable[[Reference], int]
    paper_test_records: int
    question_tag: str | None = None
    asks_category: bool = False  # the question names the category asked about (it must)
    subsets: tuple[str, ...] = ()
    subset_of: Callable[[Reference], str | None] = field(default=lambda reference: None)
    partial_column: Callable[[Reference], str] = field(default=lambda reference: "")

    @property
    def lmms_task(self) -> str:
        """The lmms-eval task name (``sarchat_counting``)."""
        return LMMS_TASK_PREFIX + self.name

    @property
    def table_columns(self) -> tuple[Column, ...]:
        """The task's Table 3 columns, in the paper's order."""
        return tuple(c for c in self.columns if c.in_table)


def _multi_if_several(key: str) -> Callable[[Reference], str]:
    return lambda reference: "multi" if len(reference[key]) > 1 else "single"


def _queried(reference: Reference) -> str | None:
    return reference.get("category")


def _most_frequent_object(reference: Reference) -> str | None:
    return most_frequent([obj[0] for obj in reference["objects"]])


def _abstract_position(reference: Reference) -> str:
    # Only grounding records whose reference states a relation are scored for abstract position.
    return "grounding_abstract_position" if reference.get("relations") else ""


TASKS: dict[str, TaskSpec] = {
    spec.name: spec
    for spec in (
        TaskSpec(
            name="counting",
            paper_group="Counting",
            columns=(
                Column("counting_only", SHARE, label="Only count"),
                Column("counting_iou25", POOLED, label="IoU=.25"),
                Column("counting_iou50", POOLED, label="IoU=.5"),
            ),
            official_files={"SARChat_classify_count_test.json": ""},
            file_words=("classify_count", "count"),
            question_tag="[count]",
            asks_category=True,
            parse_reference=counting_reference,
            score=score_counting,
            category_of=_queried,
            object_count=lambda reference: int(reference.get("count", len(reference.get("boxes", [])))),
            paper_test_records=11_704,
        ),
        TaskSpec(
            name="grounding",
            paper_group="Grounding",
            columns=(
                Column("grounding_abstract_position", SHARE, label="Abstract position"),
                Column("grounding_multi", POOLED, "multi", label="Multi"),
                Column("grounding_single", POOLED, "single", label="Single"),
                Column("grounding_multi_iou25", POOLED, "multi", in_table=False),
                Column("grounding_single_iou25", POOLED, "single", in_table=False),
            ),
            official_files={
                "SARChat_grounding_multi_test.json": "multi",
                "SARChat_grounding_single_test.json": "single",
            },
            file_words=("grounding",),
            question_tag="[grounding]",
            subsets=SUBSETS,
            subset_of=_multi_if_several("objects"),
            parse_reference=grounding_reference,
            score=score_grounding,
            category_of=_most_frequent_object,
            object_count=lambda reference: len(reference.get("objects", [])),
            partial_column=_abstract_position,
            paper_test_records=11_608,
        ),
        TaskSpec(
            name="identification",
            paper_group="Identification",
            columns=(
                Column("identification_multi", SHARE, "multi", label="Multi"),
                Column("identification_single", SHARE, "single", label="Single"),
            ),
            official_files={"SARChat_identify_multi_test.json": "multi", "SARChat_identify_single_test.json": "single"},
            file_words=("identify",),
            question_tag="[identify]",
            subsets=SUBSETS,
            parse_reference=identification_reference,
            score=score_identification,
            category_of=_queried,
            object_count=lambda reference: 1,  # an identification record names one object
            paper_test_records=175_565,
        ),
        TaskSpec(
            name="referring",
            paper_group="Referring",
            columns=(
                Column("referring_multi_iou25", POOLED, "multi", label="Multi IoU=.25"),
                Column("referring_multi_iou50", POOLED, "multi", label="Multi IoU=.5"),
                Column("referring_single_iou25", POOLED, "single", label="Single IoU=.25"),
                Column("referring_single_iou50", POOLED, "single", label="Single IoU=.5"),
            ),
            official_files={"SARChat_refer_multi_test.json": "multi", "SARChat_refer_single_test.json": "single"},
            file_words=("refer",),
            question_tag="[refer]",
            asks_category=True,
            subsets=SUBSETS,
            subset_of=_multi_if_several("boxes"),
            parse_reference=referring_reference,
            score=score_referring,
            category_of=_queried,
            object_count=lambda reference: len(reference.get("boxes", [])),
            paper_test_records=11_703,
        ),
        TaskSpec(
            name="description",
            paper_group="Description",
            columns=(Column("description", POOLED, label="Descript"),),
            official_files={"SARChat_describe_test.json": ""},
            file_words=("describe",),
            parse_reference=description_reference,
            score=score_description,
            category_of=_most_frequent_object,
            object_count=lambda reference: len(reference.get("objects", [])),
            paper_test_records=6_032,
        ),
        TaskSpec(
            name="classification",
            paper_group="Classification",
            columns=(Column("classification", POOLED, label="Class"),),
            official_files={"SARChat_classify_test.json": ""},
            file_words=("classify",),
            parse_reference=classification_reference,
            score=score_classification,
            category_of=lambda reference: most_frequent(list(reference["categories"])),
            object_count=lambda reference: len(reference.get("categories", [])),
            paper_test_records=10_024,
        ),
    )
}

TASK_NAMES: tuple[str, ...] = tuple(TASKS)
# The paper's Table 5 (and its file list) orders the tasks so; the builder writes them in this order.
TABLE5_ORDER: tuple[str, ...] = (
    "classification",
    "description",
    "counting",
    "grounding",
    "identification",
    "referring",
)
TABLE3_COLUMNS: tuple[str, ...] = tuple(c.name for spec in TASKS.values() for c in spec.table_columns)
COLUMN_BY_NAME: dict[str, Column] = {c.name: c for spec in TASKS.values() for c in spec.columns}
TASK_OF_COLUMN: dict[str, str] = {c.name: spec.name for spec in TASKS.values() for c in spec.columns}


class UnknownTaskError(KeyError):
    """A task name that is not one of the six."""


def spec(task: str) -> TaskSpec:
    """The spec of a task by name; raises ``UnknownTaskError``."""
    try:
        return TASKS[task]
    except KeyError:
        raise UnknownTaskError(task) from None


# ---------------------------------------------------------------------------------------------
# Per-task rules by task name
# ---------------------------------------------------------------------------------------------


def parse_reference(task: str, answer: str, width: int, height: int, question: str = "") -> dict[str, Any]:
    """The structure scoring compares against (prepare time); raises ``ReferenceAnswerError``."""
    if task not in TASKS:
        raise ReferenceAnswerError(f"unknown task {task!r}")
    return TASKS[task].parse_reference(answer, width, height, question)


def primary_category(task: str, reference: Reference) -> str | None:
    """The category a sample is filed under in per-category breakdowns: the queried category
    (counting, referring), the object's (identification), else the most frequent one in the
    reference (first named on ties)."""
    return TASKS[task].category_of(reference)
