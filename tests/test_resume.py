"""What lmms-eval 0.7.3's response cache (``--use_cache DIR``) does for a SARChat run, measured.

Holds, and tested here (lmms-eval's fixed-answer ``dummy`` backend, which leaves its requests as
they are):

* a completed run's generations are reused by a rerun: no model call at all, identical metrics;
* a run over ``--limit N`` then the full run: the full run reuses the N records per task and
  generates only the rest; a task run alone in chunks (``--offset``/``--limit``) is reused by
  the ``sarchat`` group run, whose metrics equal those of a run made in one go. Running in
  chunks is the only way to make a long run resumable in 0.7.3: each chunk that completes is kept.

Does not hold, and tested here so that a future lmms-eval that changes it is noticed:

* with the ``qwen2_vl`` backend nothing is ever reused: it pops ``until`` from the request's
  generation kwargs (models/simple/qwen2_vl.py), and the cache computes the key it stores
  under after the model call from those mutated kwargs (caching/response_cache.py) while it
  looks up with the kwargs as they were before (response_cache.py). 43 of lmms-eval's
  simple backends pop ``until`` this way;
* a run killed part way keeps nothing, whatever the backend: all requests of a run go to the model
  in one ``generate_until`` call (evaluator.py, response_cache.py) and responses are
  written only after that call returns (response_cache.py); a killed run's folder is never
  merged into the shared cache (response_cache.py).

docs/PERFORMANCE.md, "Resuming", has the commands and figures.

Counting model calls: lmms-eval's own ``ResponseCache stats: H hits, M misses`` log line, and the
run's audit log (``DIR/runs/<run>/rank_0.audit.jsonl``), to which every response the model
produces is appended, one line each. The in-process runs go through ``simple_evaluate`` with the
model named by string and model_args, as the CLI does, so the cache keys are the CLI's; one
process and one task index for all of them keeps the file fast. The killed run is the real CLI.
"""

from __future__ import annotations

import json
import os
import re
import select
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.slow  # every test here runs lmms-eval or builds a model

OFFLINE = {"HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
FIXED_ANSWER = "There are 3 instances. {<294><358><329><427>}"
STATS_RE = re.compile(r"ResponseCache stats: (\d+) hits.*?, (\d+) misses")
# Records per task in the fixture, and how many a --limit 2 run covers.
SIZES = {"counting": 3, "grounding": 3, "identification": 4, "referring": 4, "description": 1, "classification": 2}
TOTAL = sum(SIZES.values())
FIRST_TWO = sum(min(2, n) for n in SIZES.values())
FIRST_ONE = len(SIZES)

# (label, cache folder, model, tasks, limit, offset)
STEPS: list[tuple[str, str, str, list[str], int | None, int]] = [
    ("limit2", "a", "dummy", ["sarchat"], 2, 0),
    ("full", "a", "dummy", ["sarchat"], None, 0),
    ("rerun", "a", "dummy", ["sarchat"], None, 0),
    ("chunk_tail", "b", "dummy", ["sarchat_identification"], None, 2),
    ("chunk_head", "b", "dummy", ["sarchat_identification"], 2, 0),
    ("after_chunks", "b", "dummy", ["sarchat"], None, 0),
    ("qwen", "q", "qwen2_vl", ["sarchat"], 1, 0),  # one record per task: enough to see the keys
    ("qwen_rerun", "q", "qwen2_vl", ["sarchat"], 1, 0),
]


def _model_args(model: str, model_path: str) -> str:
    if model == "dummy":
        return f"response={FIXED_ANSWER}"
    return f"pretrained={model_path},device=cpu,device_map=cpu,max_pixels=12544"


def _audit(cache: Path, known: set[Path]) -> list[dict[str, Any]]:
    """The audit log of the run this step added under ``cache``: one entry per generation."""
    (run,) = [p for p in (cache / "runs").iterdir() if p.is_dir() and p not in known]
    text = (run / "rank_0.audit.jsonl").read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


# ---------------------------------------------------------------------------------------------
# The script side: every in-process step, one after the other
# ---------------------------------------------------------------------------------------------


def main(include_path: str, model_path: str, work: str) -> None:
    """Run ``STEPS`` in this process; write what each one did to ``work/steps.json``."""
    os.environ.update(OFFLINE)
    from lmms_eval.evaluator import simple_evaluate
    from lmms_eval.tasks import TaskManager
    from loguru import logger

    lines: list[str] = []
    logger.add(lambda message: lines.append(str(message)), level="INFO")
    tasks = TaskManager(include_path=include_path)
    report: dict[str, Any] = {}
    for label, cache_name, model, task_names, limit, offset in STEPS:
        cache = Path(work) / cache_name
        known = set((cache / "runs").iterdir()) if (cache / "runs").is_dir() else set()
        del lines[:]
        results = simple_evaluate(
            model=model,
            model_args=_model_args(model, model_path),
            tasks=task_names,
            task_manager=tasks,
            use_cache=str(cache),
            limit=limit,
            offset=offset,
            log_samples=True,
        )
        stats = [m.groups() for line in lines for m in [STATS_RE.search(line)] if m]
        audit = _audit(cache, known)
        report[label] = {
            "hits_misses": [int(x) for x in stats[-1]] if stats else None,
            "generated": len(audit),
            "stored_gen_kwargs": sorted({entry["gen_kwargs"] for entry in audit}),
            "skipped_inference": any("skipping model inference" in line for line in lines),
            "results": results["results"],
            "responses": {
                task: {str(s["doc_id"]): s["filtered_resps"] for s in samples}
                for task, samples in results["samples"].items()
            },
        }
    (Path(work) / "steps.json").write_text(json.dumps(report, default=str, sort_keys=True), encoding="utf-8")


# ---------------------------------------------------------------------------------------------
# The test side
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory) -> Path:
    from tiny_qwen2vl import build_tiny_qwen2vl

    return build_tiny_qwen2vl(tmp_path_factory.mktemp("tiny_qwen2vl"))


