"""Every number proves where it came from: the provenance record, and the checks of the stages
that read results (shards bound to their plan, duplicate record ids, empty prediction files,
report rows) that need no lmms-eval run. The faults that need one are in test_provenance_runs.py."""

from __future__ import annotations

import json
import multiprocessing
import shutil
from pathlib import Path

import pytest

from sarchat_tasks import provenance
from sarchat_tasks.run.launcher import RunContext, without_option
from sarchat_tasks.run.shards import (
    DONE,
    PLAN,
    ShardError,
    _check_plan,
    make_plan,
    plan_sha256,
    run_shard,
    shard_name,
    shard_problem,
)
from sarchat_tasks.task_folder import bundled_sample, packaged_task_folder


def _record(**changes):
    fields = dict(data=provenance.data_record(bundled_sample()), model="sarchat_blind", model_args="",
                  profile="generic", frame="", generation={"sarchat_counting": {"max_new_tokens": 64}}, samples={})  # fmt: skip
    fields.update(changes)
    return provenance.make_record("eval", **fields)


def test_a_record_is_read_back_and_compared_on_what_decides_a_number():
    record = _record()
    raw = provenance.attach({"results": {}}, record)
    assert provenance.read(raw, "r.json") == record and raw["sarchat"]["profile"] == "generic"
    assert provenance.read({"results": {}}, "r.json") is None
    with pytest.raises(provenance.ProvenanceError, match=r"r.json: no provenance record"):
        provenance.require({"results": {}}, "r.json")
    with pytest.raises(provenance.ProvenanceError, match=r"r.json: the provenance record lacks profile"):
        provenance.read({provenance.KEY: {k: v for k, v in record.items() if k != "profile"}}, "r.json")
    assert provenance.differences(record, _record()) == []  # run ids and times differ, numbers do not
    assert provenance.differences(record, _record(profile="geochat", frame="max_pixels=12544")) == ["profile", "frame"]
    assert len(record["run_id"]) == 32 and record["versions"]["sarchat_bench"]


def test_the_data_fingerprint_is_that_of_the_rows(prepared_set, tmp_path):
    copy = tmp_path / "set"
    shutil.copytree(prepared_set, copy)
    same = provenance.data_record(copy)
    assert same["fingerprint"] == provenance.data_record(prepared_set)["fingerprint"]
    assert same["records"]["counting"] == 3 and same["manifest_format_version"] == 1
    shutil.copy(copy / "rows" / "referring.parquet", copy / "rows" / "counting.parquet")
    assert provenance.data_record(copy)["fingerprint"] != same["fingerprint"]
    assert provenance.data_record(bundled_sample())["fingerprint"] != same["fingerprint"]


def test_the_output_path_is_replaced_not_doubled():
    argv = ["--model", "m", "--output_path", "a", "--tasks", "t", "--output_path=b"]
    assert without_option(argv, "--output_path") == ["--model", "m", "--tasks", "t"]


# ---------------------------------------------------------------------------------------------
# Shards bound to their plan
# ---------------------------------------------------------------------------------------------


def _plan(profile: str = "generic", model: str = "sarchat_blind") -> dict:
    context = RunContext(data=provenance.data_record(bundled_sample()), profile=profile, frame="")
    extra = ["--model", model, "--tasks", "sarchat_counting", "--output_path", "x"]
    return make_plan(packaged_task_folder(), None, extra, 2, context)


def test_the_plan_holds_profile_frame_budgets_and_data():
    plan = _plan()
    assert plan["profile"] == "generic" and plan["frame"] == ""
    assert plan["data_fingerprint"] == provenance.data_record(bundled_sample())["fingerprint"]
    assert plan["tasks"]["sarchat_counting"]["generation_kwargs"]["max_new_tokens"] > 0
    assert plan_sha256(plan) != plan_sha256(_plan(profile="geochat"))


def test_a_shard_with_another_profile_in_the_same_folder_is_refused(tmp_path):
    _check_plan(tmp_path, _plan())
    with pytest.raises(ShardError, match=r"holds shards of another run \(differs in profile\)"):
        _check_plan(tmp_path, _plan(profile="geochat"))


def _write_plan(args):
    folder, profile = args
    try:
        _check_plan(Path(folder), _plan(profile=profile))
        return profile
    except ShardError:
        return None


