"""``sarchat build``: rebuild SARChat-Bench-2M from SARDet-100K.

The official SARChat-Bench files (arXiv 2502.08168) are no longer downloadable, but their source,
SARDet-100K, is public in COCO format and the paper states how the records were made from it.
This command applies those rules (``build_rules``) with this project's template banks
(``data/templates.yaml``) and writes, into ``DIR``:

* ``DIR/official/``: the nine official test files and ``SARChat_train.json`` (every task mixed),
  in the official record format, image paths relative to the SARDet-100K root;
* the prepared set the lmms-eval tasks load (``manifest.json``, ``rows/``, ``images/``, ``tasks/``),
  made from the test files by ``sarchat_tasks.prepare.prepare`` exactly as ``sarchat prepare`` would;
* ``DIR/build_report.json``: inputs, seed, template bank digest, records per file, and every
  skipped annotation counted by reason with the first examples.

Nothing is written outside ``DIR``, and ``DIR`` never holds a half-built set: everything is
written into ``DIR/.partial-build-*`` first and moved into place only once the whole build,
preparation included, has succeeded; on any error the partial folder is removed. The same
annotations, template bank and seed give byte-identical files. No image is decoded: the
annotations carry every image size, and only the folder listings are read.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from sarchat_tasks import __version__
from sarchat_tasks.build.coco import IMAGES_DIR, SKIP_REASONS, BuildError, SplitSource, annotation_file, read_split
from sarchat_tasks.build.records import MIXED_FILES, TEST_FILES, RecordRenderer, write_split
from sarchat_tasks.build.templates import default_templates_path, load_templates
from sarchat_tasks.prepared import IMAGES_DIR as PREPARED_IMAGES_DIR
from sarchat_tasks.prepared import MANIFEST, ROWS_DIR, TASKS_DIR
from sarchat_tasks.utils.vocabulary import CATEGORIES

__all__ = ["OFFICIAL_DIR", "REPORT", "SPLITS", "BuildError", "build", "register", "run"]

SPLITS: tuple[str, ...] = ("test", "train", "val")
OFFICIAL_DIR = "official"
REPORT = "build_report.json"
REPORT_FORMAT = "sarchat-build-report"
REPORT_VERSION = 1
PARTIAL_PREFIX = ".partial-build-"
REPLACED_PREFIX = ".replaced-build-"
# Everything a build puts at the top of DIR; an existing one is replaced only under --force.
EMPTY_REASONS = {
    "description": "no test image of at least 224x224 px has an object over 1 % of its area (the paper's "
    "description filters; docs/DATASET.md)",
}
OUTPUT_NAMES: tuple[str, ...] = (OFFICIAL_DIR, REPORT, MANIFEST, ROWS_DIR, PREPARED_IMAGES_DIR, TASKS_DIR)


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def parse_splits(text: str) -> list[str]:
    """``"test,train"`` -> ``["test", "train"]``; unknown or repeated names raise BuildError."""
    splits = [s.strip() for s in text.split(",") if s.strip()]
    unknown = [s for s in splits if s not in SPLITS]
    if not splits or unknown or len(set(splits)) != len(splits):
        raise BuildError(f"--splits must list distinct names from {', '.join(SPLITS)}, got {text!r}")
    return splits


def _is_own(out: Path) -> bool:
    """Whether ``out`` holds a build or a prepared set this tool wrote."""
    from sarchat_tasks.outputs import is_own_folder
    from sarchat_tasks.prepared import FORMAT_NAME

    if is_own_folder(out, FORMAT_NAME):
        return True
    try:
        report = json.loads((out / REPORT).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(report, dict) and report.get("format") == REPORT_FORMAT


def _check_output(out: Path, force: bool) -> list[str]:
    """The existing entries of DIR a build would replace; raises unless ``force``. A folder that
    is not a build of this tool is never written over: with its own entries of the build's names
    it is refused, and when it holds other files it needs ``force`` (they are kept)."""
    from sarchat_tasks.outputs import check_folder_path

    try:
        check_folder_path(out)
    except ValueError as exc:
        raise BuildError(str(exc)) from exc
    existing = [name for name in OUTPUT_NAMES if (out / name).exists() or (out / name).is_symlink()]
    own = out.is_dir() and _is_own(out)
    if existing and not own:
        raise BuildError(
            f"{out} is not a set written by sarchat but holds {', '.join(existing)}; sarchat never replaces files "
            "it did not write: choose another --out"
        )
    if existing and not force:
        raise BuildError(
            f"{out} already holds {', '.join(existing)}; pass --force to replace them (or choose another --out)"
        )
    others = [p.name for p in out.iterdir() if not p.name.startswith(".")] if out.is_dir() else []
    if others and not own and not force:
        raise BuildError(
            f"{out} is not empty and not a set written by sarchat; pass --force to build beside its files "
            "(they are kept), or choose another --out"
        )
    stale = sorted(p.name for p in out.glob(PARTIAL_PREFIX + "*")) if out.is_dir() else []
    if stale:
        _stderr(f"note: {out} holds unfinished builds from earlier runs ({', '.join(stale)}); they can be removed")
    return existing


def _commit(partial: Path, out: Path, existing: list[str], token: str) -> None:
    """Move the finished build from ``partial`` into ``out``, the manifest last, setting aside what
    it replaces first (``sarchat_tasks.outputs.commit``)."""
    from sarchat_tasks.outputs import commit

    try:
        commit(partial, out, existing, token)
    except OSError as exc:
        raise BuildError(
            f"could not move the finished build from {partial} into {out} ({exc}); the set there is incomplete "
            "and refused until a build or prepare completes"
        ) from exc
    partial.rmdir()


def _split_report(source: SplitSource, records: dict[str, Any]) -> dict[str, Any]:
    per_category = Counter(inst.category for image in source.images for inst in image.instances)
    return {
        "annotation_file": f"Annotations/{source.annotation_file.name}",
        "images_listed": source.listed_images,
        "annotations_listed": source.listed_annotations,
        "images_used": len(source.images),
        "instances_used": source.instance_count,
        "instances_per_category": {c: per_category[c] for c in CATEGORIES},
        "skipped": source.issues.skipped(),
        "issues": source.issues.as_report(),
        "records": sum(records["files"].values()),
        "files": records["files"],
        "tasks": records["tasks"],
    }


def build(
    sardet_root: Path | str,
    out: Path | str,
    *,
    splits: Sequence[str] = ("test", "train"),
    seed: int = 0,
    templates: Path | str | None = None,
    strict: bool = False,
    force: bool = False,
    prepare_layout: bool = True,
    link_images: bool = True,
    log: Callable[[str], None] = _stderr,
    max_pixels: int | None = None,
) -> dict[str, Any]:
    """Build SARChat-Bench from the SARDet-100K tree at ``sardet_root`` into ``out``; returns the
    build report (also written to ``out/build_report.json``). Raises ``BuildError`` (input that
    cannot be built from, named precisely) or ``TemplateError`` (a bad template bank); on any
    error ``out`` is left as it was."""
    root = Path(sardet_root)
    out = Path(out)
    splits = list(splits)
    if not splits or any(s not in SPLITS for s in splits) or len(set(splits)) != len(splits):
        raise BuildError(f"splits must be distinct names from {', '.join(SPLITS)}, got {splits}")
    existing = _check_output(out, force)
    if not root.is_dir():
        raise BuildError(f"SARDet-100K root {root} is not a directory")
    missing = [str(annotation_file(root, s)) for s in splits if not annotation_file(root, s).is_file()]
    if missing:
        raise BuildError(f"annotation file(s) not found: {', '.join(missing)} (expected ROOT/Annotations/<split>.json)")
    bank = load_templates(templates)

    created_out = not out.exists()
    out.mkdir(parents=True, exist_ok=True)
    token = uuid.uuid4().hex[:12]
    partial = out / f"{PARTIAL_PREFIX}{token}"
    partial.mkdir()
    try:
        started = time.perf_counter()
        sources: dict[str, SplitSource] = {}
        for split in splits:  # read and check every split before writing anything
            log(f"reading {annotation_file(root, split)}")
            sources[split] = read_split(root, split, strict=strict)
            skipped = sources[split].issues.skipped()
            if skipped:
                log(f"  {split}: {skipped} entries skipped (see {REPORT})")
        official = partial / OFFICIAL_DIR
        official.mkdir()
        split_reports = {}
        for split in splits:
            source = sources.pop(split)  # let each split's objects go once written
            if not source.images:
                raise BuildError(f"{source.annotation_file}: no image with a usable annotation; nothing to build")
            t0 = time.perf_counter()
            records = write_split(source.images, RecordRenderer(bank, seed, split), split, official)
            split_reports[split] = _split_report(source, records)
            total = split_reports[split]["records"]
            log(f"  {split}: {total:,} records from {len(source.images):,} images in {time.perf_counter() - t0:.1f} s")
        prepared = None
        if prepare_layout and "test" in splits:
            from sarchat_tasks.prepare import PrepareError, prepare

            log("preparing the test files for the lmms-eval tasks")
            test_files = [official / name for name in TEST_FILES.values()]
            try:
                manifest = prepare(
                    test_files, root, partial, link_images=link_images, force=True, final_root=out,
                    empty_reasons=EMPTY_REASONS, **({"max_pixels": max_pixels} if max_pixels else {}),
                )  # fmt: skip
            except PrepareError as exc:
                # Name the files where they would have landed: the partial folder is about to go.
                message = str(exc).replace(str(partial), str(out))
                raise BuildError(f"preparing the built test files failed: {message}") from exc
            prepared = {"records": manifest["records"], "images": manifest["images"],
                        "empty_tasks": manifest.get("empty_tasks", {})}  # fmt: skip
        report = {
            "format": REPORT_FORMAT,
            "format_version": REPORT_VERSION,
            "created_by": f"sarchat-bench {__version__}",
            "sardet_root": str(root.resolve()),
            "splits": splits,
            "seed": seed,
            "templates": {
                "source": "packaged" if templates is None else str(templates),
                "sha256": bank.digest,
                "question_templates": bank.question_counts(),
                "identification_questions_per_instance": bank.questions_per_instance,
            },
            "official_dir": OFFICIAL_DIR,
            "split_details": split_reports,
            "prepared": prepared,
        }
        (partial / REPORT).write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        _commit(partial, out, existing, token)
        log(f"built in {time.perf_counter() - started:.1f} s")
        return report
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        if created_out:
            try:
                out.rmdir()  # only if still empty: a failed build leaves no trace
            except OSError:
                pass
        raise


def summary_lines(report: dict[str, Any], out: Path) -> list[str]:
    """What ``sarchat build`` prints after a successful build."""
    lines = []
    for split, detail in report["split_details"].items():
        lines.append(
            f"{split}: {detail['images_used']:,} of {detail['images_listed']:,} images, "
            f"{detail['instances_used']:,} objects -> {detail['records']:,} records"
        )
        for name, count in detail["files"].items():
            lines.append(f"  {OFFICIAL_DIR}/{name:40s} {count:>10,}")
        for reason, issue in detail["issues"].items():
            marker = "skipped" if reason in SKIP_REASONS else "note:"
            lines.append(f"  {marker} {issue['count']:,} {issue['what']}; first: {issue['examples'][0]}")
    if report["prepared"]:
        lines.append(
            f"prepared set: {report['prepared']['records']:,} records, {report['prepared']['images']:,} images"
        )
        for task, reason in (report["prepared"].get("empty_tasks") or {}).items():
            lines.append(f"  {task}: no records: {reason}")
    lines.append(f"wrote {out} (report: {out / REPORT})")
    lines.append(f"compare with the paper: sarchat stats {out}")
    return lines


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("sardet_root", type=Path, metavar="SARDET_ROOT",
                        help=f"SARDet-100K root holding Annotations/<split>.json and {IMAGES_DIR}/<split>/")  # fmt: skip
    parser.add_argument("--out", required=True, type=Path, metavar="DIR", help="where to write (created if needed)")
    parser.add_argument("--splits", default="test,train",
                        help=f"comma-separated splits from {', '.join(SPLITS)} (default: test,train); test gives the "
                             f"nine official test files, train {MIXED_FILES['train']}")  # fmt: skip
    parser.add_argument("--seed", type=int, default=0, help="seed of the template choice (default 0)")
    parser.add_argument("--templates", type=Path, default=None,
                        help=f"template bank to use instead of the packaged {default_templates_path().name}")  # fmt: skip
    parser.add_argument(
        "--strict", action="store_true", help="stop at the first annotation or image that would be skipped"
    )
    parser.add_argument("--force", action="store_true", help="replace a build already in DIR")
    parser.add_argument("--official-only", action="store_true",
                        help="write the official files only, not the prepared set the lmms-eval tasks load")  # fmt: skip
    parser.add_argument("--copy", action="store_true", help="copy images into the prepared set instead of hard-linking")
    from sarchat_tasks.prepare import add_max_pixels_argument

    add_max_pixels_argument(parser)


def run(args: argparse.Namespace) -> int:
    report = build(
        args.sardet_root,
        args.out,
        splits=parse_splits(args.splits),
        seed=args.seed,
        templates=args.templates,
        strict=args.strict,
        force=args.force,
        prepare_layout=not args.official_only,
        link_images=not args.copy,
        max_pixels=args.max_image_pixels,
    )
    for line in summary_lines(report, Path(args.out)):
        print(line)
    return 0
