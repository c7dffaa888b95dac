"""Benchmark: training throughput and peak memory of ``sarchat finetune`` on the tiny model.

Why it matters: batching with padding and gradient checkpointing are what make the paper's 1.84 M
training records affordable; this measures what each costs and gives on the tiny random Qwen2-VL
(``sarchat tiny-model``) and a synthetic SARDet-100K tree, offline, on whatever device torch sees.
The tiny model's figures say how the trainer's overhead scales with the batch, not what a 7B model
does on a GPU (docs/FINETUNE.md keeps those as estimates).

For each batch size (1, 4, 16) with and without gradient checkpointing, a fresh process runs
``sarchat finetune`` for ``--steps`` optimizer steps of one batch each (no accumulation, no
validation) and prints:

* records/s: records trained / seconds of ``trainer.train`` (the first step included);
* peak memory: the process's peak resident set (CPU), or torch's peak allocated memory (GPU), and
  the growth over the same process before the run, torch imported (the model, the batch, the
  activations: what the batch size and checkpointing change).

Usage::

    python benchmarks/bench_finetune.py                 # all six runs (about 5 minutes on 2 cores)
    python benchmarks/bench_finetune.py --threads 1      # one torch thread (a crowded machine)
    python benchmarks/bench_finetune.py --steps 3 --batch-sizes 1,4
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

OFFLINE = {"HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}


def prepare(base: Path) -> tuple[Path, Path]:
    """Synthetic tree, build, training data with no validation slice, tiny model."""
    from sarchat_tasks.cli import main

    quiet = ["--images", "8", "--seed", "0", "--splits", "train:3,test:1", "--max-size", "400"]
    assert main(["synth", "--out", str(base / "sardet"), *quiet]) == 0
    assert main(["build", str(base / "sardet"), "--out", str(base / "build"), "--splits", "train,test"]) == 0
    assert main(["train-data", str(base / "build"), "--out", str(base / "data"), "--val-images", "0"]) == 0
    assert main(["tiny-model", "--out", str(base / "tiny")]) == 0
    return base / "tiny", base / "data"


def one(model: str, data: str, out: str, batch: int, checkpointing: bool, steps: int, threads: int) -> dict:
    """One run in this process: records/s and peak memory."""
    import torch

    if threads:
        torch.set_num_threads(threads)

    from sarchat_tasks.train.loop import FinetuneOptions, finetune

    options = FinetuneOptions(
        batch_size=batch,
        grad_accum=1,
        max_steps=steps,
        gradient_checkpointing=checkpointing,
        save_steps=10**9,
        max_pixels=12544,
        max_length=2048,
        merge=False,
    )
    cuda = torch.cuda.is_available()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # MiB (Linux: KiB)
    if cuda:
        torch.cuda.reset_peak_memory_stats()
    summary = finetune(model, data, out, options)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result = {
        "batch": batch,
        "checkpointing": checkpointing,
        "device": summary["device"],
        "threads": torch.get_num_threads(),
        "records": steps * batch,
        "seconds": summary["seconds"],
        "records_per_s": round(steps * batch / summary["seconds"], 2),
        "peak_rss_mib": round(peak, 1),
        "rss_growth_mib": round(peak - before, 1),
    }
    if cuda:
        result["peak_gpu_mib"] = round(torch.cuda.max_memory_allocated() / 2**20, 1)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--batch-sizes", default="1,4,16")
    parser.add_argument("--threads", type=int, default=0,
                        help="torch CPU threads (default: torch's; 1 measures the trainer, not a crowded machine)")  # fmt: skip
    parser.add_argument(
        "--one", nargs=5, metavar=("MODEL", "DATA", "OUT", "BATCH", "CHECKPOINTING"), help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    if args.one:
        model, data, out, batch, checkpointing = args.one
        print(json.dumps(one(model, data, out, int(batch), checkpointing == "1", args.steps, args.threads)))
        return 0
    with tempfile.TemporaryDirectory(prefix="bench-finetune-") as tmp:
        base = Path(tmp)
        with contextlib.redirect_stdout(sys.stderr):  # the table alone on stdout
            model, data = prepare(base)
        rows = []
        for batch in [int(b) for b in args.batch_sizes.split(",")]:
            for checkpointing in (False, True):
                out = base / f"ft-{batch}-{int(checkpointing)}"
                command = [sys.executable, __file__, "--steps", str(args.steps), "--threads", str(args.threads),
                           "--one", str(model), str(data), str(out), str(batch), str(int(checkpointing))]  # fmt: skip
                done = subprocess.run(command, env={**os.environ, **OFFLINE}, capture_output=True, text=True)
                if done.returncode != 0:
                    print(done.stderr[-3000:], file=sys.stderr)
                    return 1
                rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
                print(json.dumps(rows[-1]), file=sys.stderr)
    gpu = "peak_gpu_mib" in rows[0]
    print(f"sarchat finetune, tiny Qwen2-VL, {args.steps} steps of one batch, device {rows[0]['device']}, "
          f"{rows[0]['threads']} torch thread(s)")  # fmt: skip
    header = "| batch | gradient checkpointing | records/s | peak RSS MiB | RSS growth MiB |" + (
        " peak GPU MiB |" if gpu else ""
    )
    print(header)
    print("|" + "---:|" * (header.count("|") - 1))
    for r in rows:
        cells = [r["batch"], "on" if r["checkpointing"] else "off", r["records_per_s"], r["peak_rss_mib"],
                 r["rss_growth_mib"]] + ([r["peak_gpu_mib"]] if gpu else [])  # fmt: skip
        print("| " + " | ".join(str(c) for c in cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
