"""The bundled sample: the packaged tasks load it through lmms-eval, and it is exactly what
``sarchat synth`` and ``sarchat build`` make from their documented arguments."""

from __future__ import annotations

import filecmp
from pathlib import Path

import pytest

from sarchat_tasks.cli import main
from sarchat_tasks.prepared import PreparedSet
from sarchat_tasks.task_folder import bundled_sample, packaged_task_folder

# How the sample was made (CONTRIBUTING.md, "The bundled sample").
SAMPLE_RECIPE = (["synth", "--images", "24", "--seed", "0"], ["build", "--splits", "test"])


def test_sample_is_small_and_complete():
    manifest = PreparedSet(bundled_sample()).manifest
    size = sum(p.stat().st_size for p in bundled_sample().rglob("*") if p.is_file())
    assert size < 5 * 1024 * 1024
    assert set(manifest["tasks"]) == {
        "counting",
        "grounding",
        "identification",
        "referring",
        "description",
        "classification",
    }
    for task in ("grounding", "identification", "referring"):
        assert set(manifest["tasks"][task]["subsets"]) == {"multi", "single"}
    assert PreparedSet(bundled_sample()).validate() == manifest["records"] + sum(
        info["lite_rows"] for info in manifest["tasks"].values()
    )


@pytest.mark.slow
def test_packaged_tasks_load_the_sample_through_lmms_eval():
    from lmms_eval.tasks import TaskManager, get_task_dict

    manager = TaskManager("ERROR", include_path=str(packaged_task_folder()))
    tasks = get_task_dict(["sarchat"], manager)
    manifest = PreparedSet(bundled_sample()).manifest
    loaded = {}
    for group_tasks in tasks.values():
        for name, task in group_tasks.items():
            loaded[name] = len(task.test_docs())
    assert loaded == {f"sarchat_{task}": info["rows"] for task, info in manifest["tasks"].items()}


def test_sample_rebuilds_byte_for_byte(tmp_path: Path, capsys):
    synth, build = SAMPLE_RECIPE
    assert main([synth[0], "--out", str(tmp_path / "scenes"), *synth[1:]]) == 0
    assert main([build[0], str(tmp_path / "scenes"), "--out", str(tmp_path / "built"), *build[1:]]) == 0
    capsys.readouterr()
    sample, rebuilt = bundled_sample(), tmp_path / "built"
    assert (sample / "manifest.json").read_text() == (rebuilt / "manifest.json").read_text()
    rows = sorted(p.name for p in (sample / "rows").iterdir())
    assert rows == sorted(p.name for p in (rebuilt / "rows").iterdir())
    match, mismatch, errors = filecmp.cmpfiles(sample / "rows", rebuilt / "rows", rows, shallow=False)
    assert (mismatch, errors) == ([], [])
    images = sorted(str(p.relative_to(sample)) for p in (sample / "images").rglob("*") if p.is_file())
    match, mismatch, errors = filecmp.cmpfiles(sample, rebuilt, images, shallow=False)
    assert (mismatch, errors) == ([], []) and len(match) == 24
