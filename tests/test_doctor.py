"""``sarchat doctor``: a SARDet-100K download checked before a build, through the command line."""

from __future__ import annotations

from pathlib import Path

import pytest

from sarchat_tasks.build.doctor import PUBLISHED


def test_published_split_sizes_are_sardet_100ks():
    # copied from ../shared/reference/SARCHAT.md ("SARDet-100K splits"), itself from SARDet-100K's paper
    assert PUBLISHED == {"train": (94_493, 198_747), "val": (10_492, 22_703), "test": (11_613, 24_023)}


@pytest.fixture
def download(tmp_path: Path, sarchat_command) -> Path:
    root = tmp_path / "SARDet_100K"
    done = sarchat_command("synth", "--out", root, "--images", "6", "--splits", "train:1,test:1", "--seed", "3")
    assert done.returncode == 0, done.stderr
    return root


def test_a_whole_download_is_ready(download: Path, sarchat_command):
    done = sarchat_command("doctor", download, "--any-size")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ready for sarchat build" in done.stdout
    assert [line.split()[0] for line in done.stdout.splitlines()[:2]] == ["train", "test"]


def test_sizes_other_than_the_published_ones_are_named(download: Path, sarchat_command):
    done = sarchat_command("doctor", download)
    assert done.returncode == 2
    assert "SARDet-100K publishes 11,613 and 24,023" in done.stdout
    assert "the download is not usable as it is (train, test)" in done.stderr


def test_missing_and_unreadable_images_are_named(download: Path, sarchat_command):
    broken = sorted((download / "JPEGImages" / "test").iterdir())[0]
    broken.write_bytes(broken.read_bytes()[:100])
    gone = sorted((download / "JPEGImages" / "train").iterdir())[0]
    gone.unlink()
    done = sarchat_command("doctor", download, "--any-size")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert f"1 image listed but not on disk; first: {download / 'Annotations' / 'train.json'}" in done.stdout
    assert f"1 image unreadable or of another size; first: {broken}: cannot be read" in done.stdout


def test_a_download_without_the_test_split(download: Path, sarchat_command):
    (download / "Annotations" / "test.json").unlink()
    done = sarchat_command("doctor", download, "--any-size")
    assert done.returncode == 2
    assert f"{download / 'Annotations' / 'test.json'} is missing" in done.stdout


def test_not_a_sardet_root(tmp_path: Path, sarchat_command):
    done = sarchat_command("doctor", tmp_path)
    assert done.returncode == 2 and "no Annotations/ folder; is this the SARDet-100K root?" in done.stderr
