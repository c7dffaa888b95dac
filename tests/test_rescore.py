"""``sarchat rescore`` on the sample logs of real lmms-eval runs (dummy backend, official fixture)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from test_report_runs import real_runs, results

from sarchat_tasks import cli
from sarchat_tasks.report.table3 import build_report
from sarchat_tasks.results.rescore import RescoreError, rescore_run
from sarchat_tasks.results.run_logs import load_run, load_runs, read_samples
from sarchat_tasks.utils.boxes import BoxConventions

pytestmark = pytest.mark.slow  # every test reads real lmms-eval runs


@pytest.fixture(scope="module")
def runs(prepared_set, tmp_path_factory) -> dict[str, Path]:
    return real_runs(prepared_set, tmp_path_factory.getbasetemp() / "lmms_runs")


def _strip_stderr(block: dict) -> dict:
    return {k: v for k, v in block.items() if "_stderr" not in k}


def test_rescoring_unchanged_logs_reproduces_lmms_eval_exactly(runs, tmp_path):
    written = rescore_run(load_run(runs["full"]), tmp_path)
    original, rescored = results(runs["full"]), results(written)
    assert set(rescored["results"]) == set(original["results"])
    for task, block in original["results"].items():
        assert _strip_stderr(rescored["results"][task]) == _strip_stderr(block), task
    assert rescored["n-samples"] == original["n-samples"]
    assert rescored["date"] > original["date"]
    assert rescored["sarchat_rescore"]["source"] == str(runs["full"])
    # The rescored sample logs hold the same per-sample values as lmms-eval's.
    for log in sorted(runs["full_dir"].rglob("*_samples_*.jsonl")):
        task = log.name.split("_samples_")[1]
        new = read_samples(written.parent / f"{rescored['date']}_samples_{task}")
        assert new == read_samples(log), task


def test_the_report_reads_rescored_runs_and_prefers_them(runs, tmp_path):
    written = rescore_run(load_run(runs["full"]), tmp_path / "rescored")
    (model,) = build_report(load_runs([str(runs["full_dir"]), str(tmp_path / "rescored")]), iterations=50).models
    assert all(task_run.run.path == written for task_run in model.tasks.values())
    assert [r.run.path for r in model.replaced["counting"]] == [runs["full"]]
    assert model.avg_score == pytest.approx(results(runs["full"])["results"]["sarchat"]["avg_score,none"])
    assert model.intervals is not None  # the rescored sample logs feed the intervals


def test_a_changed_coordinate_convention_is_applied(runs, tmp_path):
    """The harbour's three ships answered as [x1, y1, x2, y2] fractions of the 512 px image: no
    match read as pixels, three matches read with list=unit."""
    copy = tmp_path / "run"
    shutil.copytree(runs["full_dir"], copy)
    log = next(copy.rglob("*_samples_sarchat_counting.jsonl"))
    lines = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    boxes = [(294, 358, 329, 427), (61, 448, 122, 503), (27, 199, 78, 261)]
    unit = " ".join("[" + ", ".join(f"{v / 512:.6f}" for v in box) + "]" for box in boxes)
    assert lines[0]["input_media"][0].endswith("harbour.png")
    lines[0]["filtered_resps"] = f"There are 3 instances. {unit}"
    log.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    run = load_run(next(copy.rglob("*_results.json")))
    as_pixels = results(rescore_run(run, tmp_path / "pixels"))["results"]["sarchat_counting"]
    as_unit = results(rescore_run(run, tmp_path / "unit", conventions=BoxConventions(list="unit")))
    counting = as_unit["results"]["sarchat_counting"]
    # Other docs score [0, 3, 2] and [0, 3, 1] as before (see test_report); doc 0 is 3 TP or 3 FP + 3 FN.
    assert counting["counting_iou50,none"] == pytest.approx(100 * 3 / 12)
    assert as_pixels["counting_iou50,none"] == 0.0
    assert counting["counting_only,none"] == as_pixels["counting_only,none"] == pytest.approx(100 / 3)
    assert as_unit["sarchat_rescore"]["conventions"] == ""  # the spec string is given by the CLI


def test_a_log_is_never_scored_against_other_data(runs, prepared_set, tmp_path):
    other = tmp_path / "other"
    shutil.copytree(prepared_set, other)
    (other / "rows" / "counting.parquet").unlink()
    shutil.copy(prepared_set / "rows" / "referring.parquet", other / "rows" / "counting.parquet")
    with pytest.raises(RescoreError, match=r"differs from row|logged image"):
        rescore_run(load_run(runs["full"]), tmp_path / "out", data=other)


def test_tasks_without_logs_are_left_out_and_said(runs, tmp_path, capsys):
    copy = tmp_path / "run"
    shutil.copytree(runs["full_dir"], copy)
    next(copy.rglob("*_samples_sarchat_description.jsonl")).unlink()
    code = cli.main(["rescore", str(copy), "--out", str(tmp_path / "out"), "--conventions", "list=unit"])
    assert code == 0
    assert "no sample log, left out: description" in capsys.readouterr().out
    rescored = results(next((tmp_path / "out").rglob("*_results.json")))
    assert "sarchat_description" not in rescored["results"]
    assert rescored["sarchat_rescore"]["skipped_tasks"] == ["description"]
    assert rescored["sarchat_rescore"]["conventions"] == "list=unit"
    # The group average is recomputed over the five tasks rescored.
    tasks = {k: v for k, v in rescored["results"].items() if k != "sarchat"}
    n = {k: rescored["n-samples"][k]["effective"] for k in tasks}
    expected = sum(tasks[k]["avg_score,none"] * n[k] for k in tasks) / sum(n.values())
    assert rescored["results"]["sarchat"]["avg_score,none"] == pytest.approx(expected)
    for log in copy.rglob("*_samples_*.jsonl"):
        log.unlink()
    assert cli.main(["rescore", str(copy), "--out", str(tmp_path / "none")]) == 2
    assert "rescored nothing" in capsys.readouterr().err
    assert cli.main(["rescore", str(copy), "--conventions", "list=bogus"]) == 2


def test_a_run_of_single_tasks_is_rescored_not_emptied(runs, tmp_path, capsys):
    """lmms-eval lists each task asked for on its own in ``group_subtasks`` with no members; those
    entries once made rescore drop the task and write ``"results": {}`` with exit status 0."""
    original = results(runs["partial"])
    assert original["group_subtasks"] == {"sarchat_counting": [], "sarchat_classification": []}
    written = rescore_run(load_run(runs["partial"]), tmp_path / "out")
    rescored = results(written)
    assert set(rescored["results"]) == {"sarchat_counting", "sarchat_classification"}
    for task, block in original["results"].items():
        assert _strip_stderr(rescored["results"][task]) == _strip_stderr(block), task
    assert cli.main(["rescore", str(runs["partial_dir"]), "--out", str(tmp_path / "cli")]) == 0
    assert "->" in capsys.readouterr().out


def test_a_rescore_killed_before_its_results_file_leaves_no_results(runs, tmp_path, monkeypatch):
    """The sample logs are written first and the results file last, each under a partial name
    moved into place: a rescore cut short leaves nothing a report would read as a run."""
    from sarchat_tasks.results import rescore

    real_replace = rescore.os.replace

    def replace(src, dst):
        if str(dst).endswith("_results.json"):
            raise OSError(28, "No space left on device")
        return real_replace(src, dst)

    monkeypatch.setattr(rescore.os, "replace", replace)
    with pytest.raises(OSError):
        rescore_run(load_run(runs["full"]), tmp_path / "out")
    assert list((tmp_path / "out").rglob("*_samples_*.jsonl"))  # the logs were whole
    assert not list((tmp_path / "out").rglob("*_results.json"))
