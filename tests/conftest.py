"""Shared fixtures: offline settings, the official-format fixture and its prepared set."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

for _name in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE"):
    os.environ[_name] = "1"
sys.path.insert(0, str(Path(__file__).parent))

from lmms_runs import OFFLINE_ENV, run_lmms_eval  # noqa: E402
from official_fixture import write_official_fixture  # noqa: E402


@pytest.fixture(scope="session")
def official_set(tmp_path_factory) -> tuple[list[Path], Path]:
    """The nine official files of the fixture and the images root."""
    return write_official_fixture(tmp_path_factory.mktemp("official"))


@pytest.fixture(scope="session")
def prepared_set(official_set, tmp_path_factory) -> Path:
    """The fixture prepared for the tasks."""
    from sarchat_tasks.prepare import prepare

    files, root = official_set
    out = tmp_path_factory.mktemp("prepared")
    prepare(files, root, out)
    return out


@pytest.fixture(scope="session")
def lmms_eval():
    """Run lmms-eval's real CLI offline in a child process (``lmms_runs.run_lmms_eval``): returns an
    ``LmmsRun`` with its one results file read back. Tests that use it are marked slow."""
    return run_lmms_eval


@pytest.fixture(scope="session")
def sarchat_command():
    """Run ``sarchat ARGS`` in a child process, offline, as a user would; returns the
    CompletedProcess (text output). Tests that go through lmms-eval with it are marked slow."""
    import subprocess

    def run(*args: str, timeout: int = 600, cwd: Path | None = None) -> subprocess.CompletedProcess:
        command = [sys.executable, "-m", "sarchat_tasks.cli", *map(str, args)]
        return subprocess.run(command, env=OFFLINE_ENV, capture_output=True, text=True, timeout=timeout, cwd=cwd)

    return run
