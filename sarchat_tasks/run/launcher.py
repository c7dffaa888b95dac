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
import shutil
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
from sarchat_tasks.registry import profile_for_model

RESULTS_GLOB = "*_results.json"
# lmms-eval's --output_path of one run: OUT/.sarchat-run-<run id>, moved out once checked
PRIVATE_PREFIX = ".sarchat-run-"
_ERROR_WORDS = ("Error", "error", "Traceback", "Exception", "not found", "No such")


class LaunchError(SarchatError):
    """lmms-eval did not produce results for every task it was asked for."""


class _KeptRunError(LaunchError):
    """A checked run whose files could not be moved out: they are kept where they are."""


@dataclass
class Launch:
    """A finished lmms-eval run: its results file and what it holds."""

    results_path: Path
    results: dict[str, Any]
    tasks: list[str]
    failed_requests: dict[str, int] = field(default_factory=dict)
    provenance: dict[str, Any] = field(default_factory=dict)

    @property
    def total_failed(self) -> int:
        return sum(self.failed_requests.values())


@dataclass
class RunContext:
    """What a run's provenance record needs that lmms-eval does not record: which stage runs it,
    the data set's record (``provenance.data_record``), the profile and frame the answers are read
    in (None: the ``--model``'s profile, the frame ``--model_args`` asks for), extra fields."""

    kind: str = "eval"
    data: dict[str, Any] | None = None
    profile: str | None = None
    frame: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


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


def without_option(argv: list[str], name: str) -> list[str]:
    """``argv`` with every ``--name V`` and ``--name=V`` left out."""
    out, skip = [], False
    for arg in argv:
        if skip:
            skip = False
        elif arg == name:
            skip = True
        elif not arg.startswith(name + "="):
            out.append(arg)
    return out


def _exit_text(code: int) -> str:
    if code < 0:
        try:
            return f"was killed by signal {signal.Signals(-code).name}"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"exited with status {code}"


def _move_out(private: Path, output_path: Path, results_path: Path) -> Path:
    """Move the run's files from its private folder to where lmms-eval would have written them
    under ``output_path`` (same relative layout), the results file last; never over a file."""
    files = [*sorted(p for p in private.rglob("*") if p.is_file() and p != results_path), results_path]
    taken = [output_path / p.relative_to(private) for p in files if (output_path / p.relative_to(private)).exists()]
    if taken:
        raise _KeptRunError(
            f"{taken[0]} already exists (another run wrote it in the same second); this run's checked files "
            f"are kept in {private}"
        )
    for path in files:
        target = output_path / path.relative_to(private)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.rename(path, target)
    shutil.rmtree(private, ignore_errors=True)  # only empty folders are left in it
    return output_path / results_path.relative_to(private)


def launch(
    folder: Path,
    extra: list[str],
    *,
    default_tasks: str = "sarchat",
    log: Path | None = None,
    quiet: bool = False,
    env: dict[str, str] | None = None,
    context: RunContext | None = None,
) -> Launch:
    """Run lmms-eval on the task folder with the user's arguments and return the checked result.

    ``extra`` must hold ``--output_path``. lmms-eval writes into a folder of its own under it,
    named by this run's id, which no other run writes into; only once its exit status is 0 and
    its results file holds every task asked for are its files moved to where lmms-eval puts them
    (``OUT/<model>/<date>_results.json``), carrying this run's provenance record (``context``
    gives what lmms-eval does not record: the data, profile and frame). lmms-eval's standard
    output passes through (unless ``quiet``); its error stream passes through and is also written
    to ``log`` when given. Raises ``LaunchError`` naming what went wrong and lmms-eval's last
    error line; a failed run leaves nothing under ``OUT``."""
    from sarchat_tasks import provenance

    context = context or RunContext()
    argv = lmms_eval_argv(folder, extra, default_tasks)
    output = option(argv, "--output_path")
    if output is None:
        raise LaunchError("--output_path is needed: the run is checked by reading its results files")
    output_path = Path(output)
    check_output_path(output_path)
    tasks = [t for t in (option(argv, "--tasks") or "").split(",") if t]
    run_id = provenance.new_run_id()
    private = output_path / f"{PRIVATE_PREFIX}{run_id}"
    try:
        private.mkdir(parents=True)
    except OSError as exc:
        raise LaunchError(f"--output_path {output_path}: cannot write there: {exc.strerror or exc}") from exc
    argv = [*without_option(argv, "--output_path"), "--output_path", str(private)]
    tail: deque[str] = deque(maxlen=400)
    sinks: list = []
    log_handle = None
    try:
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
        return _checked(private, output_path, tasks, argv, code, tail, log, run_id, context)
    except _KeptRunError:
        raise
    except BaseException:
        shutil.rmtree(private, ignore_errors=True)  # a failed run's partial output is ours alone
        raise


