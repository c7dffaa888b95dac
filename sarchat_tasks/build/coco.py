"""Reading one SARDet-100K split (COCO annotations + image folder) for `sarchat build`.

SARDet-100K (the image source of SARChat-Bench, arXiv 2502.08168) ships ``Annotations/{split}.json``
in COCO format and its images under ``JPEGImages/{split}/``. Whether a COCO ``file_name`` carries
the split folder (``test/x.jpg``) is not documented, so both forms are accepted. Image sizes come
from the annotations: no image is opened, only the folder listings are read, which keeps the
check of 116,598 images to a fraction of a second.

Two kinds of bad input, handled differently:

* a file that is not the COCO the builder expects (missing fields, wrong types, duplicate ids,
  a category that is not one of the six, a path leaving the dataset root) stops the build with a
  ``BuildError`` naming the file and the entry: nothing sensible can be built from it;
* data problems in an otherwise valid file (zero-area boxes, boxes outside the image, unknown
  category or image ids, images missing on disk) skip the annotation or image, are counted per
  reason with the first examples kept for the report, and stop the build under ``strict``.
"""

from __future__ import annotations

import json
import math
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from sarchat_tasks.build.rules import Box, BoxProblem, coco_box_to_pixels
from sarchat_tasks.errors import SarchatError
from sarchat_tasks.utils.vocabulary import CATEGORIES, category_of

ANNOTATIONS_DIR = "Annotations"
IMAGES_DIR = "JPEGImages"
MAX_EXAMPLES = 20  # examples kept per reason for the report; the counts are always complete


class BuildError(SarchatError):
    """Input the builder cannot use; the message names the file and the entry."""


# Problems that drop data; under ``strict`` the first one stops the build.
SKIP_REASONS: dict[str, str] = {
    "zero_area": "annotations with a box of zero width or height",
    "outside_image": "annotations with a box entirely outside its image",
    "unknown_category": "annotations whose category id is not in the categories list",
    "unknown_image": "annotations whose image id is not in the images list",
    "missing_image_file": "images listed but not found on disk",
    "annotations_of_missing_images": "annotations of the images missing on disk",
}
# Facts worth reporting that drop nothing.
NOTE_REASONS: dict[str, str] = {
    "clipped": "boxes clipped to the image border (kept; left out of descriptions)",
    "images_without_objects": "images with no usable annotation (no records)",
}


@dataclass(frozen=True, slots=True)
class Instance:
    """One object: category, integer pixel box clipped to the image, whether the box crossed the
    border before clipping, and the annotation id it came from."""

    category: str
    box: Box
    crossed_border: bool
    annotation_id: Any


@dataclass(frozen=True, slots=True)
class SourceImage:
    """One image found on disk, with its objects in annotation order. ``path`` is relative to the
    SARDet-100K root, with forward slashes (the record's ``images`` entry)."""

    image_id: Any
    path: str
    width: int
    height: int
    instances: tuple[Instance, ...]


@dataclass
class Issues:
    """Problems met while reading one split: complete counts, the first examples of each."""

    counts: Counter = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=dict)
    strict: bool = False

    def add(self, reason: str, message: str, count: int = 1) -> None:
        if self.strict and reason in SKIP_REASONS:
            raise BuildError(f"{message} (--strict stops at the first skipped entry)")
        self.counts[reason] += count
        kept = self.examples.setdefault(reason, [])
        if len(kept) < MAX_EXAMPLES:
            kept.append(message)

    def skipped(self) -> int:
        return sum(n for reason, n in self.counts.items() if reason in SKIP_REASONS)

    def as_report(self) -> dict[str, Any]:
        return {
            reason: {"count": self.counts[reason], "what": text, "examples": self.examples.get(reason, [])}
            for reason, text in {**SKIP_REASONS, **NOTE_REASONS}.items()
            if self.counts[reason]
        }


@dataclass
class SplitSource:
    """A split read and checked: the images to build from, in annotation-file order."""

    split: str
    annotation_file: Path
    images: list[SourceImage]
    issues: Issues
    listed_images: int
    listed_annotations: int

    @property
    def instance_count(self) -> int:
        return sum(len(image.instances) for image in self.images)


