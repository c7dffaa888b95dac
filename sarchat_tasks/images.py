"""Image checks shared by ``sarchat prepare`` and the tasks' pre-run check of a prepared set.

A test set is checked before any generation starts, so a missing or truncated image stops the
run with the record's name instead of crashing a GPU job hours in; these checks read the header
and the last bytes only, never a pixel, and each file version is checked once per process.
"""

from __future__ import annotations

import threading
from pathlib import Path

_LOCK = threading.Lock()


def image_problem(path: Path) -> str | None:
    """Why an image file cannot be used (missing, unreadable header, truncated), or None.

    Reads the header and the last bytes only, so a whole test set is checked in seconds without
    decoding a pixel.
    """
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            kind = image.format
            image.size  # noqa: B018 - the header must give a size
    except FileNotFoundError:
        return "missing"
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        return f"unreadable ({exc.__class__.__name__}: {exc})"
    try:
        with open(path, "rb") as handle:
            handle.seek(0, 2)
            size = handle.tell()
            handle.seek(max(0, size - 16))
            tail = handle.read()
    except OSError as exc:
        return f"unreadable ({exc})"
    if kind == "JPEG" and b"\xff\xd9" not in tail:
        return "truncated (no JPEG end-of-image marker)"
    if kind == "PNG" and b"IEND" not in tail:
        return "truncated (no PNG IEND chunk)"
    return None


_IMAGE_CHECKS: dict[tuple[str, int, int], str | None] = {}


def checked_image(path: Path) -> str | None:
    """``image_problem`` once per file version per process: the six tasks share their images."""
    try:
        stat = path.stat()
    except OSError:
        return "missing"
    key = (str(path), stat.st_size, stat.st_mtime_ns)
    with _LOCK:
        if key in _IMAGE_CHECKS:
            return _IMAGE_CHECKS[key]
    problem = image_problem(path)
    with _LOCK:
        _IMAGE_CHECKS[key] = problem
    return problem
