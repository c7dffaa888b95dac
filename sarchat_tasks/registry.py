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
``sarchat_tasks.official``. ``PROFILES`` holds the model profiles: how each model family is asked (the instruction added to
the SARChat question) and how its boxes are read (syntax conventions and frame). Adding a task is a
``TaskSpec`` here, one task YAML and its templates in the build's bank
(CONTRIBUTING.md, "Adding a packaged task"); the task YAMLs' metric list, lite twins and groups
are generated from this registry (``python -m sarchat_tasks.task_folder``).
"""

from __future__ import annotations

import functools
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
from sarchat_tasks.utils.boxes import BoxConventions
from sarchat_tasks.utils.frames import QWEN25_MAX_PIXELS, QWEN25_MIN_PIXELS, Frame

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

    @functools.cached_property
    def table_columns(self) -> tuple[Column, ...]:
        """The task's Table 3 columns, in the paper's order."""
        return tuple(c for c in self.columns if c.in_table)

    @functools.cached_property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @functools.cached_property
    def table_column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.table_columns)


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
            file_words=("count", "counts", "counting"),
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
                "SARChat_classify_grounding_multi_test.json": "multi",
                "SARChat_classify_grounding_single_test.json": "single",
            },
            file_words=("grounding", "ground"),
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
            official_files={
                "SARChat_classify_identify_multi_test.json": "multi",
                "SARChat_classify_identify_single_test.json": "single",
            },
            file_words=("identify", "identification"),
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
            official_files={
                "SARChat_classify_refer_multi_test.json": "multi",
                "SARChat_classify_refer_single_test.json": "single",
            },
            file_words=("refer", "referring"),
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
            file_words=("describe", "description"),
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
            file_words=("classify", "classification"),
            parse_reference=classification_reference,
            score=score_classification,
            category_of=lambda reference: most_frequent(list(reference["categories"])),
            object_count=lambda reference: len(reference.get("categories", [])),
            paper_test_records=10_024,
        ),
    )
}

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


# ---------------------------------------------------------------------------------------------
# Model profiles: how a model family is asked, and how its boxes are read
# ---------------------------------------------------------------------------------------------

CATEGORY_LIST = "ship, aircraft, car, tank, bridge or harbor"
# What each task asks for beyond the SARChat question; {boxes} is the profile's box phrase.
TASK_INSTRUCTIONS: dict[str, str] = {
    "counting": "State how many there are, then give the bounding box of each one {boxes}.",
    "grounding": f"Name each object ({CATEGORY_LIST}) and give its bounding box {{boxes}}.",
    "identification": (
        "The coordinates are pixels of the {width}x{height} image. Answer with the object's category "
        f"({CATEGORY_LIST}), its size (very small, small, medium, large or very large), its shape (wide, "
        "approximately square or tall) and where it is (top, middle or bottom; left, center or right)."
    ),
    "referring": "Give the bounding box of each one {boxes}.",
    "description": (
        f"Describe each object: its category ({CATEGORY_LIST}), its size (small, medium or large) and "
        "where it is in the image (top, middle or bottom; left, center or right)."
    ),
    "classification": f"Answer with the categories present, from: {CATEGORY_LIST}.",
}


@dataclass(frozen=True)
class Profile:
    """A model family's way of being asked and of writing boxes: the instruction added to each
    SARChat question (``boxes``: how to write a box, in the family's own syntax; empty for no
    instruction at all), the coordinate convention of each box syntax and the frame its pixels are
    in, the lmms-eval backends it is chosen for by ``--model`` name, and the public source of the
    format. A profile is never chosen by comparing answers with the ground truth."""

    name: str
    summary: str
    boxes: str
    conventions: Mapping[str, str] = field(default_factory=dict)
    frame: str = "image"
    backends: tuple[str, ...] = ()
    source: str = ""

    def box_conventions(self, min_pixels: int | None = None, max_pixels: int | None = None,
                        force_simple: bool = False) -> BoxConventions:  # fmt: skip
        """How this profile reads boxes; ``min_pixels``/``max_pixels``/``force_simple`` set the
        resized frame (``qwen25``) as the backend's model_args do (its defaults otherwise)."""
        frame = Frame(
            self.frame,
            QWEN25_MIN_PIXELS if min_pixels is None else int(min_pixels),
            QWEN25_MAX_PIXELS if max_pixels is None else int(max_pixels),
            bool(force_simple),
        )
        return BoxConventions(self.conventions, frame=frame)

    def instruction(self, task: str, width: int, height: int) -> str:
        """The text added after the question for one record ("" for none)."""
        if not self.boxes:
            return ""
        return TASK_INSTRUCTIONS[task].format(boxes=self.boxes.format(width=width, height=height), width=width,
                                              height=height)  # fmt: skip


