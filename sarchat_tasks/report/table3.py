"""``sarchat report``: Table 3 from lmms-eval results, with the paper's numbers side by side.

Reads results files (and their sample logs, when ``--log_samples`` wrote them) of one or many
models and writes into ``--out``:

* ``report.md``     everything below, for reading;
* ``table3.md|csv|tex``  Table 3 in the paper's column order: one row per model, a delta row where a
  model carries a paper model's name, the paper's 16 rows marked paper-reported, and 95 % intervals;
* ``categories.csv``  task scores per category (the results' ``category_<name>`` metrics);
* ``report.json``   all numbers, notes and the file each number came from;
* ``radar.png|svg``, ``avg_vs_params.png|svg``  the paper's two figures (matplotlib, optional).

The suite's avg_score is paper equations 4 and 5 (``scoring.average_score``): the task scores a_t
weighted by the samples evaluated n_t. It is left blank for a model with a task missing (the
notes give the average over the tasks present), and flagged for partial (``--limit``) runs and
for rows whose tasks were scored by different metric versions: nothing is averaged silently.
When the same model ran a task several times, the latest run wins and the sources say so.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any

from sarchat_tasks.errors import SarchatError
from sarchat_tasks.registry import TABLE3_COLUMNS, TASK_OF_COLUMN, TASKS
from sarchat_tasks.report.intervals import DEFAULT_ITERATIONS, Estimate, Intervals, bootstrap_intervals
from sarchat_tasks.report.tables import format_table
from sarchat_tasks.results.run_logs import RunFile, TaskRun, installed_versions, load_runs
from sarchat_tasks.scoring import average_score
from sarchat_tasks.utils.vocabulary import CATEGORIES

REPORT_COLUMNS: tuple[str, ...] = ("avg_score", *TABLE3_COLUMNS)
PARTIAL_MARK, VERSION_MARK = "†", "‡"
NO_LOGS = "no sample logs"
# The paper's column groups and sub-headers (Table 3), for the LaTeX table.
PAPER_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = tuple(
    (spec.paper_group, tuple(c.label for c in spec.table_columns)) for spec in TASKS.values()
)


# ---------------------------------------------------------------------------------------------
# The paper's rows
# ---------------------------------------------------------------------------------------------


def paper_rows() -> list[dict[str, Any]]:
    """The 16 rows of the paper's Table 3 (LoRA fine-tuned models, percent), as shipped in
    ``sarchat_tasks/data/paper_table3.csv``."""
    text = (files("sarchat_tasks") / "data" / "paper_table3.csv").read_text(encoding="utf-8")
    rows = []
    for raw in csv.DictReader(io.StringIO(text)):
        row: dict[str, Any] = {"model": raw["model"], "family": raw["family"], "params_b": float(raw["params_b"])}
        row.update({column: float(raw[column]) for column in REPORT_COLUMNS})
        rows.append(row)
    return rows


def paper_task_scores(row: dict[str, Any]) -> dict[str, float]:
    """a_t of a paper row: the mean of the task's Table 3 columns (paper equation 5)."""
    return {
        task: sum(row[c.name] for c in spec.table_columns) / len(spec.table_columns) for task, spec in TASKS.items()
    }


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9.]", "", name.lower())


