"""Sharded, resumable runs: ``sarchat eval --shards N`` / ``--shard I/N`` and ``sarchat merge OUT``.

lmms-eval 0.7.3 stores a run's responses only when every request has returned, so a run killed at
90 % keeps nothing. Here the records of the requested tasks are cut into N shards, each run by its
own lmms-eval (through ``sarchat_tasks.run.launcher``), and a shard counts only once its results
and sample logs are checked and its ``done.json`` is written, last, by an atomic rename. A rerun
skips the complete shards, so a kill loses at most the shards that were running. The shards'
sample logs are then joined into one results file in lmms-eval's layout, its metrics computed
from the per-sample values in record order by the task YAMLs' own aggregations, so they equal an
unsharded run's to the last digit.

Shard I of N holds rows ``[I * n // N, (I + 1) * n // N)`` of every task (n its row count), so the
shards are of equal size whatever the mix of tasks. Layout under the run's ``--output_path OUT``::

    OUT/sarchat-shards/plan.json                  the set, tasks, row counts, N, lmms-eval arguments
    OUT/sarchat-shards/0003-of-0008/tasks/        generated task folder of the shard
    OUT/sarchat-shards/0003-of-0008/lmms/         lmms-eval's --output_path for the shard
    OUT/sarchat-shards/0003-of-0008/lmms-eval.log lmms-eval's error stream
    OUT/sarchat-shards/0003-of-0008/done.json     written last: the shard is complete
    OUT/<date>_results.json, OUT/<date>_samples_<task>.jsonl   the merged run

``sarchat report`` and ``sarchat rescore`` read the merged run and ignore ``sarchat-shards/``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from sarchat_tasks.cli import progress
from sarchat_tasks.errors import SarchatError
from sarchat_tasks.lite import LITE_SUFFIX
from sarchat_tasks.metrics import aggregate_metrics
from sarchat_tasks.outputs import file_sha256
from sarchat_tasks.provenance import count_lines
from sarchat_tasks.registry import LMMS_TASK_PREFIX
from sarchat_tasks.run.launcher import Launch, LaunchError, RunContext, failed_requests, launch, option
from sarchat_tasks.task_folder import FunctionTag, bundled_sample, dump_task_yaml, read_task_yaml

SHARDS_DIR = "sarchat-shards"
PLAN = "plan.json"
DONE = "done.json"
MERGED = "merged.json"
BINDING = "sarchat_shard"
PLAN_FORMAT = "sarchat-shards"
PLAN_LOCK = ".plan.lock"
# lmms-eval arguments that would change which records a shard answers, or where it writes
_REFUSED = ("--limit", "--offset", "--include_path", "--tasks", "--output_path")


class ShardError(SarchatError):
    """A sharded run that cannot go on as asked; the message names the shard and the file."""


def shard_name(index: int, count: int) -> str:
    return f"{index:04d}-of-{count:04d}"


def shard_slice(index: int, count: int, rows: int) -> tuple[int, int]:
    """Rows ``[start, stop)`` of a task of ``rows`` records in shard ``index`` of ``count``."""
    return index * rows // count, (index + 1) * rows // count


def parse_shard(text: str) -> tuple[int, int]:
    """``"3/8"`` -> ``(3, 8)``; shards are numbered from 0."""
    try:
        index, count = (int(part) for part in text.split("/"))
    except ValueError:
        raise ShardError(f"--shard {text!r}: expected I/N, e.g. 0/8 (shards are numbered from 0)") from None
    if count < 1 or not 0 <= index < count:
        raise ShardError(f"--shard {text!r}: I must be in 0..N-1 and N at least 1")
    return index, count


def _atomic_json(path: Path, data: Any) -> None:
    partial = path.with_name(f".{path.name}.partial-{os.getpid()}")
    with open(partial, "w", encoding="utf-8") as handle:
        handle.write(json.dumps(data, indent=2, sort_keys=True) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(partial, path)


def _read_json(path: Path, what: str) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ShardError(f"{path}: unreadable {what}: {exc}") from exc
    if not isinstance(data, dict):
        raise ShardError(f"{path}: unreadable {what}: not a JSON object")
    return data


# ---------------------------------------------------------------------------------------------
# The plan: which tasks, how many rows each, how many shards
# ---------------------------------------------------------------------------------------------


def _folder_configs(folder: Path) -> dict[str, tuple[Path, dict[str, Any]]]:
    configs = {}
    for path in sorted(folder.glob("*.yaml")):
        config = read_task_yaml(path)
        for key in ("task", "group"):
            if isinstance(config.get(key), str):
                configs[config[key]] = (path, config)
    return configs


def leaf_tasks(folder: Path, tasks: list[str]) -> tuple[list[str], dict[str, list[str]]]:
    """The tasks behind the names asked for (groups expanded, in their order) and the groups."""
    configs = _folder_configs(folder)
    leaves: list[str] = []
    groups: dict[str, list[str]] = {}

    def visit(name: str) -> None:
        if name not in configs:
            raise ShardError(f"--tasks {name}: not a SARChat task of {folder}; only SARChat tasks can be sharded")
        _, config = configs[name]
        if config.get("group") == name and isinstance(config.get("task"), list):
            groups[name] = [str(t) for t in config["task"]]
            for member in groups[name]:
                visit(member)
        elif name not in leaves:
            leaves.append(name)

    for name in tasks:
        visit(name)
    return leaves, groups


def task_rows(folder: Path, root: Path, task: str) -> Path:
    """The prepared rows file a task of the folder reads, located in the set at ``root``."""
    path, _ = _folder_configs(folder)[task]
    config = read_task_yaml(path, resolve_includes=True)
    data_files = (config.get("dataset_kwargs") or {}).get("data_files")
    if not isinstance(data_files, dict) or "test" not in data_files:
        raise ShardError(f"{path}: the task names no test rows file; it cannot be sharded")
    return root / "rows" / Path(str(data_files["test"])).name


def make_plan(folder: Path, data: Path | None, extra: list[str], count: int, context: RunContext) -> dict[str, Any]:
    """The plan of a sharded run: everything that decides its numbers (the data set's
    fingerprint, tasks and rows, each task's generation settings, the lmms-eval arguments, the
    profile and frame), which every shard and the merge must agree on; ``plan_sha256`` names it."""
    from sarchat_tasks.prepared import PreparedSet

    refused = [a for a in _REFUSED if a not in ("--tasks", "--output_path") and option(extra, a) is not None]
    if refused:
        raise ShardError(f"{', '.join(refused)} cannot be combined with sharding: the shards choose the records")
    root = PreparedSet(data).root if data is not None else bundled_sample().resolve()
    names = [t for t in (option(extra, "--tasks") or "sarchat").split(",") if t]
    leaves, groups = leaf_tasks(folder, names)
    import pyarrow.parquet as pq

    tasks = {}
    for task in leaves:
        rows = task_rows(folder, root, task)
        try:
            tasks[task] = {"rows_file": str(rows), "rows": pq.ParquetFile(rows).metadata.num_rows}
        except Exception as exc:  # pyarrow raises several kinds on a missing or damaged file
            raise ShardError(f"{rows}: cannot read the rows of {task}: {exc}") from exc
        config = read_task_yaml(_folder_configs(folder)[task][0], resolve_includes=True)
        tasks[task]["generation_kwargs"] = config.get("generation_kwargs")
    arguments = []
    skip = False
    for arg in extra:  # the lmms-eval arguments that shape the answers, without where they go
        if skip:
            skip = False
            continue
        name = arg.split("=", 1)[0]
        if name in ("--output_path", "--tasks"):
            skip = "=" not in arg
            continue
        arguments.append(arg)
    return {
        "format": PLAN_FORMAT,
        "shards": count,
        "data": str(root),
        "tasks": tasks,
        "requested": names,
        "groups": groups,
        "lmms_eval_arguments": arguments,
        "data_fingerprint": (context.data or {}).get("fingerprint"),
        "profile": context.profile,
        "frame": context.frame or "",
    }


def plan_sha256(plan: dict[str, Any]) -> str:
    """The plan's identity, written into every shard's done.json and the merged provenance."""
    return hashlib.sha256(json.dumps(plan, sort_keys=True).encode()).hexdigest()


def _check_plan(shards_dir: Path, plan: dict[str, Any]) -> None:
    """Write the plan, or check it against the one the folder holds; under a file lock, so that
    several ``--shard`` jobs starting at once agree on one plan."""
    from filelock import FileLock

    shards_dir.mkdir(parents=True, exist_ok=True)
    with FileLock(str(shards_dir / PLAN_LOCK)):
        _check_plan_locked(shards_dir, plan)


def _check_plan_locked(shards_dir: Path, plan: dict[str, Any]) -> None:
    path = shards_dir / PLAN
    if path.exists():
        old = _read_json(path, "shard plan")
        if old != plan:
            keys = sorted(k for k in set(old) | set(plan) if old.get(k) != plan.get(k))
            raise ShardError(
                f"{path}: this output folder holds shards of another run (differs in {', '.join(keys)}); "
                "use another --output_path, or remove that folder to start again"
            )
        return
    _atomic_json(path, plan)


# ---------------------------------------------------------------------------------------------
# One shard
# ---------------------------------------------------------------------------------------------


class ShardBinding:
    """The hooks of a shard's generated task folder: the set's image loader and checks, then the
    shard's slice of each task's rows."""

    def __init__(self, folder: Path) -> None:
        from sarchat_tasks.prepared import PreparedSet

        spec = json.loads((Path(folder) / "slices.json").read_text(encoding="utf-8"))
        self.prepared = PreparedSet(spec["root"])
        self.slices = {task: tuple(bounds) for task, bounds in spec["slices"].items()}
        self.doc_to_visual = self.prepared.doc_to_visual

    def process_docs_for(self, task: str):
        start, stop = self.slices[task]

        def process_docs(dataset):
            dataset = self.prepared.process_docs(dataset)
            return dataset.select(range(start, stop))

        return process_docs


_BINDING_SOURCE = '''"""Generated by `sarchat eval --shards`: binds this shard's tasks to its slice of the prepared
set named in slices.json. Regenerated on every run of the shard; do not edit."""

from pathlib import Path

from sarchat_tasks.run.shards import ShardBinding

_SHARD = ShardBinding(Path(__file__).resolve().parent)
doc_to_visual = _SHARD.doc_to_visual
'''


def write_shard_folder(target: Path, folder: Path, plan: dict[str, Any], slices: dict[str, tuple[int, int]]) -> Path:
    """The shard's task folder: one YAML per task that includes the run's task YAML, reads the
    rows by absolute path and keeps only the shard's slice."""
    configs = _folder_configs(folder)
    target.mkdir(parents=True, exist_ok=True)
    source = _BINDING_SOURCE
    for task in slices:
        path, _ = configs[task]
        config = read_task_yaml(path, resolve_includes=True)
        function = f"process_docs_{task}"
        source += f'{function} = _SHARD.process_docs_for("{task}")\n'
        bound = {
            "include": str(path),
            "task": task,
            "dataset_kwargs": {
                **(config.get("dataset_kwargs") or {}),
                "data_files": {"test": plan["tasks"][task]["rows_file"]},
            },
            "doc_to_visual": FunctionTag(f"{BINDING}.doc_to_visual"),
            "process_docs": FunctionTag(f"{BINDING}.{function}"),
        }
        text = "# Generated by `sarchat eval --shards`; regenerated on every run of the shard.\n"

        text += dump_task_yaml(bound)
        (target / f"{task}.yaml").write_text(text, encoding="utf-8")
    spec = {"root": plan["data"], "slices": {t: list(b) for t, b in slices.items()}}
    (target / "slices.json").write_text(json.dumps(spec, indent=2) + "\n", encoding="utf-8")
    (target / f"{BINDING}.py").write_text(source, encoding="utf-8")
    return target


