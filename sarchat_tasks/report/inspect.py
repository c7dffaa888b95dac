"""``sarchat inspect``: a static HTML viewer of one run's samples, or of two runs side by side.

For every sample it shows the image (a thumbnail, the full picture a click away, both drawn by the
display rule of ``sarchat_tasks.images``), the reference and predicted boxes, the question, the raw
response, what the scorer read and the metric values with a one-line reason. What was read comes
from the scorer itself (``metrics.score_sample`` with a ``reading``), never from a second reader.

A run is whatever this suite wrote: an lmms-eval output folder or results file (eval, shards,
merge, rescore; each sample's row is reloaded from the prepared set, as ``rescore`` does), or the
JSON ``sarchat score`` printed (the prediction files its provenance names are read again and must
still have the SHA-256 it recorded). Answers are read in the run's recorded profile, frame and
conventions unless ``--profile``/``--frame``/``--conventions`` say otherwise.

Large runs are sampled by a stated rule (``--per-task``, docs/INSPECT.md): per task, the records
whose id hashes lowest (SHA-256 of ``task:id``), so that two runs on the same data keep the same
records; the header's scores and counts are always over every record of the run.

The folder written (``--out``, default ``<run folder>/inspect``) holds ``index.html``, ``img/``
and ``manifest.json``, committed as ``sarchat_tasks.outputs`` commits a set (never over files the
tool did not write).
"""

from __future__ import annotations

import argparse
import hashlib
import html
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sarchat_tasks.errors import SarchatError

INSPECT_FORMAT = "sarchat-inspect-1"
PAGE = "index.html"
IMAGES = "img"
MANIFEST = "manifest.json"
STAGING_PREFIX = ".partial-inspect-"
DEFAULT_PER_TASK = 300
THUMB_SIDE = 256  # longest side of a thumbnail, in pixels
FULL_SIDE = 2048  # longest side of the "full size" picture (the display rule's, downscaled past this)
POSITION_TASKS = ("description", "identification", "grounding")  # answers name 3x3 grid cells


class InspectError(SarchatError):
    """A run that cannot be shown; the message names the file and the record."""


@dataclass
class Run:
    """One run's samples, with what the page's header shows."""

    label: str
    path: Path
    kind: str
    provenance: dict[str, Any] | None
    reading: dict[str, str]  # profile, frame, conventions the answers were read in
    scores: dict[str, Any]  # task -> metrics over every record (as recorded)
    totals: dict[str, dict[str, int]]  # task -> records, parse failures, failed requests (every record)
    samples: list[dict[str, Any]] = field(default_factory=list)  # the records shown
    images: dict[str, Path] = field(default_factory=dict)  # image key -> file


def join_key(task: str, image: str, question: str) -> str:
    """How two runs' records are paired: task, image file name and question (the same record
    whether it was logged by lmms-eval or written by swift)."""
    return f"{task}|{Path(str(image).replace(chr(92), '/')).name}|{question.strip()}"


def sample_rank(task: str, record_id: str) -> str:
    """The sampling order: SHA-256 of ``task:id``; the lowest are kept."""
    return hashlib.sha256(f"{task}:{record_id}".encode()).hexdigest()


def sample_score(task: str, columns: dict[str, Any]) -> float | None:
    """One number per sample for sorting and filtering: the task score a_t of its Table 3 record
    alone (0-100), None when no column applies."""
    from sarchat_tasks.metrics import table_record, task_score

    return task_score([table_record(task, columns)])


def read_sample(
    task: str,
    subset: str,
    category: str | None,
    response: Any,
    reference: dict[str, Any],
    width: int,
    height: int,
    conventions,
) -> dict[str, Any]:
    """Score one response and keep what the scorer read (the same call ``sample_metrics`` makes)."""
    from sarchat_tasks.metrics import is_failed_request, score_sample

    failed = is_failed_request(response)
    reading: dict[str, Any] = {}
    columns, failure = score_sample(task, subset, "" if failed else response, reference, width, height,
                                    conventions, reading=reading)  # fmt: skip
    if failed:
        columns = dict.fromkeys(columns)
        reading = {"reason": "failed request: the backend got no answer (not scored)"}
    return {
        "columns": columns,
        "parse_failure": bool(failure) and not failed,
        "failed": failed,
        "reading": reading,
        "score": None if failed else sample_score(task, columns),
    }


