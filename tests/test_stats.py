"""`sarchat stats` on the known fixture of test_build.py, every number computed by hand."""

from __future__ import annotations

import json
import math
import shutil

import pytest
from test_build import mini_bank, write_sardet

from sarchat_tasks.build.pipeline import build
from sarchat_tasks.cli import main
from sarchat_tasks.official import iter_file_records
from sarchat_tasks.report.stats import (
    PAPER_TEST_INSTANCES,
    PAPER_TEST_TASKS,
    PAPER_TOTALS,
    compute_stats,
    ratio_summary,
    split_of_file,
)

# The known fixture's objects: ships 50x20 and 200x100, harbors 160x160 and 300x300, a car 20x20
# after clipping, an aircraft 112x112, tanks 20x20 and 30x30, a bridge 640x40.
RATIOS = {
    "ship": [2.5, 2.0],
    "aircraft": [1.0],
    "car": [1.0],
    "tank": [1.0, 1.0],
    "bridge": [16.0],
    "harbor": [1.0, 1.0],
}
TASK_COUNTS = {
    "classification": {"records": 5, "subsets": {"": 5}},
    "description": {"records": 3, "subsets": {"": 3}},
    "counting": {"records": 7, "subsets": {"": 7}},
    "grounding": {"records": 5, "subsets": {"multi": 2, "single": 3}},
    "identification": {"records": 9, "subsets": {"multi": 6, "single": 3}},
    "referring": {"records": 7, "subsets": {"multi": 2, "single": 5}},
}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("stats")
    root = write_sardet(tmp / "sardet", splits=("test", "train"))
    build(root, tmp / "out", templates=mini_bank(tmp), log=lambda m: None)
    return tmp / "out"


def test_table1_objects_per_category(built):
    stats = compute_stats(built)
    assert stats["splits"] == ["test", "train"]
    expected = {"ship": 2, "aircraft": 1, "car": 1, "tank": 2, "bridge": 1, "harbor": 2}
    assert stats["table1_categories"] == {"test": expected, "train": expected}


def test_table2_aspect_ratio_overall(built):
    summary = compute_stats(built)["table2_aspect_ratio"]["test"]
    # Sorted ratios: 1 1 1 1 1 1 2 2.5 16; mean 26.5 / 9; quartiles at positions 2 and 6.
    mean = 26.5 / 9
    assert summary["count"] == 9
    assert summary["mean"] == pytest.approx(mean)
    assert summary["std"] == pytest.approx(
        math.sqrt((6 * (1 - mean) ** 2 + (2 - mean) ** 2 + (2.5 - mean) ** 2 + (16 - mean) ** 2) / 9)
    )
    assert (summary["min"], summary["p25"], summary["median"], summary["p75"], summary["max"]) == (
        1.0,
        1.0,
        1.0,
        2.0,
        16.0,
    )
    # wide (> 1.5): 2.5, 2.0, 16; square: the six 1.0; tall: none.
    assert summary["wide_share"] == pytest.approx(100 * 3 / 9)
    assert summary["square_share"] == pytest.approx(100 * 6 / 9)
    assert summary["tall_share"] == 0.0


def test_table4_aspect_ratio_by_category(built):
    table = compute_stats(built)["table4_aspect_ratio_by_category"]["test"]
    for category, ratios in RATIOS.items():
        assert table[category]["count"] == len(ratios)
        assert table[category]["mean"] == pytest.approx(sum(ratios) / len(ratios))
    assert table["ship"]["count"] == 2
    assert table["ship"]["mean"] == pytest.approx(2.25) and table["ship"]["std"] == pytest.approx(0.25)
    assert table["ship"]["median"] == pytest.approx(2.25) and table["ship"]["wide_share"] == 100.0
    assert table["bridge"] == {**table["bridge"], "count": 1, "mean": 16.0, "min": 16.0, "max": 16.0, "std": 0.0}
    assert table["harbor"]["square_share"] == 100.0


