"""``sarchat demo``: the whole benchmark on the bundled sample, on a CPU, with no network.

Runs the real lmms-eval pipeline over the six tasks of the bundled synthetic sample with the two
floors a VLM should beat: ``sarchat_cfar`` (a classical radar detector) and ``sarchat_blind``
(answers without looking at the image), then prints the Table 3-style report.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from sarchat_tasks.prepared import PreparedSet
from sarchat_tasks.registry import TABLE3_COLUMNS
from sarchat_tasks.report.tables import format_table
from sarchat_tasks.run.launcher import RunContext, launch
from sarchat_tasks.task_folder import bundled_sample, packaged_task_folder

MODELS: tuple[str, ...] = ("sarchat_cfar", "sarchat_blind")


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--out", type=Path, default=Path("sarchat-demo"), help="output folder (default: ./sarchat-demo)"
    )
    parser.add_argument("--models", "--model", default=",".join(MODELS), help="comma-separated lmms-eval models")


def _run_lmms_eval(model: str, out: Path) -> Path:
    """One model over the six tasks; raises ``LaunchError`` unless every task has results."""
    from sarchat_tasks.provenance import data_record

    context = RunContext(data=data_record(bundled_sample()))
    argv = ["--model", model, "--output_path", str(out), "--log_samples"]
    return launch(packaged_task_folder(), argv, context=context).results_path


def table(rows: dict[str, dict]) -> str:
    """Table 3 as Markdown: one row per model, the paper's columns and avg_score."""
    header = ["model", "avg_score", *TABLE3_COLUMNS]
    body = []
    for model, results in rows.items():
        flat = {}
        for task, metrics in results["results"].items():
            for key, value in metrics.items():
                name = key.split(",")[0]
                if name in TABLE3_COLUMNS or (task == "sarchat" and name == "avg_score"):
                    flat[name] = value
        body.append(
            [model, *(f"{flat[c]:.2f}" if isinstance(flat.get(c), (int, float)) else "n/a" for c in header[1:])]
        )
    return format_table(header, body, text_columns=len(header))


def run(args: argparse.Namespace) -> int:
    from sarchat_tasks.errors import SarchatError
    from sarchat_tasks.outputs import check_folder_path

    try:
        check_folder_path(args.out)  # before any model runs
    except ValueError as exc:
        raise SarchatError(str(exc)) from exc
    manifest = PreparedSet(bundled_sample()).manifest
    models = [m for m in args.models.split(",") if m]
    started = time.perf_counter()
    rows = {}
    for model in models:
        path = _run_lmms_eval(model, args.out / model)
        rows[model] = json.loads(path.read_text(encoding="utf-8"))
    print()
    print(f"SARChat-Bench demo: bundled synthetic sample, {manifest['records']} records over "
          f"{manifest['images']} images; tasks: {', '.join(manifest['tasks'])}; models: {', '.join(models)}")  # fmt: skip
    print(table(rows))
    print(f"\n{time.perf_counter() - started:.0f} s; lmms-eval results and sample logs under {args.out.resolve()}")
    from sarchat_tasks.cli import main as sarchat_main

    # each model's run folder, so that the report folder lies beside the runs, not inside one
    return sarchat_main(["report", *(str(args.out / model) for model in models), "--out", str(args.out / "report")])
