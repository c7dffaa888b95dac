"""``sarchat demo``: the whole benchmark on the bundled sample, on a CPU, with no network.

Runs the real lmms-eval pipeline over the six tasks of the bundled synthetic sample with the two
floors a VLM should beat: ``sarchat_cfar`` (a classical radar detector) and ``sarchat_blind``
(answers without looking at the image), then prints the Table 3-style report.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
import time
from pathlib import Path

from sarchat_tasks.prepared import PreparedSet
from sarchat_tasks.report.tables import table3_markdown
from sarchat_tasks.run.launcher import RunContext, launch
from sarchat_tasks.task_folder import bundled_sample, packaged_task_folder

MODELS: tuple[str, ...] = ("sarchat_cfar", "sarchat_blind")


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--out", type=Path, default=Path("sarchat-demo"), help="output folder (default: ./sarchat-demo)"
    )
    parser.add_argument("--models", "--model", default=",".join(MODELS), help="comma-separated lmms-eval models")
    parser.add_argument(
        "--verbose", action="store_true", help="show lmms-eval's own output (default: in OUT/MODEL/lmms-eval.log)"
    )


def _run_lmms_eval(model: str, out: Path, verbose: bool = False) -> Path:
    """One model over the six tasks; raises ``LaunchError`` unless every task has results. lmms-eval's
    output goes to ``out/lmms-eval.log`` unless ``verbose``."""
    from sarchat_tasks.provenance import data_record

    context = RunContext(data=data_record(bundled_sample()))
    argv = ["--model", model, "--output_path", str(out), "--log_samples"]
    log = None if verbose else out / "lmms-eval.log"
    return launch(packaged_task_folder(), argv, context=context, log=log, quiet=not verbose).results_path


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
        began = time.perf_counter()
        where = "" if args.verbose else f" (lmms-eval's log: {args.out / model / 'lmms-eval.log'})"
        print(f"sarchat demo: {model} on {manifest['records']:,} records{where}", file=sys.stderr, flush=True)
        path = _run_lmms_eval(model, args.out / model, args.verbose)
        rows[model] = json.loads(path.read_text(encoding="utf-8"))
        print(f"sarchat demo: {model} done in {time.perf_counter() - began:.0f} s", file=sys.stderr, flush=True)
    print()
    print(f"SARChat-Bench demo: bundled synthetic sample, {manifest['records']} records over "
          f"{manifest['images']} images; tasks: {', '.join(manifest['tasks'])}; models: {', '.join(models)}")  # fmt: skip
    print(table3_markdown(rows))
    print(f"\n{time.perf_counter() - started:.0f} s; lmms-eval results and sample logs under {args.out.resolve()}")
    from sarchat_tasks.cli import main as sarchat_main

    # each model's run folder, so that the report folder lies beside the runs, not inside one; the
    # report's own table repeats the one above with the paper's rows: it is in the report's files
    report = io.StringIO()
    with contextlib.redirect_stdout(report):
        code = sarchat_main(["report", *(str(args.out / model) for model in models), "--out", str(args.out / "report")])
    if code:
        print(report.getvalue(), end="")
        return code
    print(f"report (with the paper's rows, intervals, plots): {args.out / 'report' / 'report.md'}")
    return 0