def _reading_of(profile: str | None, frame: str, spec: str) -> tuple[Any, dict[str, str]]:
    from sarchat_tasks.cli import box_reading

    profile = profile or "sarchat"
    return box_reading(profile, spec, frame), {"profile": profile, "frame": frame or "native", "conventions": spec}


def _image_key(path: Path) -> str:
    return hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:16]


def _empty_totals() -> dict[str, int]:
    return {"records": 0, "parse_failures": 0, "failed_requests": 0}


def load_lmms_run(argument: str, tasks: set[str] | None, per_task: int, options: argparse.Namespace) -> list[Run]:
    """Every results file under ``argument`` (lmms-eval's layout) as a ``Run``."""
    from sarchat_tasks import provenance
    from sarchat_tasks.prepared import PreparedSetError
    from sarchat_tasks.results.run_logs import load_runs, read_rows, response_text, rows_file

    runs = []
    for run_file in load_runs([argument]):
        record = run_file.provenance
        recorded = record or {}
        frame = (
            options.frame
            or recorded.get("frame")
            or provenance.frame_text((run_file.raw.get("config") or {}).get("model_args"))
        )
        spec = (
            options.conventions
            or recorded.get("conventions")
            or (run_file.raw.get("sarchat_rescore") or {}).get("conventions")
            or ""
        )
        conventions, reading = _reading_of(options.profile or run_file.profile, frame, str(spec))
        run = Run(label=run_file.model, path=run_file.path, kind=recorded.get("kind", "lmms-eval"), provenance=record,
                  reading=reading, scores={}, totals={})  # fmt: skip
        for task, task_run in run_file.tasks.items():
            if tasks and task not in tasks:
                continue
            run.scores[task] = task_run.metrics
            if task_run.samples_path is None:
                continue
            log = task_run.samples()
            path = rows_file(task_run, options.data)
            try:
                rows = read_rows(path)
            except PreparedSetError as exc:
                raise InspectError(f"{exc} (pass --data with the prepared set the run used)") from exc
            root = path.parent.parent
            totals = run.totals.setdefault(task, _empty_totals())
            chosen = []
            for sample in log:
                doc_id = int(sample["doc_id"])
                if not 0 <= doc_id < len(rows):
                    raise InspectError(f"{task_run.samples_path} doc {doc_id}: {path} has only {len(rows)} rows; "
                                       "pass --data with the set the run used")  # fmt: skip
                row = rows[doc_id]
                response = response_text(sample)
                read = read_sample(task, row["subset"], row["category"], response, json.loads(row["reference"]),
                                   row["width"], row["height"], conventions)  # fmt: skip
                totals["records"] += 1
                totals["parse_failures"] += read["parse_failure"]
                totals["failed_requests"] += read["failed"]
                logged = {name: sample.get(name) for name in read["columns"] if name in sample}
                chosen.append((sample_rank(task, row["id"]), row, response, read, logged, root))
            for _, row, response, read, logged, root in _sampled(chosen, per_task):
                image = root / row["image"]
                key = _image_key(image)
                run.images[key] = image
                run.samples.append({
                    "id": row["id"], "task": task, "subset": row["subset"], "category": row["category"],
                    "join": join_key(task, row["image"], row["question"]), "image": key, "image_name": row["image"],
                    "width": row["width"], "height": row["height"], "question": row["question"],
                    "answer": row["answer"], "response": response, **read,
                    "logged_differs": bool(logged) and any(logged[k] != read["columns"][k] for k in logged),
                })  # fmt: skip
        runs.append(run)
    return runs


def _sampled(chosen: list[tuple], per_task: int) -> list[tuple]:
    """The records kept for the page: all when ``per_task`` is 0 or the task has no more, else the
    ``per_task`` whose rank (``sample_rank``) is lowest, shown in the run's order."""
    if per_task <= 0 or len(chosen) <= per_task:
        return chosen
    keep = {id(item) for item in sorted(chosen, key=lambda item: item[0])[:per_task]}
    return [item for item in chosen if id(item) in keep]


