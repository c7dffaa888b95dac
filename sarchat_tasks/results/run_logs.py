"""Reading lmms-eval output: results files, their sample logs, and the prepared rows behind them.

lmms-eval 0.7.3 writes ``<out>[/<model>]/<date>_results.json`` and, with ``--log_samples``, one
``<date>_samples_<task>.jsonl`` per task beside it, each line holding ``doc_id``, ``input_media``,
``filtered_resps``, ``target`` and the values ``process_results`` returned. The sample logs do not
hold the parsed reference, so rescoring reloads the prepared rows: ``doc_id`` is the row index in
that task's parquet file. ``sarchat report`` and ``sarchat rescore`` both read runs through here, so
they agree on which file a number came from and on which run of a model wins.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sarchat_tasks.errors import SarchatError
from sarchat_tasks.prepared import PreparedSet, PreparedSetError
from sarchat_tasks.registry import LMMS_TASK_PREFIX, PROFILES, TASKS, profile_for_model
from sarchat_tasks.task_folder import packaged_task_folder, read_task_yaml

LITE = "_lite"
VARIANTS: tuple[str, ...] = ("", LITE)  # the full tasks and their lite twins (sarchat_<task>_lite)
RESULTS_SUFFIX = "_results.json"
SHARDS_DIR = "sarchat-shards"  # sarchat_tasks.run.shards.SHARDS_DIR (not imported: that module needs more)
PRIVATE_PREFIX = ".sarchat-run-"  # sarchat_tasks.run.launcher.PRIVATE_PREFIX: a run not yet checked


class RunLogError(SarchatError):
    """An lmms-eval output that cannot be read; the message names the file."""


def lmms_task_name(task: str, variant: str = "") -> str:
    """The lmms-eval task name of one of the six tasks (``counting`` -> ``sarchat_counting``, or
    ``sarchat_counting_lite`` for the lite variant)."""
    return f"{LMMS_TASK_PREFIX}{task}{variant}"


def installed_versions() -> dict[str, Any]:
    """The metric version each installed task YAML declares (``metadata.version``), so a report
    can tell results computed by older scoring code from current ones."""
    folder = packaged_task_folder()
    template = read_task_yaml(folder / "_default_template_yaml") if (folder / "_default_template_yaml").exists() else {}
    default = (template.get("metadata") or {}).get("version")
    versions = {}
    for task in TASKS:
        path = folder / f"{lmms_task_name(task)}.yaml"
        config = read_task_yaml(path) if path.exists() else {}
        versions[task] = (config.get("metadata") or {}).get("version", default)
    return versions


@dataclass
class TaskRun:
    """One task's results in one results file."""

    task: str
    metrics: dict[str, Any]
    filter: str
    n_effective: int | None
    n_original: int | None
    version: Any
    samples_path: Path | None
    data_file: str | None
    run: RunFile = field(repr=False)

    @property
    def partial(self) -> bool:
        """Whether fewer documents were evaluated than the task holds (``--limit``)."""
        return self.n_effective is not None and self.n_original is not None and self.n_effective < self.n_original

    def samples(self) -> list[dict[str, Any]]:
        """The task's sample log, one dict per document, in ``doc_id`` order."""
        if self.samples_path is None:
            raise RunLogError(
                f"{self.run.path}: no sample log for {lmms_task_name(self.task)} (run with --log_samples)"
            )
        return read_samples(self.samples_path)


@dataclass
class RunFile:
    """One lmms-eval results file and what it says about the model and the tasks it ran."""

    path: Path
    raw: dict[str, Any]
    model: str
    date: str
    order: tuple
    tasks: dict[str, TaskRun]
    variant: str = ""  # "" for the six tasks, "_lite" for their lite twins, reported as a model of its own
    identity: str = ""  # the model in full (``model_identity``, or the name given): what a report row groups by

    @property
    def provenance(self) -> dict[str, Any] | None:
        """The run's provenance record (``sarchat_tasks.provenance``), None for a run without one."""
        from sarchat_tasks.provenance import read

        return read(self.raw, self.path)

    @property
    def profile(self) -> str:
        """The model profile the run's answers were read in: as its provenance record, ``sarchat
        eval`` or ``rescore`` recorded it, else the one its ``--model`` backend gets
        (``registry.profile_for_model``)."""
        recorded = (self.provenance or {}).get("profile")
        if isinstance(recorded, str) and recorded in PROFILES:
            return recorded
        for block in ("sarchat_rescore", "sarchat"):
            recorded = (self.raw.get(block) or {}).get("profile")
            if isinstance(recorded, str) and recorded in PROFILES:
                return recorded
        return profile_for_model((self.raw.get("config") or {}).get("model"))

    @property
    def limit(self) -> Any:
        return (self.raw.get("config") or {}).get("limit")