def shard_slices(plan: dict[str, Any], index: int) -> dict[str, tuple[int, int]]:
    """The non-empty slices of shard ``index``, task by task."""
    slices = {}
    for task, info in plan["tasks"].items():
        start, stop = shard_slice(index, plan["shards"], info["rows"])
        if stop > start:
            slices[task] = (start, stop)
    return slices


def read_done(shard_dir: Path) -> dict[str, Any] | None:
    """A shard's done.json, or None where it is missing or unreadable (the shard reruns)."""
    try:
        done = json.loads((shard_dir / DONE).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    return done if isinstance(done, dict) else None


def shard_problem(shard_dir: Path, plan: dict[str, Any], index: int, allow_failed: bool = False) -> str | None:
    """Why a shard is not complete (None when it is): no done.json, or one that is unreadable,
    of another plan, lists no results file or no sample log of a task of its slice, whose files
    changed, or that counts failed requests (unless they are allowed)."""
    done = read_done(shard_dir)
    if done is None:
        return "no readable done.json"
    try:
        if done.get("plan_sha256") != plan_sha256(plan):
            return "done.json of another plan"
        slices = {t: list(b) for t, b in shard_slices(plan, index).items()}
        if done.get("slices") != slices:
            return "done.json of other slices"
        files = done["files"]
        logs = done["samples"]
        if slices and (
            sum(1 for rel in files if rel.endswith("_results.json")) != 1
            or set(logs) != set(slices)
            or any(
                logs[t]["file"] not in files or logs[t]["samples"] != stop - start
                for t, (start, stop) in slices.items()
            )
        ):
            return "done.json does not list the results and one whole sample log per task"
        for rel, digest in files.items():
            if file_sha256(shard_dir / rel) != digest:
                return f"{rel} changed"
        if done.get("failed_requests") and not allow_failed:
            return f"{done['failed_requests']} failed requests"
    except (OSError, KeyError, TypeError, AttributeError, ValueError) as exc:
        return f"incomplete done.json ({exc.__class__.__name__}: {exc})"
    return None


def shard_complete(shard_dir: Path, plan: dict[str, Any], index: int, allow_failed: bool = False) -> bool:
    """Whether a shard's done.json is of this plan and everything it lists is whole."""
    return shard_problem(shard_dir, plan, index, allow_failed) is None


def run_shard(
    folder: Path,
    plan: dict[str, Any],
    shards_dir: Path,
    index: int,
    context: RunContext | None = None,
    quiet: bool = False,
    allow_failed: bool = False,
) -> int:
    """Run one shard with lmms-eval unless it is complete; raise ``ShardError`` if it fails or its
    folder holds another plan's shard. Returns its failed requests; a shard with failed requests
    is complete only when they are allowed."""
    shard_dir = shards_dir / shard_name(index, plan["shards"])
    where = f"shard {index}/{plan['shards']}"
    if shard_complete(shard_dir, plan, index, allow_failed):
        print(f"sarchat eval: {where} is complete, skipped", file=sys.stderr)
        return 0
    done = read_done(shard_dir)
    if done is not None and done.get("plan_sha256") != plan_sha256(plan):
        raise ShardError(
            f"{shard_dir}: {where} holds another run's shard (its done.json is of plan "
            f"{str(done.get('plan_sha256'))[:12]}, this run's is {plan_sha256(plan)[:12]}); use another "
            "--output_path, or remove that folder to start again"
        )
    if shard_dir.exists():  # a shard that did not finish: everything in it was written by us
        shutil.rmtree(shard_dir)
    slices = shard_slices(plan, index)
    files: dict[str, str] = {}
    samples: dict[str, Any] = {}
    run_id, failed = None, 0
    if slices:
        tasks_folder = write_shard_folder(shard_dir / "tasks", folder, plan, slices)
        lmms_out = shard_dir / "lmms"
        argv = [*plan["lmms_eval_arguments"], "--tasks", ",".join(slices), "--output_path", str(lmms_out)]
        if "--log_samples" not in argv:
            argv.append("--log_samples")
        context = context or RunContext()
        shard_context = RunContext("shard", context.data, plan.get("profile"), plan.get("frame"),
                                   {"plan_sha256": plan_sha256(plan), "shard": [index, plan["shards"]]})  # fmt: skip
        try:
            result = launch(tasks_folder, argv, log=shard_dir / "lmms-eval.log", quiet=quiet, context=shard_context)
        except LaunchError as exc:
            raise ShardError(f"{where}: {exc}") from exc
        run_id, failed = result.provenance.get("run_id"), result.total_failed
        prefix = result.results_path.name[: -len("_results.json")]
        files[str(result.results_path.relative_to(shard_dir))] = file_sha256(result.results_path)
        for task, (start, stop) in slices.items():
            log = result.results_path.parent / f"{prefix}_samples_{task}.jsonl"
            if not log.is_file():
                raise ShardError(f"{where}: lmms-eval wrote no sample log {log}")
            lines = count_lines(log)
            if lines != stop - start:
                raise ShardError(f"{log}: {lines} samples, expected {stop - start} (rows {start}..{stop - 1})")
            rel = str(log.relative_to(shard_dir))
            files[rel] = file_sha256(log)
            samples[task] = {"file": rel, "samples": lines}
        if failed and not allow_failed:
            detail = ", ".join(f"{t}: {n}" for t, n in sorted(result.failed_requests.items()) if n)
            print(f"sarchat eval: {where}: {failed} requests failed ({detail}); the shard is not complete, "
                  "rerun it (or pass --allow-failed-requests)", file=sys.stderr)  # fmt: skip
    shard_dir.mkdir(parents=True, exist_ok=True)
    done = {"shard": index, "of": plan["shards"], "slices": {t: list(b) for t, b in slices.items()}, "files": files,
            "samples": samples, "plan_sha256": plan_sha256(plan), "run_id": run_id, "failed_requests": failed}  # fmt: skip
    _atomic_json(shard_dir / DONE, done)
    return failed


def run_sharded(
    folder: Path,
    data: Path | None,
    extra: list[str],
    context: RunContext | None = None,
    *,
    shards: int | None = None,
    shard: str | None = None,
    allow_failed: bool = False,
    quiet: bool = False,
) -> Launch | None:
    """``sarchat eval --shards N`` (every shard not yet complete, then the merge) or ``--shard I/N``
    (that shard only; ``sarchat merge`` joins them). Returns the merged run, or None. Raises
    ``ShardError`` naming the shards whose requests failed (unless ``allow_failed``)."""
    context = context or RunContext()
    if shard is not None:
        index, count = parse_shard(shard)
        if shards is not None and shards != count:
            raise ShardError(f"--shards {shards} and --shard {shard} disagree")
        indices = [index]
    else:
        count = int(shards or 0)
        if count < 1:
            raise ShardError(f"--shards {shards}: must be at least 1")
        indices = list(range(count))
    out = Path(option(extra, "--output_path") or ".")
    shards_dir = out / SHARDS_DIR
    plan = make_plan(folder, data, extra, count, context)
    _check_plan(shards_dir, plan)
    failed = {}
    for index in progress(indices, desc="shards", unit="shard", disable=len(indices) < 2):
        failed[index] = run_shard(folder, plan, shards_dir, index, context, quiet=quiet, allow_failed=allow_failed)
    failed = {i: n for i, n in failed.items() if n}
    if failed and not allow_failed:
        listed = ", ".join(f"{i} ({n})" for i, n in failed.items())
        raise ShardError(
            f"{shards_dir}: requests failed in shard {listed} of {count}; those shards are not complete: rerun "
            "them, or pass --allow-failed-requests to accept them"
        )
    pending = [i for i in range(count) if not shard_complete(shards_dir / shard_name(i, count), plan, i, allow_failed)]
    if shard is not None or pending:
        # One shard of several never merges: shards finishing together in a job array would race.
        state = f"all {count} shards complete" if not pending else f"{count - len(pending)} of {count} shards complete"
        when = "" if not pending else "when all are, "
        print(f"sarchat eval: {state}; {when}join them with: sarchat merge {out}", file=sys.stderr)
        return None
    return merge(out, allow_failed)


# ---------------------------------------------------------------------------------------------
# The merge
# ---------------------------------------------------------------------------------------------


def _task_of(lmms_task: str) -> str:
    name = lmms_task.removeprefix(LMMS_TASK_PREFIX)
    return name.removesuffix(LITE_SUFFIX)


def _metric_block(alias: str, metrics: dict[str, Any]) -> dict[str, Any]:
    block: dict[str, Any] = {"alias": alias}
    for name, value in metrics.items():
        block[f"{name},none"] = value
        block[f"{name}_stderr,none"] = "N/A"
    return block


def _now(raw: dict[str, Any]) -> datetime:
    """Now, in the time zone lmms-eval dated the shards in (its ``--timezone``)."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    zone = ((raw.get("config") or {}).get("resolved_cli_args") or {}).get("timezone")
    try:
        return datetime.now(ZoneInfo(zone)) if zone else datetime.now()
    except (ZoneInfoNotFoundError, ValueError):
        return datetime.now()


def merge(out: Path, allow_failed: bool = False) -> Launch:
    """Join the complete shards under ``OUT/sarchat-shards`` into one run in lmms-eval's layout
    under OUT, with a provenance record naming the plan and every shard's run; raise
    ``ShardError`` naming the shards that are missing, damaged or of another plan."""
    import pyarrow.parquet as pq

    from sarchat_tasks import provenance
    from sarchat_tasks.scoring import average_score

    out = Path(out)
    shards_dir = out / SHARDS_DIR
    plan_path = shards_dir / PLAN
    if not plan_path.is_file():
        raise ShardError(f"{out}: no sharded run here ({plan_path} is missing)")
    plan = _read_json(plan_path, "shard plan")
    if plan.get("format") != PLAN_FORMAT:
        raise ShardError(f"{plan_path}: not a sarchat shard plan")
    count = int(plan["shards"])
    problems = {i: shard_problem(shards_dir / shard_name(i, count), plan, i, allow_failed) for i in range(count)}
    pending = [i for i, problem in problems.items() if problem is not None]
    if pending:
        listed = ", ".join(str(i) for i in pending)
        which = "shard" if len(pending) == 1 else "shards"
        reasons = "; ".join(f"shard {i}: {problems[i]}" for i in pending)
        raise ShardError(
            f"{out}: {which} {listed} of {count} not complete (missing, killed or damaged); run them with "
            f"`sarchat eval ... --output_path {out} --shard I/{count}` (or --shards {count}: complete ones are skipped)"
            f" [{reasons}]"
        )
    samples: dict[str, list[dict[str, Any]]] = {task: [] for task in plan["tasks"]}
    base: dict[str, Any] | None = None
    first: dict[str, Any] | None = None
    parents: list[str] = []
    for index in progress(range(count), desc="merge", unit="shard", disable=count < 2):
        shard_dir = shards_dir / shard_name(index, count)
        done = _read_json(shard_dir / DONE, "shard record")
        results_files = [rel for rel in done["files"] if rel.endswith("_results.json")]
        if not results_files:
            continue
        results_path = shard_dir / results_files[0]
        raw = _read_json(results_path, "results file")
        record = provenance.require(raw, results_path)
        if record.get("plan_sha256") != plan_sha256(plan) or record.get("profile") != plan.get("profile"):
            raise ShardError(f"{results_path}: shard {index} of {count} was not run by this plan ({plan_path})")
        if first is not None and provenance.differences(first, record):
            keys = ", ".join(provenance.differences(first, record))
            raise ShardError(f"{results_path}: shard {index} of {count} differs from shard 0 in {keys}")
        first = first or record
        parents.append(record["run_id"])
        if base is None:
            base = raw
        prefix = results_path.name[: -len("_results.json")]
        for task, (start, _) in done["slices"].items():
            log = results_path.parent / f"{prefix}_samples_{task}.jsonl"
            with open(log, encoding="utf-8") as handle:
                for number, line in enumerate(handle, 1):
                    if not line.strip():
                        continue
                    try:
                        record = json.loads(line)
                        record["doc_id"] = int(record["doc_id"]) + start
                    except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
                        raise ShardError(f"{log} line {number}: not a sample record: {exc}") from exc
                    samples[task].append(record)
    if base is None:
        raise ShardError(f"{out}: the shards hold no records")
    merged = json.loads(json.dumps(base))
    merged["results"], merged["n-samples"] = {}, {}
    for task, info in plan["tasks"].items():
        records = sorted(samples[task], key=lambda r: r["doc_id"])
        ids = [r["doc_id"] for r in records]
        if ids != list(range(info["rows"])):
            raise ShardError(f"{out}: the shards' logs of {task} do not cover rows 0..{info['rows'] - 1} once each")
        answers = pq.read_table(info["rows_file"], columns=["answer"]).column("answer").to_pylist()
        for record in records:
            if "target" in record and record["target"] != answers[record["doc_id"]]:
                raise ShardError(
                    f"{out}: {task} doc {record['doc_id']}: the logged target differs from {info['rows_file']}"
                )
        samples[task] = records
        alias = f" - {task}" if any(task in m for m in (plan.get("groups") or {}).values()) else task
        merged["results"][task] = _metric_block(alias, aggregate_metrics(_task_of(task), records))
        merged["n-samples"][task] = {"original": info["rows"], "effective": info["rows"]}
    # per-task config blocks: from whichever shard ran the task
    for key in ("configs", "versions", "n-shot", "higher_is_better"):
        merged[key] = {}
    for index in range(count):
        shard_dir = shards_dir / shard_name(index, count)
        done = _read_json(shard_dir / DONE, "shard record")
        for rel in done["files"]:
            if rel.endswith("_results.json"):
                raw = _read_json(shard_dir / rel, "results file")
                for key in ("configs", "versions", "n-shot", "higher_is_better"):
                    for task, value in (raw.get(key) or {}).items():
                        merged[key].setdefault(task, value)
    merged["group_subtasks"] = {}
    groups = plan.get("groups") or {}
    for group, members in groups.items():
        merged["group_subtasks"][group] = members
    for group in reversed(list(groups)):  # nested groups: members before the group that holds them
        members = groups[group]
        scores = {m: merged["results"][m]["avg_score,none"] for m in members if m in merged["results"]}
        sizes = {m: merged["n-samples"][m]["effective"] for m in members if m in merged["n-samples"]}
        block = {"alias": group, "avg_score,none": average_score(scores, sizes), "avg_score_stderr,none": "N/A"}
        merged["results"][group] = block
        merged.setdefault("groups", {})[group] = dict(block)
    grouped = {member for members in groups.values() for member in members}
    for task in plan["tasks"]:  # lmms-eval lists a task asked for on its own with no subtasks
        if task not in grouped:
            merged["group_subtasks"].setdefault(task, [])
    date = _now(base).strftime("%Y%m%d_%H%M%S")
    merged["date"] = date
    merged["sarchat_shards"] = {"shards": count, "plan": str(plan_path), "data": plan["data"]}
    merged.pop(provenance.KEY, None)  # shard 0's; the merge's own is written below
    config = merged.get("config")
    if isinstance(config, dict):  # the merged run's settings, not shard 0's
        config["limit"], config["offset"] = None, 0
        cli_args = config.get("resolved_cli_args")
        if isinstance(cli_args, dict):
            cli_args.update(tasks=",".join(plan.get("requested") or plan["tasks"]), output_path=str(out))
    previous = (
        _read_json(shards_dir / MERGED, "merge record").get("files", []) if (shards_dir / MERGED).is_file() else []
    )
    written = []
    for task, records in samples.items():
        path = out / f"{date}_samples_{task}.jsonl"
        partial = path.with_name(f".{path.name}.partial")
        with open(partial, "w", encoding="utf-8") as handle:
            for record in records:
                handle.write(json.dumps(record, default=str) + "\n")
        os.replace(partial, path)
        written.append(path.name)
    assert first is not None
    record = provenance.make_record(
        "merge",
        data=first["data"],
        model=first["model"]["name"],
        model_args=first["model"]["model_args"],
        profile=plan.get("profile") or first["profile"],
        frame=plan.get("frame", first["frame"]),
        generation=provenance.generation_record(merged),
        samples=provenance.samples_record({task: out / f"{date}_samples_{task}.jsonl" for task in samples}),
        parents=parents,
        plan_sha256=plan_sha256(plan),
        shards=count,
    )
    results_path = out / f"{date}_results.json"
    # the results file last: its logs are already whole
    provenance.write_results(results_path, provenance.attach(merged, record))
    written.append(results_path.name)
    for name in previous:  # an earlier merge's files (ours) that this one replaces
        if name not in written and (out / name).is_file():
            (out / name).unlink()
    _atomic_json(shards_dir / MERGED, {"files": written})
    tasks = list(plan.get("requested") or plan["tasks"])
    return Launch(results_path=results_path, results=merged, tasks=tasks, failed_requests=failed_requests(merged),
                  provenance=record)  # fmt: skip


# ---------------------------------------------------------------------------------------------
# sarchat merge
# ---------------------------------------------------------------------------------------------


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("out", type=Path, metavar="OUT", help="the --output_path of the sharded run")
    parser.add_argument("--allow-failed-requests", action="store_true", help="exit 0 even if some requests failed")


def run(args: argparse.Namespace) -> int:
    from sarchat_tasks.run.evaluate import check_launch

    result = merge(args.out, args.allow_failed_requests)
    check_launch(result, args.allow_failed_requests)
    print(f"sarchat merge: results: {result.results_path}", file=sys.stderr)
    return 0
