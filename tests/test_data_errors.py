"""Bad data stops a run while lmms-eval builds the tasks, before any generation, naming the record.

Each case damages a copy of the prepared fixture and builds the task through lmms-eval's own
``TaskManager`` / ``get_task_dict`` (what ``simple_evaluate`` calls before the model runs), in
process to keep the test fast. lmms-eval retries dataset loading (tenacity, 5 tries) and then
raises ``RetryError``; its CLI logs that and exits 0, so the error must be read from the chained
``PreparedSetError``, whose message is what a user sees in the log.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from sarchat_tasks.prepared import MANIFEST, PreparedSetError


def _copy(prepared_set: Path, tmp_path: Path) -> Path:
    target = tmp_path / "set"
    shutil.copytree(prepared_set, target)
    # the task folder binds the set it lies in; regenerate it for the copy
    from sarchat_tasks.prepared import write_task_folder

    manifest = json.loads((target / MANIFEST).read_text())
    write_task_folder(target, {t: i["max_new_tokens"] for t, i in manifest.get("tasks", {}).items()})
    return target


def _build_error(root: Path, task: str = "sarchat_classification") -> str:
    """Build one task with lmms-eval; return the message of the PreparedSetError it stops with."""
    import tenacity
    from lmms_eval.tasks import TaskManager, get_task_dict

    with pytest.raises(Exception) as caught:
        get_task_dict([task], TaskManager(include_path=str(root / "tasks")))
    exc: BaseException | None = caught.value
    while exc is not None and not isinstance(exc, PreparedSetError):
        if isinstance(exc, tenacity.RetryError):
            exc = exc.last_attempt.exception()
        else:
            exc = exc.__cause__ or exc.__context__
    assert exc is not None, f"no PreparedSetError behind {caught.value!r}"
    return str(exc)


@pytest.fixture(autouse=True)
def _no_retry_waits(monkeypatch):
    """lmms-eval waits 2 s between its 5 dataset-loading tries; the outcome is the same without."""
    import tenacity

    monkeypatch.setattr(tenacity.nap, "sleep", lambda seconds: None)


def test_truncated_image_names_the_record(prepared_set: Path, tmp_path: Path):
    root = _copy(prepared_set, tmp_path)
    image = next((root / "images").rglob("airport.png"))
    data = image.read_bytes()
    image.write_bytes(data[: len(data) // 2])
    message = _build_error(root)
    assert "record SARChat_classify_test:0" in message and "truncated" in message and "airport.png" in message


def test_corrupt_image_names_the_record(prepared_set: Path, tmp_path: Path):
    root = _copy(prepared_set, tmp_path)
    image = next((root / "images").rglob("harbour.png"))
    image.write_bytes(b"this is not an image at all" * 10)
    message = _build_error(root)
    assert "record SARChat_classify_test:1" in message and "unreadable" in message


def test_missing_image_names_the_record(prepared_set: Path, tmp_path: Path):
    root = _copy(prepared_set, tmp_path)
    next((root / "images").rglob("airport.png")).unlink()
    message = _build_error(root)
    assert "record SARChat_classify_test:0" in message and "missing" in message


def test_older_format_version_says_how_to_fix_it(prepared_set: Path, tmp_path: Path):
    root = _copy(prepared_set, tmp_path)
    manifest = json.loads((root / MANIFEST).read_text())
    manifest["format_version"] = 0
    (root / MANIFEST).write_text(json.dumps(manifest))
    message = _build_error(root)
    assert "format version 0" in message and "sarchat prepare" in message


def test_a_good_set_builds(prepared_set: Path, tmp_path: Path):
    from lmms_eval.tasks import TaskManager, get_task_dict

    root = _copy(prepared_set, tmp_path)
    tasks = get_task_dict(["sarchat_classification"], TaskManager(include_path=str(root / "tasks")))
    assert "sarchat_classification" in tasks
