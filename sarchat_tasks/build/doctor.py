"""``sarchat doctor SARDET_ROOT``: check a SARDet-100K download before building from it.

SARChat-Bench's images are SARDet-100K's (docs/DATASET.md says where it is published). A download
is checked in the layout ``sarchat build`` reads (``Annotations/{split}.json``, images under
``JPEGImages/{split}/``): each annotation file is read with the builder's own reader
(``coco.read_split``), its image and instance counts are compared with the figures SARDet-100K
publishes, every image file it lists must exist, and every image's header must open with the size
its annotation gives (the header only, which keeps the check to seconds: a file cut inside its
pixel data is caught later, by the prepared set's image check before any generation). Every file of a split's image folder is opened, listed or not.
Nothing is written. Exit 0 when every split present is whole and of the
published size and the test split is there (SARChat-Bench's test set is built from it); 2 with a
list of what is wrong otherwise.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from pathlib import Path

from sarchat_tasks.build.coco import ANNOTATIONS_DIR, IMAGES_DIR, BuildError, annotation_file, read_split

# Images and instances per split as SARDet-100K publishes them (its paper and repository README).
PUBLISHED: dict[str, tuple[int, int]] = {
    "train": (94_493, 198_747),
    "val": (10_492, 22_703),
    "test": (11_613, 24_023),
}


@dataclass
class SplitCheck:
    """What one split's check found."""

    split: str
    images: int = 0
    instances: int = 0
    problems: list[str] = field(default_factory=list)


def _images(count: int) -> str:
    return f"{count:,} image" + ("" if count == 1 else "s")


def check_split(root: Path, split: str, *, any_size: bool = False, progress=lambda items, **_: items) -> SplitCheck:
    """Check one split of the download (see the module docstring)."""
    from PIL import Image, UnidentifiedImageError

    result = SplitCheck(split)
    try:
        source = read_split(root, split)
    except BuildError as exc:
        result.problems.append(str(exc))
        return result
    result.images, result.instances = source.listed_images, source.listed_annotations
    published = PUBLISHED.get(split)
    if published and not any_size and (result.images, result.instances) != published:
        result.problems.append(
            f"{source.annotation_file}: {result.images:,} images and {result.instances:,} instances, SARDet-100K "
            f"publishes {published[0]:,} and {published[1]:,} (an incomplete or other version; --any-size accepts it)"
        )
    missing = source.issues.counts.get("missing_image_file", 0)
    if missing:
        first = source.issues.examples["missing_image_file"][0]
        result.problems.append(f"{_images(missing)} listed but not on disk; first: {first}")
    # every file of the split's image folder, and every image the builder would use (its size known)
    sizes = {root / image.path: (image.width, image.height) for image in source.images}
    folder = root / IMAGES_DIR / split
    files = sorted({*(p for p in folder.iterdir() if p.is_file()), *sizes} if folder.is_dir() else set(sizes))
    unreadable: list[str] = []
    for path in progress(files, desc=f"{split} images", unit="image"):
        try:
            with Image.open(path) as opened:
                size = opened.size
        except (OSError, UnidentifiedImageError, ValueError, Image.DecompressionBombError) as exc:
            unreadable.append(f"{path}: cannot be read ({exc})")
            continue
        if path in sizes and size != sizes[path]:
            width, height = sizes[path]
            unreadable.append(f"{path}: {size[0]}x{size[1]} on disk, {width}x{height} in {source.annotation_file.name}")
    if unreadable:
        result.problems.append(f"{_images(len(unreadable))} unreadable or of another size; first: {unreadable[0]}")
    return result


def check_download(root: Path, *, any_size: bool = False, progress=lambda items, **_: items) -> list[SplitCheck]:
    """Every split whose annotation file is present, in train, val, test order; a missing test
    split is a problem of its own (SARChat-Bench's test set is built from it)."""
    root = Path(root)
    if not (root / ANNOTATIONS_DIR).is_dir():
        raise BuildError(f"{root}: no {ANNOTATIONS_DIR}/ folder; is this the SARDet-100K root?")
    checks = [
        check_split(root, split, any_size=any_size, progress=progress)
        for split in PUBLISHED
        if annotation_file(root, split).is_file()
    ]
    if "test" not in {c.split for c in checks}:
        checks.append(SplitCheck("test", problems=[f"{annotation_file(root, 'test')} is missing"]))
    return checks


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("sardet_root", type=Path, metavar="SARDET_ROOT", help="the SARDet-100K folder downloaded")
    parser.add_argument(
        "--any-size", action="store_true", help="accept splits whose sizes differ from SARDet-100K's published ones"
    )


def run(args: argparse.Namespace) -> int:
    from sarchat_tasks.cli import progress

    checks = check_download(args.sardet_root, any_size=args.any_size, progress=progress)
    for check in checks:
        state = "ok" if not check.problems else "PROBLEM"
        print(f"{check.split:5s} {check.images:8,d} images {check.instances:9,d} instances  {state}")
        for problem in check.problems:
            print(f"      {problem}")
    bad = [c.split for c in checks if c.problems]
    if bad:
        raise BuildError(f"{args.sardet_root}: the download is not usable as it is ({', '.join(bad)}); see above")
    print(f"{args.sardet_root}: ready for sarchat build")
    return 0
