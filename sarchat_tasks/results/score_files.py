"""``sarchat score``: score prediction files in the official inference output format.

The original repository runs ``swift infer``, which writes one record per sample with the
conversation (``messages``/``images``), the model's ``response`` and the reference ``labels``,
as a JSON array or JSON lines. Its inference script cuts each test file into chunks of 10,000
records, answers chunk N into ``<stem>/chunk_N_results.jsonl`` (JSON lines) and merges them into
``<stem>_final_results.jsonl`` (one JSON array despite the suffix); ``sarchat score`` takes that
output folder whole (``prediction_files``). The task and subset come from the official file name
(a chunk's from its folder), else from the question's tag; image sizes come from the images (``--images``) or from a prepared set
(``--data``), since boxes are scored in pixels. The metric code is the one the lmms-eval hooks use.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sarchat_tasks.cli import box_reading
from sarchat_tasks.errors import SarchatError
from sarchat_tasks.images import DEFAULT_MAX_PIXELS
from sarchat_tasks.metrics import score_records
from sarchat_tasks.official import SWIFT_CHUNK_RE, task_of_file
from sarchat_tasks.prepare import PrepareError, ReadRecord, add_max_pixels_argument, read_records, resolve_image
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


FINAL_SUFFIX = "_final_results"


def _stem_key(path: Path) -> str:
    """The input file a prediction file answers: ``X_test_final_results.jsonl`` and ``X_test.json``
    both answer ``X_test``."""
    return path.name.rsplit(".", 1)[0].removesuffix(FINAL_SUFFIX)


def _chunk_results(folder: Path) -> tuple[dict[int, Path], list[int]]:
    """A swift chunk folder's result files by chunk number, and the chunks that have none: every
    chunk whose input ``chunk_N.jsonl`` lies there, and every number between the lowest and the
    highest seen, lacking its ``chunk_N_results.jsonl``."""
    results: dict[int, Path] = {}
    inputs: set[int] = set()
    for path in folder.iterdir():
        match = SWIFT_CHUNK_RE.fullmatch(path.name)
        if not match or not path.is_file():
            continue
        if match.group(2):
            results[int(match.group(1))] = path
        else:
            inputs.add(int(match.group(1)))
    seen = inputs | set(results)
    expected = inputs | set(range(min(seen), max(seen) + 1)) if seen else set()
    return dict(sorted(results.items())), sorted(expected - set(results))


def prediction_files(paths: list[Path], *, partial: bool = False) -> tuple[list[Path], dict[str, list[int]]]:
    """The files to score, each once, and the chunks missing per folder (only with ``partial``).

    A file is taken as given. A folder is read as the official inference script leaves its output:
    its own ``.json``/``.jsonl`` files (``<stem>_final_results.jsonl``), and, for an input whose merged
    file is absent (a run cut short), the ``chunk_N_results.jsonl`` files of its ``<stem>/`` folder.
    Refused, since each would change a score silently: two different files answering the same input
    (or chunk), a merged file given beside chunks of the same input, and missing chunks unless
    ``partial``."""
    # (input stem, chunk number or None for a whole file) -> file
    chosen: dict[tuple[str, int | None], Path] = {}
    missing: dict[str, list[int]] = {}

    def take(key: tuple[str, int | None], path: Path) -> None:
        earlier = chosen.get(key)
        if earlier is not None and earlier.resolve() != path.resolve():
            raise ScoreError(f"{earlier} and {path} both hold predictions for {key[0]}; pass one of them")
        chosen[key] = path

    def chunk_key(path: Path) -> tuple[str, int]:
        return path.resolve().parent.name, int(SWIFT_CHUNK_RE.fullmatch(path.name).group(1))

    folders = []
    for path in map(Path, paths):
        if path.is_dir():
            folders.append(path)
            files = [f for f in sorted(path.iterdir()) if f.is_file() and f.suffix in (".json", ".jsonl")]
        else:
            files = [path]
        for file in files:
            if SWIFT_CHUNK_RE.fullmatch(file.name):
                if file.parent.resolve() in {f.resolve() for f in folders} or not file.name.endswith("_results.jsonl"):
                    continue  # a folder's own chunk inputs, or an input chunk (no answers)
                take(chunk_key(file), file)
            else:
                take((_stem_key(file), None), file)
    for folder in folders:
        # the output folder's per-input folders, or one such folder given itself
        for sub in [folder, *sorted(p for p in folder.iterdir() if p.is_dir())]:
            sub = sub.resolve()
            if (sub.name, None) in chosen:
                continue  # the merged file holds every chunk's answers
            results, absent = _chunk_results(sub)
            if absent and not partial:
                names = ", ".join(f"chunk_{n}_results.jsonl" for n in absent)
                raise ScoreError(
                    f"{sub}: the run was cut short: no {names} and no {sub.name}{FINAL_SUFFIX}.jsonl; "
                    "rerun those chunks, or pass --partial to score the chunks present"
                )
            if absent:
                missing[str(sub)] = absent
            for number, result in results.items():
                take((sub.name, number), result)
    whole = {stem for stem, number in chosen if number is None}
    for stem, number in chosen:
        if number is not None and stem in whole:
            raise ScoreError(
                f"{chosen[stem, None]} and {chosen[stem, number]} both hold predictions for {stem} "
                "(the merged file and one of its chunks); pass one of them"
            )
    if not chosen:
        raise ScoreError(f"no prediction file in {', '.join(str(p) for p in paths)}")
    return list(chosen.values()), missing


def read_predictions(
    paths: list[Path], images_root: Path | None, vlmeval_datasets: list[Path] = (), max_pixels: int = DEFAULT_MAX_PIXELS
) -> Iterator[ReadRecord]:
    """The records of prediction files: swift's JSON (array or lines) and VLMEvalKit's tables
    (``.xlsx``, ``.tsv``; their image sizes from ``vlmeval_datasets`` where they carry no picture)."""
    from sarchat_tasks.results.vlmevalkit import dataset_image_sizes, is_vlmevalkit_file, read_vlmevalkit, sizes_for

    resolve = image_resolver(images_root)
    sizes = dataset_image_sizes(vlmeval_datasets, resolve) if vlmeval_datasets else {}
    # swift's files in one pass (their record ids are checked unique across files), then VLMEvalKit's;
    # only the images' sizes are read: an image the display rule would refuse is still scored
    swift = [path for path in paths if not is_vlmevalkit_file(path)]
    yield from read_records(swift, images_root, resolve=resolve, max_pixels=max_pixels, shown=False)
    for path in paths:
        if is_vlmevalkit_file(path):
            yield from read_vlmevalkit(Path(path), resolve, sizes_for(path, sizes))


def score_files(
    paths: list[Path],
    images_root: Path | None = None,
    conventions: BoxConventions | None = None,
    vlmeval_datasets: list[Path] = (),
    max_pixels: int = DEFAULT_MAX_PIXELS,
    allow_empty: bool = False,
) -> dict[str, Any]:
    """Metrics per task plus the suite's ``avg_score``, all in percent. Only the images' sizes are
    read (from their headers): an image the display rule would refuse is still scored. A file
    without a record raises ``ScoreError`` (it would leave its task out of avg_score), unless
    ``allow_empty``: then ``empty_files`` names it and the task it stands for."""
    samples: dict[str, list] = defaultdict(list)
    per_file = dict.fromkeys(map(Path, paths), 0)
    try:
        for read in read_predictions(paths, images_root, vlmeval_datasets, max_pixels):
            per_file[Path(read.source)] = per_file.get(Path(read.source), 0) + 1
            if read.record.response is None:
                kind = read.record.response_kind
                raise ScoreError(
                    f"{read.where}: no 'response' field"
                    if kind == "missing"
                    else f"{read.where}: its 'response' is {kind}, not the model's answer as text"
                )
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
    parser.add_argument(
        "files",
        nargs="+",
        type=Path,
        help="prediction files: swift's JSON array or JSON lines, VLMEvalKit's .xlsx or .tsv; "
        "or the official inference script's output folder",
    )
    parser.add_argument(
        "--vlmeval-dataset",
        action="append",
        type=Path,
        default=[],
        metavar="TSV",
        help="the VLMEvalKit dataset TSV that .xlsx/.tsv predictions answer (their pictures; repeatable)",
    )
    parser.add_argument(
        "--partial",
        action="store_true",
        help="score a folder whose run was cut short (chunks without results); the output lists the missing chunks",
    )
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
    add_max_pixels_argument(parser)
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

    conventions = box_reading(args.profile, args.conventions, args.frame)
    files, missing = prediction_files(args.files, partial=args.partial)
    metrics = score_files(
        files, args.images, conventions, args.vlmeval_dataset, args.max_image_pixels, allow_empty=args.allow_empty
    )
    if missing:
        metrics["missing_chunks"] = missing
        for folder, chunks in missing.items():
            print(
                f"sarchat score: warning: {folder}: chunks {', '.join(map(str, chunks))} have no results",
                file=sys.stderr,
            )
    metrics[KEY] = score_record(files, metrics, args.profile, args.frame, args.conventions)
    json.dump(metrics, sys.stdout, indent=2)
    print()
    return 0