def find_paper_row(name: str, rows: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The paper row a model's name stands for, compared without case or punctuation."""
    return next((row for row in rows if _key(row["model"]) == _key(name)), None)


_SIZE_RE = re.compile(r"(?<![0-9.])(\d+(?:\.\d+)?)\s*[bB](?![a-zA-Z])")


def size_from_name(name: str) -> float | None:
    """Billions of parameters written in a model name (``Qwen2-VL-7B-Instruct`` -> 7.0)."""
    match = _SIZE_RE.search(name)
    return float(match.group(1)) if match else None


# ---------------------------------------------------------------------------------------------
# Building the report
# ---------------------------------------------------------------------------------------------


@dataclass
class ModelReport:
    """One model's row of Table 3 and everything behind it."""

    name: str
    tasks: dict[str, TaskRun]
    replaced: dict[str, list[TaskRun]]
    columns: dict[str, float | None]
    task_scores: dict[str, float | None]
    sizes: dict[str, int]
    avg_score: float | None
    avg_over_present: float | None
    params_b: float | None
    paper: dict[str, Any] | None
    intervals: Intervals | None = None
    tasks_without_logs: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    partial: bool = False
    mixed_versions: bool = False

    @property
    def missing_tasks(self) -> list[str]:
        return [t for t in TASKS if t not in self.tasks]

    def estimate(self, column: str) -> Estimate | None:
        """The interval of a Table 3 column or of avg_score; None where none was computed."""
        if self.intervals is None:
            return None
        if column == "avg_score":
            return self.intervals.avg_score if self.avg_score is not None else None
        if TASK_OF_COLUMN[column] in self.tasks_without_logs:
            return None
        return self.intervals.columns.get(column)

    def delta(self) -> dict[str, float | None]:
        """This model minus the paper's row of the same name, per column."""
        assert self.paper is not None
        values = {**self.columns, "avg_score": self.avg_score}
        return {c: None if values.get(c) is None else values[c] - self.paper[c] for c in REPORT_COLUMNS}


@dataclass
class Report:
    """Every model of a report, the paper's rows and the notes that apply across models."""

    models: list[ModelReport]
    paper: list[dict[str, Any]]
    notes: list[str]
    versions: dict[str, Any]
    iterations: int
    seed: int


def _format_version(value: Any) -> str:
    return "unknown" if value is None else str(value)


class ReportError(SarchatError):
    """Runs that cannot be reported as asked; the message names the row and the files."""


_DATA_IDENTITIES: dict[tuple[str, str], str] = {}


def data_identity(task_run: TaskRun) -> str:
    """The data set a task's numbers came from: its run's provenance fingerprint, else the
    fingerprint of the set its config names (runs made by lmms-eval alone), else that set's path."""
    from sarchat_tasks import provenance
    from sarchat_tasks.results.run_logs import rows_file

    recorded = provenance.data_fingerprint(task_run.run.provenance)
    if recorded:
        return recorded
    key = (str(task_run.run.path), task_run.task)
    if key not in _DATA_IDENTITIES:
        try:
            root = rows_file(task_run).parent.parent
        except SarchatError:
            _DATA_IDENTITIES[key] = "unknown"
        else:
            try:
                _DATA_IDENTITIES[key] = provenance.data_record(root)["fingerprint"]
            except (SarchatError, OSError):
                _DATA_IDENTITIES[key] = f"path {root}"
    return _DATA_IDENTITIES[key]


def check_origins(model: ModelReport, allow_mixed: bool) -> None:
    """Refuse a row whose task numbers come from runs on different data sets or read in different
    profiles (unless ``allow_mixed``: then a note says so); note replaced runs on other data."""
    origins = {t: (data_identity(r), r.run.profile) for t, r in model.tasks.items()}
    kinds = [k for k, i in (("data sets", 0), ("profiles", 1)) if len({o[i] for o in origins.values()}) > 1]
    if kinds:
        listed = "; ".join(
            f"{t}: {r.run.path} (data {origins[t][0][:12]}, profile {origins[t][1]})" for t, r in model.tasks.items()
        )
        if not allow_mixed:
            raise ReportError(
                f"row {model.name!r}: its tasks come from runs on different {' and '.join(kinds)} ({listed}); "
                "report them apart (NAME=PATH names the runs under PATH) or pass --allow-mixed-runs"
            )
        model.notes.append(f"mixes runs of different {' and '.join(kinds)} (--allow-mixed-runs): {listed}")
    used = {o[0] for o in origins.values()}
    other = sorted({str(r.run.path) for rs in model.replaced.values() for r in rs if data_identity(r) not in used})
    if other:
        model.notes.append(f"replaces runs on another data set: {', '.join(other)}")


def check_logs(model: ModelReport) -> None:
    """Note each sample log that is not the one its run's provenance record names (a log edited
    or replaced after the run): the intervals computed from it may not belong to the results."""
    from sarchat_tasks.outputs import file_sha256
    from sarchat_tasks.results.run_logs import lmms_task_name

    for task, task_run in model.tasks.items():
        entry = ((task_run.run.provenance or {}).get("samples") or {}).get(lmms_task_name(task, task_run.run.variant))
        if entry and task_run.samples_path is not None and file_sha256(task_run.samples_path) != entry.get("sha256"):
            model.notes.append(
                f"{task}: {task_run.samples_path} is not the sample log its run wrote (its SHA-256 differs from the "
                "provenance record's)"
            )


def build_model(
    name: str,
    runs: list[RunFile],
    paper: list[dict[str, Any]],
    installed: dict[str, Any],
    params_b: float | None = None,
    iterations: int = DEFAULT_ITERATIONS,
    seed: int = 0,
    allow_mixed: bool = False,
) -> ModelReport:
    """One model's row from its runs (oldest first): the latest run of each task wins. Raises
    ``ReportError`` when the winners were run on different data sets or profiles, unless
    ``allow_mixed``."""
    tasks: dict[str, TaskRun] = {}
    replaced: dict[str, list[TaskRun]] = {}
    for run in runs:
        for task, task_run in run.tasks.items():
            if task in tasks:
                replaced.setdefault(task, []).append(tasks[task])
            tasks[task] = task_run
    tasks = {t: tasks[t] for t in TASKS if t in tasks}
    columns: dict[str, float | None] = {}
    for column in TABLE3_COLUMNS:
        task_run = tasks.get(TASK_OF_COLUMN[column])
        columns[column] = None if task_run is None else _number(task_run.metrics.get(column))
    task_scores = {t: _number(r.metrics.get("avg_score")) for t, r in tasks.items()}
    sizes = {t: (r.n_effective if r.n_effective is not None else 0) for t, r in tasks.items()}
    avg_present = average_score(task_scores, sizes)
    missing = [t for t in TASKS if t not in tasks]
    paper_row = find_paper_row(name, paper)
    if params_b is None:
        params_b = paper_row["params_b"] if paper_row else size_from_name(name)
    model = ModelReport(name, tasks, replaced, columns, task_scores, sizes,
                        avg_score=None if missing else avg_present, avg_over_present=avg_present,
                        params_b=params_b, paper=paper_row)  # fmt: skip
    check_origins(model, allow_mixed)
    check_logs(model)
    if missing:
        shown = "none" if avg_present is None else f"{avg_present:.2f}"
        model.notes.append(
            f"missing tasks: {', '.join(missing)}; avg_score left blank (over the {len(tasks)} tasks present it would be "
            f"{shown})"
        )
    for task, task_run in tasks.items():
        if task_run.partial:
            model.partial = True
            model.notes.append(
                f"{task}: partial run, {task_run.n_effective} of {task_run.n_original} documents (--limit); "
                f"avg_score marked {PARTIAL_MARK}"
            )
    failed = {
        t: int(r.metrics["failed_requests"]) for t, r in tasks.items() if _number(r.metrics.get("failed_requests"))
    }
    if failed:
        listed = ", ".join(f"{t} {n}" for t, n in failed.items())
        model.notes.append(f"failed requests, not scored: {listed}; the task scores cover the answered samples only")
    versions = {t: r.version for t, r in tasks.items()}
    stale = {t: v for t, v in versions.items() if installed.get(t) is not None and v != installed[t]}
    if len({_format_version(v) for v in versions.values()}) > 1:
        model.mixed_versions = True
        listed = ", ".join(f"{t} {_format_version(v)}" for t, v in versions.items())
        model.notes.append(f"tasks scored by different metric versions ({listed}); avg_score marked {VERSION_MARK}")
    if stale:
        listed = ", ".join(f"{t} {_format_version(v)} (installed {installed[t]})" for t, v in stale.items())
        model.notes.append(f"metric version differs from the installed tasks: {listed}; `sarchat rescore` recomputes")
    _attach_intervals(model, iterations, seed)
    return model


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _attach_intervals(model: ModelReport, iterations: int, seed: int) -> None:
    model.tasks_without_logs = [t for t, r in model.tasks.items() if r.samples_path is None]
    if model.tasks_without_logs:
        model.notes.append(
            f"{NO_LOGS} for {', '.join(model.tasks_without_logs)}: no intervals for "
            f"{'those tasks' if len(model.tasks_without_logs) < len(model.tasks) else 'this model'}"
            " (rerun lmms-eval with --log_samples)"
        )
    logged = {t: r.samples() for t, r in model.tasks.items() if r.samples_path is not None}
    if not logged:
        return
    model.intervals = bootstrap_intervals(logged, iterations=iterations, seed=seed)
    if model.tasks_without_logs:
        model.intervals.avg_score = None
    for task in logged:
        for column, estimate in model.intervals.columns.items():
            if TASK_OF_COLUMN[column] != task:
                continue
            reported = model.columns.get(column)
            if (reported is None) != (estimate.value is None) or (
                reported is not None and abs(reported - estimate.value) > 1e-6
            ):
                model.notes.append(
                    f"{task}: the sample log gives {column} = {estimate.value}, the results file {reported}: "
                    f"the log does not belong to these results"
                )


def build_report(
    runs: list[RunFile],
    *,
    params: dict[str, float] | None = None,
    iterations: int = DEFAULT_ITERATIONS,
    seed: int = 0,
    allow_mixed: bool = False,
) -> Report:
    """Group runs by model (first appearance order), build each row, and note mixed metric
    versions across models. A row is labelled with the model's short name (a checkpoint's
    folder name), or with its full path where two models share that name."""
    paper = paper_rows()
    installed = installed_versions()
    by_model: dict[str, list[RunFile]] = {}
    for run in sorted(runs, key=lambda r: r.order):
        by_model.setdefault(run.identity or run.model, []).append(run)
    short = {identity: model_runs[0].model for identity, model_runs in by_model.items()}
    shared = Counter(short.values())
    params = params or {}
    models = []
    for identity, model_runs in by_model.items():
        name = short[identity] if shared[short[identity]] == 1 else identity
        models.append(build_model(name, model_runs, paper, installed, params.get(name), iterations, seed, allow_mixed))
    notes = []
    for task in TASKS:
        found = {m.name: m.tasks[task].version for m in models if task in m.tasks}
        if len({_format_version(v) for v in found.values()}) > 1:
            for model in models:
                if task in model.tasks:
                    model.mixed_versions = True
            listed = ", ".join(f"{name} {_format_version(v)}" for name, v in found.items())
            notes.append(f"{task}: models were scored by different metric versions ({listed}); compare with care")
    return Report(models, paper, notes, installed, iterations, seed)


# ---------------------------------------------------------------------------------------------
# Rendering
# ---------------------------------------------------------------------------------------------


def _fmt(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _interval_text(estimate: Estimate | None, sep: str = "–") -> str:
    if estimate is None or estimate.low is None:
        return "—"
    return f"{estimate.low:.2f}{sep}{estimate.high:.2f}"


def _avg_cell(model: ModelReport) -> str:
    marks = (PARTIAL_MARK if model.partial else "") + (VERSION_MARK if model.mixed_versions else "")
    return _fmt(model.avg_score) + marks


def table_rows(report: Report) -> list[dict[str, Any]]:
    """The rows of Table 3 in order: each of our models (then its delta row), then the paper's.
    Each row: ``model``, ``source`` (ours / delta / paper-reported), ``params_b`` and the columns."""
    rows = []
    for model in report.models:
        row = {"model": model.name, "source": "ours", "params_b": model.params_b, "avg_score": model.avg_score}
        row.update(model.columns)
        rows.append(row)
        if model.paper is not None:
            delta = {"model": f"Δ {model.name} − paper", "source": "delta", "params_b": None}
            delta.update(model.delta())
            rows.append(delta)
    for paper in report.paper:
        rows.append({"model": paper["model"], "source": "paper-reported", "params_b": paper["params_b"],
                     **{c: paper[c] for c in REPORT_COLUMNS}})  # fmt: skip
    return rows


def markdown_table3(report: Report) -> str:
    """Table 3 (values) followed by the 95 % interval table, in Markdown."""
    header = ["model", "source", "params (B)", *REPORT_COLUMNS]
    by_name = {m.name: m for m in report.models}
    body = []
    for row in table_rows(report):
        cells = [row["model"], row["source"], _fmt(row["params_b"], 1) if row["params_b"] is not None else "—"]
        for column in REPORT_COLUMNS:
            if column == "avg_score" and row["source"] == "ours":
                cells.append(_avg_cell(by_name[row["model"]]))
            elif row["source"] == "delta" and row[column] is not None:
                cells.append(f"{row[column]:+.2f}")
            else:
                cells.append(_fmt(row[column]))
        body.append(cells)
    out = ["All numbers in %. `paper-reported`: the paper's Table 3 (LoRA fine-tuned models); "
           f"{PARTIAL_MARK} partial run (--limit), {VERSION_MARK} mixed metric versions.", "",
           format_table(header, body, text_columns=2), ""]  # fmt: skip
    out.append(
        f"95 % intervals (percentile bootstrap over images, {report.iterations} replicates, seed {report.seed}):"
    )
    out.append("")
    interval_rows = []
    for model in report.models:
        if model.intervals is None:
            interval_rows.append([model.name, f"{NO_LOGS}: not available", "", *[""] * (len(REPORT_COLUMNS) - 1)])
            continue
        interval_rows.append([model.name, "95% CI", "", *[_interval_text(model.estimate(c)) for c in REPORT_COLUMNS]])
    out.append(format_table(["model", "", "", *REPORT_COLUMNS], interval_rows, text_columns=2))
    return "\n".join(out) + "\n"


def markdown_categories(report: Report) -> str:
    """Task scores per category (value and 95 % interval), one row per model and task."""
    rows = []
    for model in report.models:
        for task, task_run in model.tasks.items():
            cells = [model.name, task]
            for category in CATEGORIES:
                value = _number(task_run.metrics.get(f"category_{category}"))
                text = _fmt(value)
                estimate = None
                if model.intervals is not None and task not in model.tasks_without_logs:
                    estimate = model.intervals.categories.get(task, {}).get(category)
                if value is not None and estimate is not None and estimate.low is not None:
                    text += f" [{_interval_text(estimate, ', ')}]"
                cells.append(text)
            rows.append(cells)
    return format_table(["model", "task", *CATEGORIES], rows, text_columns=2) + "\n"


def markdown_sources(report: Report) -> str:
    """Which file each model's task numbers came from, and which earlier runs they replaced."""
    rows = []
    for model in report.models:
        for task, task_run in model.tasks.items():
            docs = f"{task_run.n_effective}/{task_run.n_original}"
            logs = str(task_run.samples_path) if task_run.samples_path else f"— ({NO_LOGS})"
            replaced = "; ".join(str(r.run.path) for r in model.replaced.get(task, [])) or "—"
            rows.append([model.name, task, str(task_run.run.path), task_run.run.date, docs,
                         _format_version(task_run.version), task_run.run.profile, logs, replaced])  # fmt: skip
    header = ["model", "task", "results file", "date", "docs evaluated/total", "version", "profile", "sample log",
              "replaces"]  # fmt: skip
    return format_table(header, rows, text_columns=len(header)) + "\n"


def provenance_rows(model: ModelReport) -> list[dict[str, Any]]:
    """What produced a row: each results file its numbers come from, the tasks taken from it, and
    its provenance record's fields (``provenance.summary``)."""
    from sarchat_tasks import provenance

    by_file: dict[Path, list[str]] = {}
    runs: dict[Path, RunFile] = {}
    for task, task_run in model.tasks.items():
        by_file.setdefault(task_run.run.path, []).append(task)
        runs[task_run.run.path] = task_run.run
    rows = []
    for path, tasks in by_file.items():
        record = runs[path].provenance
        rows.append({"model": model.name, "tasks": tasks, "results": str(path), "record": record,
                     "viewer": viewer_link(path), **provenance.summary(record)})  # fmt: skip
    return rows


def viewer_link(results: Path) -> str:
    """Where a results file's samples can be looked at: its ``sarchat inspect`` viewer (written by
    default beside the run, ``<run folder>/inspect/index.html``, and showing that very file first),
    else the command that writes it."""
    from sarchat_tasks.report.inspect import viewer_of

    page = viewer_of(results)
    return page.as_uri() if page is not None else f"sarchat inspect {results}"


def markdown_provenance(report: Report) -> str:
    """One line per row and results file: the run, data, model and arguments, profile, frame,
    generation budgets and versions that produced the numbers."""
    header = ["model", "tasks", "results file", "run", "data", "lmms-eval model and model_args", "profile", "frame",
              "budgets", "versions", "samples viewer"]  # fmt: skip
    keys = ("run", "data", "model", "profile", "frame", "budgets", "versions", "viewer")
    body = [
        [row["model"], ", ".join(row["tasks"]), row["results"], *(row[k] for k in keys)]
        for model in report.models
        for row in provenance_rows(model)
    ]
    return format_table(header, body, text_columns=len(header)) + "\n"


def notes_lines(report: Report) -> list[str]:
    lines = [f"- {model.name}: {note}" for model in report.models for note in model.notes]
    lines += [f"- {note}" for note in report.notes]
    return lines or ["- none"]


def markdown_report(report: Report, plots: list[Path], plot_message: str | None) -> str:
    """The whole report as one Markdown document."""
    parts = ["# SARChat-Bench: Table 3 report", "",
             "Scores per paper (arXiv 2502.08168) equations 3-5, computed by this project's scoring rules "
             "(docs/METRICS.md); avg_score = Σ a_t n_t / Σ n_t with a_t the mean of task t's columns and n_t "
             "the samples evaluated.", "",
             "## Table 3", "", markdown_table3(report),
             "## Per-category task scores (a_t over one category's samples, 95 % interval)", "",
             markdown_categories(report), "## Notes", "", *notes_lines(report), "", "## Figures", ""]  # fmt: skip
    if plots:
        parts += [f"![{p.stem}]({p.name})" for p in plots if p.suffix == ".png"]
    parts += [plot_message] if plot_message else []
    parts += ["", "## Sources", "", markdown_sources(report)]
    parts += ["## Provenance (what produced each row)", "", markdown_provenance(report)]
    return "\n".join(parts)


def csv_table3(report: Report) -> str:
    """Table 3 as CSV at full precision, with interval bounds and notes per row."""
    buffer = io.StringIO()
    bounds = [f"{c}_ci95_{side}" for c in REPORT_COLUMNS for side in ("low", "high")]
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["model", "source", "params_b", *REPORT_COLUMNS, *bounds, "notes"])
    by_name = {m.name: m for m in report.models}
    for row in table_rows(report):
        values = [row["model"], row["source"], _csv(row["params_b"]), *[_csv(row[c]) for c in REPORT_COLUMNS]]
        model = by_name.get(row["model"]) if row["source"] == "ours" else None
        for column in REPORT_COLUMNS:
            estimate = model.estimate(column) if model else None
            values += [_csv(estimate.low if estimate else None), _csv(estimate.high if estimate else None)]
        values.append(" | ".join(model.notes) if model else "")
        writer.writerow(values)
    return buffer.getvalue()


def _csv(value: float | None) -> str:
    return "" if value is None else repr(float(value))


def csv_categories(report: Report) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["model", "task", "category", "score", "ci95_low", "ci95_high"])
    for model in report.models:
        for task, task_run in model.tasks.items():
            for category in CATEGORIES:
                value = _number(task_run.metrics.get(f"category_{category}"))
                estimate = None
                if model.intervals is not None and task not in model.tasks_without_logs:
                    estimate = model.intervals.categories.get(task, {}).get(category)
                low, high = (estimate.low, estimate.high) if estimate and value is not None else (None, None)
                writer.writerow([model.name, task, category, _csv(value), _csv(low), _csv(high)])
    return buffer.getvalue()


