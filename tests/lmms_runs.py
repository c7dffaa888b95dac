"""One way for the tests to run lmms-eval: its real CLI in a child process, offline, and the files it
wrote read back. lmms-eval's CLI exits 0 after most errors, so a run is judged by its results file:
exactly one must exist, else the test fails showing lmms-eval's own output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

OFFLINE_ENV = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}


@dataclass
class LmmsRun:
    """A finished lmms-eval run: the process, its results file and what that holds."""

    done: subprocess.CompletedProcess
    results_path: Path
    results: dict[str, Any]

    def samples(self, task: str) -> list[dict[str, Any]]:
        """The sample log of one task, one dict per document."""
        return [
            json.loads(line)
            for log in self.results_path.parent.glob(f"*_samples_{task}.jsonl")
            for line in log.read_text(encoding="utf-8").splitlines()
        ]


def run_lmms_eval(
    *args: str,
    output_path: Path,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    timeout: int = 900,
    command: list[str] | None = None,
) -> LmmsRun:
    """``python -m lmms_eval ARGS --output_path OUT --log_samples`` (or ``command`` instead of
    ``python -m lmms_eval``), offline; fails the test unless exactly one results file was written."""
    argv = [*(command or [sys.executable, "-m", "lmms_eval"]), *map(str, args), "--output_path", str(output_path)]
    if "--log_samples" not in args:
        argv.append("--log_samples")
    done = subprocess.run(argv, env=env or OFFLINE_ENV, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    found = sorted(Path(output_path).rglob("*_results.json"))
    assert done.returncode == 0 and len(found) == 1, (
        f"lmms-eval exit {done.returncode}, results files {found}:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    )
    return LmmsRun(done, found[0], json.loads(found[0].read_text(encoding="utf-8")))
