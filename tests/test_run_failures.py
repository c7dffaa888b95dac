"""``sarchat eval`` never reports success for a run that did not give results for every task asked
for, and never scores lmms-eval's failed-request marker as an answer (issue: lmms-eval 0.7.3's
command exits 0 after these errors). Each case: exit status, the message, nothing scored wrongly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sarchat_tasks.cli import main
from sarchat_tasks.run.evaluate import EvalError, check_launch
from sarchat_tasks.run.launcher import Launch, failed_requests, missing_tasks

MARKER = "[LMMS_EVAL_REQUEST_FAILED after 3 retries] Connection error: [Errno 111] Connection refused"


def _results(out: Path) -> dict:
    (found,) = sorted(out.rglob("*_results.json"))
    return json.loads(found.read_text(encoding="utf-8"))


@pytest.mark.slow
def test_an_unknown_model_exits_2_naming_the_tasks(tmp_path, sarchat_command):
    done = sarchat_command("eval", "--model", "no_such_model", "--tasks", "sarchat_classification",
                           "--output_path", tmp_path / "out")  # fmt: skip
    assert done.returncode == 2
    assert "sarchat eval: error: lmms-eval wrote no results" in done.stderr
    assert "for sarchat_classification (exit status 0)" in done.stderr  # lmms-eval itself said 0
    assert "no_such_model" in done.stderr.splitlines()[-1]
    assert not list((tmp_path / "out").rglob("*_results.json")) if (tmp_path / "out").exists() else True


@pytest.mark.slow
def test_lmms_eval_crashing_before_any_result_exits_2_with_its_error(tmp_path, sarchat_command):
    done = sarchat_command("eval", "--model", "sarchat_blind", "--model_args", "nonsense=1",
                           "--tasks", "sarchat_classification", "--output_path", tmp_path / "out")  # fmt: skip
    assert done.returncode == 2
    last = done.stderr.splitlines()[-1]
    assert "lmms-eval wrote no results" in last and "unknown model_args nonsense" in last
    assert "\x1b[" not in last


@pytest.mark.slow
def test_an_unknown_task_of_lmms_eval_exits_2(tmp_path, sarchat_command):
    done = sarchat_command("eval", "--model", "sarchat_blind", "--tasks", "no_such_task", "--output_path", tmp_path)
    assert done.returncode == 2
    last = done.stderr.splitlines()[-1]
    assert "lmms-eval wrote no results" in last and "for no_such_task (exit status 0)" in last


def test_an_unknown_sarchat_task_stops_before_lmms_eval(capsys):
    assert main(["eval", "--model", "sarchat_blind", "--tasks", "sarchat_counting,sarchat_nope"]) == 2
    err = capsys.readouterr().err
    assert "error: unknown task sarchat_nope" in err


def test_an_output_path_under_a_file_stops_before_lmms_eval(tmp_path, capsys):
    (tmp_path / "file").write_text("x")
    code = main(["eval", "--model", "sarchat_blind", "--tasks", "sarchat_counting",
                 "--output_path", str(tmp_path / "file" / "out")])  # fmt: skip
    assert code == 2
    assert f"{tmp_path / 'file'} is a file, not a folder" in capsys.readouterr().err


def test_a_results_file_missing_a_group_member_is_a_failure():
    results = {"results": {"sarchat": {}, "sarchat_counting": {}}, "group_subtasks": {"sarchat": ["sarchat_counting",
               "sarchat_grounding"]}}  # fmt: skip
    assert missing_tasks(results, ["sarchat"]) == ["sarchat_grounding"]
    assert missing_tasks(results, ["sarchat_counting", "sarchat_referring"]) == ["sarchat_referring"]


def test_process_results_never_scores_the_failed_request_marker():
    from sarchat_tasks.hooks import process_results
    from sarchat_tasks.prepared import PreparedSet
    from sarchat_tasks.results.run_logs import read_rows
    from sarchat_tasks.task_folder import bundled_sample

    (row,) = read_rows(PreparedSet(bundled_sample()).rows_file("counting"))[:1]
    scored = process_results(row, [row["answer"]])
    assert scored["failed_requests"] == 0 and scored["counting_only"] == 1
    failed = process_results(row, [MARKER])
    assert failed["failed_requests"] == 1
    assert set(failed) == set(scored)
    assert all(value is None for key, value in failed.items() if key != "failed_requests")


@pytest.mark.slow
def test_failed_requests_are_counted_not_scored_and_fail_the_run(tmp_path, sarchat_command):
    out = tmp_path / "out"
    done = sarchat_command("eval", "--model", "dummy", "--model_args", f"response={MARKER}", "--tasks",
                           "sarchat_counting,sarchat_classification", "--output_path", out,
                           "--allow-failed-requests")  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert "requests failed (sarchat_classification: 24, sarchat_counting: 28), not scored" in done.stderr
    results = _results(out)
    counting = results["results"]["sarchat_counting"]
    assert counting["failed_requests,none"] == 28
    assert counting["avg_score,none"] is None and counting["parse_failure_rate,none"] is None
    assert failed_requests(results) == {"sarchat_counting": 28, "sarchat_classification": 24}
    # without --allow-failed-requests the same run is an error naming the counts
    launch = Launch(results_path=out / "r_results.json", results=results, tasks=["sarchat_counting"],
                    failed_requests=failed_requests(results))  # fmt: skip
    with pytest.raises(EvalError, match=r"52 requests failed \(sarchat_classification: 24, sarchat_counting: 28\)"):
        check_launch(launch, allow_failed=False)
    # the report says so
    assert main(["report", str(out), "--out", str(tmp_path / "report"), "--bootstrap", "20", "--no-plots"]) == 0
    report = (tmp_path / "report" / "report.md").read_text()
    assert "failed requests, not scored: counting 28, classification 24" in report
    # rescoring the logs keeps them failed
    assert main(["rescore", str(out), "--out", str(tmp_path / "rescored")]) == 0
    rescored = _results(tmp_path / "rescored")["results"]["sarchat_counting"]
    assert rescored["failed_requests,none"] == 28 and rescored["avg_score,none"] is None