# LaTeX's ten special characters, each written as text; one pass, so that an escape's own braces
# are never escaped again.
_TEX_ESCAPES = str.maketrans({
    "\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
    "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
})  # fmt: skip


def _tex(text: str) -> str:
    return text.translate(_TEX_ESCAPES).replace("Δ", r"$\Delta$").replace("−", "$-$")


def latex_table3(report: Report) -> str:
    """Table 3 as a booktabs LaTeX table with the paper's column groups; intervals in small type
    under each of our rows."""
    n = len(REPORT_COLUMNS)
    lines = [r"% Generated by `sarchat report`; needs \usepackage{booktabs}.", r"\begin{tabular}{l" + "r" * n + "}",
             r"\toprule"]  # fmt: skip
    groups = " & ".join(rf"\multicolumn{{{len(subs)}}}{{c}}{{{name}}}" for name, subs in PAPER_GROUPS)
    lines.append(rf"Model & Avg & {groups} \\")
    rules, start = [], 3
    for _, subs in PAPER_GROUPS:
        rules.append(rf"\cmidrule(lr){{{start}-{start + len(subs) - 1}}}")
        start += len(subs)
    lines.append(" ".join(rules))
    lines.append(" & & " + " & ".join(s for _, subs in PAPER_GROUPS for s in subs) + r" \\")
    lines.append(r"\midrule")
    by_name = {m.name: m for m in report.models}
    paper_started = False
    for row in table_rows(report):
        if row["source"] == "paper-reported" and not paper_started:
            paper_started = True
            lines.append(r"\midrule")
            lines.append(rf"\multicolumn{{{n + 1}}}{{l}}{{\emph{{Paper-reported (arXiv 2502.08168, Table 3)}}}} \\")
        if row["source"] == "delta":
            cells = ["--" if row[c] is None else f"{row[c]:+.2f}" for c in REPORT_COLUMNS]
        else:
            cells = [_fmt(row[c]).replace("—", "--") for c in REPORT_COLUMNS]
        if row["source"] == "ours":
            model = by_name[row["model"]]
            cells[0] = (
                _tex(_avg_cell(model).replace("—", "--"))
                .replace(PARTIAL_MARK, r"$^\dagger$")
                .replace(VERSION_MARK, r"$^\ddagger$")
            )
        lines.append(_tex(row["model"]) + " & " + " & ".join(cells) + r" \\")
        if row["source"] == "ours":
            model = by_name[row["model"]]
            if model.intervals is None:
                lines.append(
                    rf"\multicolumn{{{n + 1}}}{{l}}{{\scriptsize 95\% intervals: not available ({NO_LOGS})}} \\"
                )
            else:
                ci = [_interval_text(model.estimate(c), "--") for c in REPORT_COLUMNS]
                lines.append(r"\scriptsize 95\% CI & " + " & ".join(rf"\scriptsize {c}" for c in ci) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}", ""]
    return "\n".join(lines)


