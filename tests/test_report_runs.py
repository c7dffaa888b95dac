"""Real lmms-eval runs shared by the report and rescore tests, made once per test session.

Each run costs about 15-30 s, so there are two, cached at module level (a session fixture
defined here and imported by two test modules would otherwise run twice):

* ``full``: the whole suite on the official fixture, dummy backend answering ``RESPONSE_FULL``;
* ``partial``: counting and classification only, ``--limit 1``, answering ``RESPONSE_PARTIAL``,
  made after ``full`` so that it is the later run of the same model.

The hand-computed expectations below follow the fixture (tests/official_fixture.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

RESPONSE_FULL = "It is ship. There are 3 instances. {<294><358><329><427>}{<61><448><122><503>}{<27><199><78><261>}"
RESPONSE_PARTIAL = "It is aircraft. There is 1 instance. {<393><326><470><394>}"
_CACHE: dict[str, Path] = {}


def _eval(data: Path, out: Path, response: str, *extra: str) -> Path:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    command = [sys.executable, "-m", "sarchat_tasks.cli", "eval", "--data", str(data), "--model", "dummy",
               "--model_args", f"response={response}", "--output_path", str(out), "--log_samples", *extra]  # fmt: skip
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    found = sorted(out.rglob("*_results.json"))
    assert len(found) == 1, f"lmms-eval wrote {found}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return found[0]


def real_runs(prepared_set: Path, base: Path) -> dict[str, Path]:
    """Paths of the two runs' output folders and results files (made on first call)."""
    if not _CACHE:
        full = _eval(prepared_set, base / "full", RESPONSE_FULL)
        time.sleep(1.1)  # lmms-eval dates have one-second resolution: make ``partial`` strictly later
        partial = _eval(prepared_set, base / "partial", RESPONSE_PARTIAL,
                        "--tasks", "sarchat_counting,sarchat_classification", "--limit", "1")  # fmt: skip
        _CACHE.update(full_dir=base / "full", full=full, partial_dir=base / "partial", partial=partial)
    return dict(_CACHE)


def results(path: Path) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))
