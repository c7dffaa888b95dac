"""Bad data stops a run while the tasks are built, before any generation, naming the record.

Each case damages a copy of the prepared fixture. Most cases call the check the task YAMLs run,
``process_docs`` of the copy's generated binding module (``tasks/sarchat_dataset.py``), on the rows
loaded as lmms-eval loads them (``datasets.load_dataset("parquet", data_files=...)``): that is the
whole of what lmms-eval adds in between, and it keeps these tests at a second each.

One case goes through lmms-eval itself (``TaskManager`` / ``get_task_dict``, what
``simple_evaluate`` calls before the model runs). lmms-eval retries dataset loading (tenacity,
5 tries, 2 s apart: api/task.py) and then raises ``RetryError``; its CLI logs that and exits
0, so the error is read from the chained ``PreparedSetError``, whose message is what a user sees
in the log. The test keeps the 5 tries and drops the waits (the retry policy's ``wait``; patching
``tenacity.nap.sleep`` does not reach it, the policy holds its own reference).
"""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path
from types import ModuleType

import pytest

from sarchat_tasks.prepared import BINDING_MODULE, MANIFEST, TASKS_DIR, PreparedSetError
from sarchat_tasks.task_folder import write_task_folder


def _copy(prepared_set: Path, tmp_path: Path) -> Path:
    target = tmp_path / "set"
    shutil.copytree(prepared_set, target)
    # the task folder binds the set it lies in; regenerate it for the copy
    manifest = json.loads((target / MANIFEST).read_text())
    write_task_folder(target, {t: i["max_new_tokens"] for t, i in manifest.get("tasks", {}).items()})
    return target


def _binding(root: Path) -> ModuleType:
    """The copy's generated ``sarchat_dataset`` module, imported as lmms-eval imports it."""
    path = root / TASKS_DIR / f"{BINDING_MODULE}.py"
    spec = importlib.util.spec_from_file_location(f"{BINDING_MODULE}_{abs(hash(str(root)))}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _rows(root: Path, task: str = "classification"):
    import datasets

    return datasets.load_dataset("parquet", data_files={"test": str(root / "rows" / f"{task}.parquet")})["test"]


def _check_error(root: Path, task: str = "classification") -> str:
    """Run the task's pre-run check on the copy; return the message of the error it stops with."""
    rows = _rows(root, task)
    with pytest.raises(PreparedSetError) as caught:
        _binding(root).process_docs(rows)
    return str(caught.value)


def test_truncated_image_names_the_record(prepared_set: Path, tmp_path: Path):
    root = _copy(prepared_set, tmp_path)
    image = next((root / "images").rglob("airport.png"))
    data = image.read_bytes()
    image.write_bytes(data[: len(data) // 2])
    message = _check_error(root)
    assert "record SARChat_classify_test:0" in message and "truncated" in message and "airport.png" in message


def test_corrupt_image_names_the_record(prepared_set: Path, tmp_path: Path):
    root = _copy(prepared_set, tmp_path)
    image = next((root / "images").rglob("harbour.png"))
    image.write_bytes(b"this is not an image at all" * 10)
    message = _check_error(root)
    assert "record SARChat_classify_test:1" in message and "unreadable" in message


def test_missing_image_names_the_record(prepared_set: Path, tmp_path: Path):
    root = _copy(prepared_set, tmp_path)
    next((root / "images").rglob("airport.png")).unlink()
    message = _check_error(root)
    assert "record SARChat_classify_test:0" in message and "missing" in message


def test_unreadable_reference_names_the_record(prepared_set: Path, tmp_path: Path):
    import pyarrow.parquet as pq

    root = _copy(prepared_set, tmp_path)
    path = root / "rows" / "counting.parquet"
    rows = pq.read_table(path).to_pylist()
    rows[1]["reference"] = '{"count": 3, "boxes": ['
    from sarchat_tasks.prepare import write_rows

    write_rows(path, rows)
    message = _check_error(root, "counting")
    assert f"record {rows[1]['id']}" in message and "unreadable reference" in message


def test_older_format_version_says_how_to_fix_it(prepared_set: Path, tmp_path: Path):
    root = _copy(prepared_set, tmp_path)
    manifest = json.loads((root / MANIFEST).read_text())
    manifest["format_version"] = 0
    (root / MANIFEST).write_text(json.dumps(manifest))
    message = _check_error(root)
    assert "format version 0" in message and "sarchat prepare" in message


def test_a_good_set_passes_unchanged(prepared_set: Path, tmp_path: Path):
    root = _copy(prepared_set, tmp_path)
    binding = _binding(root)
    assert binding._PREPARED.root == root.resolve()  # bound to the copy, not to where it was made
    for task in ("counting", "grounding", "identification", "referring", "description", "classification"):
        rows = _rows(root, task)
        assert binding.process_docs(rows) is rows


@pytest.mark.slow
def test_lmms_eval_stops_before_generation_and_names_the_record(prepared_set: Path, tmp_path: Path, monkeypatch):
    """Through lmms-eval: the damaged set fails while the task is built, after lmms-eval's 5 tries,
    with our message behind its ``RetryError``; the same copy intact builds."""
    import tenacity
    from lmms_eval.api.task import ConfigurableTask
    from lmms_eval.tasks import TaskManager, get_task_dict

    monkeypatch.setattr(ConfigurableTask.download.retry, "wait", tenacity.wait_none())
    root = _copy(prepared_set, tmp_path)
    image = next((root / "images").rglob("airport.png"))
    intact = image.read_bytes()
    image.write_bytes(intact[: len(intact) // 2])
    manager = TaskManager(include_path=str(root / "tasks"))
    with pytest.raises(Exception) as caught:
        get_task_dict(["sarchat_classification"], manager)
    assert isinstance(caught.value, tenacity.RetryError)
    assert caught.value.last_attempt.attempt_number == 5
    exc: BaseException | None = caught.value.last_attempt.exception()
    while exc is not None and not isinstance(exc, PreparedSetError):
        exc = exc.__cause__ or exc.__context__
    assert exc is not None, f"no PreparedSetError behind {caught.value!r}"
    assert "record SARChat_classify_test:0" in str(exc) and "truncated" in str(exc)

    image.write_bytes(intact)
    tasks = get_task_dict(["sarchat_classification"], manager)
    assert len(tasks["sarchat_classification"].test_docs()) == 2