def report_json(report: Report, plots: list[Path]) -> dict[str, Any]:
    """Everything in the report, machine-readable."""

    def est(e: Estimate | None) -> dict[str, Any] | None:
        return None if e is None else {"value": e.value, "low": e.low, "high": e.high}

    models = []
    for m in report.models:
        models.append({
            "model": m.name, "params_b": m.params_b, "avg_score": m.avg_score, "avg_over_present_tasks": m.avg_over_present,
            "columns": m.columns, "task_scores": m.task_scores, "samples": m.sizes, "missing_tasks": m.missing_tasks,
            "partial": m.partial, "mixed_versions": m.mixed_versions, "paper_row": m.paper["model"] if m.paper else None,
            "delta": m.delta() if m.paper else None,
            "intervals": None if m.intervals is None else {
                "columns": {c: est(m.estimate(c)) for c in REPORT_COLUMNS},
                "tasks": {t: est(e) for t, e in m.intervals.tasks.items() if t not in m.tasks_without_logs},
                "images": m.intervals.images,
            },
            "categories": {t: {c: _number(r.metrics.get(f"category_{c}")) for c in CATEGORIES} for t, r in m.tasks.items()},
            "sources": {t: {"results": str(r.run.path), "date": r.run.date, "profile": r.run.profile, "samples_log": str(r.samples_path) if r.samples_path else None,
                            "n_effective": r.n_effective, "n_original": r.n_original, "version": r.version,
                            "replaces": [str(x.run.path) for x in m.replaced.get(t, [])]} for t, r in m.tasks.items()},
            "notes": m.notes,
            "provenance": [{k: row[k] for k in ("tasks", "results", "record", "viewer")} for row in provenance_rows(m)],
        })  # fmt: skip
    return {"models": models, "paper": report.paper, "notes": report.notes, "installed_versions": report.versions,
            "bootstrap": {"iterations": report.iterations, "seed": report.seed, "level": 0.95, "unit": "image"},
            "plots": [str(p) for p in plots]}  # fmt: skip


