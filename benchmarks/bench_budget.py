"""Benchmark: the generation budget of the suite against the original 2048 tokens per record.

Why it matters: a model that does not stop (a runaway generation, or any small or random model)
writes until ``max_new_tokens``, so the budget bounds the cost of a run. The SARChat authors ran
inference with ``max_new_tokens`` 2048 for every record; this suite gives each task a budget
derived from its longest reference answer (``sarchat_tasks.task_folder.generation_budget``: the
longest reference in estimated tokens, plus 25 % and 16, rounded up to 16).

Printed:

1. the worst case at the official test sizes (226,636 records): each task's budget times its size,
   with fixed budgets sized for 50 objects per image (``synthetic_responses.FIXED_BUDGETS``) and
   with the budgets a prepared set derives, against 2048 per record;
2. a real lmms-eval run of a tiny random Qwen2-VL (``tests/tiny_qwen2vl.py``; it never emits its
   end token) over the test fixture (``tests/official_fixture.py``), once with the budgets the
   prepared fixture derives and once with the packaged budgets: the tokens each record actually
   generated, counted exactly at ``model.generate`` and, as lmms-eval logs them, re-tokenised from
   the sample logs with the tiny tokenizer, against the budget. Every record stops at its budget.

Usage::

    python benchmarks/bench_budget.py                  # all of it (about 4 minutes on 2 cores)
    python benchmarks/bench_budget.py --no-run         # budgets only
    python benchmarks/bench_budget.py --data DIR       # budgets derived by an existing prepared set
    python benchmarks/bench_budget.py --derived-only   # the tiny-model run with derived budgets only
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))
for _name in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE"):
    os.environ[_name] = "1"

ORIGINAL_BUDGET = 2048


# ---------------------------------------------------------------------------------------------
# Budgets at the official sizes
# ---------------------------------------------------------------------------------------------


def derived_budgets(data: Path | None, seed: int) -> tuple[dict[str, int], str]:
    """Budgets a prepared set derives: read from ``data``'s manifest, or from the set ``sarchat
    build`` makes out of a synthetic SARDet-100K test split of the real size and object mix
    (``benchmarks/bench_build.py``'s generator: 11,613 images, 24,023 objects, up to dozens per
    image, which is what makes the long counting, grounding and referring answers)."""
    if data is not None:
        manifest = json.loads((data / "manifest.json").read_text(encoding="utf-8"))
        return {t: int(i["max_new_tokens"]) for t, i in manifest["tasks"].items()}, f"the manifest of {data}"
    from bench_build import SARDET_SIZES, write_synthetic

    from sarchat_tasks.build.pipeline import build

    work = Path(tempfile.mkdtemp(prefix="sarchat-bench-budget-build-"))
    try:
        images, objects = SARDET_SIZES["test"]
        write_synthetic(work / "sardet", "test", images, objects, seed, real_images=True)
        build(work / "sardet", work / "out", splits=["test"], seed=seed, log=lambda message: None)
        manifest = json.loads((work / "out" / "manifest.json").read_text(encoding="utf-8"))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    budgets = {t: int(i["max_new_tokens"]) for t, i in manifest["tasks"].items()}
    return budgets, f"`sarchat build` of a synthetic SARDet-100K test split ({manifest['records']:,} records)"


def print_suite_budgets(derived: dict[str, int], source: str) -> None:
    import synthetic_responses

    sizes = synthetic_responses.OFFICIAL_SIZES
    fixed = synthetic_responses.generation_budgets()
    total = sum(sizes.values())
    original = ORIGINAL_BUDGET * total
    print(f"worst case at the official test sizes ({total:,} records), tokens; derived from {source}")
    print(f"{'task':15s} {'records':>8s} {'fixed':>9s} {'x size':>13s} {'derived':>8s} {'x size':>13s} "
          f"{'2048 x size':>13s} {'fixed/2048':>13s} {'derived/2048':>12s}")  # fmt: skip
    sums = defaultdict(int)
    for task, size in sizes.items():
        p, d = fixed[task], derived.get(task, fixed[task])
        sums["fixed"] += p * size
        sums["derived"] += d * size
        print(f"{task:15s} {size:8,d} {p:9d} {p * size:13,d} {d:8d} {d * size:13,d} {ORIGINAL_BUDGET * size:13,d} "
              f"{p / ORIGINAL_BUDGET:13.3f} {d / ORIGINAL_BUDGET:12.3f}")  # fmt: skip
    print(f"{'total':15s} {total:8,d} {'':9s} {sums['fixed']:13,d} {'':8s} {sums['derived']:13,d} "
          f"{original:13,d} {sums['fixed'] / original:13.3f} {sums['derived'] / original:12.3f}")  # fmt: skip
    print(f"mean budget per record: fixed {sums['fixed'] / total:.0f}, derived {sums['derived'] / total:.0f}, "
          f"original {ORIGINAL_BUDGET}")  # fmt: skip


# ---------------------------------------------------------------------------------------------
# A tiny-model run over the fixture
# ---------------------------------------------------------------------------------------------


def tiny_run(work: Path, budgets: dict[str, int] | None) -> dict[str, Any]:
    """Run the tiny Qwen2-VL over the prepared fixture (``budgets`` None: the packaged ones)
    through lmms-eval; return per-record generated tokens, budgets and logged responses."""
    from lmms_eval.evaluator import simple_evaluate
    from lmms_eval.models.simple.qwen2_vl import Qwen2_VL
    from lmms_eval.tasks import TaskManager

    from sarchat_tasks.task_folder import write_task_folder

    write_task_folder(work / "prepared", budgets)
    lm = Qwen2_VL(pretrained=str(work / "model"), device="cpu", device_map="cpu", max_pixels=12544, batch_size=1)
    # (task, max_new_tokens, generated, stopped by the end token), one per record
    calls: list[tuple[str, int, int, int]] = []
    generate, generate_until = lm._model.generate, lm.generate_until
    eos = lm.tokenizer.eos_token_id
    current = [""]

    def counting_generate(*args, **kwargs):
        out = generate(*args, **kwargs)
        prompt = kwargs["input_ids"].shape[1]
        for row in out:
            new = row[prompt:]
            calls.append((current[0], int(kwargs["max_new_tokens"]), len(new), int((new == eos).any())))
        return out

    def one_by_one(requests: list) -> list:
        """The backend's own generate_until, one request at a time, so each count has its task."""
        answers = []
        for request in requests:
            current[0] = request.args[4]
            answers.extend(generate_until([request]))
        return answers

    lm._model.generate = counting_generate
    lm.generate_until = one_by_one
    started = time.perf_counter()
    results = simple_evaluate(
        model=lm, tasks=["sarchat"], task_manager=TaskManager(include_path=str(work / "prepared" / "tasks")),
        log_samples=True,
    )  # fmt: skip
    seconds = time.perf_counter() - started
    logged = {task: [s["filtered_resps"] for s in samples] for task, samples in results["samples"].items()}
    budgets_used = {
        task: results["configs"][task]["generation_kwargs"]["max_new_tokens"] for task in results["samples"]
    }
    return {"calls": calls, "logged": logged, "budgets": budgets_used, "seconds": seconds}


