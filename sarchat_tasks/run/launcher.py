"""The one way this package runs lmms-eval: a child process, then a check of what it wrote.

lmms-eval 0.7.3's command exits 0 after most errors (an unknown model, a task that fails to load,
a crash mid-run), so its exit status proves nothing. ``launch`` runs ``python -m lmms_eval`` with
the arguments given, keeps the end of its error stream, and then reads the results file the run
wrote: the run failed unless there is a new results file holding every task asked for (a group's
every member too). It says which tasks are missing and quotes lmms-eval's last error. Failed
requests (``failed_requests``, see ``sarchat_tasks.metrics``) are counted per task for the caller
to judge. ``sarchat eval``, ``sarchat demo`` and every shard of a sharded run go through here.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sarchat_tasks.errors import SarchatError
from sarchat_tasks.metrics import FAILED_REQUESTS

RESULTS_GLOB = "*_results.json"
_ERROR_WORDS = ("Error", "error", "Traceback", "Exception", "not found", "No such")


class LaunchError(SarchatError):
    """lmms-eval did not produce results for every task it was asked for."""


@dataclass
class Launch:
    """A finished lmms-eval run: its results file and what it holds."""

    results_path: Path
    results: dict[str, Any]
    tasks: list[str]
    failed_requests: dict[str, int] = field(default_factory=dict)

    @property
    def total_failed(self) -> int:
        return sum(self.failed_requests.values())


def option(argv: list[str], name: str) -> str | None:
    """The value of ``--name`` in an argument list (``--name V`` or ``--name=V``), last one wins."""
    value = None
    for index, arg in enumerate(argv):
        if arg == name and index + 1 < len(argv):
            value = argv[index + 1]
        elif arg.startswith(name + "="):
            value = arg.split("=", 1)[1]
    return value


def has_flag(argv: list[str], name: str) -> bool:
    return any(a == name or a.startswith(name + "=") for a in argv)


def lmms_eval_argv(folder: Path, extra: list[str], default_tasks: str = "sarchat") -> list[str]:
    """lmms-eval's arguments: ours first, then the user's; ``--tasks`` defaults to ``default_tasks``."""
    argv = ["--include_path", str(folder), *extra]
    if not has_flag(extra, "--tasks"):
        argv += ["--tasks", default_tasks]
    return argv


def check_output_path(path: Path) -> None:
    """Refuse an output folder that cannot be one (lmms-eval would fail and still exit 0)."""
    from sarchat_tasks.outputs import check_folder_path

    try:
        check_folder_path(Path(path), "--output_path")
    except ValueError as exc:
        raise LaunchError(str(exc)) from exc


def results_files(output_path: Path) -> list[Path]:
    """lmms-eval results files under an output folder, oldest first."""
    found = Path(output_path).rglob(RESULTS_GLOB) if Path(output_path).is_dir() else []
    return sorted(found, key=lambda p: (p.stat().st_mtime, str(p)))


def missing_tasks(results: dict[str, Any], tasks: list[str]) -> list[str]:
    """The tasks asked for that a results file lacks; a group needs its result and each member's."""
    have = results.get("results") or {}
    groups = results.get("group_subtasks") or {}
    missing = []
    for task in tasks:
        if task not in have:
            missing.append(task)
        for member in groups.get(task, []):
            if member not in have:
                missing.append(member)
    return missing


def failed_requests(results: dict[str, Any]) -> dict[str, int]:
    """``failed_requests`` per task of a results file (tasks without the metric are left out)."""
    counts = {}
    for task, block in (results.get("results") or {}).items():
        for key, value in block.items():
            if key.split(",")[0] == FAILED_REQUESTS and isinstance(value, (int, float)) and "_stderr" not in key:
                counts[task] = int(value)
    return counts


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _last_error(lines: list[str]) -> str:
    """lmms-eval's last line that reports an error (colour codes removed), else its last line."""
    lines = [_ANSI.sub("", line) for line in lines if line.strip()]
    found = next((line for line in reversed(lines) if any(word in line for word in _ERROR_WORDS)), None)
    found = (found or (lines[-1] if lines else "(no output)")).strip()
    return found if len(found) <= 400 else found[:400] + " ..."


def _raise_on_sigterm():
    """Make SIGTERM raise SystemExit while lmms-eval runs, so that the child is stopped with us
    (the default action ends this process at once and leaves it running). Returns the previous
    handler, or None where handlers cannot be set (not the main thread)."""

    def handler(signum, frame):
        raise SystemExit(128 + signum)

    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGTERM, handler)


def _pump(stream, sinks, tail: deque) -> None:
    for raw in iter(stream.readline, b""):
        text = raw.decode("utf-8", errors="replace")
        tail.append(text)
        for sink in sinks:
            sink.write(text)
            sink.flush()


def launch(
    folder: Path,
    extra: list[str],
    *,
    default_tasks: str = "sarchat",
    log: Path | None = None,
    quiet: bool = False,
    env: dict[str, str] | None = None,
) -> Launch:
    """Run lmms-eval on the task folder with the user's arguments and return the checked result.

    ``extra`` must hold ``--output_path``. lmms-eval's standard output passes through (unless
    ``quiet``); its error stream passes through and is also written to ``log`` when given. Raises
    ``LaunchError`` naming the tasks that have no result and lmms-eval's last error line."""
    argv = lmms_eval_argv(folder, extra, default_tasks)
    output = option(argv, "--output_path")
    if output is None:
        raise LaunchError("--output_path is needed: the run is checked by reading its results files")
    output_path = Path(output)
    check_output_path(output_path)
    tasks = [t for t in (option(argv, "--tasks") or "").split(",") if t]
    before = {p.resolve() for p in results_files(output_path)}
    tail: deque[str] = deque(maxlen=400)
    sinks: list = []
    log_handle = None
    if log is not None:
        log.parent.mkdir(parents=True, exist_ok=True)
        log_handle = open(log, "w", encoding="utf-8")
        sinks.append(log_handle)
    if not quiet:
        sinks.append(sys.stderr)
    command = [sys.executable, "-m", "lmms_eval", *argv]
    try:
        child = subprocess.Popen(
            command,
            stdout=log_handle if quiet and log_handle else (subprocess.DEVNULL if quiet else None),
            stderr=subprocess.PIPE,
            env=env if env is not None else dict(os.environ),
        )
        pump = threading.Thread(target=_pump, args=(child.stderr, sinks, tail), daemon=True)
        pump.start()
        previous = _raise_on_sigterm()
        try:
            code = child.wait()
        except BaseException:  # Ctrl-C or SIGTERM (scancel, kill): do not leave lmms-eval running
            child.terminate()
            try:
                child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                child.kill()
            raise
        finally:
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)
        pump.join(timeout=30)
    finally:
        if log_handle is not None:
            log_handle.close()
    new = [p for p in results_files(output_path) if p.resolve() not in before]
    where = f" (its log: {log})" if log is not None else ""
    if not new:
        raise LaunchError(
            f"lmms-eval wrote no results under {output_path} for {', '.join(tasks) or 'the tasks'} "
            f"(exit status {code}){where}; its last error: {_last_error(list(tail))}"
        )
    path = new[-1]
    try:
        results = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise LaunchError(f"{path}: unreadable results file: {exc}") from exc
    missing = missing_tasks(results, tasks)
    if missing:
        raise LaunchError(
            f"{path}: lmms-eval wrote no results for {', '.join(missing)}{where}; "
            f"its last error: {_last_error(list(tail))}"
        )
    return Launch(results_path=path, results=results, tasks=tasks, failed_requests=failed_requests(results))
