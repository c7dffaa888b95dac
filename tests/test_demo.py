"""``sarchat demo``: the main job, on the bundled sample, through the real lmms-eval pipeline."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sarchat_tasks.prepared import PreparedSet
from sarchat_tasks.registry import TABLE3_COLUMNS
from sarchat_tasks.task_folder import bundled_sample

pytestmark = pytest.mark.slow  # every test here runs lmms-eval or builds a model

ENV = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[str, Path]:
    out = tmp_path_factory.mktemp("demo")
    done = subprocess.run(
        [sys.executable, "-m", "sarchat_tasks.cli", "demo", "--out", str(out)],
        env=ENV, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout, out


def _task_scores(out: Path, model: str) -> dict[str, dict]:
    (results,) = sorted((out / model).rglob("*_results.json"))
    return json.loads(results.read_text())["results"]


def test_demo_output_names_models_tasks_sample_and_columns(demo):
    stdout, out = demo
    manifest = PreparedSet(bundled_sample()).manifest
    assert f"{manifest['records']} records over {manifest['images']} images" in stdout
    assert "models: sarchat_cfar, sarchat_blind" in stdout
    for task in ("counting", "grounding", "identification", "referring", "description", "classification"):
        assert task in stdout
    header = next(line for line in stdout.splitlines() if line.startswith("| model"))
    assert [c.strip() for c in header.strip("|").split("|")] == ["model", "avg_score", *TABLE3_COLUMNS]
    for name in ("table3.md", "table3.csv", "table3.tex", "report.md"):
        assert (out / "report" / name).stat().st_size > 0


def test_cfar_beats_blind_where_the_image_matters(demo):
    _, out = demo
    cfar, blind = _task_scores(out, "sarchat_cfar"), _task_scores(out, "sarchat_blind")
    margins = {
        "referring avg_score": cfar["sarchat_referring"]["avg_score,none"]
        - blind["sarchat_referring"]["avg_score,none"],
        "counting_iou25": cfar["sarchat_counting"]["counting_iou25,none"]
        - blind["sarchat_counting"]["counting_iou25,none"],
        "counting_iou50": cfar["sarchat_counting"]["counting_iou50,none"]
        - blind["sarchat_counting"]["counting_iou50,none"],
        "suite avg_score": cfar["sarchat"]["avg_score,none"] - blind["sarchat"]["avg_score,none"],
    }
    print("CFAR minus blind, points:", json.dumps(margins))
    # Measured: referring 19.7 vs 7.7, counting_iou25 12.9 vs 1.5, counting_iou50 12.7 vs 0.4, suite 23.9 vs 3.7.
    assert margins["referring avg_score"] > 10
    assert margins["counting_iou25"] > 10 and margins["counting_iou50"] > 10
    assert margins["suite avg_score"] > 15
