"""What a shard costs: ``sarchat eval`` unsharded against ``--shards N`` on the bundled sample with
the ``sarchat_blind`` baseline (no generation cost to speak of, so the difference is the price of
each extra lmms-eval start, its task loading and the merge), and a check that the metrics agree.

    python benchmarks/bench_shards.py              # N = 2 and 4
    python benchmarks/bench_shards.py --shards 8 --model sarchat_cfar
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ENV = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}


def _run(out: Path, model: str, *extra: str) -> float:
    command = [sys.executable, "-m", "sarchat_tasks.cli", "eval", "--model", model, "--tasks", "sarchat",
               "--output_path", str(out), *extra]  # fmt: skip
    started = time.perf_counter()
    done = subprocess.run(command, env=ENV, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"failed: {' '.join(command)}\n{done.stderr[-2000:]}")
    return elapsed


def _metrics(out: Path) -> dict:
    (found,) = out.glob("*_results.json")
    results = json.loads(found.read_text())["results"]
    return {t: {k: v for k, v in b.items() if "_stderr" not in k} for t, b in results.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shards", type=int, nargs="+", default=[2, 4])
    parser.add_argument("--model", default="sarchat_blind")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        base = _run(work / "unsharded", args.model)
        print(f"unsharded: {base:.1f} s")
        for count in args.shards:
            out = work / f"shards{count}"
            total = _run(out, args.model, "--shards", str(count))
            same = _metrics(out) == _metrics(work / "unsharded")
            started = time.perf_counter()
            _run(out, args.model, "--shards", str(count))  # all complete: skipped, merged again
            rerun = time.perf_counter() - started
            per_shard = (total - base) / (count - 1) if count > 1 else 0.0
            print(f"--shards {count}: {total:.1f} s, overhead {per_shard:.1f} s per extra shard; "
                  f"rerun with every shard complete {rerun:.1f} s; metrics equal: {same}")  # fmt: skip


if __name__ == "__main__":
    main()
