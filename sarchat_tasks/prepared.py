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
import math
import re
import threading
from functools import cached_property
from importlib.resources import files
from pathlib import Path
from typing import Any

import yaml

from sarchat_tasks.errors import SarchatError

FORMAT_NAME = "sarchat-prepared"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
ROWS_DIR = "rows"
IMAGES_DIR = "images"
TASKS_DIR = "tasks"
BINDING_MODULE = "sarchat_dataset"
ROW_COLUMNS: tuple[str, ...] = ("id", "task", "subset", "question", "answer", "image", "width", "height", "category",
                                "reference")  # fmt: skip


class PreparedSetError(SarchatError):
    """A prepared set that cannot be used as it is; the message names the record or file."""


def packaged_task_folder() -> Path:
    """The installed task YAML folder (what ``sarchat include-path`` prints)."""
    return Path(str(files("sarchat_tasks.task_yamls")))


def bundled_sample() -> Path:
    """The prepared sample shipped inside the package, the packaged tasks' default data."""
    return packaged_task_folder() / "sample"


# ---------------------------------------------------------------------------------------------
# Images
# ---------------------------------------------------------------------------------------------


def image_problem(path: Path) -> str | None:
    """Why an image file cannot be used (missing, unreadable header, truncated), or None.

    Reads the header and the last bytes only, so a whole test set is checked in seconds without
    decoding a pixel.
    """
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            kind = image.format
            image.size  # noqa: B018 - the header must give a size
    except FileNotFoundError:
        return "missing"
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        return f"unreadable ({exc.__class__.__name__}: {exc})"
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


_IMAGE_CHECKS: dict[tuple[str, int, int], str | None] = {}


def _checked_image(path: Path) -> str | None:
    """``image_problem`` once per file version per process: the six tasks share their images."""
    try:
        stat = path.stat()
    except OSError:
        return "missing"
    key = (str(path), stat.st_size, stat.st_mtime_ns)
    with _VALIDATED_LOCK:
        if key in _IMAGE_CHECKS:
            return _IMAGE_CHECKS[key]
    problem = image_problem(path)
    with _VALIDATED_LOCK:
        _IMAGE_CHECKS[key] = problem
    return problem


_VALIDATED: set[tuple[str, str, int]] = set()
_VALIDATED_LOCK = threading.Lock()


class PreparedSet:
    """A prepared directory, with the lmms-eval hooks that need to know where it lies."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root).resolve()

    def __repr__(self) -> str:
        return f"PreparedSet({str(self.root)!r})"

    @cached_property
    def manifest(self) -> dict[str, Any]:
        path = self.root / MANIFEST
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

    def rows_file(self, task: str) -> Path:
        return self.root / ROWS_DIR / f"{task}.parquet"

    def image_path(self, doc: dict[str, Any]) -> Path:
        return self.root / doc["image"]

    def doc_to_visual(self, doc: dict[str, Any]) -> list:
        """The record's image as RGB, decoded now (lmms-eval calls this only for the model)."""
        from PIL import Image

        path = self.image_path(doc)
        try:
            with Image.open(path) as image:
                return [image.convert("RGB")]
        except (OSError, ValueError) as exc:
            raise PreparedSetError(f"record {doc.get('id')}: cannot load image {path}: {exc}") from exc

    def process_docs(self, dataset):
        """Check the set before any generation starts: format version, every reference readable,
        every image present and whole. Returns the dataset unchanged."""
        self.manifest  # noqa: B018 - raises on a missing or outdated manifest
        key = (str(self.root), dataset._fingerprint, len(dataset))
        with _VALIDATED_LOCK:
            if key in _VALIDATED:
                return dataset
        self.validate_rows(dataset.select_columns(["id", "image", "reference"]).to_dict())
        with _VALIDATED_LOCK:
            _VALIDATED.add(key)
        return dataset

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
            problem = _checked_image(self.root / image)
            if problem is not None:
                raise PreparedSetError(f"record {record_id}: image {self.root / image} is {problem}")


# ---------------------------------------------------------------------------------------------
# Generation budget
# ---------------------------------------------------------------------------------------------

TOKEN_RE = re.compile(r"\d|[A-Za-z]+|[^\sA-Za-z\d]")
BUDGET_MARGIN = 1.25
BUDGET_SLACK = 16


def estimate_tokens(text: str) -> int:
    """A tokenizer-free upper estimate of an answer's length in tokens: one per digit (Qwen and
    LLaMA tokenizers split digits), one per word, one per punctuation mark."""
    return len(TOKEN_RE.findall(text))


