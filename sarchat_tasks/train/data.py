"""``sarchat train-data``: a build's train split as files a trainer reads as they are.

``sarchat build --splits train,test`` writes ``official/SARChat_train.json``: every task mixed,
image paths relative to the SARDet-100K root, one file. A trainer needs more: paths it can open
wherever it runs, a validation slice, and (optionally) less of the identification task, which is
77 % of the records. This command reads the build and writes, into ``OUT``:

* ``swift/train.jsonl``, ``swift/val.jsonl``: ms-swift's ``messages``/``images`` records, one per
  line (``swift sft --dataset OUT/swift/train.jsonl --val_dataset OUT/swift/val.jsonl``);
* ``plain/train.jsonl``, ``plain/val.jsonl``: ``{"image", "question", "answer", "task"}`` per line,
  the question without the ``<image>`` token, for a plain transformers/peft loop (``sarchat finetune``);
* ``llamafactory/train.jsonl``, ``llamafactory/val.jsonl`` and ``llamafactory/dataset_info.json``:
  LLaMA-Factory's ShareGPT form (``conversations`` of ``from``/``value`` turns, ``system``,
  ``images``) and the entries ``sarchat_train`` and ``sarchat_val`` that describe it
  (``llamafactory-cli train ... dataset_dir: OUT/llamafactory, dataset: sarchat_train``);
* ``train_data.json``: the options, the image root, and the records and images per split and task.

Rules (docs/FINETUNE.md argues them):

* Image paths are ``IMAGE_ROOT/<path in the build>``; ``IMAGE_ROOT`` is the build's SARDet-100K
  root, made absolute, unless ``--image-root`` names where the trainer will see the tree.
* The validation slice is held out **by image**: every record of a chosen image goes to val, none
  to train. Images are first grouped by the SHA-256 of their bytes (``--no-content-check``: by
  path), so a picture stored twice under two names lands on one side only.
* No train or val image is a test image: an image whose path, or (with the content check) whose
  bytes, equal a test image's is dropped from both, and so is (with the content check) one whose
  perceptual hash is within ``--near-duplicate-bits`` (default 8 of 64) of a test image's
  (train/near_duplicates.py); each kind is counted in ``train_data.json``.
* ``--identification-share F`` keeps a seeded random subset of each split's identification
  records so that they make at most ``F`` of that split's records; the other five tasks are kept
  whole.
* Everything is drawn from ``random.Random`` seeded with strings (``--seed``): the same build and
  options give byte-identical files. Record order is the build's; trainers shuffle.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import shutil
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from sarchat_tasks.errors import SarchatError
from sarchat_tasks.outputs import file_sha256
from sarchat_tasks.train.loop import SYSTEM_PROMPT
from sarchat_tasks.train.near_duplicates import DEFAULT_DISTANCE, hamming_to_nearest, perceptual_hash

__all__ = ["FORMATS", "MANIFEST", "TrainDataError", "export_train_data", "register", "run"]

MANIFEST = "train_data.json"
FORMAT_NAME = "sarchat-train-data"
FORMAT_VERSION = 1
FORMATS: tuple[str, ...] = ("swift", "plain", "llamafactory")
SPLIT_NAMES: tuple[str, ...] = ("train", "val")
TRAIN_FILE = "SARChat_train.json"
LLAMAFACTORY_INFO = "dataset_info.json"
DEFAULT_VAL_FRACTION = 0.02


class TrainDataError(SarchatError):
    """A build that cannot be turned into training data, or options that cannot be met."""


def _user_and_answer(record: dict[str, Any], where: str) -> tuple[str, str]:
    messages = record.get("messages")
    if not isinstance(messages, list):
        raise TrainDataError(f"{where}: no 'messages' list (not a file written by sarchat build)")
    user = [m.get("content") for m in messages if isinstance(m, dict) and m.get("role") == "user"]
    answer = [m.get("content") for m in messages if isinstance(m, dict) and m.get("role") == "assistant"]
    if len(user) != 1 or len(answer) != 1 or not isinstance(user[0], str) or not isinstance(answer[0], str):
        raise TrainDataError(f"{where}: expected one user and one assistant turn of text")
    return user[0], answer[0]


def _image_of(record: dict[str, Any], where: str) -> str:
    images = record.get("images")
    if not isinstance(images, list) or len(images) != 1 or not isinstance(images[0], str):
        raise TrainDataError(f"{where}: expected 'images' to hold one path")
    return images[0]


def _read_build(build: Path) -> tuple[Path, Path, list[Path]]:
    """(the SARDet-100K root the build read, its train file, its test files)."""
    from sarchat_tasks.build.pipeline import OFFICIAL_DIR, REPORT
    from sarchat_tasks.build.records import TEST_FILES

    report_path = build / REPORT
    try:
        report = json.loads(report_path.read_text(encoding="utf-8"))
        root = Path(report["sardet_root"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise TrainDataError(f"{build} is not a build of sarchat build: cannot read {report_path} ({exc})") from exc
    train = build / OFFICIAL_DIR / TRAIN_FILE
    if not train.is_file():
        raise TrainDataError(f"{build} holds no {OFFICIAL_DIR}/{TRAIN_FILE}: build with --splits train,test")
    tests = [build / OFFICIAL_DIR / name for name in TEST_FILES.values()]
    missing = [p.name for p in tests if not p.is_file()]
    if missing:
        raise TrainDataError(
            f"{build} holds no test files ({', '.join(missing)}): build with --splits train,test, so that the "
            "training data can be checked to share no image with the test split"
        )
    return root, train, tests


def llamafactory_entry(file_name: str) -> dict[str, Any]:
    """A ``dataset_info.json`` entry for a ShareGPT file of one image per record, with the field names
    of LLaMA-Factory's data/README.md (the tags spelled out, though they are its defaults)."""
    return {
        "file_name": file_name,
        "formatting": "sharegpt",
        "columns": {"messages": "conversations", "system": "system", "images": "images"},
        "tags": {"role_tag": "from", "content_tag": "value", "user_tag": "human", "assistant_tag": "gpt"},
    }


