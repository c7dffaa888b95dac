"""Sharded, resumable runs (``sarchat eval --shards N``, ``--shard I/N``, ``sarchat merge``) on the
bundled sample with the deterministic ``sarchat_blind`` baseline, through the real lmms-eval.

The run is killed (SIGKILL to its whole process group) once its first shard is complete; the rerun
skips that shard and the merged metrics equal an unsharded run's to the last digit. Then a shard's
sample log is damaged: the merge refuses naming the shard, and rerunning that one shard alone
restores the same result.
"""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import OFFLINE_ENV

from sarchat_tasks.run.shards import DONE, SHARDS_DIR, parse_shard, shard_name, shard_slice

MODEL = ["--model", "sarchat_blind", "--tasks", "sarchat"]


def _results(out: Path) -> dict:
    found = sorted(p for p in out.glob("*_results.json"))
    assert len(found) == 1, found
    return json.loads(found[0].read_text(encoding="utf-8"))


def _metrics(results: dict) -> dict:
    """Every metric value of every task and group (lmms-eval's stderr fields are N/A or bootstrap)."""
    return {task: {k: v for k, v in block.items() if "_stderr" not in k} for task, block in results["results"].items()}


@pytest.fixture(scope="module")
def unsharded(tmp_path_factory, sarchat_command) -> dict:
    out = tmp_path_factory.mktemp("unsharded")
    done = sarchat_command("eval", *MODEL, "--output_path", out)
    assert done.returncode == 0, done.stderr[-3000:]
    return _results(out)


def test_shard_slices_cover_every_row_once():
    for rows in (0, 1, 2, 7, 175_565):
        for count in (1, 3, 8):
            bounds = [shard_slice(i, count, rows) for i in range(count)]
            assert bounds[0][0] == 0 and bounds[-1][1] == rows
            assert all(a[1] == b[0] for a, b in itertools.pairwise(bounds))
    assert parse_shard("2/8") == (2, 8)


@pytest.mark.slow
def test_killed_sharded_run_resumes_to_the_unsharded_metrics(unsharded, tmp_path, sarchat_command):
    out = tmp_path / "run"
    command = [sys.executable, "-m", "sarchat_tasks.cli", "eval", *MODEL, "--output_path", str(out), "--shards", "2"]
    child = subprocess.Popen(
        command, env=OFFLINE_ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    first = out / SHARDS_DIR / shard_name(0, 2) / DONE
    deadline = time.monotonic() + 300
    while not first.exists() and child.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert first.exists() and child.poll() is None, "the first shard did not complete while the run went on"
    os.killpg(child.pid, signal.SIGKILL)  # the run and its lmms-eval child, mid-way through shard 1
    child.wait()
    assert not list(out.glob("*_results.json"))
    assert not (out / SHARDS_DIR / shard_name(1, 2) / DONE).exists()

    merged = sarchat_command("merge", out)
    assert merged.returncode == 2
    assert "shard 1 of 2 not complete (missing, killed or damaged)" in merged.stderr

    rerun = sarchat_command("eval", *MODEL, "--output_path", out, "--shards", "2")
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert "shard 0/2 is complete, skipped" in rerun.stderr
    results = _results(out)
    assert _metrics(results) == _metrics(unsharded)
    assert results["n-samples"] == unsharded["n-samples"]
    assert results["group_subtasks"] == unsharded["group_subtasks"]
    assert results["sarchat_shards"]["shards"] == 2

    # A damaged shard is never merged; rerunning that shard alone restores the result.
    log = next((out / SHARDS_DIR / shard_name(1, 2)).rglob("*_samples_sarchat_counting.jsonl"))
    log.write_text(log.read_text(encoding="utf-8")[:-40], encoding="utf-8")
    merged = sarchat_command("merge", out)
    assert merged.returncode == 2 and "shard 1 of 2 not complete (missing, killed or damaged)" in merged.stderr
    assert len(list(out.glob("*_results.json"))) == 1  # the earlier merge is left as it was

    again = sarchat_command("eval", *MODEL, "--output_path", out, "--shard", "1/2")
    assert again.returncode == 0, again.stderr[-3000:]
    assert f"all 2 shards complete; join them with: sarchat merge {out}" in again.stderr
    merged = sarchat_command("merge", out)
    assert merged.returncode == 0, merged.stderr[-3000:]
    assert _metrics(_results(out)) == _metrics(unsharded)  # the earlier merge's files were replaced

    # report and rescore read the merged run, not its shards
    rescored = sarchat_command("rescore", out, "--out", tmp_path / "rescored")
    assert rescored.returncode == 0, rescored.stderr[-3000:]
    (written,) = (tmp_path / "rescored").rglob("*_results.json")
    assert _metrics(json.loads(written.read_text())) == _metrics(unsharded)


@pytest.mark.slow
def test_a_sharded_run_refuses_other_settings_in_the_same_folder(tmp_path, sarchat_command):
    out = tmp_path / "run"
    first = sarchat_command("eval", "--model", "sarchat_blind", "--tasks", "sarchat_classification",
                            "--output_path", out, "--shard", "0/2")  # fmt: skip
    assert first.returncode == 0, first.stderr[-3000:]
    assert "1 of 2 shards complete; when all are, join them with: sarchat merge" in first.stderr
    other = sarchat_command("eval", "--model", "sarchat_cfar", "--tasks", "sarchat_classification",
                            "--output_path", out, "--shard", "1/2")  # fmt: skip
    assert other.returncode == 2
    assert "holds shards of another run (differs in lmms_eval_arguments)" in other.stderr
    limited = sarchat_command("eval", "--model", "sarchat_blind", "--limit", "3", "--output_path", tmp_path / "x",
                              "--shards", "2")  # fmt: skip
    assert limited.returncode == 2 and "--limit cannot be combined with sharding" in limited.stderr
