"""Checks of a run's output folder before any generation: a folder lmms-eval cannot write into, or
a disk without room for its results and sample logs, would otherwise be found only after hours of
generation, when lmms-eval saves (and its CLI still exits 0)."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from sarchat_tasks.errors import SarchatError

MIN_FREE_BYTES = 64 * 2**20  # a full run's sample logs take a few MB; its merges and rescores as much again


class OutputFolderError(SarchatError):
    """The run's ``--output_path`` cannot take its files; the message names the folder."""


def check_output_folder(path: Path, min_free: int = MIN_FREE_BYTES) -> None:
    """Raise ``OutputFolderError`` unless ``path`` (created if missing) takes a new file and its disk
    has ``min_free`` bytes free."""
    from sarchat_tasks.outputs import check_folder_path

    path = Path(path)
    try:
        check_folder_path(path, "--output_path")
    except ValueError as exc:
        raise OutputFolderError(str(exc)) from exc
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputFolderError(f"--output_path {path}: cannot create the folder ({exc.strerror or exc})") from exc
    if not path.is_dir():
        raise OutputFolderError(f"--output_path {path}: not a folder")
    try:
        with tempfile.NamedTemporaryFile(dir=path, prefix=".sarchat-write-check-"):
            pass
    except OSError as exc:
        raise OutputFolderError(
            f"--output_path {path}: cannot write there ({exc.strerror or exc}); the run would lose its answers "
            "after generation"
        ) from exc
    free = shutil.disk_usage(path).free
    if free < min_free:
        raise OutputFolderError(
            f"--output_path {path}: only {free / 2**20:.1f} MB free on its disk (at least {min_free / 2**20:.0f} MB "
            "needed for the results and sample logs); free some space or choose another folder"
        )