def print_tiny_run(label: str, run: dict[str, Any], tokenizer: Any) -> tuple[int, int]:
    calls = run["calls"]
    print(f"\ntiny Qwen2-VL over the fixture, {label}: {len(calls)} records in {run['seconds']:.1f} s")
    print(f"{'task':24s} {'records':>7s} {'budget':>6s} {'generated (min-max)':>20s} {'at budget':>9s} "
          f"{'end token':>9s} {'logged, re-tokenised (min-max)':>31s}")  # fmt: skip
    for task, budget in run["budgets"].items():
        mine = [call for call in calls if call[0] == task]
        logged = [len(tokenizer(_first(r), add_special_tokens=False)["input_ids"]) for r in run["logged"][task]]
        generated = [g for _, _, g, _ in mine]
        print(f"{task:24s} {len(mine):7d} {budget:6d} {f'{min(generated)}-{max(generated)}':>20s} "
              f"{sum(g == budget for g in generated):9d} {sum(e for _, _, _, e in mine):9d} "
              f"{f'{min(logged)}-{max(logged)}':>31s}")  # fmt: skip
    allowed = sum(b for _, b, _, _ in calls)
    generated = sum(g for _, _, g, _ in calls)
    at_budget = sum(g == b for _, b, g, _ in calls)
    print("(logged: the response as lmms-eval logs it, re-tokenised with the tiny byte-level tokenizer; its "
          "random bytes are mostly invalid UTF-8, each decoded to U+FFFD, 3 bytes, so this over-counts: the "
          "exact figure is the one counted at generate)")  # fmt: skip
    print(f"generated {generated:,} tokens of the {allowed:,} allowed ({generated / allowed:.3f}); "
          f"{at_budget} of {len(calls)} records cut at their budget; "
          f"with 2048 per record: {ORIGINAL_BUDGET * len(calls):,} ({generated / (ORIGINAL_BUDGET * len(calls)):.3f})")  # fmt: skip
    return generated, allowed


def _first(response: Any) -> str:
    return response[0] if isinstance(response, list) and response else str(response)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, help="a prepared set whose derived budgets to use")
    parser.add_argument("--no-run", action="store_true", help="budgets only, no tiny-model run")
    parser.add_argument("--derived-only", action="store_true", help="tiny-model run with derived budgets only")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    derived, source = derived_budgets(args.data, args.seed)
    print_suite_budgets(derived, source)
    if args.no_run:
        return 0

    from official_fixture import write_official_fixture
    from tiny_qwen2vl import build_tiny_qwen2vl
    from transformers import AutoTokenizer

    from sarchat_tasks.prepare import prepare

    work = Path(tempfile.mkdtemp(prefix="sarchat-bench-budget-"))
    try:
        files, images = write_official_fixture(work / "official")
        manifest = prepare(files, images, work / "prepared")
        build_tiny_qwen2vl(work / "model")
        tokenizer = AutoTokenizer.from_pretrained(str(work / "model"))
        fixture_budgets = {t: i["max_new_tokens"] for t, i in manifest["tasks"].items()}
        ok = True
        runs = [("budgets derived by the prepared fixture", fixture_budgets)]
        if not args.derived_only:
            runs.append(("packaged budgets", None))
        for label, budgets in runs:
            run = tiny_run(work, budgets)
            print_tiny_run(label, run, tokenizer)
            ok &= all(generated <= budget for _, budget, generated, _ in run["calls"])
        print("\nno record generated past its budget" if ok else "\nA RECORD GENERATED PAST ITS BUDGET")
        return 0 if ok else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
