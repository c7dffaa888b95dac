"""Official files in: ``sarchat prepare`` and ``sarchat score``, the oracle and known perturbations."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from official_fixture import oracle_predictions, write_official_fixture

from sarchat_tasks.cli import main
from sarchat_tasks.prepare import PrepareError, prepare
from sarchat_tasks.prepared import PreparedSet, PreparedSetError
from sarchat_tasks.registry import TABLE3_COLUMNS, TASKS


def test_prepared_layout(prepared_set: Path):
    manifest = json.loads((prepared_set / "manifest.json").read_text())
    assert manifest["format_version"] == 1
    assert manifest["tasks"]["identification"]["subsets"] == {"multi": 3, "single": 1}
    assert manifest["records"] == 17 and manifest["images"] == 3
    # every image once, however many records use it
    assert sorted(p.name for p in (prepared_set / "images").rglob("*.png")) == [
        "airport.png",
        "depot.png",
        "harbour.png",
    ]
    rows = pq.read_table(prepared_set / "rows" / "counting.parquet").to_pylist()
    assert rows[0]["question"] == "[count] Count the ship in this satellite image."  # <image> token removed
    assert json.loads(rows[0]["reference"])["count"] == 3
    assert (rows[0]["width"], rows[0]["height"], rows[0]["category"]) == (512, 512, "ship")
    assert not list(prepared_set.glob(".partial-*"))


def test_budgets_come_from_the_longest_reference(prepared_set: Path):
    manifest = json.loads((prepared_set / "manifest.json").read_text())
    counting = manifest["tasks"]["counting"]
    # "There are 3 instances." = 4 words + 1 mark; each box = its digits + 10 marks ({ } and 4 x < >):
    # {<294><358><329><427>} 12 digits, {<61><448><122><503>} 11, {<27><199><78><261>} 10
    assert counting["longest_reference_tokens"] == 5 + (12 + 10) + (11 + 10) + (10 + 10)
    assert counting["max_new_tokens"] == 112  # ceil(68 * 1.25) + 16 = 101, rounded up to 112
    yaml_text = (prepared_set / "tasks" / "sarchat_counting.yaml").read_text()
    assert "max_new_tokens: 112" in yaml_text
    # referring and description also measure 112; ties go up by 16 in task order (distinct_budgets)
    budgets = {task: info["max_new_tokens"] for task, info in manifest["tasks"].items()}
    assert (budgets["counting"], budgets["referring"], budgets["description"]) == (112, 128, 144)
    assert len(set(budgets.values())) == len(budgets)


def test_distinct_budgets_break_ties_upwards():
    from sarchat_tasks.task_folder import distinct_budgets

    assert distinct_budgets({"a": 112, "b": 208, "c": 112, "d": 112, "e": 128}) == {
        "a": 112, "b": 208, "c": 128, "d": 144, "e": 160,
    }  # fmt: skip


def _score(files: list[Path], images: Path, capsys, *extra: str) -> dict:
    assert main(["score", *map(str, files), "--images", str(images), *extra]) == 0
    return json.loads(capsys.readouterr().out)


def test_oracle_scores_100_on_every_column(official_set, tmp_path, capsys):
    files, root = official_set
    metrics = _score(oracle_predictions(files, tmp_path), root, capsys)
    got = {c: v for task in metrics.values() if isinstance(task, dict) for c, v in task.items() if c in TABLE3_COLUMNS}
    assert got == {column: 100.0 for column in TABLE3_COLUMNS}
    assert metrics["avg_score"] == 100.0
    assert all(metrics[t]["parse_failure_rate"] == 0.0 for t in TASKS if t in metrics)


def test_known_perturbations(official_set, tmp_path, capsys):
    files, root = official_set

    def drop_last_box(answer: str) -> str:
        boxes = re.findall(r"\{<[^}]*\}", answer)
        return answer.replace(boxes[-1], "", 1) if len(boxes) > 1 else answer

    metrics = _score(oracle_predictions(files, tmp_path, drop_last_box), root, capsys)
    # counting: 3 records with 3, 2, 1 boxes; the stated counts stay, so counting_only is still 100;
    # boxes: 6 references, 2 dropped -> 4 / 6
    assert metrics["counting"]["counting_only"] == 100.0
    assert metrics["counting"]["counting_iou50"] == pytest.approx(400 / 6)
    # referring multi: 3 + 2 references, 1 dropped from each -> 3 / 5; single unchanged
    assert metrics["referring"]["referring_multi_iou50"] == pytest.approx(60.0)
    assert metrics["referring"]["referring_single_iou50"] == 100.0
    # grounding multi: 7 objects, the last box of each answer dropped -> 5 / 7
    assert metrics["grounding"]["grounding_multi"] == pytest.approx(500 / 7)
    # avg of referring = (60 + 60 + 100 + 100) / 4
    assert metrics["referring"]["avg_score"] == pytest.approx(80.0)


def test_empty_responses_score_zero(official_set, tmp_path, capsys):
    files, root = official_set
    metrics = _score(oracle_predictions(files, tmp_path, lambda answer: ""), root, capsys)
    assert metrics["avg_score"] == 0.0
    assert all(metrics[t]["parse_failure_rate"] == 100.0 for t in TASKS if t in metrics)


def _rewrite(files: list[Path], name: str, edit) -> None:
    path = next(f for f in files if f.name == name)
    records = json.loads(path.read_text())
    edit(records)
    path.write_text(json.dumps(records))


@pytest.mark.parametrize(
    ("name", "edit", "message"),
    [
        ("SARChat_classify_refer_single_test.json", lambda r: r[1].update(images=["images/missing.png"]), "record 1: image .* does not exist"),
        ("SARChat_classify_refer_single_test.json", lambda r: r[0].update(images=["../outside.png"]), "record 0: .*escapes the images root"),
        ("SARChat_classify_count_test.json", lambda r: r[2]["messages"][1].update(content="There is 1 instance. {<393><326><970><394>}"),
         "record 2: .*outside the 600x400 image"),
        ("SARChat_classify_count_test.json", lambda r: r[0]["messages"][0].update(content="<image>\n[count] Count the submarine."),
         "record 0: the question names no known category"),
        ("SARChat_classify_test.json", lambda r: r[0]["messages"][1].update(content="It is a submarine"),
         "record 0: .*no known category"),
        ("SARChat_describe_test.json", lambda r: r[0].pop("messages"), "record 0: no user turn"),
    ],
)  # fmt: skip
def test_bad_input_names_file_and_record(tmp_path, name, edit, message):
    files, root = write_official_fixture(tmp_path / "src")
    _rewrite(files, name, edit)
    out = tmp_path / "out"
    with pytest.raises(PrepareError, match=re.escape(name) + ".*" + message):
        prepare(files, root, out)
    assert not out.exists()  # nothing written


def test_unreadable_json_is_named(tmp_path):
    files, root = write_official_fixture(tmp_path / "src")
    files[0].write_text("[{not json")
    with pytest.raises(PrepareError, match=re.escape(str(files[0])) + ": not valid JSON"):
        prepare(files, root, tmp_path / "out")


def test_conversations_format_and_absolute_paths_are_read(tmp_path, official_set):
    files, root = official_set
    records = json.loads(files[0].read_text())
    converted = [
        {"conversations": [{"from": "human", "value": r["messages"][0]["content"]},
                           {"from": "gpt", "value": r["messages"][1]["content"]}],
         "images": ["/data/authors/SARDet/" + r["images"][0]]}
        for r in records
    ]  # fmt: skip
    source = tmp_path / "SARChat_classify_test.json"
    source.write_text(json.dumps(converted))
    manifest = prepare([source], root, tmp_path / "out")
    assert manifest["tasks"]["classification"]["rows"] == len(records)


def test_outdated_prepared_set_is_refused(tmp_path, official_set):
    files, root = official_set
    out = tmp_path / "old"
    prepare(files[:1], root, out)
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["format_version"] = 0
    (out / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(PreparedSetError, match="format version 0"):
        PreparedSet(out).manifest  # noqa: B018


def test_symlinked_image_folder_stays_inside_the_root(tmp_path):
    files, root = write_official_fixture(tmp_path / "src")
    elsewhere = tmp_path / "other_disk"
    (root / "images").rename(elsewhere)
    (root / "images").symlink_to(elsewhere, target_is_directory=True)
    manifest = prepare(files, root, tmp_path / "out")
    assert manifest["images"] == 3