def check_logs_whole(results: dict[str, Any], logs: dict[str, Path], where: str = "") -> None:
    """Every task's sample log holds one line per sample lmms-eval says it evaluated
    (``n-samples``), its last line whole: a disk that filled while lmms-eval wrote would otherwise
    leave a complete-looking results file beside cut logs. Reads the logs line by line."""
    for task, counts in (results.get("n-samples") or {}).items():
        expected = counts.get("effective") if isinstance(counts, dict) else None
        if not isinstance(expected, int):
            continue
        path = logs.get(task)
        if path is None:
            raise LaunchError(f"lmms-eval wrote no sample log for {task}{where}; the run is not kept (a full disk?)")
        lines, last = 0, b""
        with open(path, "rb") as handle:
            for line in handle:
                if line.strip():
                    lines, last = lines + 1, line
        try:
            whole = lines == 0 or isinstance(json.loads(last), dict)
        except ValueError:
            whole = False
        if lines != expected or not whole:
            raise LaunchError(
                f"{path}: the sample log of {task} holds {lines} of {expected} samples"
                f"{'' if whole else ', its last line cut'}{where}; the run is not kept (a full disk?)"
            )


def _checked(
    private: Path,
    output_path: Path,
    tasks: list[str],
    argv: list[str],
    code: int,
    tail: deque,
    log: Path | None,
    run_id: str,
    context: RunContext,
) -> Launch:
    from sarchat_tasks import provenance

    where = f" (its log: {log})" if log is not None else ""
    if code != 0:
        raise LaunchError(
            f"lmms-eval {_exit_text(code)} running {', '.join(tasks) or 'the tasks'} into {output_path}{where}; "
            f"nothing of this run is kept; its last error: {_last_error(list(tail))}"
        )
    found = results_files(private)
    if not found:
        raise LaunchError(
            f"lmms-eval wrote no results under {output_path} for {', '.join(tasks) or 'the tasks'} "
            f"(exit status {code}){where}; its last error: {_last_error(list(tail))}"
        )
    if len(found) > 1:
        raise LaunchError(f"lmms-eval wrote {len(found)} results files for one run under {private}; expected one")
    path = found[0]
    try:
        results = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise LaunchError(f"{path}: unreadable results file: {exc}") from exc
    missing = missing_tasks(results, tasks)
    if missing:
        raise LaunchError(
            f"{output_path}: lmms-eval wrote no results for {', '.join(missing)}{where}; "
            f"its last error: {_last_error(list(tail))}"
        )
    prefix = path.name[: -len("_results.json")]
    logs = {task: path.parent / f"{prefix}_samples_{task}.jsonl" for task in (results.get("results") or {})}
    logs = {task: log_path for task, log_path in logs.items() if log_path.is_file()}
    if has_flag(argv, "--log_samples"):
        check_logs_whole(results, logs, where)
    model_args = option(argv, "--model_args")
    record = provenance.make_record(
        context.kind,
        run_id=run_id,
        data=context.data,
        model=option(argv, "--model"),
        model_args=model_args,
        profile=context.profile or profile_for_model(option(argv, "--model")),
        frame=context.frame if context.frame is not None else provenance.frame_text(model_args),
        generation=provenance.generation_record(results),
        samples=provenance.samples_record(logs),
        **context.extra,
    )
    provenance.write_results(path, provenance.attach(results, record))
    final = _move_out(private, output_path, path)
    return Launch(results_path=final, results=results, tasks=tasks, failed_requests=failed_requests(results),
                  provenance=record)  # fmt: skip