def _model_args(text: Any) -> dict[str, str]:
    if isinstance(text, dict):
        return {str(k): str(v) for k, v in text.items()}
    args = {}
    for part in str(text or "").split(","):
        key, sep, value = part.partition("=")
        if sep:
            args[key.strip()] = value.strip()
    return args


def model_identity(raw: dict[str, Any]) -> str:
    """A model as lmms-eval recorded it, in full: ``model_name``, else the checkpoint named by
    ``pretrained=`` (its whole path or hub id), else the backend name."""
    if raw.get("model_name"):
        return str(raw["model_name"]).rstrip("/")
    config = raw.get("config") or {}
    args = _model_args(config.get("model_args"))
    for key in ("pretrained", "model", "model_name_or_path", "model_version"):
        if args.get(key):
            return args[key].rstrip("/")
    return str(config.get("model") or raw.get("model_source") or "unknown")


def model_label(raw: dict[str, Any]) -> str:
    """A model's short name: the last component of ``model_identity`` (a checkpoint's folder
    name, a hub id's model name), which is how the paper names models."""
    return model_identity(raw).split("/")[-1]


def _metric_values(block: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """``{"counting_only,none": 33.3, "counting_only_stderr,none": "N/A"}`` -> ``({"counting_only": 33.3}, "none")``."""
    values: dict[str, Any] = {}
    filters = []
    for key, value in block.items():
        name, sep, filter_name = key.partition(",")
        if not sep or "_stderr" in name:
            continue
        values.setdefault(name, value)
        filters.append(filter_name)
    return values, (filters[0] if filters else "none")


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def load_run(path: Path, label: str | None = None, variant: str = "") -> RunFile:
    """Read one results file and find its sample logs; ``label`` overrides the model name. With
    ``variant="_lite"`` it reads the lite tasks instead, under the model name plus `` [lite]``:
    a lite score is an estimate of the full one, never a replacement for it."""
    path = Path(path)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise RunLogError(f"{path}: unreadable results file: {exc}") from exc
    if not isinstance(raw, dict) or not isinstance(raw.get("results"), dict):
        raise RunLogError(f"{path}: not an lmms-eval results file (no 'results')")
    prefix = path.name[: -len(RESULTS_SUFFIX)] if path.name.endswith(RESULTS_SUFFIX) else path.stem
    date = str(raw.get("date") or prefix)
    model = (label or model_label(raw)) + (" [lite]" if variant else "")
    identity = (label or model_identity(raw)) + (" [lite]" if variant else "")
    run = RunFile(path=path, raw=raw, model=model, date=date,
                  order=(date, path.stat().st_mtime, str(path)), tasks={}, variant=variant, identity=identity)  # fmt: skip
    n_samples = raw.get("n-samples") or {}
    versions = raw.get("versions") or {}
    configs = raw.get("configs") or {}
    for task in TASKS:
        name = lmms_task_name(task, variant)
        if name not in raw["results"]:
            continue
        metrics, filter_name = _metric_values(raw["results"][name])
        samples = path.parent / f"{prefix}_samples_{name}.jsonl"
        data_files = ((configs.get(name) or {}).get("dataset_kwargs") or {}).get("data_files")
        data_file = data_files.get("test") if isinstance(data_files, dict) else None
        counts = n_samples.get(name) or {}
        run.tasks[task] = TaskRun(
            task=task,
            metrics=metrics,
            filter=filter_name,
            n_effective=_int_or_none(counts.get("effective")),
            n_original=_int_or_none(counts.get("original")),
            version=versions.get(name),
            samples_path=samples if samples.is_file() else None,
            data_file=str(data_file) if data_file else None,
            run=run,
        )
    return run


def parse_run_argument(argument: str) -> tuple[str | None, Path]:
    """``NAME=PATH`` names the model of every results file under PATH; a plain PATH keeps the
    names lmms-eval recorded."""
    if Path(argument).exists() or "=" not in argument:
        return None, Path(argument)
    name, _, path = argument.partition("=")
    return (name.strip() or None), Path(path)


def results_paths(path: Path) -> list[Path]:
    """The results files a command-line path stands for: itself, or every ``*_results.json``
    below it."""
    path = Path(path)
    if path.is_file():
        return [path]
    if path.is_dir():
        # a sharded run's shards (OUT/sarchat-shards/...) are parts of the merged run beside them;
        # OUT/.sarchat-run-<id>/ holds a run sarchat eval has not checked (or was killed in)
        return sorted(
            p
            for p in path.rglob(f"*{RESULTS_SUFFIX}")
            if not any(part == SHARDS_DIR or part.startswith(PRIVATE_PREFIX) for part in p.relative_to(path).parts)
        )
    raise RunLogError(f"{path}: no such file or folder")


def load_runs(arguments: Iterable[str]) -> list[RunFile]:
    """Every results file named or found under the arguments, oldest first (by lmms-eval's
    ``date``, then file time), each file once per model name it is given."""
    runs: dict[tuple[Path, str | None, str], RunFile] = {}
    for argument in arguments:
        label, path = parse_run_argument(argument)
        found = results_paths(path)
        if not found:
            raise RunLogError(f"{path}: no lmms-eval results file (*{RESULTS_SUFFIX}) found")
        for results in found:
            variants = [load_run(results, label, variant) for variant in VARIANTS]
            # a file with no SARChat task still yields its (empty) full run, for the report to name
            for run in [r for r in variants if r.tasks] or variants[:1]:
                runs[(results.resolve(), label, run.variant)] = run
    return sorted(runs.values(), key=lambda r: r.order)


def read_samples(path: Path) -> list[dict[str, Any]]:
    """One lmms-eval sample log, sorted by ``doc_id``; raises ``RunLogError`` naming the line of
    a record that is not a JSON object with an integer ``doc_id``."""
    records = []
    try:
        with open(path, encoding="utf-8") as handle:
            for number, line in enumerate(handle, 1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise RunLogError(f"{path} line {number}: not JSON: {exc}") from exc
                doc_id = record.get("doc_id") if isinstance(record, dict) else None
                if isinstance(doc_id, bool) or not isinstance(doc_id, int):
                    raise RunLogError(f"{path} line {number}: not a sample record (no integer doc_id)")
                records.append(record)
    except (OSError, UnicodeDecodeError) as exc:
        raise RunLogError(f"{path}: unreadable sample log: {exc}") from exc
    return sorted(records, key=lambda r: r["doc_id"])


def sample_image(record: dict[str, Any], task: str) -> str:
    """The image a logged sample was asked about: the bootstrap's resampling unit. A log without
    ``input_media`` makes each document its own unit."""
    media = record.get("input_media")
    if isinstance(media, list) and media:
        return str(media[0])
    if isinstance(media, str) and media:
        return media
    return f"{task}:{record.get('doc_id')}"


def response_text(record: dict[str, Any]) -> str:
    """The (filtered) response a logged sample was scored on."""
    response = record.get("filtered_resps", record.get("resps"))
    while isinstance(response, list):
        response = response[0] if response else ""
    return response if isinstance(response, str) else ""


def rows_file(task_run: TaskRun, data: Path | None = None) -> Path:
    """The prepared rows a run's task read: ``data``'s when given, else the file the run's task
    config names (a relative name is the packaged task folder's, i.e. the bundled sample)."""
    if data is not None:
        return PreparedSet(data).rows_file(task_run.task + task_run.run.variant)
    if task_run.data_file:
        path = Path(task_run.data_file)
        return path if path.is_absolute() else packaged_task_folder() / path
    raise RunLogError(f"{task_run.run.path}: the run does not name its data for {task_run.task}; pass --data")


def read_rows(path: Path) -> list[dict[str, Any]]:
    """A prepared rows file as a list of dicts, in row (= ``doc_id``) order."""
    import pyarrow.parquet as pq

    try:
        return pq.read_table(path).to_pylist()
    except (OSError, ValueError) as exc:
        raise PreparedSetError(f"{path}: cannot read prepared rows: {exc}") from exc