class _Listings:
    """Folder listings under the dataset root, read once each (no per-image stat call)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._cache: dict[str, frozenset[str]] = {}

    def has(self, relative: str) -> bool:
        folder, _, name = relative.rpartition("/")
        if folder not in self._cache:
            try:
                with os.scandir(self.root / folder) as entries:
                    self._cache[folder] = frozenset(entry.name for entry in entries)
            except (FileNotFoundError, NotADirectoryError):
                self._cache[folder] = frozenset()
            except OSError as exc:  # a symbolic-link loop, no permission: name the folder, no traceback
                raise BuildError(f"cannot list the image folder {self.root / folder}: {exc.strerror or exc}") from exc
        return name in self._cache[folder]


def annotation_file(root: Path, split: str) -> Path:
    """``ROOT/Annotations/{split}.json``."""
    return Path(root) / ANNOTATIONS_DIR / f"{split}.json"


def image_candidates(file_name: str, split: str) -> list[str]:
    """Where a COCO ``file_name`` may lie, relative to the root, in the order tried:
    ``JPEGImages/{split}/{name}``, ``JPEGImages/{name}`` (name carries the split folder),
    ``{name}`` (name carries ``JPEGImages/``). Raises ValueError for a path that is absolute or
    climbs out of the root."""
    normalised = file_name.replace("\\", "/")
    while normalised.startswith("./"):
        normalised = normalised[2:]
    parts = PurePosixPath(normalised).parts
    if not normalised or normalised.startswith("/") or ":" in (parts[0] if parts else "") or ".." in parts:
        raise ValueError(f"file_name {file_name!r} must be a relative path inside the dataset root")
    candidates = [f"{IMAGES_DIR}/{split}/{normalised}", f"{IMAGES_DIR}/{normalised}", normalised]
    return list(dict.fromkeys(candidates))


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _positive_int(value: Any) -> int | None:
    if _number(value) and value > 0 and float(value).is_integer():
        return int(value)
    return None


def _load_json(path: Path) -> Any:
    try:
        with open(path, "rb") as handle:
            return json.load(handle)
    except FileNotFoundError as exc:
        raise BuildError(f"{path}: annotation file not found") from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BuildError(f"{path}: not a readable COCO JSON file: {exc}") from exc


def _categories(data: dict[str, Any], where: Path) -> dict[Any, str]:
    by_id: dict[Any, str] = {}
    for index, entry in enumerate(data["categories"]):
        if not isinstance(entry, dict) or "id" not in entry or not isinstance(entry.get("name"), str):
            raise BuildError(f"{where}: category #{index} needs an 'id' and a string 'name', got {entry!r}")
        category = category_of(entry["name"])
        if category is None:
            raise BuildError(
                f"{where}: category id {entry['id']!r} named {entry['name']!r} is not a SARChat category "
                f"({', '.join(CATEGORIES)})"
            )
        if entry["id"] in by_id:
            raise BuildError(f"{where}: category id {entry['id']!r} is listed twice")
        by_id[entry["id"]] = category
    return by_id


def read_split(root: Path, split: str, *, strict: bool = False) -> SplitSource:
    """Read ``Annotations/{split}.json`` and check every entry against the image folders."""
    root = Path(root)
    path = annotation_file(root, split)
    data = _load_json(path)
    if not isinstance(data, dict):
        raise BuildError(f"{path}: expected a COCO object with images, annotations and categories")
    for key in ("images", "annotations", "categories"):
        if not isinstance(data.get(key), list):
            raise BuildError(f"{path}: missing or non-list field '{key}' (not a COCO detection file?)")
    categories = _categories(data, path)
    issues = Issues(strict=strict)
    listings = _Listings(root)

    # Images: id -> (relative path or None when missing on disk, width, height, file_name).
    images: dict[Any, tuple[str | None, int, int, str]] = {}
    seen_paths: dict[str, Any] = {}
    for index, entry in enumerate(data["images"]):
        where = f"{path}: image #{index}"
        if not isinstance(entry, dict):
            raise BuildError(f"{where}: expected an object, got {entry!r}")
        for key in ("id", "file_name", "width", "height"):
            if key not in entry:
                raise BuildError(f"{where} (id {entry.get('id')!r}): missing field '{key}'")
        image_id, file_name = entry["id"], entry["file_name"]
        where = f"{path}: image {image_id!r} ({file_name!r})"
        if not isinstance(file_name, str):
            raise BuildError(f"{where}: 'file_name' must be a string")
        width, height = _positive_int(entry["width"]), _positive_int(entry["height"])
        if width is None or height is None:
            raise BuildError(
                f"{where}: width and height must be positive integers, got {entry['width']!r}x{entry['height']!r}"
            )
        if image_id in images:
            raise BuildError(f"{where}: image id listed twice")
        try:
            candidates = image_candidates(file_name, split)
        except ValueError as exc:
            raise BuildError(f"{where}: {exc}") from exc
        relative = next((c for c in candidates if listings.has(c)), None)
        if relative is not None:
            if relative in seen_paths:
                raise BuildError(f"{where}: same file as image {seen_paths[relative]!r} ({relative})")
            seen_paths[relative] = image_id
        images[image_id] = (relative, width, height, file_name)

    if images and not seen_paths:
        raise BuildError(
            f"{path}: none of the {len(images)} images it lists exist under {root / IMAGES_DIR / split} "
            f"or {root / IMAGES_DIR} (is {root} the SARDet-100K root?)"
        )

    instances: dict[Any, list[Instance]] = {image_id: [] for image_id in images}
    dropped_for_missing: Counter = Counter()
    for index, entry in enumerate(data["annotations"]):
        if not isinstance(entry, dict):
            raise BuildError(f"{path}: annotation #{index}: expected an object, got {entry!r}")
        annotation_id = entry.get("id", f"#{index}")
        where = f"{path}: annotation {annotation_id!r} (#{index})"
        for key in ("image_id", "category_id", "bbox"):
            if key not in entry:
                raise BuildError(f"{where}: missing field '{key}'")
        bbox = entry["bbox"]
        if not isinstance(bbox, list) or len(bbox) != 4 or not all(_number(v) for v in bbox):
            raise BuildError(f"{where}: 'bbox' must be four finite numbers [x, y, width, height], got {bbox!r}")
        image_id = entry["image_id"]
        image = images.get(image_id)
        if image is None:
            issues.add("unknown_image", f"{where}: image id {image_id!r} is not in the images list")
            continue
        relative, width, height, file_name = image
        where = f"{where} of image {image_id!r} ({file_name!r})"
        category = categories.get(entry["category_id"])
        if category is None:
            issues.add(
                "unknown_category", f"{where}: category id {entry['category_id']!r} is not in the categories list"
            )
            continue
        try:
            box, crossed = coco_box_to_pixels(bbox, width, height)
        except BoxProblem as problem:
            issues.add(problem.reason, f"{where}: {problem}")
            continue
        if relative is None:
            dropped_for_missing[image_id] += 1
            continue
        if crossed:
            issues.add("clipped", f"{where}: box {bbox} crosses the border of the {width}x{height} image")
        instances[image_id].append(Instance(category, box, crossed, annotation_id))

    built: list[SourceImage] = []
    for image_id, (relative, width, height, file_name) in images.items():
        if relative is None:
            dropped = dropped_for_missing[image_id]
            candidates = " or ".join(image_candidates(file_name, split))
            issues.add("missing_image_file", f"{path}: image {image_id!r} ({file_name!r}): no file at {candidates}")
            if dropped:
                issues.add(
                    "annotations_of_missing_images",
                    f"{path}: image {image_id!r} ({file_name!r}): {dropped} annotation(s) skipped with it",
                    count=dropped,
                )
            continue
        if not instances[image_id]:
            issues.add("images_without_objects", f"{path}: image {image_id!r} ({file_name!r}) has no usable annotation")
            continue
        built.append(SourceImage(image_id, relative, width, height, tuple(instances[image_id])))
    return SplitSource(split, path, built, issues, len(data["images"]), len(data["annotations"]))