PROFILES: dict[str, Profile] = {
    profile.name: profile
    for profile in (
        Profile(
            "sarchat",
            "SARChat fine-tuned models and swift infer output: the paper's question verbatim, "
            "{<x1><y1><x2><y2>} in pixels",
            boxes="",
            backends=("sarchat_cfar", "sarchat_blind"),
            source="the paper's figures (arXiv 2502.08168), Figure 3",
        ),
        Profile(
            "generic",
            "any other model: asked for [x1, y1, x2, y2] in pixels of the stated image size",
            boxes="as [x1, y1, x2, y2] in pixels of the {width}x{height} image",
            source="this project's instruction",
        ),
        Profile(
            "qwen2_vl",
            "Qwen2-VL: <|box_start|>(x1,y1),(x2,y2)<|box_end|> on 0-1000 (the tags are often decoded away)",
            boxes="as <|box_start|>(x1,y1),(x2,y2)<|box_end|> with coordinates on a 0-1000 scale",
            conventions={"qwen": "norm1000", "list": "norm1000"},
            backends=("qwen2_vl",),
            source="QwenLM/Qwen3-VL issues 866, 733, 189",
        ),
        Profile(
            "qwen2_5_vl",
            "Qwen2.5-VL: JSON bbox_2d in pixels of its resized input (smart_resize, factor 28)",
            boxes='in JSON, one {{"bbox_2d": [x1, y1, x2, y2], "label": "..."}} per object',
            conventions={"json": "pixel", "list": "pixel"},
            frame="qwen25",
            backends=("qwen2_5_vl",),
            source="QwenLM/Qwen3-VL issues 676, 866, 940; Qwen2.5-VL spatial_understanding cookbook",
        ),
        Profile(
            "qwen3_vl",
            "Qwen3-VL: JSON bbox_2d on 0-1000",
            boxes='in JSON, one {{"bbox_2d": [x1, y1, x2, y2], "label": "..."}} per object, coordinates on a '
            "0-1000 scale",
            conventions={"json": "norm1000", "list": "norm1000"},
            backends=("qwen3_vl",),
            source="QwenLM/Qwen3-VL issues 1427, 1741, 2102 (2d_grounding cookbook); ms-swift PR 6178",
        ),
        Profile(
            "internvl2_5",
            "InternVL2.5/3: <ref>obj</ref><box>[[x1, y1, x2, y2]]</box> on 0-1000 (tags may be decoded away)",
            boxes="as <ref>object</ref><box>[[x1, y1, x2, y2]]</box> with coordinates on a 0-1000 scale",
            conventions={"internvl": "norm1000", "list": "norm1000"},
            backends=("internvl2", "internvl3", "internvl_hf"),
            source="OpenGVLab/InternVL issues 227, 285, 844; InternVL chat-data docs (grounding/detection data)",
        ),
        Profile(
            "llava_1_5",
            "LLaVA-1.5: [x1, y1, x2, y2] as fractions 0-1 of the centre square llava_hf shows it",
            boxes="as [x1, y1, x2, y2] with coordinates as fractions of the image (0 to 1)",
            conventions={"list": "unit"},
            frame="center_square",
            source="LLaVA-1.5 paper (arXiv 2310.03744), appendix: boxes normalised to [0, 1]; haotian-liu/LLaVA issues 606, 822",
        ),
        Profile(
            "deepseek_vl2",
            "DeepSeek-VL2: <|ref|>obj<|/ref|><|det|>[[x1, y1, x2, y2]]<|/det|> on 0-999",
            boxes="as <|ref|>object<|/ref|><|det|>[[x1, y1, x2, y2]]<|/det|> with coordinates on a 0-999 scale",
            conventions={"deepseek": "norm999", "list": "norm999"},
            source="deepseek-ai/DeepSeek-VL2 README (visual grounding); its issues 60, 100",
        ),
        Profile(
            "geochat",
            "GeoChat / MiniGPT-v2: {<x1><y1><x2><y2>|θ} on 0-100; the SARChat task tags are its own",
            boxes="",
            conventions={"native": "norm100", "rotated": "norm100"},
            source="GeoChat (arXiv 2311.15826), MiniGPT-v2 (arXiv 2310.09478)",
        ),
        Profile(
            "florence2",
            "Florence-2: <loc_N> bins 0-999 per coordinate, four per box",
            boxes="",
            conventions={"florence": "bin1000"},
            source="Florence-2 model card; its processor (post_process_generation, 1000 bins)",
        ),
    )
}
MODEL_PROFILES: dict[str, str] = {backend: p.name for p in PROFILES.values() for backend in p.backends}
DEFAULT_PROFILE = "generic"


# The options of a resized frame, as lmms-eval's qwen2_5_vl backend takes them in its model_args.
FRAME_KEYS: tuple[str, ...] = ("min_pixels", "max_pixels", "force_simple")


@functools.lru_cache(maxsize=64)
def profile_conventions(
    name: str, min_pixels: Any = None, max_pixels: Any = None, force_simple: Any = None
) -> BoxConventions:
    """A profile's box conventions with its frame options (strings from the command line or
    numbers from YAML); the ``generic`` profile's for an unknown name or unusable options."""
    try:
        return PROFILES[name].box_conventions(
            None if min_pixels is None else int(min_pixels),
            None if max_pixels is None else int(max_pixels),
            str(force_simple).lower() in ("1", "true", "yes"),
        )
    except (KeyError, TypeError, ValueError):
        return PROFILES[DEFAULT_PROFILE].box_conventions()


def profile_for_model(model: str | None) -> str:
    """The profile an lmms-eval ``--model`` name gets: the one that names it, else ``generic``
    (``vllm``, ``openai``, ``llava_hf`` and the like serve several families)."""
    return MODEL_PROFILES.get(model or "", DEFAULT_PROFILE)


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
