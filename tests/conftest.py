"""Shared fixtures: offline settings, the official-format fixture and its prepared set."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

for _name in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE"):
    os.environ[_name] = "1"
sys.path.insert(0, str(Path(__file__).parent))

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