def generation_budget(longest_reference_tokens: int) -> int:
    """``max_new_tokens`` for a task: the longest reference answer plus 25 % and 16 tokens,
    rounded up to a multiple of 16."""
    raw = math.ceil(longest_reference_tokens * BUDGET_MARGIN) + BUDGET_SLACK
    return int(math.ceil(raw / 16.0) * 16)


# ---------------------------------------------------------------------------------------------
# The generated task folder
# ---------------------------------------------------------------------------------------------


class _TaskYamlLoader(yaml.SafeLoader):
    """Reads lmms-eval task YAMLs without importing anything: ``!function x`` becomes ``"x"``."""


_TaskYamlLoader.add_constructor("!function", lambda loader, node: loader.construct_scalar(node))


def read_task_yaml(path: Path, *, resolve_includes: bool = False) -> dict[str, Any]:
    """A task YAML as plain data (``!function`` tags left as their dotted names); with
    ``resolve_includes``, merged over the files it includes, as lmms-eval merges them."""
    with open(path, encoding="utf-8") as handle:
        config = yaml.load(handle, Loader=_TaskYamlLoader) or {}  # a SafeLoader subclass
    if not resolve_includes or "include" not in config:
        return config
    includes = config.pop("include")
    merged: dict[str, Any] = {}
    for included in [includes] if isinstance(includes, str) else includes:
        merged.update(read_task_yaml(Path(path).parent / included, resolve_includes=True))
    merged.update(config)
    return merged


class _FunctionTag(str):
    """A string written back as ``!function name``."""


class _TaskYamlDumper(yaml.SafeDumper):
    """Writes ``_FunctionTag`` strings as ``!function`` tags."""


_TaskYamlDumper.add_representer(_FunctionTag, lambda dumper, data: dumper.represent_scalar("!function", str(data)))

_BINDING_SOURCE = '''"""Generated by `sarchat prepare`: binds the SARChat-Bench hooks to the prepared set around
this folder, so the task YAMLs here need no path written in them. Regenerate, do not edit."""

from pathlib import Path

from sarchat_tasks.prepared import PreparedSet

_PREPARED = PreparedSet(Path(__file__).resolve().parent.parent)
doc_to_visual = _PREPARED.doc_to_visual
process_docs = _PREPARED.process_docs
'''


def write_task_folder(root: Path, budgets: dict[str, int] | None = None) -> Path:
    """(Re)write ``root/tasks``: one YAML per packaged task, bound to ``root``'s rows and images.

    A packaged task reads ``sample/rows/<name>.parquet``; its bound twin reads
    ``../rows/<name>.parquet``. Groups are copied as they are. ``budgets`` maps a rows file stem
    to ``max_new_tokens``.
    """
    root = Path(root).resolve()
    target = root / TASKS_DIR
    target.mkdir(parents=True, exist_ok=True)
    for stale in target.glob("*.yaml"):
        stale.unlink()
    budgets = budgets or {}
    for source in sorted(packaged_task_folder().rglob("*.yaml")):
        if "sample" in source.relative_to(packaged_task_folder()).parts:
            continue
        config = read_task_yaml(source, resolve_includes=True)
        if "group" in config and "task" in config and isinstance(config["task"], list):
            (target / source.name).write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
            continue
        data_files = (config.get("dataset_kwargs") or {}).get("data_files")
        if not isinstance(data_files, dict) or "task" not in config:
            continue
        bound_files = {split: f"../{ROWS_DIR}/{Path(path).name}" for split, path in data_files.items()}
        bound: dict[str, Any] = {
            "include": str(source),
            "task": config["task"],
            "dataset_kwargs": {**config["dataset_kwargs"], "data_files": bound_files},
            "doc_to_visual": _FunctionTag(f"{BINDING_MODULE}.doc_to_visual"),
            "process_docs": _FunctionTag(f"{BINDING_MODULE}.process_docs"),
        }
        # rows/<task>.parquet and its variants (rows/<task>_lite.parquet) share the task's budget
        task_of_rows = Path(next(iter(data_files.values()))).stem.split("_")[0]
        if task_of_rows in budgets and isinstance(config.get("generation_kwargs"), dict):
            bound["generation_kwargs"] = {**config["generation_kwargs"], "max_new_tokens": int(budgets[task_of_rows])}
        text = "# Generated by `sarchat prepare` from the packaged task; regenerate, do not edit.\n"
        text += yaml.dump(bound, Dumper=_TaskYamlDumper, sort_keys=False, allow_unicode=True)
        (target / source.name).write_text(text, encoding="utf-8")
    (target / f"{BINDING_MODULE}.py").write_text(_BINDING_SOURCE, encoding="utf-8")
    return target
