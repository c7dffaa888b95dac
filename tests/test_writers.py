"""Every command that writes, through the CLI in child processes: a file or folder the suite did
not write is never deleted or replaced (``--force`` included), ``--out`` equal to, inside or
holding an input is refused, an interrupted write leaves nothing a rerun does not clean up, and
an image that cannot be shown or is over the pixel limit stops ``prepare`` and ``score`` with one
line naming it (docs/RUNNING.md, "What goes wrong")."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image
from test_images import forged_png

from sarchat_tasks.task_folder import bundled_sample

SAMPLE = bundled_sample()


def _one_line_error(done: subprocess.CompletedProcess, *needles: str) -> None:
    assert done.returncode == 2, (done.returncode, done.stdout[-2000:], done.stderr[-3000:])
    assert "Traceback" not in done.stderr, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.startswith("sarchat ")]
    assert len(lines) == 1, done.stderr
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])


def _counting_file(folder: Path, images: list[str]) -> Path:
    records = [
        {
            "messages": [
                {"role": "user", "content": "<image>\n[count] Count the ship in this satellite image."},
                {"role": "assistant", "content": "There is 1 instance. {<2><2><6><6>}"},
            ],
            "images": [image],
            "response": "There is 1 instance. {<2><2><6><6>}",
        }
        for image in images
    ]
    path = folder / "SARChat_classify_count_test.json"
    path.write_text(json.dumps(records), encoding="utf-8")
    return path


# ---------------------------------------------------------------------------------------------
# Images
# ---------------------------------------------------------------------------------------------


def test_an_image_over_the_pixel_limit_is_one_line_naming_file_and_limit(tmp_path, sarchat_command):
    forged_png(tmp_path / "huge.png", 20000, 20000)  # 400 million pixels in the header
    official = _counting_file(tmp_path, ["huge.png"])
    done = sarchat_command("prepare", official, "--images", tmp_path, "--out", tmp_path / "set")
    _one_line_error(done, str(tmp_path / "huge.png"), "178,956,970", "--max-image-pixels")
    assert not (tmp_path / "set").exists()
    done = sarchat_command("score", official, "--images", tmp_path)
    _one_line_error(done, str(tmp_path / "huge.png"), "178,956,970", "--max-image-pixels")
    # the limit raised: the header is accepted, and the set records the limit with the rule
    done = sarchat_command(
        "prepare", official, "--images", tmp_path, "--out", tmp_path / "set", "--max-image-pixels", "400000000"
    )
    assert done.returncode == 0, done.stderr
    rule = json.loads((tmp_path / "set" / "manifest.json").read_text())["image_rule"]
    assert rule["max_pixels"] == 400_000_000
    done = sarchat_command(
        "prepare", official, "--images", tmp_path, "--out", tmp_path / "x", "--max-image-pixels", "0"
    )
    assert done.returncode == 2 and "--max-image-pixels" in done.stderr and "Traceback" not in done.stderr


def test_an_image_the_rule_cannot_show_is_refused_before_any_run(tmp_path, sarchat_command):
    band = Image.fromarray(np.full((8, 8), 50, dtype=np.uint8), mode="L")
    band.save(tmp_path / "hh_hv.tif", save_all=True, append_images=[band])  # two polarisations
    Image.new("LAB", (8, 8)).save(tmp_path / "lab.tif")
    for name, reason in (("hh_hv.tif", "bands of one scene"), ("lab.tif", "mode LAB")):
        official = _counting_file(tmp_path, [name])
        done = sarchat_command("prepare", official, "--images", tmp_path, "--out", tmp_path / "set")
        _one_line_error(done, str(tmp_path / name), reason)
        # scoring reads the size only: the predictions are scored all the same
        done = sarchat_command("score", official, "--images", tmp_path)
        assert done.returncode == 0, done.stderr


# ---------------------------------------------------------------------------------------------
# export-hub
# ---------------------------------------------------------------------------------------------


def test_export_hub_again_keeps_a_git_repository_and_notes(tmp_path, sarchat_command):
    out = tmp_path / "hub"
    args = ("export-hub", SAMPLE, "--out", out, "--images-origin", "synthetic")
    assert sarchat_command(*args).returncode == 0
    subprocess.run(["git", "init", "-q", str(out)], check=True)
    (out / ".gitattributes").write_text("*.parquet filter=lfs diff=lfs merge=lfs -text\n")
    (out / "NOTES.md").write_text("upload checklist\n")
    done = sarchat_command(*args)
    assert done.returncode == 0, done.stderr
    assert (out / ".git" / "HEAD").is_file() and (out / ".gitattributes").is_file() and (out / "NOTES.md").is_file()
    assert json.loads((out / "sarchat_export.json").read_text())["format"] == "sarchat-hub"


def test_export_hub_never_deletes_its_input(tmp_path, sarchat_command):
    shutil.copytree(SAMPLE, tmp_path / "data" / "set")
    for out in (tmp_path / "data", tmp_path / "data" / "set", tmp_path / "data" / "set" / "hub"):
        done = sarchat_command("export-hub", tmp_path / "data" / "set", "--out", out, "--force")
        _one_line_error(done, "the prepared set")
    assert sorted(p.name for p in (tmp_path / "data" / "set").iterdir()) == sorted(p.name for p in SAMPLE.iterdir())


# ---------------------------------------------------------------------------------------------
# export-upstream
# ---------------------------------------------------------------------------------------------


def test_export_upstream_onto_a_file_or_over_foreign_files(tmp_path, sarchat_command):
    hub = tmp_path / "hub"  # the dataset folder the export reads its tasks and budgets from
    assert sarchat_command("export-hub", SAMPLE, "--out", hub, "--images-origin", "synthetic").returncode == 0
    data = ["--dataset-path", hub]
    (tmp_path / "file").write_text("x")
    _one_line_error(sarchat_command("export-upstream", tmp_path / "file", *data, "--hub-id", "a/b"), "is a file")
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "utils.py").write_text("my helpers\n")
    _one_line_error(sarchat_command("export-upstream", mine, *data, "--hub-id", "a/b"), "--force")
    _one_line_error(sarchat_command("export-upstream", mine, *data, "--hub-id", "a/b", "--force"), "utils.py")
    assert (mine / "utils.py").read_text() == "my helpers\n"
    # an earlier export is replaced without --force; a killed write's staging file is cleaned up
    out = tmp_path / "tasks"
    assert sarchat_command("export-upstream", out, *data, "--hub-id", "a/b").returncode == 0
    (out / ".partial-upstream-utils.py").write_text("half")
    (out / "my_notes.txt").write_text("kept")
    assert sarchat_command("export-upstream", out, *data, "--hub-id", "c/d").returncode == 0
    assert "c/d" in (out / "_default_template_yaml").read_text() and (out / "my_notes.txt").exists()
    assert not list(out.glob(".partial-*"))


# ---------------------------------------------------------------------------------------------
# synth
# ---------------------------------------------------------------------------------------------


def test_synth_never_replaces_a_dataset_s_annotations(tmp_path, sarchat_command):
    tree = tmp_path / "SARDet-100K"
    (tree / "Annotations").mkdir(parents=True)
    original = '{"images": [], "annotations": [], "categories": []}\n'
    (tree / "Annotations" / "test.json").write_text(original)
    done = sarchat_command("synth", "--out", tree, "--images", "2")
    _one_line_error(done, str(tree / "Annotations" / "test.json"), "not written by sarchat synth")
    assert (tree / "Annotations" / "test.json").read_text() == original
    assert not (tree / "JPEGImages").exists()


def test_synth_reruns_over_its_own_tree_and_after_a_kill(tmp_path, sarchat_command):
    tree = tmp_path / "scenes"
    assert (
        sarchat_command("synth", "--out", tree, "--images", "3", "--min-size", "64", "--max-size", "64").returncode == 0
    )
    first = (tree / "Annotations" / "test.json").read_bytes()
    assert (
        sarchat_command("synth", "--out", tree, "--images", "3", "--min-size", "64", "--max-size", "64").returncode == 0
    )
    assert (tree / "Annotations" / "test.json").read_bytes() == first
    # a run killed after writing images, before its annotation file: a rerun reuses the folder
    other = tmp_path / "killed"
    command = [sys.executable, "-m", "sarchat_tasks.cli", "synth", "--out", str(other), "--images", "400",
               "--min-size", "256", "--max-size", "256"]  # fmt: skip
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline and not list((other / "JPEGImages" / "test").glob("*.jpg")):
        time.sleep(0.05)
    child.kill()
    child.wait()
    assert list((other / "JPEGImages" / "test").glob("*.jpg")) and not (other / "Annotations" / "test.json").exists()
    done = sarchat_command("synth", "--out", other, "--images", "3", "--min-size", "64", "--max-size", "64")
    assert done.returncode == 0, done.stderr
    assert not list(other.glob(".sarchat-synth*"))


# ---------------------------------------------------------------------------------------------
# prepare
# ---------------------------------------------------------------------------------------------


def test_two_prepares_into_one_folder_at_once(official_set, tmp_path):
    from lmms_runs import OFFLINE_ENV

    files, root = official_set
    out = tmp_path / "set"
    out.mkdir()
    from filelock import FileLock

    with FileLock(str(out / ".sarchat-lock")):  # another prepare holding the folder
        done = subprocess.run(
            [sys.executable, "-m", "sarchat_tasks.cli", "prepare", *map(str, files), "--images", str(root), "--out", str(out)],
            env=OFFLINE_ENV, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
    _one_line_error(done, str(out), "another sarchat command is writing there now")
    assert sorted(p.name for p in out.iterdir()) == [".sarchat-lock"]


# ---------------------------------------------------------------------------------------------
# report, rescore, finetune, demo
# ---------------------------------------------------------------------------------------------


def test_report_keeps_files_it_did_not_write_and_never_writes_into_a_run(tmp_path, sarchat_command):
    run = tmp_path / "run"
    run.mkdir()
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "report.md").write_text("my notes")
    _one_line_error(sarchat_command("report", run, "--out", tmp_path / "mine"), "report.md, not written by")
    assert (tmp_path / "mine" / "report.md").read_text() == "my notes"
    for out in (run, run / "report", tmp_path):
        _one_line_error(sarchat_command("report", run, "--out", out), str(out))
    _one_line_error(sarchat_command("report", f"model={run}", "--out", run / "r"), "lies inside the input")


def test_rescore_never_writes_into_a_run_it_reads(tmp_path, sarchat_command):
    run = tmp_path / "run"
    run.mkdir()
    for out in (run, run / "rescored", tmp_path):
        _one_line_error(sarchat_command("rescore", run, "--out", out), str(out))
    (tmp_path / "file").write_text("x")
    _one_line_error(sarchat_command("rescore", run, "--out", tmp_path / "file"), "is a file")


def test_finetune_and_demo_refuse_a_file_as_out(tmp_path, sarchat_command):
    (tmp_path / "file").write_text("x")
    _one_line_error(sarchat_command("demo", "--out", tmp_path / "file"), "is a file")
    data = tmp_path / "data"
    (data / "plain").mkdir(parents=True)
    done = sarchat_command("finetune", "--data", data, "--model", "x", "--out", data / "adapter")
    _one_line_error(done, "lies inside the input")
    _one_line_error(
        sarchat_command("finetune", "--data", data, "--model", "x", "--out", tmp_path / "file"), "is a file"
    )
