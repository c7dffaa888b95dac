"""The synthetic scene generator: deterministic, SARDet-100K-shaped, and its boxes match its pixels."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from sarchat_tasks.build import synth
from sarchat_tasks.utils.vocabulary import CATEGORIES


def _tree_bytes(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _args(out: Path, *extra: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    synth.register(parser)
    return parser.parse_args(["--out", str(out), *extra])


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("synth")
    assert synth.run(_args(out, "--images", "8", "--seed", "3", "--splits", "train:1,test:3")) == 0
    return out


def test_same_arguments_give_byte_identical_trees(sample, tmp_path):
    again = tmp_path / "again"
    assert synth.run(_args(again, "--images", "8", "--seed", "3", "--splits", "train:1,test:3")) == 0
    assert _tree_bytes(sample) == _tree_bytes(again)


def test_another_seed_gives_other_images():
    a = synth.generate_image(0, 0)
    b = synth.generate_image(1, 0)
    assert a.pixels.shape != b.pixels.shape or not np.array_equal(a.pixels, b.pixels)


def test_sardet_layout_and_coco_fields(sample):
    assert sorted(p.name for p in (sample / "Annotations").iterdir()) == ["test.json", "train.json"]
    total = 0
    for split in ("train", "test"):
        coco = json.loads((sample / "Annotations" / f"{split}.json").read_text())
        assert [c["name"] for c in coco["categories"]] == list(CATEGORIES)
        ids = {c["id"] for c in coco["categories"]}
        images = {im["id"]: im for im in coco["images"]}
        total += len(images)
        for im in images.values():
            path = sample / "JPEGImages" / split / im["file_name"]
            with Image.open(path) as pil:
                assert pil.size == (im["width"], im["height"])
                assert pil.mode == "L" and pil.format == "JPEG"
            assert 256 <= im["width"] <= 512 and 256 <= im["height"] <= 512
        for ann in coco["annotations"]:
            im = images[ann["image_id"]]
            x, y, w, h = ann["bbox"]
            assert ann["category_id"] in ids and w > 0 and h > 0
            assert 0 <= x and 0 <= y and x + w <= im["width"] and y + h <= im["height"]
        assert len({a["id"] for a in coco["annotations"]}) == len(coco["annotations"])
    assert total == 8
    assert len(json.loads((sample / "Annotations" / "train.json").read_text())["images"]) == 2


def test_six_consecutive_images_hold_all_six_categories():
    found = {category for i in range(6) for category, _ in synth.generate_image(5, i).objects}
    assert found == set(CATEGORIES)


def _brighter_than_surroundings(pixels: np.ndarray, box: tuple[int, int, int, int], ring: int = 3) -> bool:
    x1, y1, x2, y2 = box
    height, width = pixels.shape
    inside = pixels[y1:y2, x1:x2].astype(float)
    X1, Y1, X2, Y2 = max(0, x1 - ring), max(0, y1 - ring), min(width, x2 + ring), min(height, y2 + ring)
    mask = np.ones((Y2 - Y1, X2 - X1), dtype=bool)
    mask[y1 - Y1 : y2 - Y1, x1 - X1 : x2 - X1] = False
    around = pixels[Y1:Y2, X1:X2][mask].astype(float)
    return inside.mean() > 1.2 * around.mean() and np.percentile(inside, 90) > 2.0 * np.median(around)


def test_every_target_is_brighter_than_its_surroundings():
    checked = 0
    for index in range(30):
        image = synth.generate_image(11, index)
        for category, box in image.objects:
            assert _brighter_than_surroundings(image.pixels, box), (index, image.scene, category, box)
            checked += 1
    assert checked > 100


def test_written_jpeg_keeps_targets_bright(sample):
    coco = json.loads((sample / "Annotations" / "test.json").read_text())
    for im in coco["images"]:
        pixels = np.asarray(Image.open(sample / "JPEGImages" / "test" / im["file_name"]))
        for ann in (a for a in coco["annotations"] if a["image_id"] == im["id"]):
            x, y, w, h = ann["bbox"]
            assert _brighter_than_surroundings(pixels, (x, y, x + w, y + h)), (im["file_name"], ann)


def test_speckle_statistics_follow_the_looks():
    """Open sea is gamma speckle: the amplitude's coefficient of variation matches L looks."""
    for index in range(0, 36, 6):  # sea scenes
        image = synth.generate_image(2, index)
        intensity = image.pixels.astype(float) ** 2
        h, w = intensity.shape
        block = intensity[h // 2 - 16 : h // 2 + 16, w // 2 - 16 : w // 2 + 16]
        if any(_overlaps(box, (w // 2 - 16, h // 2 - 16, w // 2 + 16, h // 2 + 16)) for _, box in image.objects):
            continue
        enl = block.mean() ** 2 / block.var()
        assert 0.6 * image.looks < enl < 1.6 * image.looks, (index, image.looks, enl)


def _overlaps(a, b, margin: int = 30) -> bool:
    return not (a[2] + margin <= b[0] or b[2] + margin <= a[0] or a[3] + margin <= b[1] or b[3] + margin <= a[1])


def test_sample_size_stays_small(tmp_path):
    assert synth.run(_args(tmp_path, "--images", "12", "--seed", "0")) == 0
    total = sum(p.stat().st_size for p in tmp_path.rglob("*") if p.is_file())
    # A few dozen images must stay well under 5 MB: under 110 kB per image on average.
    assert total / 12 < 110_000, total


def test_png_output(tmp_path):
    assert synth.run(_args(tmp_path, "--images", "1", "--format", "png", "--max-size", "256")) == 0
    (path,) = (tmp_path / "JPEGImages" / "test").iterdir()
    assert path.suffix == ".png"
    with Image.open(path) as pil:
        assert pil.format == "PNG" and pil.size == (256, 256)


@pytest.mark.parametrize(
    "extra",
    [("--images", "-1"), ("--min-size", "600"), ("--quality", "0"), ("--splits", "bad name:1"), ("--splits", "a:0")],
)
def test_bad_arguments_exit_2(tmp_path, extra):
    assert synth.run(_args(tmp_path, *extra)) == 2


def test_split_allocation_is_exact_and_ordered():
    assert synth._allocate(8, [("train", 3.0), ("test", 1.0)]) == [("train", 6), ("test", 2)]
    assert synth._allocate(5, [("a", 1.0), ("b", 1.0)]) == [("a", 3), ("b", 2)]
    assert synth.parse_splits("train:0.5, test") == [("train", 0.5), ("test", 1.0)]