def load_score_run(path: Path, tasks: set[str] | None, per_task: int, options: argparse.Namespace) -> Run:
    """The JSON ``sarchat score`` printed: the prediction files its provenance names are read again."""
    from sarchat_tasks import provenance
    from sarchat_tasks.outputs import file_sha256
    from sarchat_tasks.prepare import PrepareError
    from sarchat_tasks.registry import primary_category
    from sarchat_tasks.results.score_files import read_predictions

    raw = json.loads(path.read_text(encoding="utf-8"))
    record = provenance.require(raw, path)
    files = list(((record.get("data") or {}).get("files_sha256") or {}).items())
    if not files:
        raise InspectError(f"{path}: its provenance names no prediction file")
    for name, digest in files:
        if not Path(name).is_file():
            raise InspectError(f"{path}: prediction file {name} is gone")
        if file_sha256(Path(name)) != digest:
            raise InspectError(f"{path}: prediction file {name} changed since it was scored (SHA-256 differs)")
    conventions, reading = _reading_of(options.profile or record.get("profile"), options.frame or record.get("frame") or "",
                                       options.conventions or record.get("conventions") or "")  # fmt: skip
    label = Path(files[0][0]).parent.name or path.stem
    run = Run(label=label, path=path, kind="score", provenance=record, reading=reading,
              scores={t: m for t, m in raw.items() if isinstance(m, dict) and t != provenance.KEY}, totals={})  # fmt: skip
    chosen: dict[str, list] = {}
    try:
        for item in read_predictions([Path(name) for name, _ in files], options.images, options.vlmeval_dataset):
            if tasks and item.task not in tasks:
                continue
            category = primary_category(item.task, item.reference)
            response = item.record.response if isinstance(item.record.response, str) else ""
            read = read_sample(item.task, item.subset, category, response, item.reference, item.width, item.height,
                               conventions)  # fmt: skip
            totals = run.totals.setdefault(item.task, _empty_totals())
            totals["records"] += 1
            totals["parse_failures"] += read["parse_failure"]
            totals["failed_requests"] += read["failed"]
            record_id = f"{Path(item.source).stem}:{item.record.index}"
            chosen.setdefault(item.task, []).append(
                (sample_rank(item.task, record_id), item, category, response, read, record_id)
            )
    except PrepareError as exc:
        raise InspectError(str(exc)) from exc
    for task, items in chosen.items():
        for _, item, category, response, read, record_id in _sampled(items, per_task):
            key = _image_key(item.image)
            run.images[key] = item.image
            run.samples.append({
                "id": record_id, "task": task, "subset": item.subset, "category": category,
                "join": join_key(task, item.record.image, item.record.question), "image": key,
                "image_name": item.record.image, "width": item.width, "height": item.height,
                "question": item.record.question, "answer": item.record.answer, "response": response, **read,
                "logged_differs": False,
            })  # fmt: skip
    return run


def load_inspected(argument: str, tasks: set[str] | None, per_task: int, options: argparse.Namespace) -> Run:
    """One run from the command line: a ``sarchat score`` JSON, or one lmms-eval results file or
    folder holding exactly one (a folder with several names them)."""
    from sarchat_tasks import provenance

    path = Path(argument)
    if path.is_file() and not path.name.endswith("_results.json"):
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InspectError(f"{path}: not a results file: {exc}") from exc
        if isinstance(raw, dict) and (raw.get(provenance.KEY) or {}).get("kind") == "score":
            return load_score_run(path, tasks, per_task, options)
    runs = [run for run in load_lmms_run(argument, tasks, per_task, options) if run.scores]
    if not runs:
        raise InspectError(
            f"{argument}: no SARChat task in its results" + (f" among {', '.join(sorted(tasks))}" if tasks else "")
        )
    if len(runs) > 1:
        names = "\n  ".join(f"{run.path} ({run.label})" for run in runs)
        raise InspectError(f"{argument} holds {len(runs)} runs; inspect one results file:\n  {names}")
    if not runs[0].samples:
        raise InspectError(f"{runs[0].path}: no sample log (run lmms-eval with --log_samples)")
    return runs[0]


