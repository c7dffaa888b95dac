"""SARChat-Bench lite: the selection rules (size, strata, determinism) and one real lmms-eval run of
the ``sarchat_lite`` group on the prepared fixture."""

from __future__ import annotations

import json
import random
import sys
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from sarchat_tasks.lite import LITE_FRACTION, MIN_PER_COLUMN, lite_size, record_key, select_lite, stratum
from sarchat_tasks.registry import TASKS
from sarchat_tasks.task_folder import packaged_task_folder, read_task_yaml

CATEGORIES = ("ship", "aircraft", "car", "tank", "bridge", "harbor")


def _rows(task: str, subset: str, n: int, seed: int, relations: int = 0, stem: str | None = None) -> list[dict]:
    """Synthetic prepared rows of one file: ids as prepare writes them, mixed categories and counts."""
    rng = random.Random(seed)
    stem = stem or f"SARChat_{task}_{subset}_test"
    rows = []
    for i in range(n):
        k = 1 if subset == "single" else rng.choice([1, 2, 2, 3, 4, 7, 12])
        reference = {"count": k, "boxes": [[0, 0, 1, 1]] * k, "objects": [["ship", [0, 0, 1, 1]]] * k}
        reference["relations"] = [["ship", "harbor", "far"]] if i < relations else []
        rows.append({"id": f"{stem}:{i}", "task": task, "subset": subset, "category": rng.choice(CATEGORIES),
                     "reference": json.dumps(reference)})  # fmt: skip
    return rows


def test_size_is_at_most_five_percent_and_never_empty():
    assert lite_size(0) == 0
    assert lite_size(1) == 1 and lite_size(19) == 1
    assert lite_size(11_704) == 585 and lite_size(175_565) == 8_778
    for n in (1, 7, 40, 999, 4_000, 12_345):
        rows = _rows("counting", "", n, seed=n)
        chosen = select_lite(rows)
        assert len(chosen) == lite_size(n)
        assert len(chosen) <= max(1, LITE_FRACTION * n)


def test_same_subset_whatever_the_order_and_machine():
    rows = _rows("referring", "multi", 3_000, seed=1) + _rows("referring", "single", 2_000, seed=2)
    chosen = [row["id"] for row in select_lite(rows)]
    shuffled = rows[:]
    random.Random(7).shuffle(shuffled)
    assert sorted(row["id"] for row in select_lite(shuffled)) == sorted(chosen)
    # the key is a fixed salted SHA-256 of the id: the same on every machine and Python build
    assert record_key("SARChat_classify_test:0") == record_key("SARChat_classify_test:0")
    assert record_key("SARChat_classify_test:0") != record_key("SARChat_classify_test:1")
    assert len(record_key("x")) == 64
    # output keeps the input order, so Parquet files are reproducible too
    positions = {row["id"]: i for i, row in enumerate(rows)}
    assert [positions[i] for i in chosen] == sorted(positions[i] for i in chosen)


def test_each_file_keeps_its_mix_of_categories_and_counts():
    rows = _rows("counting", "", 8_000, seed=3)
    chosen = select_lite(rows)
    full = Counter(stratum(r) for r in rows)
    lite = Counter(stratum(r) for r in chosen)
    for key, n in full.items():
        expected = len(chosen) * n / len(rows)
        assert abs(lite[key] - expected) <= 1, (key, lite[key], expected)  # largest remainder: within one seat


def test_files_are_sampled_apart():
    rows = _rows("identification", "multi", 6_000, seed=4) + _rows("identification", "single", 2_000, seed=5)
    by_subset = Counter(row["subset"] for row in select_lite(rows))
    assert by_subset == {"multi": 300, "single": 100}


def test_partial_column_gets_its_minimum():
    # 30 grounding records with a relation sentence in a file of 4,000: proportionally 0 or 1 seat
    rows = _rows("grounding", "multi", 4_000, seed=6, relations=30)
    chosen = select_lite(rows)
    assert len(chosen) == lite_size(4_000)
    with_relation = [r for r in chosen if json.loads(r["reference"])["relations"]]
    assert len(with_relation) == 30  # all of them: fewer than MIN_PER_COLUMN exist
    rows = _rows("grounding", "multi", 20_000, seed=7, relations=2_000)
    chosen = select_lite(rows)
    assert sum(bool(json.loads(r["reference"])["relations"]) for r in chosen) == MIN_PER_COLUMN


def test_lite_yamls_override_only_name_and_rows():
    folder = packaged_task_folder()
    group = read_task_yaml(folder / "sarchat_lite.yaml")
    assert group["group"] == "sarchat_lite"
    assert group["task"] == [f"sarchat_{task}_lite" for task in TASKS]
    for task in TASKS:
        config = read_task_yaml(folder / f"sarchat_{task}_lite.yaml")
        assert config == {
            "include": f"sarchat_{task}.yaml",
            "task": f"sarchat_{task}_lite",
            "dataset_kwargs": {"data_files": {"test": f"sample/rows/{task}_lite.parquet"}},
        }


def test_prepare_writes_the_lite_rows(prepared_set: Path):
    manifest = json.loads((prepared_set / "manifest.json").read_text())
    for task in TASKS:
        full = pq.read_table(prepared_set / "rows" / f"{task}.parquet").to_pylist()
        lite = pq.read_table(prepared_set / "rows" / f"{task}_lite.parquet").to_pylist()
        assert lite == select_lite(full)
        assert manifest["tasks"][task]["lite_rows"] == len(lite) >= 1
        assert (prepared_set / "tasks" / f"sarchat_{task}_lite.yaml").is_file()


@pytest.mark.slow
def test_sarchat_lite_runs_through_lmms_eval(prepared_set: Path, tmp_path: Path, sarchat_command):
    """The README command: ``sarchat eval --data DIR --tasks sarchat_lite``."""
    done = sarchat_command("eval", "--data", prepared_set, "--model", "dummy", "--model_args",
                           "response=There are 3 instances. {<294><358><329><427>}", "--tasks", "sarchat_lite",
                           "--output_path", tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    found = sorted(tmp_path.rglob("*_results.json"))
    assert len(found) == 1, done.stderr[-3000:]
    results = json.loads(found[0].read_text())
    manifest = json.loads((prepared_set / "manifest.json").read_text())
    for task in TASKS:
        assert results["n-samples"][f"sarchat_{task}_lite"]["effective"] == manifest["tasks"][task]["lite_rows"]
    assert 0 <= results["results"]["sarchat_lite"]["avg_score,none"] <= 100


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-q"]))
