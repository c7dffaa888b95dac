"""Lite runs in ``sarchat report`` and ``sarchat rescore``: reported as a model of their own
(``<model> [lite]``), never mixed into the full tasks' row."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from sarchat_tasks.cli import main
from sarchat_tasks.results.run_logs import load_runs

pytestmark = pytest.mark.slow  # every test here runs lmms-eval or builds a model

RESPONSE = "There are 3 instances. {<294><358><329><427>}"


@pytest.fixture(scope="module")
def lite_run(prepared_set: Path, tmp_path_factory, sarchat_command) -> Path:
    out = tmp_path_factory.mktemp("lite_run")
    done = sarchat_command("eval", "--data", prepared_set, "--model", "dummy", "--model_args", f"response={RESPONSE}",
                           "--tasks", "sarchat_lite", "--output_path", out)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return out


def test_lite_tasks_are_read_as_a_model_of_their_own(lite_run: Path):
    (run,) = load_runs([str(lite_run)])
    assert run.model == "dummy [lite]" and run.variant == "_lite"
    results = json.loads(next(lite_run.rglob("*_results.json")).read_text())["results"]
    assert set(run.tasks) == {"counting", "grounding", "identification", "referring", "description", "classification"}
    for task, task_run in run.tasks.items():
        assert task_run.metrics["avg_score"] == results[f"sarchat_{task}_lite"]["avg_score,none"]


def test_report_has_a_lite_row_and_rescore_reproduces_it(lite_run: Path, prepared_set: Path, tmp_path: Path, capsys):
    assert main(["rescore", str(lite_run), "--data", str(prepared_set), "--out", str(tmp_path / "rescored")]) == 0
    original = json.loads(next(lite_run.rglob("*_results.json")).read_text())["results"]
    rescored = json.loads(next((tmp_path / "rescored").rglob("*_results.json")).read_text())["results"]
    names = [name for name in original if name.endswith("_lite")]
    assert names and all(rescored[n]["avg_score,none"] == original[n]["avg_score,none"] for n in names)
    assert main(["report", str(lite_run), "--out", str(tmp_path / "report"), "--no-plots"]) == 0
    capsys.readouterr()
    with open(tmp_path / "report" / "table3.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    ours = [row for row in rows if "dummy" in json.dumps(row)]
    assert ours and all("[lite]" in json.dumps(row) for row in ours)