# ---------------------------------------------------------------------------------------------
# Writing the folder
# ---------------------------------------------------------------------------------------------


def write_images(images: dict[str, Path], folder: Path, max_pixels: int) -> dict[str, str]:
    """Thumbnail and full-size JPEGs of each image, by key; returns key -> problem for those that
    could not be drawn (the card says so)."""
    from PIL import Image

    from sarchat_tasks.images import load_display_rgb

    folder.mkdir(parents=True, exist_ok=True)
    problems = {}
    for key, path in images.items():
        try:
            picture = load_display_rgb(path, max_pixels)
        except (OSError, ValueError) as exc:
            problems[key] = f"{path}: {exc}"
            continue
        full = picture.copy()
        full.thumbnail((FULL_SIDE, FULL_SIDE), Image.Resampling.LANCZOS)
        full.save(folder / f"{key}.jpg", quality=88)
        picture.thumbnail((THUMB_SIDE, THUMB_SIDE), Image.Resampling.LANCZOS)
        picture.save(folder / f"{key}_t.jpg", quality=80)
    return problems


def page_data(runs: list[Run], problems: dict[str, str], per_task: int) -> dict[str, Any]:
    """What the page's script reads: the runs' headers and the cards (one per record of the first
    run; with two runs, the second's reading of the same record beside it)."""
    from sarchat_tasks import provenance
    from sarchat_tasks.registry import TASKS

    def header(run: Run) -> dict[str, Any]:
        return {"label": run.label, "path": str(run.path), "kind": run.kind, "reading": run.reading,
                "provenance": provenance.summary(run.provenance), "scores": run.scores, "totals": run.totals}  # fmt: skip

    def side(sample: dict[str, Any]) -> dict[str, Any]:
        keep = ("response", "columns", "parse_failure", "failed", "reading", "score", "logged_differs")
        return {k: sample[k] for k in keep}

    others = [{s["join"]: s for s in run.samples} for run in runs[1:]]
    cards = []
    for sample in runs[0].samples:
        twins = [other.get(sample["join"]) for other in others]
        if others and any(t is None for t in twins):
            continue  # side by side shows the records both runs answered
        common = {k: sample[k] for k in ("id", "task", "subset", "category", "image", "image_name", "width",
                                         "height", "question", "answer")}  # fmt: skip
        common["image_problem"] = problems.get(sample["image"])
        common["grid"] = sample["task"] in POSITION_TASKS
        common["runs"] = [side(sample), *(side(t) for t in twins)]
        cards.append(common)
    columns = {task: list(spec.column_names) for task, spec in TASKS.items()}
    return {"runs": [header(run) for run in runs], "cards": cards, "columns": columns, "per_task": per_task}


def render_page(data: dict[str, Any]) -> str:
    from sarchat_tasks.report.inspect_page import PAGE_TEMPLATE

    title = " vs ".join(run["label"] for run in data["runs"])
    # "</" inside the JSON would end the script element early
    payload = json.dumps(data, separators=(",", ":"), allow_nan=False).replace("</", "<\\/")
    return PAGE_TEMPLATE.replace("{{TITLE}}", html.escape(title)).replace("{{DATA}}", payload)


