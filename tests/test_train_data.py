"""``sarchat train-data``: validation held out by image, test images kept out (by path and by
bytes, and as near-duplicates by perceptual hash), the identification cap, the ms-swift, plain and
LLaMA-Factory formats, and byte-identical reruns."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

import pytest

from sarchat_tasks.build.pipeline import build
from sarchat_tasks.build.synth import main as synth_main
from sarchat_tasks.cli import main
from sarchat_tasks.official import iter_file_records, task_of_question
from sarchat_tasks.train.data import TrainDataError, export_train_data, identification_keep


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _tree_bytes(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, Path]:
    """(SARDet-style tree, build) of 12 synthetic images: 9 train, 3 test."""
    base = tmp_path_factory.mktemp("train_data")
    assert (
        synth_main(["--out", str(base / "sardet"), "--images", "12", "--seed", "5", "--splits", "train:3,test:1"]) == 0
    )
    build(base / "sardet", base / "build", splits=("train", "test"), log=lambda m: None)
    return base / "sardet", base / "build"


def _train_records(build_dir: Path) -> list[dict]:
    return list(iter_file_records(build_dir / "official" / "SARChat_train.json"))


def test_identification_keep_by_hand():
    # keep / (others + keep) <= share: 0.25 * 30 / 0.75 = 10
    assert identification_keep(100, 30, 0.25) == 10
    assert identification_keep(5, 30, 0.25) == 5  # fewer than the cap: all kept
    assert identification_keep(100, 30, None) == 100
    assert identification_keep(100, 30, 1.0) == 100
    assert identification_keep(100, 30, 0.0) == 0
    assert identification_keep(100, 50, 0.5) == 50  # exactly half
    assert identification_keep(100, 7, 1 / 6) == 1  # 7/5 = 1.4 -> 1


def test_split_by_image_keeps_every_record_and_no_test_image(built, tmp_path):
    root, build_dir = built
    manifest = export_train_data(build_dir, tmp_path / "td", val_images=2, seed=1)
    source = _train_records(build_dir)
    train = _lines(tmp_path / "td" / "swift" / "train.jsonl")
    val = _lines(tmp_path / "td" / "swift" / "val.jsonl")
    # no cap: every record lands in exactly one split, unchanged but for the image path
    assert len(train) + len(val) == len(source)
    absolute = str(root.resolve())
    for line in train + val:
        assert line["images"][0].startswith(absolute + "/JPEGImages/train/")
        assert Path(line["images"][0]).is_file()
    relative = Counter(json.dumps(r["messages"]) + r["images"][0] for r in source)
    written = Counter(json.dumps(r["messages"]) + r["images"][0][len(absolute) + 1 :] for r in train + val)
    assert relative == written
    train_images = {r["images"][0] for r in train}
    val_images = {r["images"][0] for r in val}
    assert len(val_images) == 2 and len(train_images) == 7 and not train_images & val_images
    test_images = {
        str(root.resolve() / r["images"][0])
        for p in (build_dir / "official").glob("*_test.json")
        for r in iter_file_records(p)
    }
    assert test_images and not test_images & (train_images | val_images)
    assert manifest["splits"]["train"]["records"] == len(train) and manifest["splits"]["val"]["images"] == 2
    assert manifest["excluded_test_images"] == {"same_path": 0, "same_bytes": 0, "near_duplicate": 0}
    # the plain format holds the same records, question without the image token
    plain = _lines(tmp_path / "td" / "plain" / "train.jsonl")
    assert [(p["image"], "<image>\n" + p["question"], p["answer"]) for p in plain] == [
        (s["images"][0], s["messages"][0]["content"], s["messages"][1]["content"]) for s in train
    ]
    assert all(p["task"] == task_of_question(p["question"]) for p in plain)


def test_val_fraction_rounds_up_and_reruns_are_byte_identical(built, tmp_path):
    _, build_dir = built
    first = export_train_data(build_dir, tmp_path / "a", val_fraction=0.2, seed=3)
    export_train_data(build_dir, tmp_path / "b", val_fraction=0.2, seed=3)
    assert first["splits"]["val"]["images"] == 2  # ceil(0.2 * 9)
    a, b = _tree_bytes(tmp_path / "a"), _tree_bytes(tmp_path / "b")
    assert a.keys() == b.keys() and all(a[k] == b[k] for k in a if k != "train_data.json")
    other = export_train_data(build_dir, tmp_path / "c", val_fraction=0.2, seed=4)
    assert other["splits"]["val"]["images"] == 2
    assert (tmp_path / "c" / "swift" / "val.jsonl").read_bytes() != a["swift/val.jsonl"]


def test_identification_cap_leaves_other_tasks_whole(built, tmp_path):
    _, build_dir = built
    full = export_train_data(build_dir, tmp_path / "full", val_images=1, seed=0, formats=("plain",))
    capped = export_train_data(build_dir, tmp_path / "cap", val_images=1, seed=0, identification_share=0.2)
    for split in ("train", "val"):
        before, after = full["splits"][split]["tasks"], capped["splits"][split]["tasks"]
        others = sum(n for t, n in before.items() if t != "identification")
        assert before["identification"] > 0.5 * sum(before.values())  # identification dominates uncapped
        assert after["identification"] == min(before["identification"], int(0.2 * others / 0.8))
        assert after["identification"] <= 0.2 * capped["splits"][split]["records"]
        assert {t: n for t, n in after.items() if t != "identification"} == {
            t: n for t, n in before.items() if t != "identification"
        }
    counted = Counter(line["task"] for line in _lines(tmp_path / "cap" / "plain" / "train.jsonl"))
    assert dict(counted) == {t: n for t, n in capped["splits"]["train"]["tasks"].items() if n}
    assert not (tmp_path / "full" / "swift").exists()


def test_a_test_picture_under_a_train_name_is_kept_out_by_its_bytes(tmp_path):
    assert (
        synth_main(["--out", str(tmp_path / "sardet"), "--images", "6", "--seed", "2", "--splits", "train:1,test:1"])
        == 0
    )
    train_dir, test_dir = tmp_path / "sardet" / "JPEGImages" / "train", tmp_path / "sardet" / "JPEGImages" / "test"
    victim = sorted(train_dir.iterdir())[0]
    shutil.copyfile(sorted(test_dir.iterdir())[0], victim)  # same picture, train name
    build(tmp_path / "sardet", tmp_path / "build", splits=("train", "test"), log=lambda m: None)
    checked = export_train_data(tmp_path / "build", tmp_path / "checked", val_images=0)
    assert checked["excluded_test_images"] == {"same_path": 0, "same_bytes": 1, "near_duplicate": 0}
    images = {line["image"] for line in _lines(tmp_path / "checked" / "plain" / "train.jsonl")}
    assert str(victim.resolve()) not in images and len(images) == 2
    unchecked = export_train_data(tmp_path / "build", tmp_path / "unchecked", val_images=0, content_check=False)
    assert unchecked["excluded_test_images"] == {"same_path": 0, "same_bytes": 0, "near_duplicate": 0}
    assert unchecked["splits"]["train"]["images"] == 3


def test_image_root_prefix_and_errors(built, tmp_path, capsys):
    root, build_dir = built
    out = tmp_path / "td"
    assert main(["train-data", str(build_dir), "--out", str(out), "--image-root", "/data/SARDet-100K"]) == 0
    assert "records of" in capsys.readouterr().out
    line = _lines(out / "swift" / "train.jsonl")[0]
    assert line["images"][0].startswith("/data/SARDet-100K/JPEGImages/train/")
    # a rerun needs --force; a folder of other files is never written over
    assert main(["train-data", str(build_dir), "--out", str(out)]) == 2
    assert "--force" in capsys.readouterr().err
    assert main(["train-data", str(build_dir), "--out", str(out), "--force", "--formats", "plain"]) == 0
    assert not (out / "swift").exists() and (out / "plain" / "train.jsonl").is_file()
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    with pytest.raises(TrainDataError, match="did not write"):
        export_train_data(build_dir, other, force=True)
    with pytest.raises(TrainDataError, match="leaves no train image"):
        export_train_data(build_dir, tmp_path / "x", val_images=9)
    train_only = tmp_path / "train_only"
    build(root, train_only, splits=("train",), log=lambda m: None)
    with pytest.raises(TrainDataError, match="--splits train,test"):
        export_train_data(train_only, tmp_path / "y")


def test_finetune_refuses_a_used_folder_and_data_it_cannot_read(built, tmp_path, capsys):
    pytest.importorskip("peft", reason="sarchat finetune needs peft: pip install -e '.[test]' (or '.[train]')")
    _, build_dir = built
    used = tmp_path / "used"
    used.mkdir()
    (used / "keep.txt").write_text("mine")
    assert main(["finetune", "--model", "unused", "--data", str(tmp_path / "data"), "--out", str(used)]) == 2
    assert "not empty" in capsys.readouterr().err
    # an --out inside the data folder is refused before anything is read
    assert main(["finetune", "--model", "unused", "--data", str(tmp_path), "--out", str(tmp_path / "new")]) == 2
    assert "lies inside the input" in capsys.readouterr().err
    assert (
        main(["finetune", "--model", "unused", "--data", str(tmp_path / "nothing"), "--out", str(tmp_path / "o")]) == 2
    )
    assert "sarchat train-data --formats plain" in capsys.readouterr().err
    export_train_data(build_dir, tmp_path / "swift_only", formats=("swift",))
    assert (
        main(["finetune", "--model", "unused", "--data", str(tmp_path / "swift_only"), "--out", str(tmp_path / "p")])
        == 2
    )
    assert "plain" in capsys.readouterr().err


def test_an_empty_image_root_keeps_paths_relative_to_the_stated_root(built, tmp_path):
    root, build_dir = built
    manifest = export_train_data(build_dir, tmp_path / "td", image_root="", val_images=0, formats=("swift",))
    assert manifest["image_root"] == "" and manifest["sardet_root"] == str(root.resolve())
    lines = _lines(tmp_path / "td" / "swift" / "train.jsonl")
    assert [line["images"] for line in lines] == [r["images"] for r in _train_records(build_dir)]


def test_a_test_picture_saved_again_smaller_is_kept_out_as_a_near_duplicate(tmp_path):
    """A test picture resized to 80 % and saved again as JPEG at quality 60 under a train name: other
    bytes, a perceptual hash within 8 bits (docs/FINETUNE.md). Distinct pictures stay."""
    from PIL import Image

    from sarchat_tasks.train.near_duplicates import DEFAULT_DISTANCE, perceptual_hash

    assert synth_main(["--out", str(tmp_path / "sardet"), "--images", "8", "--seed", "4",
                       "--splits", "train:1,test:1"]) == 0  # fmt: skip
    train_dir, test_dir = tmp_path / "sardet" / "JPEGImages" / "train", tmp_path / "sardet" / "JPEGImages" / "test"
    victim, source = sorted(train_dir.iterdir())[0], sorted(test_dir.iterdir())[0]
    with Image.open(source) as picture:
        smaller = picture.convert("RGB").resize((picture.width * 4 // 5, picture.height * 4 // 5))
    smaller.save(victim, format="JPEG", quality=60)  # the build reads the size from the file
    assert victim.read_bytes() != source.read_bytes()
    distance = bin(perceptual_hash(victim) ^ perceptual_hash(source)).count("1")
    assert 0 <= distance <= DEFAULT_DISTANCE == 8
    build(tmp_path / "sardet", tmp_path / "build", splits=("train", "test"), log=lambda m: None)
    checked = export_train_data(tmp_path / "build", tmp_path / "checked", val_images=0)
    assert checked["excluded_test_images"] == {"same_path": 0, "same_bytes": 0, "near_duplicate": 1}
    assert checked["near_duplicate_bits"] == 8 and checked["splits"]["train"]["images"] == 3
    images = {line["image"] for line in _lines(tmp_path / "checked" / "plain" / "train.jsonl")}
    assert str(victim.resolve()) not in images
    loose = export_train_data(tmp_path / "build", tmp_path / "loose", val_images=0, near_duplicate_bits=0)
    assert loose["excluded_test_images"]["near_duplicate"] == (1 if distance == 0 else 0)
    with pytest.raises(TrainDataError, match="--near-duplicate-bits"):
        export_train_data(tmp_path / "build", tmp_path / "bad", near_duplicate_bits=65)


def test_perceptual_hash_follows_its_definition(tmp_path):
    """The hash against its definition written out with the DCT-II matrix (C[k, n] = sqrt(2/N)
    cos(pi (2n + 1) k / 2N), row 0 sqrt(1/N)): grey levels resized to 32 x 32, C X C^T, the 8 x 8
    lowest frequencies above their median, read row by row with the first bit the highest."""
    import numpy as np
    from PIL import Image

    from sarchat_tasks.train.near_duplicates import hamming_to_nearest, perceptual_hash

    noise = np.random.default_rng(0).integers(0, 256, (80, 120), dtype=np.uint8)
    Image.fromarray(noise).save(tmp_path / "noise.png")
    with Image.open(tmp_path / "noise.png") as image:
        x = np.asarray(image.convert("L").resize((32, 32), Image.Resampling.LANCZOS), dtype=np.float64)
    n = np.arange(32)
    c = np.sqrt(2 / 32) * np.cos(np.pi * (2 * n[None, :] + 1) * n[:, None] / 64)
    c[0] = np.sqrt(1 / 32)
    low = (c @ x @ c.T)[:8, :8].ravel()
    expected = int("".join("1" if v > np.median(low) else "0" for v in low), 2)
    assert perceptual_hash(tmp_path / "noise.png") == expected
    assert list(hamming_to_nearest([expected, expected ^ 0b1011], [expected])) == [0, 3]
    assert list(hamming_to_nearest([expected], [])) == [65]


def test_llamafactory_files_load_as_its_data_readme_documents(built, tmp_path):
    """Read the files the way LLaMA-Factory's data/README.md describes them: ``dataset_info.json`` in
    the dataset folder names each data set's ``file_name`` (json/jsonl, loaded with datasets),
    ``formatting: sharegpt``, and ``columns``/``tags`` (defaults: messages ``conversations``,
    role ``from``, content ``value``, user ``human``, assistant ``gpt``); human turns at odd
    positions, gpt at even; one ``<image>`` token per path in ``images``."""
    from datasets import load_dataset

    _, build_dir = built
    export_train_data(build_dir, tmp_path / "td", val_images=2, seed=1)
    folder = tmp_path / "td" / "llamafactory"
    info = json.loads((folder / "dataset_info.json").read_text())
    assert set(info) == {"sarchat_train", "sarchat_val"}
    defaults_columns = {"messages": "conversations"}
    defaults_tags = {"role_tag": "from", "content_tag": "value", "user_tag": "human", "assistant_tag": "gpt"}
    for split in ("train", "val"):
        entry = info[f"sarchat_{split}"]
        assert entry["formatting"] == "sharegpt"
        columns = {**defaults_columns, **entry.get("columns", {})}
        tags = {**defaults_tags, **entry.get("tags", {})}
        rows = load_dataset("json", data_files=str(folder / entry["file_name"]), split="train")
        plain = _lines(tmp_path / "td" / "plain" / f"{split}.jsonl")
        assert len(rows) == len(plain) > 0
        for row, record in zip(rows, plain):
            turns = row[columns["messages"]]
            roles = [turn[tags["role_tag"]] for turn in turns]
            assert roles == [tags["user_tag"], tags["assistant_tag"]]
            user, answer = (turn[tags["content_tag"]] for turn in turns)
            images = row[columns["images"]]
            assert user.count("<image>") == len(images) == 1
            assert user == "<image>\n" + record["question"] and answer == record["answer"]
            assert images[0] == record["image"] and Path(images[0]).is_file()
            assert row[columns["system"]] == "You are a helpful assistant."
