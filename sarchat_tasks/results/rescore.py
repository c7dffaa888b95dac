"""``sarchat rescore``: recompute every metric from lmms-eval sample logs, without the model.

For a metric fix, or to read a model's boxes under another coordinate convention
(``--conventions list=unit``), the logged responses are scored again against the prepared rows
they were asked about (``doc_id`` = row index; the row's image and answer must match the log's
``input_media`` and ``target``, so a log is never scored against the wrong data). The output is
lmms-eval's own layout, ``OUT/<run>/<date>_results.json`` plus one ``<date>_samples_<task>.jsonl``
per task, with a newer ``date``, so ``sarchat report`` reads it like any run and prefers it to the
original. The results record what was rescored, from where, and with which conventions.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import re
import sys
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sarchat_tasks import __version__, provenance
from sarchat_tasks.cli import box_reading, progress
from sarchat_tasks.errors import EXIT_USAGE, SarchatError
from sarchat_tasks.metrics import aggregate_metrics, row_metrics
from sarchat_tasks.prepared import PreparedSetError
from sarchat_tasks.registry import TASKS
from sarchat_tasks.results.run_logs import (
    VARIANTS,
    RunFile,
    TaskRun,
    installed_versions,
    lmms_task_name,
    load_runs,
    read_rows,
    response_text,
    rows_file,
    sample_image,
)
from sarchat_tasks.scoring import average_score
from sarchat_tasks.utils.boxes import BoxConventions


class RescoreError(SarchatError):
    """A sample log that cannot be rescored; the message names the file and the document."""


def rescore_task(
    task_run: TaskRun, data: Path | None = None, conventions: BoxConventions | None = None
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Rescore one task's sample log: returns (metrics, rescored log records). Raises
    ``RescoreError`` unless the log covers the documents the run evaluated exactly once."""
    log = task_run.samples()
    check_coverage(task_run, log)
    path = rows_file(task_run, data)
    try:
        rows = read_rows(path)
    except PreparedSetError as exc:
        raise RescoreError(f"{exc} (pass --data with the prepared set the run used)") from exc
    records = []
    for sample in log:
        doc_id = int(sample["doc_id"])
        where = f"{task_run.samples_path} doc {doc_id}"
        if not 0 <= doc_id < len(rows):
            raise RescoreError(f"{where}: {path} has only {len(rows)} rows; pass --data with the set the run used")
        row = rows[doc_id]
        image = sample_image(sample, task_run.task)
        if "input_media" in sample and image != row["image"]:
            raise RescoreError(f"{where}: logged image {image!r} but row {doc_id} of {path} is {row['image']!r}")
        if "target" in sample and sample["target"] != row["answer"]:
            raise RescoreError(f"{where}: the logged target differs from row {doc_id} of {path}")
        rescored = dict(sample)
        rescored.update(row_metrics(row, response_text(sample), conventions))
        records.append(rescored)
    return aggregate_metrics(task_run.task, records), records


def check_coverage(task_run: TaskRun, log: list[dict[str, Any]]) -> None:
    """Raise unless the log holds one sample per document the results file counts (its
    ``n-samples``), each ``doc_id`` once: a cut, emptied or duplicated log is never rescored."""
    name = lmms_task_name(task_run.task, task_run.run.variant)
    expected = task_run.n_effective
    if expected is None:
        raise RescoreError(f"{task_run.run.path}: no n-samples for {name}; cannot tell whether its log is whole")
    ids = Counter(sample["doc_id"] for sample in log)
    repeated = sorted(doc for doc, n in ids.items() if n > 1)
    if len(log) != expected or repeated:
        detail = f"; doc_id {', '.join(map(str, repeated[:5]))} more than once" if repeated else ""
        raise RescoreError(
            f"{task_run.samples_path}: the sample log of {name} does not cover the run's documents exactly once: "
            f"expected {expected} samples (n-samples of {task_run.run.path.name}), found {len(log)}{detail}"
        )


