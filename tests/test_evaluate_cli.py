"""``sarchat include-path`` and ``sarchat eval``: which task folder lmms-eval gets, and the checks
made before lmms-eval starts."""

from __future__ import annotations

import shutil
from pathlib import Path

from sarchat_tasks.cli import main
from sarchat_tasks.run.evaluate import lmms_eval_argv
from sarchat_tasks.task_folder import packaged_task_folder


def test_include_path_prints_the_packaged_folder(capsys):
    assert main(["include-path"]) == 0
    folder = Path(capsys.readouterr().out.strip())
    assert folder == packaged_task_folder()
    assert (folder / "sarchat_referring.yaml").is_file() and (folder / "_default_template_yaml").is_file()


def test_include_path_with_data_rewrites_the_sets_task_folder(prepared_set: Path, tmp_path, capsys):
    moved = tmp_path / "moved"
    shutil.copytree(prepared_set, moved)
    assert main(["include-path", "--data", str(moved)]) == 0
    folder = Path(capsys.readouterr().out.strip())
    assert folder == moved.resolve() / "tasks"
    text = (folder / "sarchat_counting.yaml").read_text()
    assert f"include: {packaged_task_folder() / 'sarchat_counting.yaml'}" in text
    assert f"test: {moved.resolve() / 'rows' / 'counting.parquet'}" in text  # never the working directory


def test_eval_stops_before_lmms_eval_on_a_damaged_set(prepared_set: Path, tmp_path, capsys):
    broken = tmp_path / "broken"
    shutil.copytree(prepared_set, broken)
    image = broken / "images" / "images" / "depot.png"
    image.write_bytes(image.read_bytes()[:200])
    assert main(["eval", "--data", str(broken), "--model", "dummy"]) == 2
    error = capsys.readouterr().err
    assert "record SARChat_" in error and "depot.png is truncated" in error


def test_eval_defaults_to_the_whole_suite():
    assert lmms_eval_argv(Path("/t"), ["--model", "dummy"]) == [
        "--include_path",
        "/t",
        "--model",
        "dummy",
        "--tasks",
        "sarchat",
    ]
    assert lmms_eval_argv(Path("/t"), ["--tasks=sarchat_lite"])[-1] == "--tasks=sarchat_lite"
