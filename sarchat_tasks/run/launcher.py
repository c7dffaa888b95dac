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
    log_path: Path | None = None

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


# A tqdm bar as lmms-eval draws it: "Model Responding:  45%|####      | 9/20 [00:03<00:04, ...]"
_TQDM = re.compile(r"(?P<desc>[^\r\n|]*?):?\s*\d+%\|[^|]*\|\s*(?P<n>\d+)/(?P<total>\d+)")


class Progress:
    """lmms-eval's own bars, redrawn as one bar of ours while its output goes to a log file: the
    child writes to a pipe, where its tqdm draws each state as a line ended by a carriage return."""

    def __init__(self) -> None:
        self._bar = None
        self._desc = None

    def feed(self, segment: str) -> None:
        found = _TQDM.search(segment)
        if found is None:
            return
        from tqdm.auto import tqdm

        desc = found["desc"].strip()
        n, total = int(found["n"]), int(found["total"])
        if self._bar is None or desc != self._desc or total != self._bar.total:
            self.close()
            label = f"lmms-eval: {desc}" if desc else "lmms-eval"
            self._bar = tqdm(total=total, desc=label, file=sys.stderr, dynamic_ncols=True, leave=False)
            self._desc = desc
        self._bar.update(n - self._bar.n)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


class _Sink:
    """Where a stream of the child goes: a terminal as it is, anything else without colour codes
    (lmms-eval colours its log even into a pipe or a file)."""

    def __init__(self, handle, lock: threading.Lock) -> None:
        self.handle, self.lock = handle, lock
        self.plain = not bool(getattr(handle, "isatty", lambda: False)())

    def write(self, text: str) -> None:
        with self.lock:
            self.handle.write(_ANSI.sub("", text) if self.plain else text)
            self.handle.flush()


_SEGMENT_END = re.compile(rb"[\r\n]")


def _pump(stream, sinks: list[_Sink], tail: deque | None, progress: Progress | None = None) -> None:
    """Copy a stream of the child to its sinks, piece by piece up to each line feed or carriage
    return (tqdm redraws with a carriage return), keeping the last lines in ``tail``."""
    pending = b""
    while True:
        chunk = stream.read1(65536) if hasattr(stream, "read1") else stream.read(65536)
        if not chunk:
            break
        pending += chunk
        start = 0
        for end in _SEGMENT_END.finditer(pending):
            _deliver(pending[start : end.end()].decode("utf-8", errors="replace"), sinks, tail, progress)
            start = end.end()
        pending = pending[start:]
    if pending:
        _deliver(pending.decode("utf-8", errors="replace"), sinks, tail, progress)


def _deliver(text: str, sinks: list[_Sink], tail: deque | None, progress: Progress | None) -> None:
    if tail is not None and not text.endswith("\r"):
        tail.append(text)
    if progress is not None:
        progress.feed(text)
    for sink in sinks:
        sink.write(text)


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
    gives what lmms-eval does not record: the data, profile and frame). lmms-eval's output passes
    through (colour codes removed where it does not go to a terminal) and is also written to
    ``log`` when given; when ``quiet`` it goes to ``log`` only (by default ``OUT/lmms-eval-<run
    id>.log``, moved beside the results file once the run is checked), with one progress bar of
    ours on a terminal. Raises ``LaunchError`` naming what went wrong, the log and lmms-eval's
    last error line; a failed run leaves nothing under ``OUT`` but that log."""
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
    # a quiet run's log lies beside its results: first under OUT, named by the run, then moved
    own_log = quiet and log is None
    if own_log:
        log = output_path / f"lmms-eval-{run_id}.log"
    tail: deque[str] = deque(maxlen=400)
    lock = threading.Lock()
    log_handle = None
    progress = Progress() if quiet and _progress_enabled() else None
    try:
        try:
            if log is not None:
                log.parent.mkdir(parents=True, exist_ok=True)
                log_handle = open(log, "x" if own_log else "w", encoding="utf-8")
            to_log = [_Sink(log_handle, lock)] if log_handle is not None else []
            out_sinks = to_log + ([] if quiet else [_Sink(sys.stdout, lock)])
            err_sinks = to_log + ([] if quiet else [_Sink(sys.stderr, lock)])
            command = [sys.executable, "-m", "lmms_eval", *argv]
            child = subprocess.Popen(
                command,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                # unbuffered: its log is written as it runs, and a killed run's log keeps its last lines
                env={**(env if env is not None else os.environ), "PYTHONUNBUFFERED": "1"},
            )
            pumps = [
                threading.Thread(target=_pump, args=(child.stdout, out_sinks, None), daemon=True),
                threading.Thread(target=_pump, args=(child.stderr, err_sinks, tail, progress), daemon=True),
            ]
            for pump in pumps:
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
            for pump in pumps:
                pump.join(timeout=30)
        finally:
            if progress is not None:
                progress.close()
            if log_handle is not None:
                log_handle.close()
        result = _checked(private, output_path, tasks, argv, code, tail, log, run_id, context)
    except _KeptRunError:
        raise
    except BaseException:
        shutil.rmtree(private, ignore_errors=True)  # a failed run's partial output is ours alone; its log stays
        raise
    if own_log:
        result.log_path = _beside_results(log, result.results_path)
    else:
        result.log_path = log
    return result


def _progress_enabled() -> bool:
    from sarchat_tasks.cli import progress_enabled

    return progress_enabled()


def _beside_results(log: Path, results_path: Path) -> Path:
    """Move a run's log next to its results file (``<date>_lmms-eval.log``); left where it is if
    that name is taken."""
    target = results_path.with_name(results_path.name[: -len("_results.json")] + "_lmms-eval.log")
    if target.exists():
        return log
    os.rename(log, target)
    return target


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
