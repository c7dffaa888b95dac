"""A prepared set is read from its own location, never the working directory, and a set missing
a task runs the tasks it has and says why the others are empty."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sarchat_tasks.cli import main
from sarchat_tasks.prepare import prepare
from sarchat_tasks.prepared import PreparedSet, PreparedSetError


def _set_b(prepared_set: Path, where: Path) -> Path:
    """A copy of the fixture set whose counting records have other ids and answers."""
    shutil.copytree(prepared_set, where)
    rows = where / "rows" / "counting.parquet"
    table = pq.read_table(rows).to_pydict()
    table["id"] = [f"B:{i}" for i in table["id"]]
    table["answer"] = [f"{a} (set B)" for a in table["answer"]]
    pq.write_table(pa.table(table), rows)
    return where


def test_the_task_folder_reads_rows_by_absolute_path(prepared_set, tmp_path, capsys):
    other = _set_b(prepared_set, tmp_path / "setB")
    assert main(["include-path", "--data", str(other)]) == 0
    folder = Path(capsys.readouterr().out.strip())
    text = (folder / "sarchat_counting.yaml").read_text()
    assert f"test: {other.resolve() / 'rows' / 'counting.parquet'}" in text
    assert "../rows" not in text


def test_rows_of_another_set_are_refused_by_the_binding(prepared_set, tmp_path):
    from datasets import Dataset

    other = _set_b(prepared_set, tmp_path / "setB")
    loaded = Dataset.from_parquet(str(prepared_set / "rows" / "counting.parquet"))  # set A's rows
    with pytest.raises(PreparedSetError, match=r"counting rows lmms-eval loaded are not the rows of .*setB"):
        PreparedSet(other).process_docs(loaded)
    mine = Dataset.from_parquet(str(other / "rows" / "counting.parquet"))
    assert len(PreparedSet(other).process_docs(mine)) == len(mine)


@pytest.mark.slow
def test_eval_from_inside_another_set_scores_the_set_asked_for(prepared_set, tmp_path, sarchat_command):
    """Run from set A's task folder, where ``../rows`` is A's: the results are B's records."""
    a = tmp_path / "setA"
    shutil.copytree(prepared_set, a)
    main(["include-path", "--data", str(a)])
    b = _set_b(prepared_set, tmp_path / "setB")
    out = tmp_path / "out"
    done = sarchat_command("eval", "--data", b, "--model", "sarchat_blind", "--tasks", "sarchat_counting",
                           "--output_path", out, cwd=a / "tasks")  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    (log,) = out.rglob("*_samples_sarchat_counting.jsonl")
    targets = [json.loads(line)["target"] for line in log.read_text().splitlines()]
    assert targets and all(t.endswith("(set B)") for t in targets)


@pytest.fixture
def set_without_description(official_set, tmp_path) -> Path:
    files, root = official_set
    out = tmp_path / "five"
    prepare([f for f in files if "describe" not in f.name], root, out)
    return out


def test_a_missing_task_is_named_with_its_reason(set_without_description, capsys):
    manifest = PreparedSet(set_without_description).manifest
    assert "description" not in manifest["tasks"]
    assert manifest["empty_tasks"] == {"description": "none of the source files holds a record of this task"}
    folder = set_without_description / "tasks"
    assert not (folder / "sarchat_description.yaml").exists()
    from sarchat_tasks.task_folder import read_task_yaml

    group = read_task_yaml(folder / "sarchat.yaml")
    assert "sarchat_description" not in group["task"] and len(group["task"]) == 5
    assert group["metadata"]["missing_tasks"] == ["sarchat_description"]
    assert main(["stats", str(set_without_description)]) == 0
    assert "description: no records: none of the source files holds a record of this task" in capsys.readouterr().out
    code = main(["eval", "--data", str(set_without_description), "--model", "sarchat_blind",
                 "--tasks", "sarchat_description"])  # fmt: skip
    assert code == 2
    err = capsys.readouterr().err
    assert "unknown task sarchat_description" in err
    assert "no records for description (none of the source files holds a record of this task)" in err
    assert "it has records for: counting, grounding, identification, referring, classification" in err


def test_build_says_why_description_is_empty(tmp_path, capsys):
    """Objects under 1 % of the image are never described: a set of small ships has no description."""
    from test_build import KNOWN_ANNOTATIONS, coco, write_sardet

    small = [(image, category, [10, 10, 4, 4]) for image, category, _ in KNOWN_ANNOTATIONS]
    root = write_sardet(tmp_path / "sardet", data=coco(annotations=small))
    assert main(["build", str(root), "--out", str(tmp_path / "out"), "--splits", "test"]) == 0
    printed = capsys.readouterr().out
    manifest = PreparedSet(tmp_path / "out").manifest
    assert "has an object over 1 % of its area" in manifest["empty_tasks"]["description"]
    assert "description: no records: no test image of at least 224x224 px" in printed


@pytest.mark.slow
def test_the_default_task_list_is_the_tasks_the_set_has(set_without_description, tmp_path, sarchat_command):
    out = tmp_path / "out"
    done = sarchat_command("eval", "--data", set_without_description, "--model", "sarchat_blind",
                           "--output_path", out)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert "has no records for description; the sarchat average covers the other tasks" in done.stderr
    (found,) = out.rglob("*_results.json")
    results = json.loads(found.read_text())
    assert "sarchat_description" not in results["group_subtasks"]["sarchat"]
    assert len(results["group_subtasks"]["sarchat"]) == 5
    assert results["results"]["sarchat"]["avg_score,none"] is not None
    assert results["sarchat_missing_tasks"] == {"sarchat": ["sarchat_description"]}
    assert "sarchat averages without sarchat_description (no records)" in done.stderr
