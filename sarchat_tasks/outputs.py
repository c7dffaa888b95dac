"""Output folders written by ``sarchat prepare`` and ``sarchat build``: checked before any work,
committed so that a kill at any moment leaves either the old set or the new one, never a mix.

Rules:

* a path under a file, or a file where the folder should be, is refused up front (exit 2);
* only the names the tool writes (``manifest.json``, ``rows/``, ``images/``, ``tasks/``, and for a
  build ``official/`` and its report) are ever replaced, and only when they are the tool's own:
  the folder holds a set the tool wrote (its manifest, or the marker of an interrupted commit);
* a foreign folder that is not empty is refused unless ``--force``, and even then a foreign entry
  with one of those names is refused: the tool never deletes a file it did not write;
* the commit sets the old entries aside (manifest first, so the old set stops being accepted),
  moves the new ones in and the manifest last, under a marker file; a set whose marker is still
  there is refused by ``PreparedSet`` (half-committed or half-replaced).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

COMMIT_MARKER = ".sarchat-commit"
REPLACED_PREFIX = ".sarchat-replaced-"
MANIFEST = "manifest.json"  # the same name as sarchat_tasks.prepared.MANIFEST (imported there from here)


def check_folder_path(path: Path, flag: str = "--out") -> None:
    """Raise ``ValueError`` (with a message naming the path) if ``path`` cannot be a folder: it is
    a file, or one of its existing parents is; or it holds a NUL byte."""
    text = str(path)
    if "\x00" in text:
        raise ValueError(f"{flag} {text!r}: a path cannot hold a NUL byte")
    path = Path(path)
    if path.is_symlink() and not path.exists():
        raise ValueError(f"{flag} {path}: a dangling symbolic link")
    if path.exists() and not path.is_dir():
        raise ValueError(f"{flag} {path}: exists and is a file, not a folder")
    for parent in path.absolute().parents:
        if parent.exists():
            if not parent.is_dir():
                raise ValueError(f"{flag} {path}: {parent} is a file, not a folder")
            break


def is_own_folder(out: Path, manifest_format: str) -> bool:
    """Whether ``out`` holds a set the tool wrote: its manifest, or an interrupted commit."""
    if (out / COMMIT_MARKER).exists():
        return True
    try:
        manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(manifest, dict) and manifest.get("format") == manifest_format


def check_output(out: Path, names: tuple[str, ...], manifest_format: str, force: bool) -> list[str]:
    """The entries of ``out`` a commit will replace (its own, among ``names``); raises
    ``ValueError`` for a folder the tool must not write into."""
    check_folder_path(out)
    if not out.exists():
        return []
    entries = [p.name for p in out.iterdir() if not p.name.startswith((COMMIT_MARKER, REPLACED_PREFIX, ".partial-"))]
    present = [name for name in names if (out / name).exists() or (out / name).is_symlink()]
    if is_own_folder(out, manifest_format):
        return present
    if present:
        raise ValueError(
            f"{out} is not a set written by sarchat but holds {', '.join(present)}; sarchat never replaces files "
            "it did not write: choose another --out"
        )
    if entries and not force:
        raise ValueError(
            f"{out} is not empty and not a set written by sarchat; pass --force to write the set beside its "
            "files (they are kept), or choose another --out"
        )
    return []


def remove_leftovers(out: Path) -> None:
    """Set-aside folders of interrupted commits (the tool's own, by name)."""
    if out.is_dir():
        for leftover in out.glob(REPLACED_PREFIX + "*"):
            if leftover.is_dir() and not leftover.is_symlink():
                shutil.rmtree(leftover, ignore_errors=True)


def commit(staging: Path, out: Path, replace: list[str], token: str) -> None:
    """Move every entry of ``staging`` into ``out``, the manifest last, replacing ``replace``."""
    marker = out / COMMIT_MARKER
    marker.write_text(json.dumps({"staging": staging.name, "replacing": replace}) + "\n", encoding="utf-8")
    aside = out / f"{REPLACED_PREFIX}{token}"
    if replace:
        aside.mkdir()
        for name in sorted(replace, key=lambda n: n != MANIFEST):  # the old manifest first
            os.rename(out / name, aside / name)
    names = sorted(p.name for p in staging.iterdir())
    for name in [n for n in names if n != MANIFEST] + [n for n in names if n == MANIFEST]:
        os.rename(staging / name, out / name)
    marker.unlink()
    if replace:
        shutil.rmtree(aside, ignore_errors=True)


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes (hex), read in 1 MiB blocks: the proof that a finished shard's
    logs are the ones it wrote, and the identity of an image whatever its name."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
