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
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

COMMIT_MARKER = ".sarchat-commit"
REPLACED_PREFIX = ".sarchat-replaced-"
PARTIAL_PREFIX = ".partial-"  # staging folders inside an output folder start so
SET_STAGING_PREFIX = ".partial-set-"  # prepare's
LOCK_NAME = ".sarchat-lock"  # held while a command writes into the folder (writer_lock)
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


def check_not_input(out: Path, inputs: Iterable[Path], flag: str = "--out") -> None:
    """Raise ``ValueError`` if ``out`` is one of ``inputs``, lies inside one, or holds one: a writer
    must never replace or clean up what it reads. Paths are compared as written and resolved."""
    for given in inputs:
        for target, source in ((os.path.abspath(out), os.path.abspath(given)),
                               (os.path.realpath(out), os.path.realpath(given))):  # fmt: skip
            target_path, source_path = Path(target), Path(source)
            if target_path == source_path:
                raise ValueError(f"{flag} {out} is the input {given}; choose another {flag}")
            if source_path in target_path.parents:
                raise ValueError(f"{flag} {out} lies inside the input {given}; choose a folder outside it")
            if target_path in source_path.parents:
                raise ValueError(f"{flag} {out} holds the input {given}; choose a folder that does not contain it")


class FolderBusy(ValueError):
    """Another command holds the folder's writer lock, or the lock cannot be made there."""


@contextmanager
def writer_lock(out: Path, flag: str = "--out") -> Iterator[None]:
    """Hold ``out/.sarchat-lock`` while a command writes into ``out``: a second command writing
    into the same folder at once stops at once with a message instead of mixing the two."""
    from filelock import FileLock, Timeout

    lock = FileLock(str(Path(out) / LOCK_NAME), timeout=0)
    try:
        lock.acquire()
    except Timeout as exc:
        raise FolderBusy(f"{flag} {out}: another sarchat command is writing there now; wait for it to end") from exc
    except OSError as exc:
        raise FolderBusy(f"{flag} {out}: cannot write there ({exc.strerror or exc})") from exc
    try:
        yield
    finally:
        Path(lock.lock_file).unlink(missing_ok=True)  # while held: no file of ours left in the folder
        lock.release()


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
    entries = [
        p.name
        for p in out.iterdir()
        if not p.name.startswith((COMMIT_MARKER, REPLACED_PREFIX, PARTIAL_PREFIX, LOCK_NAME))
    ]
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


def remove_leftovers(out: Path, staging_prefix: str = SET_STAGING_PREFIX) -> None:
    """Set-aside folders of interrupted commits and staging folders (``staging_prefix``) of
    interrupted writes: the tool's own, by name. Call it under ``writer_lock``, so that no live
    writer's staging folder is taken."""
    if out.is_dir():
        for leftover in [*out.glob(REPLACED_PREFIX + "*"), *out.glob(staging_prefix + "*")]:
            if leftover.is_dir() and not leftover.is_symlink():
                shutil.rmtree(leftover, ignore_errors=True)


def commit(staging: Path, out: Path, replace: list[str], token: str, last: str = MANIFEST) -> None:
    """Move every entry of ``staging`` into ``out``, ``last`` (the manifest) last, replacing ``replace``."""
    marker = out / COMMIT_MARKER
    names = sorted(p.name for p in staging.iterdir())
    state = {"staging": staging.name, "replacing": replace, "writing": names}
    marker.write_text(json.dumps(state) + "\n", encoding="utf-8")
    aside = out / f"{REPLACED_PREFIX}{token}"
    if replace:
        aside.mkdir()
        for name in sorted(replace, key=lambda n: n != last):  # the old manifest first
            os.rename(out / name, aside / name)
    for name in [n for n in names if n != last] + [n for n in names if n == last]:
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
