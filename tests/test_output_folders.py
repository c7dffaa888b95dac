"""Output folders of ``sarchat prepare`` and ``sarchat build``: a file the tool did not write is
never deleted, a foreign non-empty folder needs ``--force``, and a set whose commit was cut short
(manifest last, under a marker) is never accepted half written or half replaced."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from sarchat_tasks import outputs
from sarchat_tasks.cli import main
from sarchat_tasks.prepare import PrepareError, prepare
from sarchat_tasks.prepared import PreparedSet, PreparedSetError


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _prepare_cli(files, root, out, *extra) -> int:
    return main(["prepare", *map(str, files), "--images", str(root), "--out", str(out), *extra])


def test_user_files_under_images_and_rows_are_never_deleted(official_set, tmp_path, capsys):
    files, root = official_set
    out = tmp_path / "out"
    (out / "images").mkdir(parents=True)
    (out / "images" / "mine.png").write_bytes(b"user data")
    (out / "rows").mkdir()
    (out / "rows" / "notes.txt").write_text("user notes")
    before = _tree(out)
    for extra in ([], ["--force"]):
        assert _prepare_cli(files, root, out, *extra) == 2
        assert "is not a set written by sarchat but holds rows, images" in capsys.readouterr().err
        assert _tree(out) == before


def test_out_equal_to_the_images_root_deletes_nothing(official_set, tmp_path, capsys):
    files, root = official_set
    copy = tmp_path / "root"
    shutil.copytree(root, copy)
    before = _tree(copy)
    assert _prepare_cli(files, copy, copy, "--force") == 2
    assert "sarchat never replaces files it did not write" in capsys.readouterr().err
    assert _tree(copy) == before


def test_a_foreign_non_empty_folder_needs_force_and_keeps_its_files(official_set, tmp_path, capsys):
    files, root = official_set
    out = tmp_path / "out"
    out.mkdir()
    (out / "README.txt").write_text("mine")
    assert _prepare_cli(files, root, out) == 2
    assert "is not empty and not a set written by sarchat; pass --force" in capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == ["README.txt"]
    assert _prepare_cli(files, root, out, "--force") == 0
    assert (out / "README.txt").read_text() == "mine"
    assert PreparedSet(out).manifest["records"] > 0


def test_prepare_over_a_build_replaces_the_whole_build(official_set, tmp_path, capsys):
    from test_build import write_sardet

    sardet = write_sardet(tmp_path / "sardet")
    out = tmp_path / "out"
    assert main(["build", str(sardet), "--out", str(out), "--splits", "test"]) == 0
    assert (out / "official").is_dir() and (out / "build_report.json").is_file()
    files, root = official_set
    small = [f for f in files if "classify_test" in f.name]
    assert _prepare_cli(small, root, out) == 0
    assert not (out / "official").exists() and not (out / "build_report.json").exists()
    capsys.readouterr()
    assert main(["stats", str(out)]) == 0
    printed = capsys.readouterr().out
    assert f"prepared set {out}" in printed
    assert PreparedSet(out).manifest["records"] == 2
    assert not [p for p in out.iterdir() if p.name.startswith(".")]


@pytest.mark.parametrize("fail_on", ["manifest.json", "rows"])
def test_a_commit_cut_short_is_never_accepted(official_set, tmp_path, monkeypatch, fail_on):
    """A kill between the moves of a commit, simulated by a rename that fails: the old set is no
    longer accepted, nor the half-written new one, until a prepare completes."""
    files, root = official_set
    out = tmp_path / "out"
    prepare(files, root, out)
    real_rename = os.rename

    def rename(src, dst):
        if Path(dst).parent == out and Path(dst).name == fail_on:
            raise OSError("killed")
        return real_rename(src, dst)

    monkeypatch.setattr(outputs.os, "rename", rename)
    with pytest.raises(PrepareError, match=r"cannot write the set into .*killed"):
        prepare(files[:2], root, out)
    monkeypatch.setattr(outputs.os, "rename", real_rename)
    with pytest.raises(PreparedSetError, match=r"was being written or replaced when its writer stopped"):
        PreparedSet(out).manifest  # noqa: B018
    assert main(["include-path", "--data", str(out)]) == 2
    manifest = prepare(files[:2], root, out)  # the tool's own leftovers are replaced
    assert PreparedSet(out).manifest == manifest
    assert not [p for p in out.iterdir() if p.name.startswith(".")]


@pytest.mark.parametrize("command", ["prepare", "build", "report"])
def test_out_under_a_file_or_a_file_is_an_error_not_a_traceback(official_set, tmp_path, capsys, command):
    files, root = official_set
    (tmp_path / "file").write_text("x")
    args = {
        "prepare": ["prepare", *map(str, files), "--images", str(root)],
        "build": ["build", str(tmp_path)],
        "report": ["report", str(tmp_path)],
    }[command]
    for out, message in (
        (tmp_path / "file", "is a file, not a folder"),
        (tmp_path / "file" / "sub", f"{tmp_path / 'file'} is a file, not a folder"),
    ):
        assert main([*args, "--out", str(out)]) == 2, out
        assert message in capsys.readouterr().err
    assert (tmp_path / "file").read_text() == "x"


def test_a_nul_byte_in_a_path_is_an_error(official_set, tmp_path, capsys):
    files, root = official_set
    assert _prepare_cli(files, root, f"{tmp_path}/a\x00b") == 2
    assert "cannot hold a NUL byte" in capsys.readouterr().err
    with pytest.raises(PrepareError):
        prepare(files, root, Path(f"{tmp_path}/a\x00b"))
