"""Scoring throughput over a full-size synthetic test set (226,636 records), on one core.

Times what lmms-eval does with a finished run's responses: ``process_results`` per record, then
each metric's aggregation over the per-record values. Targets (docs/PERFORMANCE.md): the whole set
in under 10 s, and within 5x of the floor, a single compiled-regex scan of the same response texts
(every response must at least be read once). It also times the single-box records through
lmms-eval's own ``refcoco_grounding`` parsing and IoU, as a yardstick from the same framework.

Ratios do not depend on machine load the way seconds do; both are printed.

    python benchmarks/bench_scoring.py              # full size
    python benchmarks/bench_scoring.py --scale 0.1  # a tenth, for a quick look
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import json
import os
import re
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from synthetic_responses import OFFICIAL_SIZES, full_test_set

from sarchat_tasks.hooks import process_results
from sarchat_tasks.task_folder import read_task_yaml
from sarchat_tasks.utils import vocabulary

# The floor: one pass of one compiled pattern over every response (the numbers in it).
FLOOR_RE = re.compile(r"\d+")
TARGET_SECONDS = 10.0
TARGET_FLOOR_RATIO = 5.0


def pin_to_one_core() -> str:
    """Run on a single CPU so that the figure is a one-core figure on any machine."""
    try:
        cpu = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
        return f"cpu {cpu}"
    except (AttributeError, OSError):
        return "unpinned"


def aggregations() -> dict[str, Any]:
    """metric -> aggregation callable, read from the packaged template as lmms-eval reads it."""
    import sarchat_tasks.hooks as hooks
    from sarchat_tasks.task_folder import packaged_task_folder

    config = read_task_yaml(packaged_task_folder() / "_default_template_yaml", resolve_includes=True)
    return {m["metric"]: getattr(hooks, m["aggregation"].rsplit(".", 1)[1]) for m in config["metric_list"]}


def score_all(data: dict[str, list[dict[str, Any]]], aggs: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """process_results on every record, then every aggregation, per task: what lmms-eval runs."""
    results = {}
    for task, rows in data.items():
        per_metric: dict[str, list] = {}
        for row in rows:
            for name, value in process_results(row, [row["response"]]).items():
                per_metric.setdefault(name, []).append(value)
        results[task] = {name: aggs[name](values) for name, values in per_metric.items()}
    return results


def floor_scan(texts: list[str]) -> int:
    """One compiled-regex scan of every response; returns the numbers found (a checksum)."""
    found = 0
    for text in texts:
        found += len(FLOOR_RE.findall(text))
    return found


def vocabulary_scan(texts: list[str]) -> int:
    """A second, harder floor: one scan of every response with one of the scorer's own patterns
    (the identification attributes: cells, sizes, shapes, categories in one alternation), as the
    scorer runs it (``vocabulary.scan``)."""
    return sum(len(vocabulary.scan(vocabulary._ATTRIBUTES_SCAN, text)) for text in texts)


def load_refcoco_grounding():
    """lmms-eval's own refcoco_grounding utils module, loaded from the installed package."""
    import lmms_eval

    path = Path(lmms_eval.__file__).parent / "tasks" / "refcoco_grounding" / "utils.py"
    spec = importlib.util.spec_from_file_location("lmms_eval_refcoco_grounding_utils", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class _Size:
    """Stands in for the PIL image refcoco's process_results reads only ``.size`` from."""

    def __init__(self, width: int, height: int) -> None:
        self.size = (width, height)


def single_box_rows(data: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Records whose reference holds exactly one box (counting, grounding, referring)."""
    out = []
    for task in ("counting", "grounding", "referring"):
        for row in data[task]:
            ref = json.loads(row["reference"])
            boxes = [obj[1] for obj in ref["objects"]] if task == "grounding" else ref["boxes"]
            if len(boxes) == 1:
                out.append({**row, "_box": boxes[0]})
    return out


def refcoco_docs(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    docs = []
    for row in rows:
        x1, y1, x2, y2 = row["_box"]
        docs.append({"bbox": [x1, y1, x2 - x1, y2 - y1], "image": _Size(row["width"], row["height"]),
                     "answer": row["answer"], "question_id": row["id"], "response": row["response"]})  # fmt: skip
    return docs


def score_refcoco(module, docs: list[dict[str, Any]]) -> dict[str, float]:
    outputs = [module.refcoco_grounding_process_result(doc, [doc["response"]]) for doc in docs]
    return {m: module._aggregate([o[f"refcoco_grounding_{m}"] for o in outputs], m) for m in module._GROUNDING_METRICS}


def score_ours(rows: list[dict[str, Any]], aggs: dict[str, Any]) -> int:
    per_metric: dict[str, list] = {}
    for row in rows:
        for name, value in process_results(row, [row["response"]]).items():
            per_metric.setdefault(name, []).append(value)
    return len({name: aggs[name](values) for name, values in per_metric.items()})


def timed(fn, *args, repeat: int = 1) -> tuple[float, Any]:
    """Best wall time of ``repeat`` runs, with the garbage collector off as in timeit."""
    best, value = float("inf"), None
    for _ in range(repeat):
        gc.collect()
        gc.disable()
        try:
            start = time.perf_counter()
            value = fn(*args)
            best = min(best, time.perf_counter() - start)
        finally:
            gc.enable()
    return best, value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the official sizes (default 1)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=1, help="timed runs; the best is reported")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    pinned = pin_to_one_core()

    start = time.perf_counter()
    data = full_test_set(args.scale, args.seed)
    n = sum(len(rows) for rows in data.values())
    texts = [row["response"] for rows in data.values() for row in rows]
    chars = sum(len(t) for t in texts)
    print(f"generated {n:,} records ({chars / 1e6:.1f} M response characters) in {time.perf_counter() - start:.1f} s")
    aggs = aggregations()

    t_score, metrics = timed(score_all, data, aggs, repeat=args.repeat)
    t_floor, numbers = timed(floor_scan, texts, repeat=max(3, args.repeat))
    t_vocabulary, words = timed(vocabulary_scan, texts, repeat=max(3, args.repeat))
    single = single_box_rows(data)
    refcoco = load_refcoco_grounding()
    docs = refcoco_docs(single)
    t_ours_single, _ = timed(score_ours, single, aggs, repeat=args.repeat)
    t_refcoco, _ = timed(score_refcoco, refcoco, docs, repeat=args.repeat)

    figures = {
        "records": n,
        "official_records": sum(OFFICIAL_SIZES.values()),
        "response_chars": chars,
        "pinned": pinned,
        "score_seconds": round(t_score, 3),
        "score_us_per_record": round(1e6 * t_score / n, 2),
        "floor_seconds": round(t_floor, 3),
        "floor_numbers_found": numbers,
        "ratio_to_floor": round(t_score / t_floor, 2),
        "vocabulary_scan_seconds": round(t_vocabulary, 3),
        "ratio_to_vocabulary_scan": round(t_score / t_vocabulary, 2),
        "single_box_records": len(single),
        "single_box_ours_seconds": round(t_ours_single, 3),
        "single_box_refcoco_seconds": round(t_refcoco, 3),
        "ratio_ours_to_refcoco": round(t_ours_single / t_refcoco, 2),
        "avg_score": {task: round(m["avg_score"], 4) for task, m in metrics.items()},
    }
    # At a reduced --scale the verdict is for the full size, extrapolated by records.
    full_size = t_score * figures["official_records"] / n
    figures["score_seconds_full_size"] = round(full_size, 2)
    print(
        f"scoring (process_results + aggregation): {t_score:.2f} s, {figures['score_us_per_record']} us/record; "
        f"full size {full_size:.1f} s [target < {TARGET_SECONDS:.0f} s: {'met' if full_size < TARGET_SECONDS else 'MISSED'}]"
    )
    print(
        f"floor (one regex scan, {numbers:,} numbers): {t_floor:.3f} s; scoring / floor = "
        f"{figures['ratio_to_floor']}x [target <= {TARGET_FLOOR_RATIO:.0f}x: "
        f"{'met' if figures['ratio_to_floor'] <= TARGET_FLOOR_RATIO else 'MISSED'}]"
    )
    print(
        f"one vocabulary-pattern scan ({words:,} words): {t_vocabulary:.3f} s; scoring / that scan = "
        f"{figures['ratio_to_vocabulary_scan']}x"
    )
    print(
        f"single-box records ({len(single):,}): ours {t_ours_single:.3f} s (all metrics), lmms-eval refcoco_grounding "
        f"{t_refcoco:.3f} s; ours / refcoco = {figures['ratio_ours_to_refcoco']}x"
    )
    print("avg_score per task (a checksum of the inputs): " + json.dumps(figures["avg_score"]))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
