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
