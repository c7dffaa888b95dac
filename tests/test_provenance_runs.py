"""The faults of a run that gave a wrong number with exit status 0, reproduced through the ``sarchat``
command with real lmms-eval runs of the baselines on the bundled sample: each now exits 2 naming
the file, run or shard, or gives the right number."""

from __future__ import annotations

import json
import math
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import OFFLINE_ENV

from sarchat_tasks.run.shards import DONE, PLAN, SHARDS_DIR, shard_name

pytestmark = pytest.mark.slow  # every test runs lmms-eval

COUNTING = ["--model", "sarchat_blind", "--tasks", "sarchat_counting"]
MARKER = "[LMMS_EVAL_REQUEST_FAILED after 3 retries] Connection error: [Errno 111] Connection refused"


def _results_path(out: Path) -> Path:
    (found,) = [p for p in out.glob("*_results.json")]
    return found


def _results(out: Path) -> dict:
    return json.loads(_results_path(out).read_text(encoding="utf-8"))


def _metrics(results: dict) -> dict:
    return {task: {k: v for k, v in block.items() if "_stderr" not in k} for task, block in results["results"].items()}


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def test_a_killed_lmms_eval_child_is_exit_2_and_another_runs_file_is_left_alone(tmp_path):
    """Two runs share one --output_path; this run's lmms-eval is killed (as by the OOM killer)
    while the other run's results file appears: the run used to report that file as its own and
    write its profile into it, with exit status 0."""
    out = tmp_path / "runs"
    command = [sys.executable, "-m", "sarchat_tasks.cli", "eval", *COUNTING, "--output_path", str(out)]
    child = subprocess.Popen(command, env=OFFLINE_ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not _children(child.pid) and child.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    (lmms_eval,) = _children(child.pid)
    other = out / "other_model" / "20260101_000000_results.json"
    other.parent.mkdir(parents=True)
    other.write_text(json.dumps({"results": {"sarchat_counting": {"avg_score,none": 77.0}}}), encoding="utf-8")
    before = other.read_bytes()
    time.sleep(1.0)
    os.kill(lmms_eval, signal.SIGKILL)
    _, stderr = child.communicate(timeout=120)
    assert child.returncode == 2, stderr[-3000:]
    last = stderr.splitlines()[-1]
    assert f"sarchat eval: error: lmms-eval was killed by signal SIGKILL running sarchat_counting into {out}" in last
    assert "nothing of this run is kept" in last
    assert other.read_bytes() == before  # not taken for this run's, no profile written into it
    # the run's own folder is gone; its lmms-eval log stays, named in the error, for the post-mortem
    (log,) = out.glob("lmms-eval-*.log")
    assert f"(its log: {log})" in last
    assert sorted(p.name for p in out.iterdir()) == sorted(["other_model", log.name])


@pytest.fixture(scope="module")
def counting_run(tmp_path_factory, sarchat_command) -> Path:
    out = tmp_path_factory.mktemp("counting_run")
    done = sarchat_command("eval", *COUNTING, "--output_path", out, "--verbose")
    assert done.returncode == 0, done.stderr[-3000:]
    (out.parent / f"{out.name}.stdout").write_text(done.stdout, encoding="utf-8")  # lmms-eval's printed table
    return out


def test_a_run_carries_its_provenance(counting_run):
    results = _results(counting_run)
    record = results["sarchat_provenance"]
    assert record["kind"] == "eval" and record["model"] == {"name": "sarchat_blind", "model_args": ""}
    assert record["profile"] == "sarchat" and record["frame"] == ""  # sarchat_blind answers in the paper's format
    assert record["data"]["records"]["counting"] == 28 and record["data"]["root"].endswith("sample")
    assert (
        record["generation"]["sarchat_counting"]["max_new_tokens"]
        == results["configs"]["sarchat_counting"]["generation_kwargs"]["max_new_tokens"]
    )
    log = record["samples"]["sarchat_counting"]
    assert log["samples"] == 28 and (counting_run / log["file"]).is_file()
    assert record["versions"]["lmms_eval"] == "0.7.3"


def _rescore_copy(counting_run: Path, tmp_path: Path, edit, sarchat_command):
    copy = tmp_path / "run"
    shutil.copytree(counting_run, copy)
    log = next(copy.glob("*_samples_sarchat_counting.jsonl"))
    lines = log.read_text(encoding="utf-8").splitlines(keepends=True)
    log.write_text("".join(edit(lines)), encoding="utf-8")
    return sarchat_command("rescore", copy, "--out", tmp_path / "rescored"), log


def test_rescore_keeps_the_number_and_names_its_parent(counting_run, tmp_path, sarchat_command):
    done, _ = _rescore_copy(counting_run, tmp_path, lambda lines: lines, sarchat_command)
    assert done.returncode == 0, done.stderr
    (written,) = (tmp_path / "rescored").rglob("*_results.json")
    rescored = json.loads(written.read_text())
    assert _metrics(rescored) == _metrics(_results(counting_run))
    record = rescored["sarchat_provenance"]
    assert record["kind"] == "rescore" and record["parents"] == [_results(counting_run)["sarchat_provenance"]["run_id"]]
    assert record["profile"] == "sarchat" and record["samples"]["sarchat_counting"]["samples"] == 28


@pytest.mark.parametrize(
    ("edit", "found"),
    [
        (lambda lines: [], "found 0"),
        (lambda lines: lines[:5], "found 5"),
        (lambda lines: lines + lines, "found 56; doc_id 0, 1, 2, 3, 4 more than once"),
        (lambda lines: lines[:27] + lines[:1], "found 28; doc_id 0 more than once"),
    ],
    ids=["empty", "cut", "doubled", "one-duplicated"],
)
def test_rescore_refuses_a_log_that_does_not_cover_the_rows_once(counting_run, tmp_path, edit, found, sarchat_command):
    done, log = _rescore_copy(counting_run, tmp_path, edit, sarchat_command)
    assert done.returncode == 2
    assert (
        f"{log}: the sample log of sarchat_counting does not cover the run's documents exactly once: expected 28 "
        f"samples (n-samples of {_results_path(counting_run).name}), {found}"
    ) in done.stderr
    assert not list((tmp_path / "rescored").rglob("*_results.json"))


def test_rescore_names_the_line_of_a_sample_without_doc_id(counting_run, tmp_path, sarchat_command):
    def drop_doc_id(lines):
        record = json.loads(lines[2])
        del record["doc_id"]
        return [*lines[:2], json.dumps(record) + "\n", *lines[3:]]

    done, log = _rescore_copy(counting_run, tmp_path, drop_doc_id, sarchat_command)
    assert done.returncode == 2
    assert f"{log} line 3: not a sample record (no integer doc_id)" in done.stderr
    assert "Traceback" not in done.stderr


def test_shards_are_bound_to_their_plan_profile_included(tmp_path, sarchat_command):
    out = tmp_path / "run"
    base = ["eval", *COUNTING, "--output_path", out]
    first = sarchat_command(*base, "--profile", "geochat", "--shard", "0/2")
    assert first.returncode == 0, first.stderr[-3000:]
    # the next shard with the default profile would merge into a number neither profile gives
    other = sarchat_command(*base, "--shard", "1/2")
    assert other.returncode == 2
    assert "holds shards of another run (differs in profile)" in other.stderr
    second = sarchat_command(*base, "--profile", "geochat", "--shard", "1/2")
    assert second.returncode == 0, second.stderr[-3000:]

    merged = sarchat_command("merge", out)  # the FINETUNE.md path: shards of a job array, then merge
    assert merged.returncode == 0, merged.stderr[-3000:]
    results = _results(out)
    record = results["sarchat_provenance"]
    assert record["kind"] == "merge" and record["profile"] == "geochat" and len(record["parents"]) == 2
    shards = [
        json.loads((out / SHARDS_DIR / shard_name(i, 2) / DONE).read_text())["run_id"] for i in range(2)
    ]  # fmt: skip
    assert record["parents"] == shards
    assert record["samples"]["sarchat_counting"]["samples"] == 28

    # rescore reads the answers in the merged run's profile, and gives its numbers back
    rescored = sarchat_command("rescore", out, "--out", tmp_path / "rescored")
    assert rescored.returncode == 0, rescored.stderr[-3000:]
    (written,) = (tmp_path / "rescored").rglob("*_results.json")
    again = json.loads(written.read_text())
    assert again["sarchat_provenance"]["profile"] == "geochat"
    assert _metrics(again) == _metrics(results)
    other = sarchat_command("rescore", out, "--profile", "sarchat", "--out", tmp_path / "as_sarchat")
    assert other.returncode == 0, other.stderr[-3000:]
    (written,) = (tmp_path / "as_sarchat").rglob("*_results.json")
    assert _metrics(json.loads(written.read_text())) != _metrics(results)  # the profile decides the number

    # a done.json whose file list was emptied is rerun, not skipped forever
    done_path = out / SHARDS_DIR / shard_name(1, 2) / DONE
    done = json.loads(done_path.read_text())
    done_path.write_text(json.dumps({**done, "files": {}}))
    rerun = sarchat_command(*base, "--profile", "geochat", "--shards", "2")
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert "shard 0/2 is complete, skipped" in rerun.stderr and "shard 1/2 is complete" not in rerun.stderr
    assert _metrics(_results(out)) == _metrics(results)

    # with plan.json gone, another model's complete shards are never reused
    (out / SHARDS_DIR / PLAN).unlink()
    kept = (out / SHARDS_DIR / shard_name(0, 2) / DONE).read_text()
    cfar = sarchat_command("eval", "--model", "sarchat_cfar", "--tasks", "sarchat_counting", "--output_path", out,
                           "--shards", "2")  # fmt: skip
    assert cfar.returncode == 2
    assert f"{out / SHARDS_DIR / shard_name(0, 2)}: shard 0/2 holds another run's shard" in cfar.stderr
    assert (out / SHARDS_DIR / shard_name(0, 2) / DONE).read_text() == kept


def test_a_shard_with_failed_requests_is_not_complete(tmp_path, sarchat_command):
    out = tmp_path / "run"
    base = ["eval", "--model", "dummy", "--model_args", f"response={MARKER}", "--tasks", "sarchat_description",
            "--output_path", out, "--shards", "2"]  # fmt: skip
    failed = sarchat_command(*base)
    assert failed.returncode == 2
    assert f"{out / SHARDS_DIR}: requests failed in shard 0 (3), 1 (3) of 2; those shards are not complete" in (
        failed.stderr
    )
    assert not list(out.glob("*_results.json"))
    merge = sarchat_command("merge", out)
    assert merge.returncode == 2 and "shard 0: 3 failed requests; shard 1: 3 failed requests" in merge.stderr
    accepted = sarchat_command(*base, "--allow-failed-requests")
    assert accepted.returncode == 0, accepted.stderr[-3000:]
    assert "shard 0/2 is complete, skipped" in accepted.stderr
    assert "6 requests failed (sarchat_description: 6), not scored" in accepted.stderr
    assert _results(out)["results"]["sarchat_description"]["failed_requests,none"] == 6


def test_lmms_eval_prints_standard_errors_on_the_metric_scale(counting_run, tmp_path, sarchat_command):
    """lmms-eval's Stderr_CLT beside a share column was std/sqrt(n) of its 0/1 items, a hundredth
    of the standard error of a value in percent; now it is in percentage points, and absent where
    it would be no honest one (a count, pooled columns, task scores)."""
    results = _results(counting_run)["results"]["sarchat_counting"]
    log = next(counting_run.glob("*_samples_sarchat_counting.jsonl")).read_text(encoding="utf-8").splitlines()
    hits = sum(json.loads(line)["counting_only"] for line in log)
    assert (hits, len(log)) == (10, 28) and results["counting_only,none"] == pytest.approx(100 * 10 / 28)
    # by hand: the standard deviation (ddof=1) of ten 100s and eighteen 0s, over sqrt(28)
    expected = math.sqrt((10 * (100 - 100 * 10 / 28) ** 2 + 18 * (100 * 10 / 28) ** 2) / 27) / math.sqrt(28)
    assert expected == pytest.approx(9.2214, abs=1e-4)
    assert results["counting_only_stderr_clt,none"] == pytest.approx(expected)
    assert results["parse_failure_rate_stderr_clt,none"] == 0.0  # every answer of the baseline is read
    for metric in ("failed_requests", "counting_iou50", "avg_score", "category_ship"):
        assert results[f"{metric}_stderr_clt,none"] == "N/A", metric
    (row,) = [line for line in (counting_run.parent / f"{counting_run.name}.stdout").read_text().splitlines()
              if "|counting_only " in line]  # fmt: skip
    assert row.replace(" ", "").endswith("|35.7143|±|N/A|9.2214|"), row  # Value, ±, Stderr, Stderr_CLT

    # against sarchat report's 95 % interval (a bootstrap over images): the same order of size
    report = sarchat_command("report", counting_run, "--out", tmp_path / "report", "--no-plots")
    assert report.returncode == 0, report.stderr[-3000:]
    interval = json.loads((tmp_path / "report" / "report.json").read_text())["models"][0]["intervals"]["columns"]
    half_width = (interval["counting_only"]["high"] - interval["counting_only"]["low"]) / 2
    assert 0.5 < half_width / (1.96 * expected) < 2


def test_the_report_lists_each_rows_provenance_and_notes_a_changed_log(counting_run, tmp_path, sarchat_command):
    copy = tmp_path / "run"
    shutil.copytree(counting_run, copy)
    record = _results(copy)["sarchat_provenance"]
    done = sarchat_command("report", copy, "--out", tmp_path / "report", "--no-plots")
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads((tmp_path / "report" / "report.json").read_text())
    (row,) = report["models"][0]["provenance"]
    assert row["tasks"] == ["counting"] and row["record"] == record
    markdown = (tmp_path / "report" / "report.md").read_text()
    assert f"eval {record['run_id'][:12]}" in markdown and record["data"]["fingerprint"][:12] in markdown
    assert "not the sample log its run wrote" not in markdown
    log = next(copy.glob("*_samples_sarchat_counting.jsonl"))
    log.write_text(log.read_text().replace('"counting_only": 0', '"counting_only": 1', 1))
    changed = sarchat_command("report", copy, "--out", tmp_path / "changed", "--no-plots")
    assert changed.returncode == 0, changed.stderr[-3000:]
    assert f"counting: {log} is not the sample log its run wrote" in changed.stdout


def test_eval_is_quiet_by_default_with_lmms_evals_log_beside_the_results(tmp_path, sarchat_command):
    """`sarchat eval` prints one table of its own; lmms-eval's output (about 200 coloured lines and
    two tables) goes to a log file beside the results, without colour codes; `--verbose` shows it."""
    out = tmp_path / "quiet"
    command = [sys.executable, "-m", "sarchat_tasks.cli", "eval", *COUNTING, "--output_path", str(out)]
    env = {**OFFLINE_ENV, "SARCHAT_PROGRESS": "1"}  # the bar a terminal would show, into the pipe
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    results = next(out.rglob("*_results.json"))
    log = results.with_name(results.name.replace("_results.json", "_lmms-eval.log"))
    # stdout: our table only, one row, the columns the run has (by hand from the blind baseline's
    # 28 answers: 10 right counts = 35.71, as test_lmms_eval_prints_standard_errors... reads too)
    lines = done.stdout.strip().splitlines()
    assert lines[0] == "| model | counting_only | counting_iou25 | counting_iou50 |"
    assert len(lines) == 3 and lines[2].startswith("| sarchat_blind | 35.71 |")
    assert "\x1b" not in done.stdout + done.stderr
    assert f"sarchat eval: lmms-eval's log: {log}" in done.stderr
    assert "lmms-eval: Model Responding:" in done.stderr and "/28 [" in done.stderr  # the progress bar
    text = log.read_text(encoding="utf-8")
    assert any("|counting_only " in line for line in text.splitlines())  # lmms-eval's own table
    assert "Selected Tasks" in text and "\x1b" not in text
    assert not list(out.glob("lmms-eval-*.log"))  # moved, not copied

    verbose = sarchat_command("eval", *COUNTING, "--output_path", tmp_path / "verbose", "--verbose")
    assert verbose.returncode == 0, verbose.stderr[-3000:]
    shown = verbose.stdout + verbose.stderr
    assert "Selected Tasks" in shown and "\x1b" not in shown  # not a terminal: no colour codes
    assert any("|counting_only " in line for line in verbose.stdout.splitlines())
