"""Progress bars for long work (build, prepare, report's bootstrap, rescore, sharded runs, merge):
shown on a terminal, silent in logs and CI, where a redrawn bar only fills the file.

``SARCHAT_PROGRESS=1`` forces the bars on, ``SARCHAT_PROGRESS=0`` off.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from typing import Any, TypeVar

T = TypeVar("T")


def progress_enabled() -> bool:
    """Whether bars are drawn: on when the error stream is a terminal, unless overridden."""
    forced = os.environ.get("SARCHAT_PROGRESS", "").strip()
    if forced in ("0", "1"):
        return forced == "1"
    stream = sys.stderr
    return bool(getattr(stream, "isatty", lambda: False)()) and os.environ.get("CI", "") in ("", "0", "false")


def progress(iterable: Iterable[T], *, disable: bool = False, **kwargs: Any) -> Iterable[T]:
    """``iterable`` wrapped in a tqdm bar on a terminal, else returned as it is."""
    if disable or not progress_enabled():
        return iterable
    from tqdm.auto import tqdm

    return tqdm(iterable, file=sys.stderr, dynamic_ncols=True, leave=False, **kwargs)