def _metric_block(old: dict[str, Any], metrics: dict[str, Any], filter_name: str) -> dict[str, Any]:
    block = {"alias": old.get("alias")} if "alias" in old else {}
    for name, value in metrics.items():
        block[f"{name},{filter_name}"] = value
        block[f"{name}_stderr,{filter_name}"] = "N/A"
    return block


def rescore_run(
    run: RunFile,
    out: Path,
    data: Path | None = None,
    conventions: BoxConventions | None = None,
    spec: str = "",
    profile: str | None = None,
    frame: str | None = None,
) -> Path:
    """Rescore every task of one results file that has a sample log; write lmms-eval's layout
    into ``out`` and return the new results file. Raises ``RescoreError`` if no task can be."""
    rescored: dict[str, tuple[dict[str, Any], list[dict[str, Any]]]] = {}
    skipped = []
    for task, task_run in run.tasks.items():
        if task_run.samples_path is None:
            skipped.append(task)
            continue
        rescored[task] = rescore_task(task_run, data, conventions)
    if not rescored:
        raise RescoreError(f"{run.path}: no sample logs to rescore (the run needs --log_samples)")
    raw = copy.deepcopy(run.raw)
    now, date = _run_date(run)
    installed = installed_versions()
    variant = run.variant
    # A task without a log cannot be rescored, and the other variant's tasks are rescored into
    # their own file: leave both out rather than copy old numbers.
    dropped = [lmms_task_name(t, variant) for t in skipped]
    dropped += [lmms_task_name(t, other) for t in TASKS for other in VARIANTS if other != variant]
    for name in dropped:
        raw["results"].pop(name, None)
        for key in ("versions", "n-samples", "configs", "n-shot", "higher_is_better", "task_hashes"):
            if isinstance(raw.get(key), dict):
                raw[key].pop(name, None)
    for task, (metrics, _) in rescored.items():
        name = lmms_task_name(task, variant)
        raw["results"][name] = _metric_block(raw["results"][name], metrics, run.tasks[task].filter)
        raw.setdefault("versions", {})[name] = installed.get(task, run.tasks[task].version)
    scores = {t: m["avg_score"] for t, (m, _) in rescored.items()}
    sizes = {t: len(records) for t, (_, records) in rescored.items()}
    for group, subtasks in (raw.get("group_subtasks") or {}).items():
        if not subtasks:  # lmms-eval lists each task asked for on its own as a "group" of none
            continue
        members = [t for t in TASKS if lmms_task_name(t, variant) in subtasks and t in rescored]
        if group in raw["results"] and not members:
            raw["results"].pop(group)
            if isinstance(raw.get("groups"), dict):
                raw["groups"].pop(group, None)
        elif group in raw["results"]:
            value = average_score({t: scores[t] for t in members}, sizes)
            block = {"avg_score,none": value, "avg_score_stderr,none": "N/A", "alias": group}
            raw["results"][group] = block
            if isinstance(raw.get("groups"), dict) and group in raw["groups"]:
                raw["groups"][group] = dict(block)
    if not any(lmms_task_name(task, variant) in raw["results"] for task in rescored):
        raise RescoreError(f"{run.path}: nothing was rescored")
    raw["date"] = date
    raw["sarchat_rescore"] = {
        "source": str(run.path),
        "data": str(data) if data else None,
        "conventions": spec,
        "profile": profile or run.profile,
        "skipped_tasks": skipped,
        "sarchat_version": __version__,
        "time": now.isoformat(timespec="seconds"),
    }
    target = Path(out) / f"{run.path.parent.name}_{run.path.name[: -len('_results.json')]}{variant}"
    target.mkdir(parents=True, exist_ok=True)
    # the sample logs first, the results file last, each whole or not at all: a killed rescore
    # never leaves a complete-looking results file beside cut logs (a partial name matches no reader)
    logs = {}
    for task, (_, records) in rescored.items():
        log = logs[lmms_task_name(task, variant)] = target / f"{date}_samples_{lmms_task_name(task, variant)}.jsonl"
        partial = target / f".{log.name}.partial"
        with open(partial, "w", encoding="utf-8") as handle:
            for record in records:
                handle.write(json.dumps(record, default=str) + "\n")
        os.replace(partial, log)
    source = run.provenance or {}
    model_args = (raw.get("config") or {}).get("model_args")
    record = provenance.make_record(
        "rescore",
        data=provenance.data_record(rows_file(next(iter(run.tasks.values())), data).parent.parent),
        model=(source.get("model") or {}).get("name") or (raw.get("config") or {}).get("model"),
        model_args=(source.get("model") or {}).get("model_args") or (model_args if isinstance(model_args, str) else ""),
        profile=profile or run.profile,
        frame=frame if frame is not None else source.get("frame", ""),
        generation=source.get("generation") or provenance.generation_record(raw),
        samples=provenance.samples_record(logs),
        parents=[source["run_id"]] if source.get("run_id") else [],
        source=str(run.path),
        conventions=spec,
    )
    results = target / f"{date}_results.json"
    provenance.write_results(results, provenance.attach(raw, record))  # the results last
    return results


