"""Every vision-language family that transformers implements natively, through its real lmms-eval
backend: a tiny random checkpoint of the family (``tiny_models.py``, built here, nothing downloaded)
runs the packaged ``sarchat_referring_lite`` task (one multi and one single record) with the
lmms-eval CLI on CPU. The CLI exits 0 after many errors, and two of these backends turn a failed
generation into an empty answer, so the tests read the written files: the results hold every metric
of the task with a value, and the samples log holds a non-empty model answer for every record.
docs/MODELS.md lists the families and the backends that cannot run here, with the reason."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from tiny_models import FAMILIES

from sarchat_tasks.registry import PROFILES, TASKS, profile_for_model
from sarchat_tasks.task_folder import packaged_task_folder

TASK = "sarchat_referring_lite"
METRICS = [column.name for column in TASKS["referring"].columns] + ["avg_score", "parse_failure_rate"]


@pytest.mark.slow
@pytest.mark.parametrize("family", list(FAMILIES))
def test_tiny_model_runs_through_its_backend(family: str, tmp_path: Path, lmms_eval):
    spec = FAMILIES[family]
    model = spec.build(tmp_path / "model", 0)
    start = time.perf_counter()
    run = lmms_eval(
        "--model", spec.backend, "--model_args", f"pretrained={model},{spec.model_args}",
        "--tasks", TASK, "--include_path", packaged_task_folder(),
        # random weights never stop on their own: a short budget keeps the run to seconds
        "--gen_kwargs", "max_new_tokens=16",
        output_path=tmp_path / "out", timeout=600,
    )  # fmt: skip
    elapsed = time.perf_counter() - start
    metrics = run.results["results"][TASK]
    for name in METRICS:
        assert metrics.get(f"{name},none") is not None, (family, name, run.done.stdout[-2000:])
    lines = run.samples(TASK)
    assert len(lines) == 2, family
    # the backend's profile asked for boxes in the family's own syntax (docs/MODELS.md)
    asked = PROFILES[profile_for_model(spec.backend)].boxes.split("{")[0]
    for line in lines:
        assert isinstance(line["filtered_resps"], str) and line["filtered_resps"], (family, line["filtered_resps"])
        assert asked and asked in line["input"], (family, line["input"])
    print(f"{family}: {elapsed:.1f} s")