def test_table5_records_per_task(built):
    table = compute_stats(built)["table5_tasks"]
    assert table["test"] == TASK_COUNTS
    # The mixed train file: tasks from the questions, grounding subsets from the answers' boxes.
    assert {task: value["records"] for task, value in table["train"].items()} == {
        task: value["records"] for task, value in TASK_COUNTS.items()
    }
    assert table["train"]["grounding"]["subsets"] == {"multi": 2, "single": 3}


def test_paper_numbers():
    assert sum(PAPER_TEST_TASKS.values()) == PAPER_TOTALS["test"] == 226_636
    assert PAPER_TEST_INSTANCES["ship"] == 10_741 and PAPER_TEST_INSTANCES["harbor"] == 399


def test_text_output_sets_ours_beside_the_papers(built, capsys):
    assert main(["stats", str(built)]) == 0
    text = capsys.readouterr().out
    lines = text.splitlines()
    ship = next(line for line in lines if line.startswith("ship "))
    # ours 2 (2 / 9 = 22.2 %), paper 10,741 (10,741 / 24,203 = 44.4 %), difference -10,739.
    assert ship.split()[:7] == ["ship", "2", "22.2", "10,741", "44.4", "-10,739", "(-100.0"]
    grounding = next(line for line in lines if line.startswith("grounding "))
    assert grounding.split()[:6] == ["grounding", "5", "2", "/", "3", "11,608"]
    total = next(line for line in lines if line.startswith("total") and "226,636" in line)
    assert total.split()[:3] == ["total", "36", "226,636"] and total.split()[-1] == "1,836,912"
    assert text.count("not reproduced here") == 2  # Tables 2 and 4
    assert "its per-task train counts are unknown" in text
    assert all(line == line.rstrip() for line in lines)


def test_json_output(built, capsys):
    assert main(["stats", str(built), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["table5_tasks"]["test"]["grounding"]["records"] == 5
    assert data["paper"]["table2_table4"] is None


def test_prepared_set_gives_the_same_test_tables(built, tmp_path):
    prepared = tmp_path / "prepared"
    prepared.mkdir()
    for name in ("manifest.json", "rows"):
        (shutil.copytree if (built / name).is_dir() else shutil.copy)(built / name, prepared / name)
    from_prepared, from_official = compute_stats(prepared), compute_stats(built)
    assert from_prepared["source"].startswith("prepared set")
    assert from_prepared["splits"] == ["test"]
    for table in ("table1_categories", "table2_aspect_ratio", "table4_aspect_ratio_by_category", "table5_tasks"):
        assert from_prepared[table]["test"] == from_official[table]["test"], table


def test_pretty_printed_official_files_are_read_whole(built, tmp_path):
    folder = tmp_path / "pretty"
    folder.mkdir()
    for path in (built / "official").glob("*_test.json"):
        records = json.loads(path.read_text(encoding="utf-8"))
        (folder / path.name).write_text(json.dumps(records, indent=2), encoding="utf-8")
    stats = compute_stats(folder)
    assert stats["splits"] == ["test"]
    assert stats["table5_tasks"]["test"] == TASK_COUNTS
    assert stats["table1_categories"]["test"]["ship"] == 2


def test_line_reader_equals_whole_reader(built):
    path = built / "official" / "SARChat_train.json"
    assert list(iter_file_records(path)) == json.loads(path.read_text(encoding="utf-8"))


def test_split_of_file():
    from pathlib import Path

    assert split_of_file(Path("SARChat_classify_refer_multi_test.json")) == "test"
    assert split_of_file(Path("SARChat_train.json")) == "train"
    assert split_of_file(Path("SARChat_val.json")) == "val"


def test_ratio_summary_of_nothing():
    assert ratio_summary([]) == {"count": 0}


@pytest.mark.parametrize("make", ["empty", "missing"])
def test_stats_errors(tmp_path, capsys, make):
    target = tmp_path / "set"
    if make == "empty":
        target.mkdir()
    assert main(["stats", str(target)]) == 2
    err = capsys.readouterr().err
    assert "sarchat stats: error:" in err and str(target) in err