@pytest.fixture(scope="module")
def steps(prepared_set: Path, tiny_model: Path, tmp_path_factory) -> dict[str, Any]:
    work = tmp_path_factory.mktemp("resume")
    command = [sys.executable, __file__, str(prepared_set / "tasks"), str(tiny_model), str(work)]
    done = subprocess.run(command, env={**os.environ, **OFFLINE}, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0 and (work / "steps.json").is_file(), done.stderr[-4000:]
    return json.loads((work / "steps.json").read_text(encoding="utf-8"))


def test_a_completed_run_is_reused_without_any_model_call(steps):
    full, rerun = steps["full"], steps["rerun"]
    assert rerun["hits_misses"] == [TOTAL, 0] and rerun["generated"] == 0 and rerun["skipped_inference"]
    assert rerun["results"] == full["results"]
    assert rerun["responses"] == full["responses"]


def test_a_limited_run_is_reused_by_the_full_run(steps):
    assert steps["limit2"]["hits_misses"] == [0, FIRST_TWO] and steps["limit2"]["generated"] == FIRST_TWO
    # the full run generates only the records the --limit 2 run did not reach
    assert steps["full"]["hits_misses"] == [FIRST_TWO, TOTAL - FIRST_TWO]
    assert steps["full"]["generated"] == TOTAL - FIRST_TWO


def test_chunks_of_one_task_are_reused_by_the_group_run(steps):
    identification = SIZES["identification"]
    assert steps["chunk_tail"]["hits_misses"] == [0, identification - 2]
    assert steps["chunk_head"]["hits_misses"] == [0, 2]
    after = steps["after_chunks"]
    assert after["hits_misses"] == [identification, TOTAL - identification]
    assert after["generated"] == TOTAL - identification
    # a run assembled from chunks scores exactly as the run made in one go
    assert after["results"] == steps["rerun"]["results"]


def test_qwen2_vl_generations_are_stored_but_never_reused(steps, prepared_set: Path):
    """lmms-eval 0.7.3 bug: qwen2_vl pops ``until`` from the request, so the key stored (after the
    call) is not the key looked up (before it). When this fails, lmms-eval fixed it: update
    docs/PERFORMANCE.md ("Resuming") and turn this into a reuse test."""
    from sarchat_tasks.task_folder import read_task_yaml

    first, again = steps["qwen"], steps["qwen_rerun"]
    assert first["hits_misses"] == [0, FIRST_ONE] and first["generated"] == FIRST_ONE
    assert again["hits_misses"] == [0, FIRST_ONE] and again["generated"] == FIRST_ONE  # all of it again
    asked = read_task_yaml(prepared_set / "tasks" / "sarchat_counting.yaml")["generation_kwargs"]
    assert "until" in asked
    assert first["stored_gen_kwargs"] and all("until" not in json.loads(k) for k in first["stored_gen_kwargs"])
    # greedy decoding: the regenerated answers are the same, so are the metrics
    assert again["responses"] == first["responses"] and again["results"] == first["results"]


def test_a_killed_run_keeps_no_generation(prepared_set: Path, tiny_model: Path, tmp_path: Path):
    """The real CLI, killed (SIGKILL) once the model has answered several records: nothing of
    them was written, before or after the kill, so a rerun has to generate them again."""
    cache = tmp_path / "cache"
    command = [
        sys.executable, "-m", "lmms_eval", "--model", "qwen2_vl", "--model_args", _model_args("qwen2_vl", str(tiny_model)),
        "--tasks", "sarchat", "--include_path", str(prepared_set / "tasks"), "--use_cache", str(cache),
        "--gen_kwargs", "max_new_tokens=384",  # a second or more per record: time to watch it work
    ]  # fmt: skip
    process = subprocess.Popen(
        command, env={**os.environ, **OFFLINE}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    progress = re.compile(rb"Model Responding:\s*\d+%\|[^|\r\n]*\|\s*(\d+)/(\d+)")
    seen, answered, deadline = b"", 0, time.monotonic() + 300
    try:
        while answered < 2 and time.monotonic() < deadline:
            if not select.select([process.stderr], [], [], 5.0)[0]:
                continue  # nothing written for 5 s: look at the deadline again
            chunk = os.read(process.stderr.fileno(), 65536)
            if not chunk:
                break
            seen = (seen + chunk)[-4096:]
            found = progress.findall(seen)
            answered = int(found[-1][0]) if found else 0
        runs = list((cache / "runs").glob("*/rank_0.db"))
        stored_while_running = [_rows(db) for db in runs]
        audited_while_running = [len((db.parent / "rank_0.audit.jsonl").read_bytes().splitlines()) for db in runs]
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
    assert 2 <= answered < TOTAL, f"the run did not get part way: {seen[-1500:]!r}"
    assert stored_while_running == [0] and audited_while_running == [0]
    # after the kill: no root cache, the run's own store empty, nothing marked for a later merge
    assert not (cache / "cache.db").exists()
    (run,) = [p for p in (cache / "runs").iterdir() if p.is_dir()]
    assert _rows(run / "rank_0.db") == 0
    assert not (run / ".ready").exists()


def _rows(db: Path) -> int:
    with sqlite3.connect(db) as connection:
        return connection.execute("SELECT COUNT(*) FROM responses").fetchone()[0]


if __name__ == "__main__":
    main(*sys.argv[1:4])