def write_inspection(runs: list[Run], out: Path, per_task: int, max_pixels: int) -> dict[str, Any]:
    """Write the viewer folder; returns the manifest."""
    import secrets

    from sarchat_tasks import outputs

    try:
        replace = outputs.check_output(out, (PAGE, IMAGES, MANIFEST), INSPECT_FORMAT, force=False)
    except ValueError as exc:
        raise InspectError(str(exc)) from exc
    out.mkdir(parents=True, exist_ok=True)
    try:
        with outputs.writer_lock(out):
            outputs.remove_leftovers(out, STAGING_PREFIX)
            token = secrets.token_hex(4)
            staging = out / f"{STAGING_PREFIX}{token}"
            staging.mkdir()
            images: dict[str, Path] = {}
            for run in runs:
                images.update(run.images)
            started = time.perf_counter()
            problems = write_images(images, staging / IMAGES, max_pixels)
            data = page_data(runs, problems, per_task)
            (staging / PAGE).write_text(render_page(data), encoding="utf-8")
            manifest = {"format": INSPECT_FORMAT, "runs": [str(run.path) for run in runs], "cards": len(data["cards"]),
                        "images": len(images), "image_problems": len(problems), "per_task": per_task,
                        "seconds": round(time.perf_counter() - started, 2)}  # fmt: skip
            (staging / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
            outputs.commit(staging, out, replace, token)
            staging.rmdir()
    except outputs.FolderBusy as exc:
        raise InspectError(str(exc)) from exc
    return manifest


def default_out(run_path: Path) -> Path:
    """``<run folder>/inspect``: where ``sarchat report`` looks for a run's viewer."""
    return Path(run_path).parent / "inspect"


def viewer_of(results: Path) -> Path | None:
    """The viewer page ``sarchat inspect`` wrote at its default place for this results file (its
    manifest names the file as the first run), else None."""
    folder = default_out(results)
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    runs = manifest.get("runs") if isinstance(manifest, dict) else None
    if manifest.get("format") != INSPECT_FORMAT or not runs or Path(runs[0]).resolve() != Path(results).resolve():
        return None
    return (folder / PAGE).resolve() if (folder / PAGE).is_file() else None


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("runs", nargs="+", metavar="RUN",
                        help="an lmms-eval results file or run folder, or the JSON sarchat score printed; "
                             "two RUNs show the second beside the first")  # fmt: skip
    parser.add_argument("--compare", metavar="RUN", help="a second run shown beside the first (same as a second RUN)")
    parser.add_argument("--task", action="append", default=[], help="only this task (repeatable)")
    parser.add_argument("--out", type=Path, help="output folder (default: <first run's folder>/inspect)")
    parser.add_argument("--per-task", type=int, default=DEFAULT_PER_TASK,
                        help=f"records shown per task, chosen by the stated rule (default {DEFAULT_PER_TASK}; 0: all)")  # fmt: skip
    parser.add_argument(
        "--data", type=Path, help="the prepared set the runs used (default: the one their config names)"
    )
    parser.add_argument("--images", type=Path, help="folder a score's relative image paths are under")
    parser.add_argument("--vlmeval-dataset", action="append", type=Path, default=[], metavar="TSV",
                        help="as for sarchat score: the VLMEvalKit dataset TSV a scored .xlsx/.tsv answers")  # fmt: skip
    parser.add_argument("--profile", help="model profile to read the answers in (default: the run's)")
    parser.add_argument(
        "--frame", default="", help="resized frame of a qwen2_5_vl profile: 'min_pixels=N,max_pixels=N'"
    )
    parser.add_argument(
        "--conventions", default="", help="box conventions changed from the profile's, e.g. 'list=unit'"
    )


def run(args: argparse.Namespace) -> int:
    from sarchat_tasks.images import DEFAULT_MAX_PIXELS
    from sarchat_tasks.registry import TASKS

    arguments = [*args.runs, *([args.compare] if args.compare else [])]
    if len(arguments) > 2:
        raise InspectError(f"inspect shows one run, or two side by side; got {len(arguments)}")
    unknown = sorted(set(args.task) - set(TASKS))
    if unknown:
        raise InspectError(f"--task: unknown task(s) {', '.join(unknown)}; known: {', '.join(TASKS)}")
    tasks = set(args.task) or None
    runs = [load_inspected(argument, tasks, args.per_task, args) for argument in arguments]
    out = args.out or default_out(runs[0].path)
    for run_ in runs:
        if out.resolve() in run_.path.resolve().parents and out.resolve() != run_.path.resolve().parent:
            raise InspectError(f"--out {out} holds the run {run_.path}: choose another folder")
    manifest = write_inspection(runs, out, args.per_task, DEFAULT_MAX_PIXELS)
    print(f"{out / PAGE}: {manifest['cards']} cards, {manifest['images']} images"
          + (f", {manifest['image_problems']} images not drawn" if manifest["image_problems"] else ""))  # fmt: skip
    if manifest["image_problems"]:
        print(f"sarchat inspect: warning: {manifest['image_problems']} images could not be drawn (named on their cards)",
              file=sys.stderr)  # fmt: skip
    return 0