def identification_keep(identification: int, others: int, share: float | None) -> int:
    """How many identification records to keep so that they make at most ``share`` of the records
    (``others`` being the records of the other tasks); all of them when ``share`` is None."""
    if share is None or share >= 1:
        return identification
    if share <= 0:
        return 0
    # keep / (others + keep) <= share  <=>  keep <= share * others / (1 - share)
    return min(identification, math.floor(share * others / (1 - share) + 1e-9))


def export_train_data(
    build: Path | str,
    out: Path | str,
    *,
    val_fraction: float = DEFAULT_VAL_FRACTION,
    val_images: int | None = None,
    identification_share: float | None = None,
    seed: int = 0,
    sardet_root: Path | str | None = None,
    image_root: str | None = None,
    formats: Sequence[str] = FORMATS,
    content_check: bool = True,
    near_duplicate_bits: int = DEFAULT_DISTANCE,
    force: bool = False,
    log: Callable[[str], None] = lambda message: None,
) -> dict[str, Any]:
    """Write the training data of the build at ``build`` into ``out``; returns the manifest."""
    from sarchat_tasks.official import iter_file_records, task_of_question
    from sarchat_tasks.registry import TABLE5_ORDER

    build, out = Path(build), Path(out)
    if not 0 <= val_fraction < 1:
        raise TrainDataError(f"--val-fraction must be in [0, 1), got {val_fraction}")
    if val_images is not None and val_images < 0:
        raise TrainDataError(f"--val-images must be 0 or more, got {val_images}")
    if identification_share is not None and not 0 <= identification_share <= 1:
        raise TrainDataError(f"--identification-share must be in [0, 1], got {identification_share}")
    if not 0 <= near_duplicate_bits <= 64:
        raise TrainDataError(f"--near-duplicate-bits must be in [0, 64], got {near_duplicate_bits}")
    if not formats or any(f not in FORMATS for f in formats) or len(set(formats)) != len(formats):
        raise TrainDataError(f"--formats must list distinct names from {', '.join(FORMATS)}, got {list(formats)}")
    built_root, train_file, test_files = _read_build(build)
    root = Path(sardet_root) if sardet_root is not None else built_root
    prefix = image_root if image_root is not None else str(root.resolve())
    if out.exists() and any(out.iterdir()):
        if not force:
            raise TrainDataError(f"{out} is not empty; pass --force to replace what it holds, or choose another --out")
        if not (out / MANIFEST).is_file():
            raise TrainDataError(f"{out} holds files sarchat train-data did not write; choose another --out")

    # Pass 1: each record's image and task, kept as small integers (two million records).
    task_codes = {task: i for i, task in enumerate(TABLE5_ORDER)}
    images: list[str] = []
    image_index: dict[str, int] = {}
    record_image = array("i")
    record_task = bytearray()
    for n, record in enumerate(iter_file_records(train_file)):
        where = f"{train_file} record {n}"
        path = _image_of(record, where)
        question, _ = _user_and_answer(record, where)
        index = image_index.setdefault(path, len(images))
        if index == len(images):
            images.append(path)
        record_image.append(index)
        record_task.append(task_codes[task_of_question(question)])
    if not images:
        raise TrainDataError(f"{train_file} holds no record")
    log(f"read {len(record_task):,} train records of {len(images):,} images")

    test_paths = {_image_of(r, f"{p} record {i}") for p in test_files for i, r in enumerate(iter_file_records(p))}

    def key(path: str) -> str:
        if not content_check:
            return path
        file = root / path
        try:
            return file_sha256(file)
        except OSError as exc:
            raise TrainDataError(
                f"cannot read image {file} for the content check ({exc}); pass --sardet-root where the "
                "SARDet-100K tree is, or --no-content-check"
            ) from exc

    def picture_hash(path: str) -> int:
        file = root / path
        try:
            return perceptual_hash(file)
        except OSError as exc:
            raise TrainDataError(f"cannot read image {file} for the near-duplicate check ({exc})") from exc

    if content_check:
        log(f"hashing {len(images) + len(test_paths):,} images to keep test pictures out")
    test_keys = {key(p) for p in sorted(test_paths)}
    test_hashes = [picture_hash(p) for p in sorted(test_paths)] if content_check else []
    excluded_path = excluded_content = excluded_near = 0
    unit_of: list[str | None] = []  # per train image: its group key, None when it is a test image
    for path in images:
        if path in test_paths:
            excluded_path += 1
            unit_of.append(None)
            continue
        unit = key(path)
        if unit in test_keys:
            excluded_content += 1
            unit_of.append(None)
            continue
        if content_check and hamming_to_nearest([picture_hash(path)], test_hashes)[0] <= near_duplicate_bits:
            excluded_near += 1
            unit_of.append(None)
            continue
        unit_of.append(unit)

    # The validation slice: whole groups of identical images, drawn with the seed.
    units = sorted({u for u in unit_of if u is not None})
    if not units:
        raise TrainDataError("every train image is also a test image: nothing to train on")
    wanted = val_images if val_images is not None else math.ceil(val_fraction * len(units))
    if wanted >= len(units):
        raise TrainDataError(f"a validation slice of {wanted} images leaves no train image (of {len(units)})")
    random.Random(f"sarchat-train-data:{seed}:val").shuffle(units)
    val_units = set(units[:wanted])
    side = bytearray(0 if u is None else (2 if u in val_units else 1) for u in unit_of)  # 0 out, 1 train, 2 val

    # The identification cap, per split.
    identification = task_codes["identification"]
    drop: set[int] = set()
    caps: dict[str, dict[str, int]] = {}
    for code, split in ((1, "train"), (2, "val")):
        ident = [i for i, t in enumerate(record_task) if t == identification and side[record_image[i]] == code]
        others = sum(1 for i, t in enumerate(record_task) if t != identification and side[record_image[i]] == code)
        keep = identification_keep(len(ident), others, identification_share)
        kept = set(random.Random(f"sarchat-train-data:{seed}:{split}:identification").sample(ident, keep))
        drop.update(i for i in ident if i not in kept)
        caps[split] = {"identification_records": len(ident), "kept": keep}

    # Pass 2: write.
    token = os.urandom(6).hex()
    partial = out / f".partial-train-data-{token}"
    partial.mkdir(parents=True)
    try:
        handles = {}
        for fmt in formats:
            (partial / fmt).mkdir()
            for split in SPLIT_NAMES:
                handles[(fmt, split)] = open(partial / fmt / f"{split}.jsonl", "w", encoding="utf-8")
        counts = {split: Counter() for split in SPLIT_NAMES}
        split_images: dict[str, set[int]] = {split: set() for split in SPLIT_NAMES}
        try:
            for i, record in enumerate(iter_file_records(train_file)):
                code = side[record_image[i]]
                if code == 0 or i in drop:
                    continue
                split = SPLIT_NAMES[code - 1]
                image = f"{prefix.rstrip('/')}/{images[record_image[i]]}" if prefix else images[record_image[i]]
                question, answer = _user_and_answer(record, f"{train_file} record {i}")
                task = TABLE5_ORDER[record_task[i]]
                counts[split][task] += 1
                split_images[split].add(record_image[i])
                if "swift" in formats:
                    line = {"messages": record["messages"], "images": [image]}
                    handles[("swift", split)].write(json.dumps(line, ensure_ascii=False) + "\n")
                if "plain" in formats:
                    text = question.removeprefix("<image>").lstrip("\n")
                    line = {"image": image, "question": text, "answer": answer, "task": task}
                    handles[("plain", split)].write(json.dumps(line, ensure_ascii=False) + "\n")
                if "llamafactory" in formats:
                    line = {
                        "conversations": [{"from": "human", "value": question}, {"from": "gpt", "value": answer}],
                        "system": SYSTEM_PROMPT,
                        "images": [image],
                    }
                    handles[("llamafactory", split)].write(json.dumps(line, ensure_ascii=False) + "\n")
        finally:
            for handle in handles.values():
                handle.close()
        if "llamafactory" in formats:
            info = {f"sarchat_{split}": llamafactory_entry(f"{split}.jsonl") for split in SPLIT_NAMES}
            (partial / "llamafactory" / LLAMAFACTORY_INFO).write_text(json.dumps(info, indent=2) + "\n", "utf-8")
        manifest = {
            "format": FORMAT_NAME,
            "format_version": FORMAT_VERSION,
            "build": str(build.resolve()),
            "image_root": prefix,
            "sardet_root": str(root.resolve()),
            "seed": seed,
            "val_fraction": None if val_images is not None else val_fraction,
            "val_images": val_images,
            "identification_share": identification_share,
            "content_check": content_check,
            "formats": list(formats),
            "excluded_test_images": {
                "same_path": excluded_path,
                "same_bytes": excluded_content,
                "near_duplicate": excluded_near,
            },
            "near_duplicate_bits": near_duplicate_bits if content_check else None,
            "identification_cap": caps,
            "splits": {
                split: {
                    "records": sum(counts[split].values()),
                    "images": len(split_images[split]),
                    "tasks": {task: counts[split][task] for task in TABLE5_ORDER},
                    "files": {fmt: f"{fmt}/{split}.jsonl" for fmt in formats},
                }
                for split in SPLIT_NAMES
            },
        }
        (partial / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        for name in (*FORMATS, MANIFEST):  # replace what a forced rerun finds, the manifest last
            if (out / name).is_dir():
                shutil.rmtree(out / name)
        for name in (*formats, MANIFEST):
            os.replace(partial / name, out / name)
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return manifest


def summary_lines(manifest: dict[str, Any], out: Path) -> Iterable[str]:
    for split, detail in manifest["splits"].items():
        tasks = ", ".join(f"{task} {n:,}" for task, n in detail["tasks"].items())
        yield f"{split}: {detail['records']:,} records of {detail['images']:,} images ({tasks})"
    excluded = manifest["excluded_test_images"]
    yield (
        f"test images kept out: {excluded['same_path']:,} by path, {excluded['same_bytes']:,} by content, "
        f"{excluded['near_duplicate']:,} as near-duplicates"
        + (
            f" (perceptual hash within {manifest['near_duplicate_bits']} bits)"
            if manifest["content_check"]
            else " (content not checked)"
        )
    )
    root = manifest["image_root"] or f"(relative to the SARDet-100K root, {manifest['sardet_root']})"
    yield f"image paths under {root}"
    yield f"wrote {out} (manifest: {out / MANIFEST})"


def _share(text: str) -> float:
    try:
        value = float(text.rstrip("%")) / (100 if text.endswith("%") else 1)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected a fraction such as 0.17 or 17%, got {text!r}") from exc
    return value


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "build", type=Path, metavar="BUILD", help="a folder written by sarchat build --splits train,test"
    )
    parser.add_argument("--out", type=Path, required=True, metavar="DIR", help="where to write (created if needed)")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--val-fraction", type=_share, default=DEFAULT_VAL_FRACTION,
                       help=f"share of the train images held out for validation (default {DEFAULT_VAL_FRACTION})")  # fmt: skip
    group.add_argument("--val-images", type=int, default=None, help="number of train images held out instead")
    parser.add_argument("--identification-share", type=_share, default=None, metavar="F",
                        help="keep identification records to at most F of each split (e.g. 0.17 ≈ one sixth); "
                             "default: keep all (77 %% of the records)")  # fmt: skip
    parser.add_argument("--seed", type=int, default=0, help="seed of the validation draw and the cap (default 0)")
    parser.add_argument("--sardet-root", type=Path, default=None,
                        help="where the SARDet-100K tree is now (default: the root the build read)")  # fmt: skip
    parser.add_argument("--image-root", default=None, metavar="PREFIX",
                        help="image path prefix written into the files, where the trainer sees the SARDet-100K "
                             "tree (default: the SARDet-100K root, absolute; '' for paths relative to it)")  # fmt: skip
    parser.add_argument("--formats", default=",".join(FORMATS),
                        help=f"comma list from {', '.join(FORMATS)} (default all)")  # fmt: skip
    parser.add_argument("--no-content-check", action="store_true",
                        help="keep test images out by path only, without hashing the images")  # fmt: skip
    parser.add_argument("--near-duplicate-bits", type=int, default=DEFAULT_DISTANCE, metavar="BITS",
                        help=f"drop a train image whose perceptual hash is within BITS of 64 of a test image's "
                             f"(default {DEFAULT_DISTANCE}; 0: equal hashes only)")  # fmt: skip
    parser.add_argument("--force", action="store_true", help="replace training data already in DIR")


def run(args: argparse.Namespace) -> int:
    import sys

    manifest = export_train_data(
        args.build,
        args.out,
        val_fraction=args.val_fraction,
        val_images=args.val_images,
        identification_share=args.identification_share,
        seed=args.seed,
        sardet_root=args.sardet_root,
        image_root=args.image_root,
        formats=[f.strip() for f in args.formats.split(",") if f.strip()],
        content_check=not args.no_content_check,
        near_duplicate_bits=args.near_duplicate_bits,
        force=args.force,
        log=lambda message: print(message, file=sys.stderr, flush=True),
    )
    for line in summary_lines(manifest, Path(args.out)):
        print(line)
    return 0
