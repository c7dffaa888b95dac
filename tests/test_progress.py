"""Progress bars: drawn on a terminal, never in logs or CI (captured output here)."""

from __future__ import annotations

import io
import sys

from sarchat_tasks import cli as progress_module
from sarchat_tasks.cli import progress, progress_enabled


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_quiet_when_the_error_stream_is_not_a_terminal(monkeypatch):
    monkeypatch.delenv("SARCHAT_PROGRESS", raising=False)
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    items = [1, 2, 3]
    assert not progress_enabled()
    assert progress(items) is items


def test_drawn_on_a_terminal_but_not_in_ci(monkeypatch):
    monkeypatch.delenv("SARCHAT_PROGRESS", raising=False)
    monkeypatch.delenv("CI", raising=False)
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert list(progress(range(3), desc="work")) == [0, 1, 2]
    assert "work" in terminal.getvalue()
    monkeypatch.setenv("CI", "true")
    assert not progress_enabled()
    monkeypatch.setenv("SARCHAT_PROGRESS", "1")
    assert progress_module.progress_enabled()
    monkeypatch.setenv("SARCHAT_PROGRESS", "0")
    monkeypatch.delenv("CI")
    assert not progress_enabled()


# lmms-eval's output as the launcher reads it from the child's pipe: colour codes in its log lines
# (it colours even into a pipe) and tqdm states ended by a carriage return
_CHILD_OUTPUT = (
    b"\x1b[32m2026-12-02 18:46:38\x1b[0m | \x1b[1mINFO    \x1b[0m | Verbosity set to INFO\n"
    b"Model Responding:   0%|          | 0/28 [00:00<?, ?it/s]\r"
    b"Model Responding:  50%|#####     | 14/28 [00:01<00:01, 9.1it/s]\r"
    b"Model Responding: 100%|##########| 28/28 [00:03<00:00, 9.3it/s]\r\n"
    b"Postprocessing: 100%|##########| 28/28 [00:00<00:00, 900it/s]\n"
    b"Traceback (most recent call last):\n"
)


def _pumped(sink_stream, progress=None):
    import threading
    from collections import deque

    from sarchat_tasks.run.launcher import _pump, _Sink

    tail = deque(maxlen=10)
    _pump(io.BytesIO(_CHILD_OUTPUT), [_Sink(sink_stream, threading.Lock())], tail, progress)
    return tail


def test_child_output_loses_its_colour_codes_where_it_is_not_a_terminal():
    file = io.StringIO()
    tail = _pumped(file)
    text = file.getvalue()
    assert "\x1b" not in text
    assert text.startswith("2026-12-02 18:46:38 | INFO     | Verbosity set to INFO\n")
    assert text.count("\r") == 3 and text.endswith("Traceback (most recent call last):\n")  # nothing else changed
    # the tail (quoted in errors) keeps whole lines, not every redrawn bar state
    assert list(tail)[-1] == "Traceback (most recent call last):\n"
    assert not any("14/28" in line for line in tail)


def test_child_output_keeps_its_colour_on_a_terminal():
    terminal = _Terminal()
    _pumped(terminal)
    assert terminal.getvalue().startswith("\x1b[32m2026-12-02")


def test_lmms_eval_bars_are_redrawn_as_one_bar_of_ours(monkeypatch):
    from sarchat_tasks.run.launcher import Progress

    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    progress = Progress()
    seen = []
    original = progress.feed

    def feed(segment):
        original(segment)
        if progress._bar is not None:
            seen.append((progress._bar.desc, progress._bar.n, progress._bar.total))

    progress.feed = feed
    _pumped(io.StringIO(), progress)
    progress.close()
    assert seen == [
        ("lmms-eval: Model Responding", 0, 28),
        ("lmms-eval: Model Responding", 14, 28),
        ("lmms-eval: Model Responding", 28, 28),
        ("lmms-eval: Model Responding", 28, 28),  # the line feed after the last state moves nothing
        ("lmms-eval: Postprocessing", 28, 28),  # a new bar for lmms-eval's next one
        ("lmms-eval: Postprocessing", 28, 28),  # the traceback line moves nothing
    ]
    assert "lmms-eval: Model Responding" in terminal.getvalue()