def _run_date(run: RunFile) -> tuple[datetime, str]:
    """Now, in the time zone lmms-eval wrote the source's ``date`` in (its ``--timezone``), and
    never earlier than that date: the rescored results must sort after the run they replace."""
    zone = ((run.raw.get("config") or {}).get("resolved_cli_args") or {}).get("timezone")
    try:
        now = datetime.now(ZoneInfo(zone)) if zone else datetime.now()
    except (ZoneInfoNotFoundError, ValueError):
        now = datetime.now()
    date = now.strftime("%Y%m%d_%H%M%S")
    if re.fullmatch(r"\d{8}_\d{6}", run.date) and date <= run.date:
        date = (datetime.strptime(run.date, "%Y%m%d_%H%M%S") + timedelta(seconds=1)).strftime("%Y%m%d_%H%M%S")
    return now, date


def check_rescore_output(out: Path, runs: list[str]) -> None:
    """``--out`` can be a folder and is not a run read, inside one or above one: rescored files
    there would be read again as runs by the next report or rescore."""
    from sarchat_tasks.outputs import check_folder_path, check_not_input

    try:
        check_folder_path(out)
        check_not_input(out, [Path(run) for run in runs if Path(run).exists()])
    except ValueError as exc:
        raise RescoreError(str(exc)) from exc


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("runs", nargs="+", metavar="RUN", help="lmms-eval output folders or results files")
    parser.add_argument(
        "--data", type=Path, help="the prepared set the runs used (default: the one their config names)"
    )
    parser.add_argument("--profile", help="model profile to read the answers in (default: the run's, from its --model)")
    parser.add_argument(
        "--frame", default="", help="resized frame of a qwen2_5_vl profile: 'min_pixels=N,max_pixels=N'"
    )
    parser.add_argument(
        "--conventions", default="", help="box conventions changed from the profile's, e.g. 'list=unit'"
    )
    parser.add_argument("--out", type=Path, default=Path("rescored"), help="output folder (default ./rescored)")


def run(args: argparse.Namespace) -> int:
    box_reading(args.profile or "generic", args.conventions, args.frame)  # a bad option fails before any run
    check_rescore_output(args.out, args.runs)
    runs = load_runs(args.runs)
    status = 0
    written_any = False
    for run_file in progress(runs, desc="rescore", unit="run", disable=len(runs) < 2):
        try:
            profile = args.profile or run_file.profile
            conventions = box_reading(profile, args.conventions, args.frame)
            written = rescore_run(
                run_file, args.out, args.data, conventions, args.conventions, profile, args.frame or None
            )
        except (SarchatError, OSError) as exc:
            print(f"sarchat rescore: error: {exc}", file=sys.stderr)
            status = EXIT_USAGE
            continue
        skipped = json.loads(written.read_text(encoding="utf-8"))["sarchat_rescore"]["skipped_tasks"]
        note = f" (no sample log, left out: {', '.join(skipped)})" if skipped else ""
        print(f"{run_file.path} -> {written}{note}")
        written_any = True
    if not written_any:
        raise RescoreError(f"rescored nothing: no SARChat task with a sample log in {', '.join(args.runs)}")
    return status
