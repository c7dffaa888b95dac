"""Benchmark of ``sarchat build`` at SARDet-100K's full size (not a test: run it by hand).

SARDet-100K has 94,493 train and 11,613 test images with 198,747 and 24,023 objects; SARChat-Bench
built from them holds about 2.06 million records. The target (docs/DATASET.md) is a full build,
test and train, preparation included, in under 2 minutes and 4 GB on a 2-core machine.

This script writes a synthetic SARDet-100K of that size and shape into a scratch folder (COCO
annotations with the paper's category mix, mixed image sizes from 190 to 1000 px, objects per
image from 1 to a few dozen, boxes of every aspect, a few crossing the border), then times the
build in a child process and reports records per second and the child's peak resident memory.

Only the test images are real (tiny PNGs whose headers carry the annotated size, which
``prepare`` reads); train images are empty files, since the builder only lists folders. Usage::

    python benchmarks/bench_build.py                 # full size, test + train
    python benchmarks/bench_build.py --scale 0.1     # a tenth, for a quick look
    python benchmarks/bench_build.py --keep --workdir /tmp/sardet-synthetic
    python benchmarks/bench_build.py --keep --reuse --workdir /tmp/sardet-synthetic   # skip generation
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

SARDET_SIZES = {"test": (11_613, 24_023), "train": (94_493, 198_747)}
# Paper Table 1 test objects per category: the category mix of the synthetic set.
CATEGORY_MIX = {"ship": 10_741, "aircraft": 6_779, "car": 1_230, "tank": 1_773, "bridge": 3_281, "harbor": 399}
# Spread of log(width / height) per category: ships and bridges are long, aircraft and tanks compact.
ASPECT_SPREAD = {"ship": 0.6, "aircraft": 0.2, "car": 0.3, "tank": 0.2, "bridge": 0.9, "harbor": 0.4}
# Image sizes: HRSID 800x800, three sources cropped to 512x512, the rest mixed; a few under 224 px.
IMAGE_SIZES = (
    [(800, 800)] * 6 + [(512, 512)] * 8 + [(1000, 600), (600, 400), (450, 450), (256, 256), (224, 300)] + [(190, 190)]
)
TARGET_SECONDS = 120.0
TARGET_MEGABYTES = 4096.0


def _png(width: int, height: int) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("1", (width, height)).save(buffer, format="PNG")
    return buffer.getvalue()


def write_synthetic(root: Path, split: str, images: int, objects: int, seed: int, real_images: bool) -> None:
    """One synthetic SARDet-100K split: ``Annotations/{split}.json`` and ``JPEGImages/{split}/``."""
    rng = np.random.default_rng(seed)
    categories = list(CATEGORY_MIX)
    mix = np.array(list(CATEGORY_MIX.values()), dtype=float)
    # Objects per image: one each, the rest spread over 40 % of the images with a heavy tail.
    weights = np.clip(rng.pareto(1.2, images) + 0.2, 0, 20) * (rng.random(images) < 0.4)
    per_image = 1 + rng.multinomial(objects - images, weights / weights.sum())
    main_category = rng.choice(len(categories), size=images, p=mix / mix.sum())
    second_category = rng.choice(len(categories), size=images, p=mix / mix.sum())
    mixed = (rng.random(images) < 0.01) & (per_image > 1)
    size_index = rng.integers(0, len(IMAGE_SIZES), size=images)

    image_folder = root / "JPEGImages" / split
    image_folder.mkdir(parents=True, exist_ok=True)
    payload = {size: (_png(*size) if real_images else b"") for size in set(IMAGE_SIZES)}
    image_entries, annotations = [], []
    for index in range(images):
        width, height = IMAGE_SIZES[size_index[index]]
        name = f"{index:06d}.jpg"
        (image_folder / name).write_bytes(payload[(width, height)])
        # Test names are bare, train names carry the split folder: the builder accepts both.
        image_entries.append({"id": index + 1, "file_name": name if split == "test" else f"{split}/{name}",
                              "width": width, "height": height})  # fmt: skip
        n = int(per_image[index])
        scale = np.exp(rng.uniform(np.log(0.02), np.log(0.3), n))
        for k in range(n):
            category = categories[second_category[index] if mixed[index] and k % 2 else main_category[index]]
            aspect = float(np.exp(rng.normal(0.0, ASPECT_SPREAD[category])))
            w = float(np.clip(scale[k] * width * np.sqrt(aspect), 2, width))
            h = float(np.clip(scale[k] * height / np.sqrt(aspect), 2, height))
            x = float(rng.uniform(0, width - w))
            y = float(rng.uniform(0, height - h))
            if rng.random() < 0.005:  # a few boxes cross the border, as real annotations do
                x = width - w / 2
            annotations.append({"id": len(annotations) + 1, "image_id": index + 1,
                                "category_id": categories.index(category) + 1,
                                "bbox": [round(x, 1), round(y, 1), round(w, 1), round(h, 1)],
                                "area": round(w * h, 1), "iscrowd": 0})  # fmt: skip
    coco = {
        "images": image_entries,
        "annotations": annotations,
        "categories": [{"id": i + 1, "name": name} for i, name in enumerate(categories)],
    }
    (root / "Annotations").mkdir(parents=True, exist_ok=True)
    (root / "Annotations" / f"{split}.json").write_text(json.dumps(coco), encoding="utf-8")


_CHILD = """
import json, resource, sys, time
from sarchat_tasks.build.pipeline import build
root, out, splits, prepare = sys.argv[1], sys.argv[2], sys.argv[3].split(","), sys.argv[4] == "1"
started = time.perf_counter()
report = build(root, out, splits=splits, prepare_layout=prepare, log=lambda message: None)
seconds = time.perf_counter() - started
usage = resource.getrusage(resource.RUSAGE_SELF)
records = sum(detail["records"] for detail in report["split_details"].values())
print(json.dumps({"seconds": seconds, "cpu_seconds": usage.ru_utime + usage.ru_stime, "records": records,
                  "peak_rss_mb": usage.ru_maxrss / 1024.0}))
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of SARDet-100K's size (default 1)")
    parser.add_argument("--splits", default="test,train", help="splits to build (default test,train)")
    parser.add_argument("--no-prepare", action="store_true", help="time the official files only")
    parser.add_argument("--workdir", type=Path, default=None, help="scratch folder (default: a new temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    parser.add_argument("--reuse", action="store_true", help="reuse a synthetic set kept in --workdir by --keep")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    splits = [s for s in args.splits.split(",") if s]
    work = args.workdir or Path(tempfile.mkdtemp(prefix="sarchat-bench-build-"))
    work.mkdir(parents=True, exist_ok=True)
    root, out = work / "sardet", work / "out"
    try:
        started = time.perf_counter()
        for i, split in enumerate(splits):
            if args.reuse and (root / "Annotations" / f"{split}.json").is_file():
                print(f"synthetic {split}: reused from {root}", flush=True)
                continue
            images, objects = (max(1, round(n * args.scale)) for n in SARDET_SIZES[split])
            write_synthetic(root, split, images, objects, args.seed + i, real_images=(split == "test"))
            print(f"synthetic {split}: {images:,} images, {objects:,} objects", flush=True)
        print(f"synthetic SARDet-100K written in {time.perf_counter() - started:.1f} s", flush=True)
        shutil.rmtree(out, ignore_errors=True)
        load = os.getloadavg()[0]
        child = subprocess.run(
            [sys.executable, "-c", _CHILD, str(root), str(out), ",".join(splits), "0" if args.no_prepare else "1"],
            check=True,
            capture_output=True,
            text=True,
        )
        result = json.loads(child.stdout.strip().splitlines()[-1])
        written = sum(p.stat().st_size for p in (out / "official").glob("*.json"))
        rate = result["records"] / result["seconds"]
        print(f"records:         {result['records']:,}")
        print(f"build time:      {result['seconds']:.1f} s (target < {TARGET_SECONDS:.0f} s at full size)")
        # CPU time is what the build itself costs; wall time also counts other processes' load.
        print(f"CPU time:        {result['cpu_seconds']:.1f} s (load average before: {load:.1f})")
        print(f"records/second:  {rate:,.0f}")
        print(f"peak memory:     {result['peak_rss_mb']:,.0f} MB (target < {TARGET_MEGABYTES:.0f} MB)")
        print(f"official files:  {written / 1e6:,.0f} MB")
        ok = result["seconds"] < TARGET_SECONDS and result["peak_rss_mb"] < TARGET_MEGABYTES
        print("targets met" if ok else "TARGETS MISSED")
        return 0 if ok else 1
    except subprocess.CalledProcessError as exc:
        print(exc.stderr, file=sys.stderr)
        return 2
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"kept {work}")


if __name__ == "__main__":
    sys.exit(main())
