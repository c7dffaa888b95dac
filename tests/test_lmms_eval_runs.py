"""End to end through the real lmms-eval: its CLI with the real ``qwen2_vl`` backend on a tiny
random Qwen2-VL, and ``sarchat eval`` with lmms-eval's fixed-answer ``dummy`` backend. The CLI
exits 0 after many errors, so these tests read the results files, not the exit code."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tiny_qwen2vl import build_tiny_qwen2vl

from sarchat_tasks.registry import TABLE3_COLUMNS, TASKS

pytestmark = pytest.mark.slow  # every test here runs lmms-eval or builds a model

TASK_NAMES = [f"sarchat_{task}" for task in TASKS]


def _results(out: Path) -> dict:
    found = sorted(out.rglob("*_results.json"))
    assert len(found) == 1, f"expected one results file under {out}, found {found}"
    return json.loads(found[0].read_text())


@pytest.fixture(scope="module")
def qwen_run(prepared_set: Path, tmp_path_factory, lmms_eval):
    model = build_tiny_qwen2vl(tmp_path_factory.mktemp("tiny_qwen2vl"))
    return lmms_eval(
        "--model", "qwen2_vl", "--model_args", f"pretrained={model},device=cpu,device_map=cpu,max_pixels=12544",
        "--tasks", "sarchat", "--include_path", prepared_set / "tasks", "--batch_size", "2",
        output_path=tmp_path_factory.mktemp("qwen_run"),
    )  # fmt: skip


def test_qwen2_vl_run_reports_every_metric(qwen_run):
    results = qwen_run.results
    for task in TASKS:
        metrics = results["results"][f"sarchat_{task}"]
        for column in TASKS[task].columns:
            assert f"{column.name},none" in metrics, (task, column.name)
        for name in ("avg_score", "parse_failure_rate", "category_ship"):
            assert f"{name},none" in metrics
        assert metrics["avg_score,none"] is not None and 0 <= metrics["avg_score,none"] <= 100
    assert 0 <= results["results"]["sarchat"]["avg_score,none"] <= 100
    assert results["n-samples"]["sarchat_identification"]["effective"] == 4
    # every sample was generated and scored: one log line per record, with the model's response
    lines = qwen_run.samples("sarchat_counting")
    assert len(lines) == 3 and all(isinstance(line["filtered_resps"], str) for line in lines)


@pytest.fixture(scope="module")
def fixed_answer_run(prepared_set: Path, tmp_path_factory, sarchat_command) -> dict:
    out = tmp_path_factory.mktemp("dummy_run")
    done = sarchat_command(
        "eval", "--data", prepared_set, "--model", "dummy",
        "--model_args", "response=There are 3 instances. {<294><358><329><427>}", "--output_path", out,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return _results(out)


def test_sarchat_eval_runs_the_six_tasks_and_the_group(fixed_answer_run):
    results = fixed_answer_run["results"]
    assert set(TASK_NAMES) | {"sarchat"} <= set(results)
    reported = {name.split(",")[0] for task in TASK_NAMES for name in results[task]}
    assert set(TABLE3_COLUMNS) <= reported


def test_fixed_answer_scores_are_the_hand_computed_ones(fixed_answer_run):
    counting = fixed_answer_run["results"]["sarchat_counting"]
    # the answer states 3: right for the 3 ships only (1 of 3 records)
    assert counting["counting_only,none"] == pytest.approx(100 / 3)
    # one box, right only on the ship image: TP 1; FP 1 + 1 on the other two; FN 2 + 2 + 1
    assert counting["counting_iou50,none"] == pytest.approx(100 / 8)
    referring = fixed_answer_run["results"]["sarchat_referring"]
    # multi: 3 ships (TP 1, FN 2) and 2 tanks (FP 1, FN 2) -> 1 / 6; single: nothing matches
    assert referring["referring_multi_iou50,none"] == pytest.approx(100 / 6)
    assert referring["referring_single_iou50,none"] == 0.0
    assert referring["avg_score,none"] == pytest.approx((100 / 6 + 100 / 6 + 0 + 0) / 4)
    classification = fixed_answer_run["results"]["sarchat_classification"]
    assert classification["classification,none"] == 0.0 and classification["parse_failure_rate,none"] == 100.0
    # the group's avg_score is equation 4 over the task scores, weighted by samples
    sizes = {t: fixed_answer_run["n-samples"][t]["effective"] for t in TASK_NAMES}
    expected = sum(fixed_answer_run["results"][t]["avg_score,none"] * sizes[t] for t in TASK_NAMES) / sum(
        sizes.values()
    )
    assert fixed_answer_run["results"]["sarchat"]["avg_score,none"] == pytest.approx(expected)
