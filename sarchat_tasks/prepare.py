"""``sarchat prepare``: official SARChat test files -> the prepared set the lmms-eval tasks load.

Each record's reference answer is parsed here, once, into the structure scoring compares against,
and the image size is read from the image header, so that scoring a run needs neither. Every image
is stored once under DIR/images (hard-linked when the file system allows, else copied), however
many records use it. Bad input stops the run with a message naming the file and the record;
nothing is written outside DIR, and DIR is only changed once everything has been read and written
to a staging folder inside it.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import shutil
import tempfile
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sarchat_tasks import __version__
from sarchat_tasks.cli import progress
from sarchat_tasks.errors import SarchatError
from sarchat_tasks.images import DEFAULT_MAX_PIXELS, ImageRefused, display_problem, display_rule, open_image
from sarchat_tasks.lite import LITE_SUFFIX, select_lite
from sarchat_tasks.official import (
    SWIFT_CHUNK_RE,
    OfficialFormatError,
    OfficialRecord,
    read_official_file,
    task_of_file,
    task_of_question,
)
from sarchat_tasks.prepared import FORMAT_NAME, FORMAT_VERSION, IMAGES_DIR, MANIFEST, ROW_COLUMNS, ROWS_DIR, TASKS_DIR
from sarchat_tasks.registry import TASKS, parse_reference, primary_category
from sarchat_tasks.scoring import ReferenceAnswerError
from sarchat_tasks.task_folder import distinct_budgets, estimate_tokens, generation_budget, write_task_folder


class PrepareError(SarchatError):
    """Input that cannot be prepared; the message names the file and the record."""


def resolve_image(image: str, images_root: Path) -> Path:
    """The image file under ``images_root`` that a record names.

    A relative path is taken under the root and must stay inside it. An absolute path (the
    original files name images on their authors' machines) is used when it lies under the root,
    else its longest tail that exists under the root is used. Containment is checked on the
    normalised path, not the resolved one, so an image folder that is a symbolic link to another
    disk is still inside the root; ``..`` cannot leave it. Nothing outside the root is read.
    """
    return _resolve_image(image, os.path.abspath(images_root))


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


@functools.lru_cache(maxsize=1 << 16)  # identification alone has about 15 records per image
def _resolve_image(image: str, root: str) -> Path:
    if "\x00" in image:
        raise PrepareError(f"image path {image!r} holds a NUL byte")
    path = image.replace("\\", "/")
    if not os.path.isabs(path):
        candidate = os.path.normpath(os.path.join(root, path))
        if not _inside(candidate, root):
            raise PrepareError(f"image path {image!r} escapes the images root {root}")
        return Path(candidate)
    normal = os.path.normpath(path)
    if _inside(normal, root):
        return Path(normal)
    parts = Path(normal).parts[1:]
    for start in range(len(parts)):
        candidate = os.path.join(root, *parts[start:])
        if os.path.isfile(candidate):
            return Path(candidate)
    raise PrepareError(f"image path {image!r} lies outside the images root {root} and no tail of it exists there")


def image_size(path: Path, max_pixels: int = DEFAULT_MAX_PIXELS, shown: bool = True) -> tuple[int, int]:
    """The image's size from its header; refuses an image over ``max_pixels`` and, when the set
    will show it to a model (``shown``), one the display rule cannot show (``sarchat_tasks.images``)."""
    from PIL import UnidentifiedImageError

    try:
        with open_image(path, max_pixels) as image:
            problem = display_problem(image) if shown else None
            size = image.size
    except FileNotFoundError as exc:
        raise PrepareError(f"image {path} does not exist") from exc
    except ImageRefused as exc:
        raise PrepareError(f"image {path} is refused: {exc}") from exc
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise PrepareError(f"image {path} cannot be read: {exc}") from exc
    if problem is not None:
        raise PrepareError(f"image {path} is refused: {problem}")
    return size


def _subset_of(task: str, file_subset: str | None, reference: dict[str, Any], where: str) -> str:
    """The record's subset: none for a task without subsets, else the file name's, else the task's
    rule (one object or several); a task with no such rule needs its official file name."""
    spec = TASKS[task]
    if not spec.subsets:
        return ""
    subset = file_subset or spec.subset_of(reference)
    if subset is None:
        names = " or ".join(spec.official_files)
        raise PrepareError(f"{where}: cannot tell multi from single for a {task} record; name the file {names}")
    return subset


@dataclass(frozen=True)
class ReadRecord:
    """One official record, read and checked: its task and subset, parsed reference, image file
    and size. ``where`` names the file and record for messages."""

    source: Path
    record: OfficialRecord
    task: str
    subset: str
    reference: dict[str, Any]
    image: Path
    width: int
    height: int
    where: str


def record_id(source: Path, index: int) -> str:
    """A record's id in the prepared rows: its file's name and its index in the file. A swift chunk
    file (``STEM/chunk_3_results.jsonl``) is named by its folder too: every input's chunks share
    the names ``chunk_N_results``."""
    source = Path(source)
    if SWIFT_CHUNK_RE.fullmatch(source.name):
        return f"{source.parent.name}/{source.stem}:{index}"
    return f"{source.stem}:{index}"


def read_records(
    sources: list[Path],
    images_root: Path | None,
    resolve: Callable[[str, Path], Path] | None = None,
    *,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    shown: bool = True,
) -> Iterator[ReadRecord]:
    """Every record of the official files, checked as ``sarchat prepare`` and ``sarchat score``
    need it; raises ``PrepareError`` naming the file and record. Image sizes come from the image
    headers, read once per image, each refused over ``max_pixels`` and, when ``shown`` (a set a
    model will see), when the display rule cannot show it. ``resolve(image, source file)`` finds
    an image (default: under ``images_root`` only, ``resolve_image``)."""
    sizes: dict[Path, tuple[int, int]] = {}
    seen: dict[str, str] = {}  # record id -> where it was read first
    for source in sources:
        file_task, file_subset = task_of_file(source)
        try:
            records = read_official_file(source)
        except OfficialFormatError as exc:
            raise PrepareError(str(exc)) from exc
        for record in records:
            where = f"{source} record {record.index}"
            identifier = record_id(source, record.index)
            if identifier in seen:  # the same file twice (overlapping globs), or two files of one name
                raise PrepareError(f"duplicate record id {identifier}: {seen[identifier]} and {where}")
            seen[identifier] = where
            task = file_task or task_of_question(record.question)
            try:
                image = resolve(record.image, source) if resolve else resolve_image(record.image, images_root)
                if image not in sizes:
                    sizes[image] = image_size(image, max_pixels, shown)
            except PrepareError as exc:
                raise PrepareError(f"{where}: {exc}") from exc
            yield checked_record(source, record, task, file_subset, image, *sizes[image], where)


def checked_record(
    source: Path, record: OfficialRecord, task: str, file_subset: str | None, image: Path, width: int, height: int,
    where: str,
) -> ReadRecord:  # fmt: skip
    """One record with its reference parsed and checked against its image size, and its subset."""
    try:
        reference = parse_reference(task, record.answer, width, height, record.question)
    except ReferenceAnswerError as exc:
        raise PrepareError(f"{where}: {exc}") from exc
    if TASKS[task].asks_category and reference["category"] is None:
        raise PrepareError(f"{where}: the question names no known category: {record.question!r}")
    subset = _subset_of(task, file_subset, reference, where)
    return ReadRecord(source, record, task, subset, reference, image, int(width), int(height), where)


def read_sources(
    sources: list[Path], images_root: Path, max_pixels: int = DEFAULT_MAX_PIXELS
) -> tuple[dict[str, list[dict[str, Any]]], dict[str, Path]]:
    """Rows per task, and the image files they use (relative path under DIR/images -> source)."""
    rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
    images: dict[str, Path] = {}
    root = Path(os.path.abspath(images_root))
    for read in read_records(sources, root, max_pixels=max_pixels):
        relative = read.image.relative_to(root).as_posix()
        images[relative] = read.image
        rows[read.task].append(
            {
                "id": record_id(read.source, read.record.index),
                "task": read.task,
                "subset": read.subset,
                "question": read.record.question,
                "answer": read.record.answer,
                "image": f"{IMAGES_DIR}/{relative}",
                "width": read.width,
                "height": read.height,
                "category": primary_category(read.task, read.reference) or "",
                "reference": json.dumps(read.reference, separators=(",", ":")),
            }
        )
    return rows, images


def _store_image(source: Path, target: Path, link: bool) -> None:
    """Store an image by its content: a symbolic link is followed to its target (``os.link`` would
    hard-link the link itself, which dangles once it lies elsewhere)."""
    try:
        source = Path(os.path.realpath(source, strict=True))
    except OSError as exc:
        raise PrepareError(f"image {source} cannot be stored: {exc}") from exc
    target.parent.mkdir(parents=True, exist_ok=True)
    if link:
        try:
            os.link(source, target)
            return
        except OSError:
            pass  # another file system, or links not allowed: copy instead
    shutil.copy2(source, target)


def write_rows(path: Path, rows: list[dict[str, Any]]) -> None:
    """One task's rows as Parquet (columns ``ROW_COLUMNS``)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({name: [row[name] for row in rows] for name in ROW_COLUMNS})
    pq.write_table(table, path, compression="zstd")


OUTPUT_NAMES: tuple[str, ...] = (MANIFEST, ROWS_DIR, IMAGES_DIR, TASKS_DIR)
# what a build adds beside a prepared set; replaced with it, so that no stale part outlives it
BUILD_NAMES: tuple[str, ...] = ("official", "build_report.json")
NO_RECORDS = "none of the source files holds a record of this task"


def empty_task_reasons(manifest: dict[str, Any]) -> dict[str, str]:
    """Why each of the six tasks a set has no records for is empty (from its manifest)."""
    reasons = manifest.get("empty_tasks") or {}
    return {task: reasons.get(task, NO_RECORDS) for task in TASKS if task not in (manifest.get("tasks") or {})}


def write_rows_and_manifest(
    root: Path,
    rows: dict[str, list[dict[str, Any]]],
    images: int,
    sources: list[str],
    created_by: str = "",
    *,
    empty: dict[str, str] | None = None,
    final_root: Path | None = None,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> dict[str, Any]:
    """Write each task's rows and its lite subset under ``root/rows``, the task folder bound to
    ``final_root`` (where ``root`` will lie; ``root`` itself by default) and, last, the manifest,
    with the generation budget measured on the task's reference answers (distinct across tasks:
    ``task_folder.distinct_budgets``); ``empty`` says why the tasks without rows have none.
    Returns the manifest."""
    (root / ROWS_DIR).mkdir(parents=True, exist_ok=True)
    tasks: dict[str, Any] = {}
    for task in TASKS:
        if task not in rows:
            continue
        write_rows(root / ROWS_DIR / f"{task}.parquet", rows[task])
        longest = max(estimate_tokens(row["answer"]) for row in rows[task])
        lite = select_lite(rows[task])  # the fixed lite subset (sarchat_tasks.lite, docs/LITE.md)
        write_rows(root / ROWS_DIR / f"{task}{LITE_SUFFIX}.parquet", lite)
        tasks[task] = {
            "rows": len(rows[task]),
            "subsets": dict(sorted(Counter(row["subset"] for row in rows[task]).items())),
            "file": f"{ROWS_DIR}/{task}.parquet",
            "longest_reference_tokens": longest,
            "max_new_tokens": generation_budget(longest),  # made distinct across tasks below
            "lite_rows": len(lite),
            "lite_file": f"{ROWS_DIR}/{task}{LITE_SUFFIX}.parquet",
        }
    budgets = distinct_budgets({task: info["max_new_tokens"] for task, info in tasks.items()})
    for task, budget in budgets.items():
        tasks[task]["max_new_tokens"] = budget
    manifest = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "created_by": created_by or f"sarchat-bench {__version__}",
        "tasks": tasks,
        **({"empty_tasks": empty} if empty else {}),  # absent when every task has records
        "records": sum(len(r) for r in rows.values()),
        "images": images,
        "image_rule": display_rule(max_pixels),  # how doc_to_visual shows every image (images.py)
        "sources": sources,
    }
    # the binding must point at DIR (or where the caller moves it), not at the staging folder
    write_task_folder(root, budgets, final_root=Path(final_root) if final_root else root)
    (root / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


def prepare(
    sources: list[Path],
    images_root: Path,
    out: Path,
    *,
    link_images: bool = True,
    force: bool = False,
    final_root: Path | None = None,
    empty_reasons: dict[str, str] | None = None,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> dict[str, Any]:
    """Prepare official test files for the tasks; returns the manifest written to ``out``.

    ``out`` is checked before anything is read (``sarchat_tasks.outputs``: never a file the tool
    did not write is replaced, a foreign non-empty folder only with ``force``); the set is written
    to a staging folder inside it and committed with the manifest last. ``final_root`` is where
    ``out`` will lie when a caller moves it (``sarchat build`` prepares into its own staging
    folder); ``empty_reasons`` says why a task may have no records."""
    from sarchat_tasks.outputs import FolderBusy, check_output, writer_lock

    sources = [Path(s) for s in sources]
    missing = [str(s) for s in sources if not s.is_file()]
    if missing:
        raise PrepareError(f"no such file: {', '.join(missing)}")
    if not sources:
        raise PrepareError("no source files given")
    images_root = Path(images_root)
    if not images_root.is_dir():
        raise PrepareError(f"images root {images_root} is not a directory")
    out = Path(out)
    try:
        replace = check_output(out, OUTPUT_NAMES, FORMAT_NAME, force)
    except ValueError as exc:
        raise PrepareError(str(exc)) from exc
    if replace and (out / BUILD_NAMES[1]).is_file():
        replace += [name for name in BUILD_NAMES if (out / name).exists()]
    rows, images = read_sources(sources, images_root, max_pixels)
    try:
        out.mkdir(parents=True, exist_ok=True)
        with writer_lock(out):
            return _write_set(out, rows, images, sources, replace, link_images, final_root, empty_reasons, max_pixels)
    except FolderBusy as exc:
        raise PrepareError(str(exc)) from exc
    except OSError as exc:  # a read-only or full disk
        raise PrepareError(f"cannot write the set into {out}: {exc}") from exc


def _write_set(out, rows, images, sources, replace, link_images, final_root, empty_reasons, max_pixels):
    from sarchat_tasks.outputs import SET_STAGING_PREFIX, commit, remove_leftovers

    remove_leftovers(out)
    staging = Path(tempfile.mkdtemp(prefix=SET_STAGING_PREFIX, dir=out))
    try:
        (staging / ROWS_DIR).mkdir()
        for relative, source in progress(images.items(), desc="images", unit="image", total=len(images)):
            _store_image(source, staging / IMAGES_DIR / relative, link_images)
        empty = {task: (empty_reasons or {}).get(task, NO_RECORDS) for task in TASKS if task not in rows}
        manifest = write_rows_and_manifest(
            staging,
            rows,
            len(images),
            [s.name for s in sources],
            empty=empty,
            final_root=final_root or out,
            max_pixels=max_pixels,
        )
        commit(staging, out, replace, staging.name[len(SET_STAGING_PREFIX) :])
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return manifest


def collect_sources(paths: list[Path]) -> list[Path]:
    """Files as given; a directory contributes its ``*.json`` and ``*.jsonl`` files."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.iterdir() if p.suffix in (".json", ".jsonl") and p.is_file()))
        else:
            found.append(path)
    return found


def _pixel_limit(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number of pixels, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def add_max_pixels_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--max-image-pixels", type=_pixel_limit, default=DEFAULT_MAX_PIXELS, metavar="N",
        help=f"refuse images over N pixels, a guard against decompression bombs (default {DEFAULT_MAX_PIXELS:,}, "
             "PIL's own limit); recorded in the manifest",
    )  # fmt: skip


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("sources", nargs="+", type=Path, help="official test files, or folders holding them")
    parser.add_argument("--images", required=True, type=Path, help="root the records' image paths are under")
    parser.add_argument("--out", required=True, type=Path, help="prepared set to write (created if needed)")
    parser.add_argument("--copy", action="store_true", help="copy images instead of hard-linking them")
    parser.add_argument(
        "--force",
        action="store_true",
        help="write into a non-empty folder that is not a prepared set (its files are kept)",
    )
    add_max_pixels_argument(parser)


def run(args: argparse.Namespace) -> int:
    manifest = prepare(
        collect_sources(args.sources),
        args.images,
        args.out,
        link_images=not args.copy,
        force=args.force,
        max_pixels=args.max_image_pixels,
    )
    for task, info in manifest["tasks"].items():
        print(f"{task:15s} {info['rows']:8d} rows  {info['subsets']}  max_new_tokens={info['max_new_tokens']}")
    for task, reason in empty_task_reasons(manifest).items():
        print(f"{task:15s}        0 rows  no records: {reason}")
    print(f"{manifest['records']} records, {manifest['images']} images -> {Path(args.out).resolve()}")
    print(f"run with: sarchat eval --data {args.out} --model ... --tasks sarchat")
    return 0