def write_plots(report: Report, out: Path) -> tuple[list[Path], str | None]:
    """The radar chart and the size plot; returns the files and a message when some could not be drawn."""
    from sarchat_tasks.report.plots import PlotModel, PlotsUnavailable, radar_chart, score_vs_size

    models = [PlotModel(m.name, m.task_scores, m.avg_score, m.params_b, False) for m in report.models]
    models += [PlotModel(p["model"], paper_task_scores(p), p["avg_score"], p["params_b"], True) for p in report.paper]
    try:
        paths = radar_chart(models, out / "radar")
        size_paths, left_out = score_vs_size(models, out / "avg_vs_params")
    except PlotsUnavailable as exc:
        return [], str(exc)
    message = None
    if left_out:
        message = f"Left out of avg_vs_params (no avg_score): {', '.join(left_out)}"
    return paths + size_paths, message


REPORT_FILES = ("table3.md", "table3.csv", "table3.tex", "categories.csv", "report.md", "report.json",
                "radar.png", "radar.svg", "avg_vs_params.png", "avg_vs_params.svg")  # fmt: skip


def _is_earlier_report(out: Path) -> bool:
    try:
        data = json.loads((out / "report.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and {"models", "paper", "bootstrap"} <= set(data)


def check_report_output(out: Path, runs: list[str]) -> None:
    """Before any work: ``out`` can be a folder, is not a run read nor inside or above one, and
    holds no file with a report file's name unless it holds an earlier report (whose files are
    the suite's own, replaced); raises ``SarchatError`` naming the path."""
    from sarchat_tasks.outputs import check_folder_path, check_not_input

    inputs = [Path(arg if Path(arg).exists() or "=" not in arg else arg.split("=", 1)[1]) for arg in runs]
    try:
        check_folder_path(out)
        check_not_input(out, [p for p in inputs if p.exists()])
    except ValueError as exc:
        raise SarchatError(str(exc)) from exc
    if out.is_dir() and not _is_earlier_report(out):
        foreign = [name for name in REPORT_FILES if (out / name).exists() or (out / name).is_symlink()]
        if foreign:
            raise SarchatError(
                f"{out} holds {', '.join(foreign)}, not written by `sarchat report`; sarchat never replaces files it "
                "did not write: choose another --out"
            )


def write_report(report: Report, out: Path, plots: bool = True) -> dict[str, Path | list[Path] | str | None]:
    """Write every output file into ``out``; returns their paths and the plot message, if any."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    plot_paths, message = write_plots(report, out) if plots else ([], None)
    written: dict[str, Any] = {}
    for name, text in (
        ("table3.md", markdown_table3(report)),
        ("table3.csv", csv_table3(report)),
        ("table3.tex", latex_table3(report)),
        ("categories.csv", csv_categories(report)),
        ("report.md", markdown_report(report, plot_paths, message)),
        ("report.json", json.dumps(report_json(report, plot_paths), indent=2) + "\n"),
    ):
        partial = out / f".partial-{name}"
        partial.write_text(text, encoding="utf-8")
        os.replace(partial, out / name)  # each file whole or not at all
        written[name] = out / name
    written["plots"] = plot_paths
    written["plot_message"] = message
    return written


# ---------------------------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------------------------


def _parse_params(values: list[str]) -> dict[str, float]:
    params = {}
    for value in values:
        name, sep, size = value.rpartition("=")
        if not sep:
            raise SarchatError(f"--params expects NAME=BILLIONS, got {value!r}")
        try:
            params[name] = float(size)
        except ValueError as exc:
            raise SarchatError(f"--params expects NAME=BILLIONS, got {value!r}") from exc
    return params


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("runs", nargs="+", metavar="RUN",
                        help="lmms-eval output folders (searched recursively) or results files; "
                             "NAME=PATH names the model of every run under PATH")  # fmt: skip
    parser.add_argument("--out", type=Path, required=True, help="folder for the report files")
    parser.add_argument("--params", action="append", default=[], metavar="NAME=BILLIONS",
                        help="parameter count of a model for the size plot (paper models and names like '7B' are known)")  # fmt: skip
    parser.add_argument("--bootstrap", type=int, default=DEFAULT_ITERATIONS, help="bootstrap replicates (default 1000)")
    parser.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0)")
    parser.add_argument("--no-plots", action="store_true", help="skip the figures")
    parser.add_argument("--allow-mixed-runs", action="store_true",
                        help="report a model's runs on different data sets or profiles in one row (noted)")  # fmt: skip


def run(args: argparse.Namespace) -> int:
    check_report_output(args.out, args.runs)  # before the bootstrap, not after it
    params = _parse_params(args.params)
    runs = load_runs(args.runs)
    report = build_report(
        runs, params=params, iterations=args.bootstrap, seed=args.seed, allow_mixed=args.allow_mixed_runs
    )
    written = write_report(report, args.out, plots=not args.no_plots)
    print(markdown_table3(report))
    for line in notes_lines(report):
        print(line)
    if written["plot_message"]:
        print(f"sarchat report: {written['plot_message']}", file=sys.stderr)
    print(f"\nReport written to {args.out}/report.md")
    return 0
