"""Generation budgets never cut a right answer: the packaged tasks' budgets against the bundled
sample, a prepared set's and an upstream export's against a crowded build (60 ships per image),
and ``sarchat eval``'s check before generation.

A budget is cut-proof when it is at least the longest reference answer of the records it runs on,
counted with the suite's token estimate (one per digit, word and mark: an over-estimate for Qwen
and LLaMA tokenizers, which split digits)."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml
from test_build import SHIP, coco, write_sardet

from sarchat_tasks.build.pipeline import build
from sarchat_tasks.export.hub import export_hub
from sarchat_tasks.export.upstream import export
from sarchat_tasks.registry import TASKS
from sarchat_tasks.task_folder import bundled_sample, estimate_tokens, packaged_task_folder, read_task_yaml

SHIPS_PER_IMAGE = 60


def _longest_reference(rows_file: Path) -> int:
    return max(estimate_tokens(answer) for answer in pq.read_table(rows_file, columns=["answer"]).column(0).to_pylist())


def _budget(task_yaml: Path) -> int:
    return read_task_yaml(task_yaml, resolve_includes=True)["generation_kwargs"]["max_new_tokens"]


def test_packaged_budgets_cover_every_sample_reference():
    sample, folder = bundled_sample(), packaged_task_folder()
    for spec in TASKS.values():
        longest = _longest_reference(sample / "rows" / f"{spec.name}.parquet")
        for name in (spec.lmms_task, f"{spec.lmms_task}_lite"):
            assert _budget(folder / f"{name}.yaml") >= longest, name
    # the crowded scenes of the sample need more than the paper's fixed 2048 (counting: 2076)
    assert _longest_reference(sample / "rows" / "counting.parquet") > 2048


def test_packaged_budgets_are_the_samples_measured_ones():
    # `python -m sarchat_tasks.task_folder` writes them; an edited sample with stale budgets fails here
    manifest = json.loads((bundled_sample() / "manifest.json").read_text())
    for spec in TASKS.values():
        assert (
            _budget(packaged_task_folder() / f"{spec.lmms_task}.yaml") == manifest["tasks"][spec.name]["max_new_tokens"]
        )


@pytest.fixture(scope="module")
def crowded_set(tmp_path_factory) -> Path:
    """Two 1000 x 1000 scenes of 60 small ships each, built and prepared: long counting, grounding
    and referring answers, and no description (every ship is under 1 % of its image)."""
    base = tmp_path_factory.mktemp("crowded")
    images = [{"id": i, "file_name": f"crowd{i}.png", "width": 1000, "height": 1000} for i in (1, 2)]
    annotations = [
        (image, SHIP, [20 + 120 * (k % 8) + 7 * image, 20 + 120 * (k // 8), 30, 30])
        for image in (1, 2)
        for k in range(SHIPS_PER_IMAGE)
    ]
    root = write_sardet(base / "sardet", data=coco(images=images, annotations=annotations))
    build(root, base / "set", splits=["test"], log=lambda message: None)
    return base / "set"


def test_a_crowded_build_gets_budgets_above_its_longest_references(crowded_set: Path):
    manifest = json.loads((crowded_set / "manifest.json").read_text())
    assert "description" not in manifest["tasks"]
    counting = pq.read_table(crowded_set / "rows" / "counting.parquet").to_pylist()
    assert max(json.loads(r["reference"])["count"] for r in counting) == SHIPS_PER_IMAGE
    for task in manifest["tasks"]:
        longest = _longest_reference(crowded_set / "rows" / f"{task}.parquet")
        assert manifest["tasks"][task]["longest_reference_tokens"] == longest
        assert _budget(crowded_set / "tasks" / f"sarchat_{task}.yaml") >= longest, task
    assert manifest["tasks"]["counting"]["max_new_tokens"] > 1088  # the former fixed packaged budget


def test_the_upstream_export_of_a_crowded_build_keeps_its_budgets(crowded_set: Path, tmp_path: Path):
    export_hub(crowded_set, tmp_path / "hub")
    export(tmp_path / "tasks", dataset_path=tmp_path / "hub")
    names = {p.name for p in (tmp_path / "tasks").glob("sarchat_*.yaml")}
    assert "sarchat_description.yaml" not in names
    for task in ("counting", "grounding", "identification", "referring", "classification"):
        longest = _longest_reference(crowded_set / "rows" / f"{task}.parquet")
        for name in (f"sarchat_{task}.yaml", f"sarchat_{task}_lite.yaml"):
            config = yaml.safe_load((tmp_path / "tasks" / name).read_text().replace("!function", ""))
            assert config["generation_kwargs"]["max_new_tokens"] >= longest, name


def test_eval_refuses_a_budget_that_cuts_references(crowded_set: Path, sarchat_command, tmp_path: Path):
    longest = json.loads((crowded_set / "manifest.json").read_text())["tasks"]["counting"]["longest_reference_tokens"]
    done = sarchat_command(
        "eval", "--data", crowded_set, "--model", "sarchat_blind", "--tasks", "sarchat_counting",
        "--gen_kwargs", "max_new_tokens=512", "--output_path", tmp_path / "run",
    )  # fmt: skip
    assert done.returncode == 2
    assert (
        f"sarchat_counting: max_new_tokens 512 (--gen_kwargs) is below the longest reference answer of the set, "
        f"{longest} tokens" in done.stderr
    )
    assert "--allow-short-budget" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "run").exists()  # refused before lmms-eval started
    done = sarchat_command(
        "eval", "--data", crowded_set, "--model", "sarchat_blind", "--tasks", "sarchat_counting",
        "--gen_kwargs", "max_new_tokens=ten", "--output_path", tmp_path / "run",
    )  # fmt: skip
    assert done.returncode == 2 and "max_new_tokens must be a whole number, got 'ten'" in done.stderr


@pytest.mark.slow
def test_plain_lmms_eval_on_an_export_without_description_equals_sarchat_eval(
    crowded_set: Path, tmp_path: Path, sarchat_command
):
    from test_upstream_runs import _results, _run, _samples, exported_env, lmms_eval

    export_hub(crowded_set, tmp_path / "hub")
    export(tmp_path / "tasks", dataset_path=tmp_path / "hub")
    model = ["--model", "sarchat_blind", "--tasks", "sarchat_lite"]
    _run([*lmms_eval(), "--include_path", str(tmp_path / "tasks"), *model,
          "--output_path", str(tmp_path / "exported"), "--log_samples"], env=exported_env(model))  # fmt: skip
    done = sarchat_command("eval", "--data", crowded_set, *model, "--output_path", tmp_path / "packaged")
    assert done.returncode == 0, done.stderr[-3000:]
    ours, theirs = _results(tmp_path / "packaged"), _results(tmp_path / "exported")
    assert theirs["results"] == ours["results"] and theirs["n-samples"] == ours["n-samples"]
    assert "sarchat_description_lite" not in ours["results"] and len(ours["n-samples"]) == 5
    assert _samples(tmp_path / "exported") == _samples(tmp_path / "packaged")
