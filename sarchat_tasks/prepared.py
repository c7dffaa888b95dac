"""The prepared set: the on-disk layout the lmms-eval tasks load, and its binding to the tasks.

Layout of a prepared directory DIR (written by ``sarchat prepare`` and ``sarchat build``)::

    DIR/manifest.json        format version, rows and budgets per task, sources
    DIR/rows/<task>.parquet  one row per record: question, answer, parsed reference, image path, size
    DIR/images/...           every image once, however many records use it
    DIR/tasks/               a generated lmms-eval task folder bound to DIR (hand it to --include_path)

lmms-eval expands no variables in YAML, so the generated task folder carries a three-line module,
``sarchat_dataset.py``, that finds DIR from its own location and binds ``PreparedSet`` hooks to it;
its YAMLs include the packaged task YAMLs and override only the data and the generation budget.
Images are opened only when the model asks for them (``doc_to_visual``).
"""

from __future__ import annotations

import json
import threading
from functools import cached_property
from pathlib import Path
from typing import Any

from sarchat_tasks.errors import SarchatError
from sarchat_tasks.images import DEFAULT_MAX_PIXELS, ImageRefused, display_problem, load_display_rgb, open_image
from sarchat_tasks.outputs import COMMIT_MARKER

FORMAT_NAME = "sarchat-prepared"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
ROWS_DIR = "rows"
IMAGES_DIR = "images"
TASKS_DIR = "tasks"
BINDING_MODULE = "sarchat_dataset"
ROW_COLUMNS: tuple[str, ...] = ("id", "task", "subset", "question", "answer", "image", "width", "height", "category",
                                "reference")  # fmt: skip


# Image checks: a test set is checked before any generation starts, so a missing or truncated
# image stops the run with the record's name instead of crashing a GPU job hours in; they read
# the header and the last bytes only, never a pixel, each file version once per process.

# One lock guards both per-process caches: checked image files and checked datasets.
_LOCK = threading.Lock()


def image_problem(path: Path, max_pixels: int = DEFAULT_MAX_PIXELS) -> str | None:
    """Why an image file cannot be used (missing, unreadable header, truncated, over ``max_pixels``,
    or one the display rule refuses: ``sarchat_tasks.images``), or None.

    Reads the header and the last bytes only, so a whole test set is checked in seconds without
    decoding a pixel.
    """
    from PIL import UnidentifiedImageError

    try:
        with open_image(path, max_pixels) as image:
            kind = image.format
            refused = display_problem(image)
    except FileNotFoundError:
        return "missing"
    except ImageRefused as exc:
        return f"refused: {exc}"
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        return f"unreadable ({exc.__class__.__name__}: {exc})"
    if refused is not None:
        return f"refused: {refused}"
    try:
        with open(path, "rb") as handle:
            handle.seek(0, 2)
            size = handle.tell()
            handle.seek(max(0, size - 16))
            tail = handle.read()
    except OSError as exc:
        return f"unreadable ({exc})"
    if kind == "JPEG" and b"\xff\xd9" not in tail:
        return "truncated (no JPEG end-of-image marker)"
    if kind == "PNG" and b"IEND" not in tail:
        return "truncated (no PNG IEND chunk)"
    return None


_IMAGE_CHECKS: dict[tuple[str, int, int, int], str | None] = {}


def checked_image(path: Path, max_pixels: int = DEFAULT_MAX_PIXELS) -> str | None:
    """``image_problem`` once per file version per process: the six tasks share their images."""
    try:
        stat = path.stat()
    except OSError:
        return "missing"
    key = (str(path), stat.st_size, stat.st_mtime_ns, max_pixels)
    with _LOCK:
        if key in _IMAGE_CHECKS:
            return _IMAGE_CHECKS[key]
    problem = image_problem(path, max_pixels)
    with _LOCK:
        _IMAGE_CHECKS[key] = problem
    return problem


class PreparedSetError(SarchatError):
    """A prepared set that cannot be used as it is; the message names the record or file."""


_VALIDATED: set[tuple[str, str, int]] = set()