def test_shards_starting_at_once_agree_on_one_plan(tmp_path):
    """Several --shard jobs start together with two different plans: exactly one plan wins, every
    job of the other is refused (without the lock both could write, the last one silently)."""
    jobs = [(str(tmp_path), profile) for profile in ("generic", "geochat") * 4]
    with multiprocessing.get_context("fork").Pool(8) as pool:
        accepted = pool.map(_write_plan, jobs)
    winners = {p for p in accepted if p is not None}
    assert len(winners) == 1 and accepted.count(None) == 4
    assert json.loads((tmp_path / PLAN).read_text())["profile"] == winners.pop()


def _fake_shard(shards_dir: Path, plan: dict, index: int, **done_changes) -> Path:
    """A shard folder as run_shard leaves it: a results file, a whole sample log, its done.json."""
    shard_dir = shards_dir / shard_name(index, 2)
    lmms = shard_dir / "lmms" / "m"
    lmms.mkdir(parents=True)
    (start, stop) = (index * 28 // 2, (index + 1) * 28 // 2)
    (lmms / "d_results.json").write_text("{}")
    (lmms / "d_samples_sarchat_counting.jsonl").write_text("".join(f'{{"doc_id": {i}}}\n' for i in range(stop - start)))
    files = {str(p.relative_to(shard_dir)): provenance.file_sha256(p) for p in sorted(lmms.iterdir())}
    done = {"shard": index, "of": 2, "slices": {"sarchat_counting": [start, stop]}, "files": files,
            "samples": {"sarchat_counting": {"file": "lmms/m/d_samples_sarchat_counting.jsonl", "samples": stop - start}},
            "plan_sha256": plan_sha256(plan), "run_id": "r", "failed_requests": 0, **done_changes}  # fmt: skip
    (shard_dir / DONE).write_text(json.dumps(done))
    return shard_dir


def test_a_shard_is_complete_only_with_a_whole_done_json_of_its_plan(tmp_path):
    plan = _plan()
    assert shard_problem(_fake_shard(tmp_path / "a", plan, 0), plan, 0) is None
    emptied = _fake_shard(tmp_path / "b", plan, 0, files={})
    assert "does not list the results" in shard_problem(emptied, plan, 0)
    failed = _fake_shard(tmp_path / "c", plan, 0, failed_requests=3)
    assert shard_problem(failed, plan, 0) == "3 failed requests"
    assert shard_problem(failed, plan, 0, allow_failed=True) is None
    other = _fake_shard(tmp_path / "d", _plan(model="sarchat_cfar"), 0)
    assert shard_problem(other, plan, 0) == "done.json of another plan"
    unreadable = _fake_shard(tmp_path / "e", plan, 0)
    (unreadable / DONE).write_text('{"shard": 0, "fi')
    assert shard_problem(unreadable, plan, 0) == "no readable done.json"


def test_another_plans_shard_is_never_reused_or_deleted(tmp_path):
    """plan.json gone, another model's complete shard in the folder: refused, left as it was."""
    other = _fake_shard(tmp_path, _plan(model="sarchat_cfar"), 0)
    before = (other / DONE).read_text()
    with pytest.raises(ShardError, match=r"shard 0/2 holds another run's shard \(its done.json is of plan"):
        run_shard(packaged_task_folder(), _plan(), tmp_path, 0)
    assert (other / DONE).read_text() == before


# ---------------------------------------------------------------------------------------------
# prepare and score: duplicate ids, empty files
# ---------------------------------------------------------------------------------------------


def test_prepare_refuses_the_same_file_twice_naming_both(official_set, tmp_path, sarchat_command):
    files, root = official_set
    counting = next(f for f in files if "count" in f.name)
    done = sarchat_command("prepare", counting, files[0], counting, "--images", root, "--out", tmp_path / "set")
    assert done.returncode == 2, done.stderr
    assert f"duplicate record id {counting.stem}:0: {counting} record 0 and {counting} record 0" in done.stderr
    assert not (tmp_path / "set").exists()


def test_score_refuses_an_empty_predictions_file(official_set, tmp_path, sarchat_command):
    from official_fixture import oracle_predictions

    files, root = official_set
    predictions = oracle_predictions(files, tmp_path / "preds")
    empty = next(p for p in predictions if "count" in p.name)
    empty.write_text("[]", encoding="utf-8")
    done = sarchat_command("score", *predictions, "--images", root)
    assert done.returncode == 2 and done.stdout == ""
    assert f"{empty}: no records; its task would silently leave avg_score" in done.stderr
    allowed = sarchat_command("score", *predictions, "--images", root, "--allow-empty")
    assert allowed.returncode == 0, allowed.stderr
    metrics = json.loads(allowed.stdout)
    assert metrics["empty_files"] == {str(empty): "counting"} and "counting" not in metrics
    record = metrics["sarchat_provenance"]
    assert record["kind"] == "score" and record["profile"] == "sarchat"
    assert set(record["data"]["files_sha256"]) == {str(p) for p in predictions}
    assert record["samples"]["classification"] == {"samples": metrics["classification"]["samples"]}
    # the same file named twice is one file, scored once; a copy of it elsewhere is refused, naming both
    once = json.loads(sarchat_command("score", predictions[0], "--images", root).stdout)
    twice = sarchat_command("score", predictions[0], predictions[0], "--images", root)
    assert twice.returncode == 0 and json.loads(twice.stdout)["avg_score"] == once["avg_score"]
    copy = tmp_path / "copy" / predictions[0].name
    copy.parent.mkdir()
    copy.write_bytes(predictions[0].read_bytes())
    both = sarchat_command("score", predictions[0], copy, "--images", root)
    assert both.returncode == 2 and f"{predictions[0]} and {copy} both hold predictions" in both.stderr


# ---------------------------------------------------------------------------------------------
# report: row labels, runs of different data sets
# ---------------------------------------------------------------------------------------------


def _results_file(path: Path, model_args: str, rows: Path, task: str = "sarchat_counting", score: float = 40.0):
    raw = {
        "results": {task: {"alias": task, "avg_score,none": score, "avg_score_stderr,none": "N/A"}},
        "n-samples": {task: {"original": 28, "effective": 28}},
        "configs": {task: {"dataset_kwargs": {"data_files": {"test": str(rows)}}}},
        "config": {"model": "qwen2_vl", "model_args": model_args},
        "date": path.name.split("_results")[0],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(raw), encoding="utf-8")


def test_two_checkpoints_of_one_folder_name_get_two_rows(tmp_path, sarchat_command):
    rows = bundled_sample() / "rows" / "counting.parquet"
    _results_file(tmp_path / "runs/a/20260101_000000_results.json", "pretrained=/ckpt-a/merged", rows, score=10.0)
    _results_file(tmp_path / "runs/b/20260101_000001_results.json", "pretrained=/ckpt-b/merged", rows, score=20.0)
    done = sarchat_command("report", tmp_path / "runs", "--out", tmp_path / "report", "--no-plots")
    assert done.returncode == 0, done.stderr
    report = json.loads((tmp_path / "report" / "report.json").read_text())
    assert [m["model"] for m in report["models"]] == ["/ckpt-a/merged", "/ckpt-b/merged"]
    assert [m["task_scores"]["counting"] for m in report["models"]] == [10.0, 20.0]
    assert "## Provenance (what produced each row)" in (tmp_path / "report" / "report.md").read_text()


def test_runs_of_one_model_on_two_data_sets_are_not_mixed_into_one_row(prepared_set, tmp_path, sarchat_command):
    sample = bundled_sample() / "rows"
    _results_file(tmp_path / "runs/a/20260101_000000_results.json", "pretrained=/m", sample / "counting.parquet")
    _results_file(tmp_path / "runs/b/20260101_000001_results.json", "pretrained=/m",
                  prepared_set / "rows" / "grounding.parquet", task="sarchat_grounding")  # fmt: skip
    done = sarchat_command("report", tmp_path / "runs", "--out", tmp_path / "report", "--no-plots")
    assert done.returncode == 2
    assert "row 'm': its tasks come from runs on different data sets" in done.stderr
    assert str(tmp_path / "runs/a/20260101_000000_results.json") in done.stderr
    allowed = sarchat_command("report", tmp_path / "runs", "--out", tmp_path / "r2", "--no-plots", "--allow-mixed-runs")
    assert allowed.returncode == 0, allowed.stderr
    assert "mixes runs of different data sets (--allow-mixed-runs)" in allowed.stdout


def test_share_and_count_aggregations_leave_lmms_eval_items_on_the_metric_scale():
    """lmms-eval computes its printed standard error from the list an aggregation was given."""
    from sarchat_tasks.scoring import count_of_samples, share_of_samples

    items = [1, 0, None, 1]
    assert share_of_samples(items) == pytest.approx(200 / 3)
    assert items == [100.0, 0.0, None, 100.0]
    assert share_of_samples(items) == pytest.approx(200 / 3)  # a second call reads them back
    counts = [1, 0, 1]
    assert count_of_samples(counts) == 2 and not any(isinstance(x, (int, float)) for x in counts)
    assert count_of_samples(counts) == 2
    assert share_of_samples(x for x in (1, 0)) == 50.0  # any iterable still works
