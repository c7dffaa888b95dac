"""``sarchat score``: score prediction files in the official inference output format.

The original repository runs ``swift infer``, which writes one record per sample with the
conversation (``messages``/``images``), the model's ``response`` and the reference ``labels``,
as a JSON array or JSON lines. The task and subset come from the official file name, else from
the question's tag; image sizes come from the images (``--images``) or from a prepared set
(``--data``), since boxes are scored in pixels. The metric code is the one the lmms-eval hooks use.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

from sarchat_tasks.cli import box_reading
from sarchat_tasks.errors import SarchatError
from sarchat_tasks.metrics import score_records
from sarchat_tasks.official import task_of_file
from sarchat_tasks.prepare import PrepareError, read_records, resolve_image
from sarchat_tasks.registry import TASKS, primary_category
from sarchat_tasks.scoring import average_score
from sarchat_tasks.utils.boxes import BoxConventions


class ScoreError(SarchatError):
    """A prediction file that cannot be scored; the message names the file and the record."""


def image_resolver(images_root: Path | None):
    """How ``sarchat score`` finds a record's image: an absolute path that exists is used as it
    is (swift writes absolute paths); a relative one is looked up under ``--images``, else the
    predictions file's folder, else the working directory. An absolute path that does not exist
    falls back to its longest tail under ``--images`` (files made on another machine)."""

    def resolve(image: str, source: Path) -> Path:
        if "\x00" in image:
            raise PrepareError(f"image path {image!r} holds a NUL byte")
        path = Path(image.replace("\\", "/"))
        if path.is_absolute():
            if path.is_file():
                return path
            if images_root is not None:
                return resolve_image(image, images_root)
            raise PrepareError(f"image {path} does not exist (pass --images with the folder the images now lie in)")
        bases = [images_root] if images_root is not None else []
        bases += [Path(source).parent, Path.cwd()]
        for base in bases:
            candidate = Path(base) / path
            if candidate.is_file():
                return candidate
        raise PrepareError(f"image {image!r} found under none of {', '.join(str(b) for b in bases)}")

    return resolve


def score_files(
    paths: list[Path],
    images_root: Path | None = None,
    conventions: BoxConventions | None = None,
    allow_empty: bool = False,
) -> dict[str, Any]:
    """Metrics per task plus the suite's ``avg_score``, all in percent. A file without a record
    raises ``ScoreError`` (it would leave its task out of avg_score), unless ``allow_empty``: then
    ``empty_files`` names it and the task it stands for."""
    samples: dict[str, list] = defaultdict(list)
    per_file = dict.fromkeys(map(Path, paths), 0)
    try:
        for read in read_records(paths, images_root, resolve=image_resolver(images_root)):
            per_file[Path(read.source)] = per_file.get(Path(read.source), 0) + 1
            if read.record.response is None:
                raise ScoreError(f"{read.where}: no 'response' field")
            category = primary_category(read.task, read.reference)
            samples[read.task].append(
                (read.subset, read.record.response, read.reference, read.width, read.height, category)
            )
    except PrepareError as exc:
        raise ScoreError(str(exc)) from exc
    empty = [path for path, count in per_file.items() if count == 0]
    if empty and not allow_empty:
        raise ScoreError(
            f"{empty[0]}: no records; its task would silently leave avg_score (pass --allow-empty to score the "
            "other files, the empty ones named in the output)"
        )
    metrics: dict[str, Any] = {}
    for task in TASKS:
        if task in samples:
            metrics[task] = score_records(task, samples[task], conventions)
    metrics["avg_score"] = average_score(
        {t: m["avg_score"] for t, m in metrics.items()}, {t: m["samples"] for t, m in metrics.items()}
    )
    if empty:
        metrics["empty_files"] = {str(path): task_of_file(path)[0] for path in empty}
    return metrics


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", type=Path, help="prediction files (JSON array or JSON lines)")
    parser.add_argument(
        "--images",
        type=Path,
        help="folder relative image paths are under (default: the predictions file's folder, then the working one)",
    )
    parser.add_argument("--profile", default="sarchat",
                        help="model profile the answers are read in (sarchat profiles; default: sarchat)")  # fmt: skip
    parser.add_argument(
        "--frame", default="", help="resized frame of a qwen2_5_vl profile: 'min_pixels=N,max_pixels=N'"
    )
    parser.add_argument(
        "--conventions", default="", help="box conventions changed from the profile's, e.g. 'list=unit'"
    )
    parser.add_argument("--allow-empty", action="store_true",
                        help="score the other files when one holds no record (named under empty_files)")  # fmt: skip


def score_record(paths: list[Path], metrics: dict[str, Any], profile: str, frame: str, spec: str) -> dict[str, Any]:
    """The provenance record of a score: the prediction files' SHA-256 (the data: references and
    answers together), the profile, frame and conventions the answers were read in, the samples per task."""
    import hashlib

    from sarchat_tasks import provenance
    from sarchat_tasks.outputs import file_sha256

    hashes = {str(path): file_sha256(path) for path in paths}
    digest = hashlib.sha256("".join(f"{h}\n" for h in sorted(hashes.values())).encode()).hexdigest()
    samples = {task: {"samples": m["samples"]} for task, m in metrics.items() if task in TASKS}
    return provenance.make_record(
        "score",
        data={"fingerprint": digest, "files_sha256": hashes},
        model=None,
        model_args=None,
        profile=profile,
        frame=frame,
        generation={},
        samples=samples,
        conventions=spec,
    )


def run(args: argparse.Namespace) -> int:
    from sarchat_tasks.provenance import KEY

    metrics = score_files(
        args.files, args.images, box_reading(args.profile, args.conventions, args.frame), args.allow_empty
    )
    metrics[KEY] = score_record(args.files, metrics, args.profile, args.frame, args.conventions)
    json.dump(metrics, sys.stdout, indent=2)
    print()
    return 0