class PreparedSet:
    """A prepared directory, with the lmms-eval hooks that need to know where it lies."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root).resolve()

    def __repr__(self) -> str:
        return f"PreparedSet({str(self.root)!r})"

    @cached_property
    def manifest(self) -> dict[str, Any]:
        path = self.root / MANIFEST
        if (self.root / COMMIT_MARKER).exists():
            raise PreparedSetError(
                f"{self.root} was being written or replaced when its writer stopped ({COMMIT_MARKER} is there); "
                "run `sarchat prepare` (or `sarchat build`) again"
            )
        try:
            manifest = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise PreparedSetError(f"{path}: no manifest; is {self.root} a prepared set? (sarchat prepare)") from exc
        except (OSError, json.JSONDecodeError) as exc:
            raise PreparedSetError(f"{path}: unreadable manifest: {exc}") from exc
        if manifest.get("format") != FORMAT_NAME:
            raise PreparedSetError(f"{path}: not a SARChat prepared set")
        version = manifest.get("format_version")
        if version != FORMAT_VERSION:
            raise PreparedSetError(
                f"{self.root} was prepared in format version {version}; this sarchat-bench reads version "
                f"{FORMAT_VERSION}. Run `sarchat prepare` (or `sarchat build`) again to rewrite it."
            )
        return manifest

    def missing_tasks(self) -> list[str]:
        """The six tasks this set has no records for, in the suite's order."""
        from sarchat_tasks.registry import TASKS

        return [task for task in TASKS if task not in (self.manifest.get("tasks") or {})]

    def rows_file(self, task: str) -> Path:
        return self.root / ROWS_DIR / f"{task}.parquet"

    def image_path(self, doc: dict[str, Any]) -> Path:
        return self.root / doc["image"]

    @cached_property
    def max_pixels(self) -> int:
        """The pixel limit the set was prepared with (``sarchat prepare --max-image-pixels``)."""
        rule = self.manifest.get("image_rule") or {}
        return int(rule.get("max_pixels") or DEFAULT_MAX_PIXELS)

    def doc_to_visual(self, doc: dict[str, Any]) -> list:
        """The record's image as the display rule shows it (``sarchat_tasks.images``: RGB, 16-bit
        and float amplitude stretched), decoded now (lmms-eval calls this only for the model)."""
        path = self.image_path(doc)
        try:
            return [load_display_rgb(path, self.max_pixels)]
        except (OSError, ValueError) as exc:
            raise PreparedSetError(f"record {doc.get('id')}: cannot load image {path}: {exc}") from exc

    def process_docs(self, dataset):
        """Check the set before any generation starts: format version, every reference readable,
        every image present and whole. Returns the dataset unchanged."""
        self.manifest  # noqa: B018 - raises on a missing or outdated manifest
        key = (str(self.root), dataset._fingerprint, len(dataset))
        with _LOCK:
            if key in _VALIDATED:
                return dataset
        columns = dataset.select_columns(["id", "task", "image", "reference"]).to_dict()
        self.check_rows_are_mine(columns["id"], columns["task"][0] if columns["task"] else None)
        self.validate_rows(columns)
        with _LOCK:
            _VALIDATED.add(key)
        return dataset

    def check_rows_are_mine(self, ids: list[str], task: str | None) -> None:
        """Raise unless ``ids`` are the records of one of this set's rows files for ``task``: the
        rows lmms-eval loaded must be the ones this binding's images and checks belong to (a task
        folder written for another location would read another set's rows)."""
        if task is None:
            return
        import pyarrow.parquet as pq

        candidates = sorted((self.root / ROWS_DIR).glob(f"{task}*.parquet"))
        for path in candidates:
            try:
                if pq.read_table(path, columns=["id"]).column("id").to_pylist() == list(ids):
                    return
            except Exception:  # a damaged file is reported by validate(); try the next one
                continue
        raise PreparedSetError(
            f"the {task} rows lmms-eval loaded are not the rows of {self.root} (its task folder was written for "
            f"another location?); run `sarchat include-path --data {self.root}` to rewrite it"
        )

    def validate(self) -> int:
        """Check every rows file of the set as ``process_docs`` would, before lmms-eval starts:
        lmms-eval retries a failing task load and then goes on with an exit status of 0, so
        ``sarchat eval`` stops here instead. Returns the number of rows checked."""
        import pyarrow.parquet as pq

        checked = 0
        for rows in sorted((self.root / ROWS_DIR).glob("*.parquet")):
            try:
                columns = pq.read_table(rows, columns=["id", "image", "reference"]).to_pydict()
            except Exception as exc:  # pyarrow raises several kinds on a damaged file
                raise PreparedSetError(f"{rows}: unreadable rows file: {exc}") from exc
            self.validate_rows(columns)
            checked += len(columns["id"])
        return checked

    def validate_rows(self, columns: dict[str, list]) -> None:
        """Raise ``PreparedSetError`` naming the first record whose reference or image is unusable."""
        for record_id, image, reference in zip(columns["id"], columns["image"], columns["reference"]):
            try:
                json.loads(reference)
            except (TypeError, json.JSONDecodeError) as exc:
                raise PreparedSetError(f"record {record_id}: unreadable reference structure: {exc}") from exc
            problem = checked_image(self.root / image, self.max_pixels)
            if problem is not None:
                raise PreparedSetError(f"record {record_id}: image {self.root / image} is {problem}")
