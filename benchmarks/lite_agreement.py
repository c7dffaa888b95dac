"""How well does SARChat-Bench lite agree with the full test set? A simulation, no images needed.

Why a simulation: the official test files are not public (SARCHAT.md), so the check cannot run on
real model outputs. Instead it builds full-size test sets with the official per-file sizes, draws
per-sample outcomes for simulated models, scores the full set and the lite subset that
``sarchat_tasks.lite.select_lite`` picks from it, and measures

* the rank agreement of lite and full scores across models (``scipy.stats.spearmanr``,
  ``kendalltau``), for the avg score and each task score, over several simulated replicates;
* the width of each Table 3 column's 95 % interval at lite size (and at full size), by bootstrap.

Two panels of models: ``paper`` (the 16 models of Table 3, each column's rate set to the paper's
value, so the models are as close together as the paper's), and ``spread`` (12 models of evenly
spread skill around the paper's mean rates). Outcomes share a per-sample difficulty, so a sample
that is hard for one model is hard for all, and crowded scenes are harder; a pooled column draws
``k`` objects per sample, each found with a probability tuned so that TP / (TP + FP + FN) has the
target rate (a missed object costs one FP and one FN).

Assumptions (no source gives them; see docs/LITE.md): the multi/single split of the two-file tasks,
the object-count distributions, and 16 records with a relation sentence (the paper's abstract
position values are multiples of 1/16, 1/14, 1/8 and 1/7).

Run: ``python benchmarks/lite_agreement.py [--replicates 50] [--seed 0] [--json out.json]``
(about half a minute on one CPU core).
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
import time
from importlib.resources import files
from typing import Any

import numpy as np
from scipy.stats import kendalltau, spearmanr

from sarchat_tasks.lite import select_lite
from sarchat_tasks.registry import COLUMN_BY_NAME, TABLE3_COLUMNS, TASKS
from sarchat_tasks.scoring import POOLED

# Official test records per file (SARCHAT.md). Two-file tasks are split by an assumed share:
# grounding and referring records of one object are the majority (2.07 instances per SARDet-100K
# test image); identification records follow instances, most of which lie in crowded images.
TASK_SIZES = {"counting": 11_704, "grounding": 11_608, "identification": 175_565, "referring": 11_703,
              "description": 6_032, "classification": 10_024}  # fmt: skip
MULTI_SHARE = {"grounding": 0.4, "referring": 0.4, "identification": 0.7}
OFFICIAL_FILE = {"counting": "SARChat_classify_count_test", "grounding": "SARChat_classify_grounding_{}_test",
                 "identification": "SARChat_classify_identify_{}_test", "referring": "SARChat_classify_refer_{}_test",
                 "description": "SARChat_describe_test", "classification": "SARChat_classify_test"}  # fmt: skip
RELATION_RECORDS = 16
# Test instances per category (paper Table 1): the category mix of every simulated file.
CATEGORY_WEIGHTS = {"ship": 10_741, "aircraft": 6_779, "car": 1_230, "tank": 1_773, "bridge": 3_281, "harbor": 399}
DIFFICULTY_SD = 1.0  # spread of the per-sample difficulty shared by all models (logit scale)
CROWD_EFFECT = 0.3  # logit penalty per doubling of the objects in a sample
CONFIDENCE = 0.95


def paper_models() -> dict[str, dict[str, float]]:
    """Table 3 rates (0-1) of the paper's 16 models, clipped away from 0 and 1."""
    path = files("sarchat_tasks") / "data" / "paper_table3.csv"
    with path.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return {row["model"]: {c: min(0.99, max(0.01, float(row[c]) / 100.0)) for c in TABLE3_COLUMNS} for row in rows}


def spread_models(paper: dict[str, dict[str, float]], n: int = 12) -> dict[str, dict[str, float]]:
    """``n`` models whose logit rate is the paper mean's plus a skill from -1.5 to 1.5."""
    mean = {c: float(np.mean([m[c] for m in paper.values()])) for c in TABLE3_COLUMNS}
    skills = np.linspace(-1.5, 1.5, n)
    return {f"skill{s:+.2f}": {c: _sigmoid(_logit(mean[c]) + s) for c in TABLE3_COLUMNS} for s in skills}


def _logit(p: float) -> float:
    return math.log(p / (1.0 - p))


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _objects(task: str, subset: str, n: int, rng: np.random.Generator) -> np.ndarray:
    """Objects per record: one for single files and identification, a geometric count otherwise."""
    if subset == "single" or task == "identification":
        return np.ones(n, dtype=np.int64)
    if task == "classification":
        return 1 + rng.binomial(1, 0.25, n)
    if subset == "multi":
        return 2 + rng.geometric(0.4, n) - 1
    return rng.geometric(0.45, n)


def simulated_test_set(rng: np.random.Generator) -> dict[str, dict[str, Any]]:
    """Per file ``task/subset``: rows (for ``select_lite``), object counts and difficulties."""
    categories = list(CATEGORY_WEIGHTS)
    weights = np.array(list(CATEGORY_WEIGHTS.values()), dtype=float)
    weights /= weights.sum()
    out: dict[str, dict[str, Any]] = {}
    for task in TASKS:
        if task in MULTI_SHARE:
            multi = round(TASK_SIZES[task] * MULTI_SHARE[task])
            parts = {"multi": multi, "single": TASK_SIZES[task] - multi}
        else:
            parts = {"": TASK_SIZES[task]}
        for subset, n in parts.items():
            stem = OFFICIAL_FILE[task].format(subset)
            k = _objects(task, subset, n, rng)
            category = rng.choice(len(categories), size=n, p=weights)
            relation = np.zeros(n, dtype=bool)
            if task == "grounding" and subset == "multi":
                relation[rng.choice(n, RELATION_RECORDS, replace=False)] = True
            rows = []
            for i in range(n):
                reference: dict[str, Any] = {"count": int(k[i]), "boxes": [0] * int(k[i]),
                                             "objects": [0] * int(k[i]), "categories": [0] * int(k[i])}  # fmt: skip
                if relation[i]:
                    reference["relations"] = [["ship", "harbor", "far"]]
                rows.append({"id": f"{stem}:{i}", "task": task, "subset": subset,
                             "category": categories[category[i]], "reference": reference, "_index": i})  # fmt: skip
            difficulty = rng.normal(0.0, DIFFICULTY_SD, n) + CROWD_EFFECT * np.log2(k)
            out[f"{task}/{subset}" if subset else task] = {
                "task": task, "subset": subset, "rows": rows, "k": k, "difficulty": difficulty, "relation": relation,
            }  # fmt: skip
    return out


def redraw_difficulty(test_set: dict[str, dict[str, Any]], rng: np.random.Generator) -> None:
    """New per-sample difficulties (a new draw of which samples are hard), same records."""
    for file in test_set.values():
        file["difficulty"] = rng.normal(0.0, DIFFICULTY_SD, len(file["k"])) + CROWD_EFFECT * np.log2(file["k"])


def file_columns(task: str, subset: str) -> list[str]:
    """The Table 3 columns a file's records are scored in."""
    return [c.name for c in TASKS[task].table_columns if (c.subset is None or c.subset == subset)]


def simulate_outcomes(test_set, rates: dict[str, float], rng: np.random.Generator) -> dict[str, dict[str, np.ndarray]]:
    """Per file and column: a share column's 0/1 per record, a pooled column's (tp, fp + fn)."""
    out: dict[str, dict[str, np.ndarray]] = {}
    for name, file in test_set.items():
        k, difficulty = file["k"], file["difficulty"]
        columns: dict[str, np.ndarray] = {}
        for column in file_columns(file["task"], file["subset"]):
            rate = rates[column]
            if COLUMN_BY_NAME[column].kind == POOLED:
                found = 2 * rate / (1 + rate)  # per-object success giving TP / (TP + FP + FN) = rate
                tp = rng.binomial(k, _sigmoid(_logit(found) - difficulty))
                columns[column] = np.stack([tp, 2 * (k - tp)], axis=1)
            else:
                values = rng.random(len(k)) < _sigmoid(_logit(rate) - difficulty)
                if column == "grounding_abstract_position":
                    values = np.where(file["relation"], values, -1)  # -1: not scored for this column
                columns[column] = values.astype(np.int64)
        out[name] = columns
    return out


def _column_value(kind: str, values: np.ndarray) -> float | None:
    if kind == POOLED:
        total = values.sum()
        return None if total == 0 else 100.0 * values[:, 0].sum() / total
    applicable = values[values >= 0]
    return None if len(applicable) == 0 else 100.0 * applicable.mean()


def scores(test_set, outcomes, selection: dict[str, np.ndarray] | None) -> dict[str, float]:
    """Table 3 columns, task scores a_t (eq. 5) and avg_score (eq. 4) on all records or a selection."""
    gathered: dict[str, list[np.ndarray]] = {}
    sizes: dict[str, int] = {}
    for name, file in test_set.items():
        index = selection[name] if selection is not None else slice(None)
        for column, values in outcomes[name].items():
            gathered.setdefault(column, []).append(values[index])
        sizes[file["task"]] = sizes.get(file["task"], 0) + len(file["k"][index])
    result = {c: _column_value(COLUMN_BY_NAME[c].kind, np.concatenate(v)) for c, v in gathered.items()}
    for task in TASKS:
        values = [result[c.name] for c in TASKS[task].table_columns if result.get(c.name) is not None]
        result[task] = sum(values) / len(values)
    result["avg_score"] = sum(result[t] * sizes[t] for t in TASKS) / sum(sizes.values())
    return result


def lite_selection(test_set) -> dict[str, np.ndarray]:
    """The record indices ``select_lite`` keeps, per file."""
    return {name: np.array([row["_index"] for row in select_lite(file["rows"])]) for name, file in test_set.items()}


def bootstrap_width(kind: str, values: np.ndarray, rng: np.random.Generator, draws: int = 1000) -> float:
    """Width (percentage points) of the central 95 % bootstrap interval of a column's score."""
    if kind != POOLED:
        values = values[values >= 0]
    n = len(values)
    if n == 0:
        return math.nan
    picks = rng.integers(0, n, size=(draws, n))
    if kind == POOLED:
        tp = values[:, 0][picks].sum(axis=1)
        total = values.sum(axis=1)[picks].sum(axis=1)
        estimates = 100.0 * tp / np.maximum(total, 1)
    else:
        estimates = 100.0 * values[picks].mean(axis=1)
    low, high = np.quantile(estimates, [(1 - CONFIDENCE) / 2, (1 + CONFIDENCE) / 2])
    return float(high - low)


def agreement(panel: dict[str, dict[str, float]], replicates: int, seed: int) -> dict[str, dict[str, list[float]]]:
    """Spearman rho and Kendall tau of lite against full scores, per replicate, per score."""
    names = ["avg_score", *TASKS]
    out: dict[str, dict[str, list[float]]] = {n: {"spearman": [], "kendall": [], "max_abs_diff": []} for n in names}
    test_set = simulated_test_set(np.random.default_rng([seed, 20_000]))
    selection = lite_selection(test_set)  # fixed, as the lite subset is; outcomes vary per replicate
    for replicate in range(replicates):
        rng = np.random.default_rng([seed, replicate])
        redraw_difficulty(test_set, rng)
        full, lite = {}, {}
        for model, rates in panel.items():
            outcomes = simulate_outcomes(test_set, rates, rng)
            full[model], lite[model] = scores(test_set, outcomes, None), scores(test_set, outcomes, selection)
        for name in names:
            a = [full[m][name] for m in panel]
            b = [lite[m][name] for m in panel]
            out[name]["spearman"].append(float(spearmanr(a, b).statistic))
            out[name]["kendall"].append(float(kendalltau(a, b).statistic))
            out[name]["max_abs_diff"].append(float(np.max(np.abs(np.subtract(a, b)))))
    return out


def interval_widths(panel: dict[str, dict[str, float]], seed: int) -> list[dict[str, Any]]:
    """Per Table 3 column: records at full and lite size and the 95 % interval width at both,
    for the panel's median model of that column."""
    rng = np.random.default_rng([seed, 10_000])
    test_set = simulated_test_set(rng)
    selection = lite_selection(test_set)
    rows = []
    for column in TABLE3_COLUMNS:  # one model per column, at the panel's median rate
        rate = float(np.median([rates[column] for rates in panel.values()]))
        rates = dict.fromkeys(TABLE3_COLUMNS, rate)
        outcomes = simulate_outcomes(test_set, rates, rng)
        full_values = [o[column] for o in outcomes.values() if column in o]
        lite_values = [outcomes[n][column][selection[n]] for n in test_set if column in outcomes[n]]
        full_v, lite_v = np.concatenate(full_values), np.concatenate(lite_values)
        kind = COLUMN_BY_NAME[column].kind
        count = (lambda v: len(v)) if kind == POOLED else (lambda v: int((v >= 0).sum()))
        rows.append({
            "column": column, "kind": kind, "median_rate": 100 * rate,
            "full_records": count(full_v), "lite_records": count(lite_v),
            "full_width": bootstrap_width(kind, full_v, rng), "lite_width": bootstrap_width(kind, lite_v, rng),
        })  # fmt: skip
    return rows


def lite_sizes(seed: int) -> list[dict[str, Any]]:
    test_set = simulated_test_set(np.random.default_rng([seed, 20_000]))
    selection = lite_selection(test_set)
    return [{"file": n, "full": len(f["k"]), "lite": len(selection[n])} for n, f in test_set.items()]


def _summary(values: list[float]) -> str:
    return f"{np.median(values):.3f} (min {np.min(values):.3f})"


def report(result: dict[str, Any]) -> str:
    """The Markdown tables docs/LITE.md quotes."""
    lines = ["### Lite size per file", "", "| file | full | lite | share |", "|---|---:|---:|---:|"]
    for row in result["sizes"]:
        lines.append(f"| {row['file']} | {row['full']:,} | {row['lite']:,} | {100 * row['lite'] / row['full']:.2f} % |")
    total_full = sum(r["full"] for r in result["sizes"])
    total_lite = sum(r["lite"] for r in result["sizes"])
    lines.append(f"| **all** | {total_full:,} | {total_lite:,} | {100 * total_lite / total_full:.2f} % |")
    for panel, data in result["agreement"].items():
        lines += ["", f"### Rank agreement, panel `{panel}` ({result['panel_sizes'][panel]} models, "
                  f"{result['replicates']} replicates): median (min)", "",
                  "| score | Spearman rho | Kendall tau | max abs diff (points) |", "|---|---|---|---|"]  # fmt: skip
        for name, values in data.items():
            lines.append(f"| {name} | {_summary(values['spearman'])} | {_summary(values['kendall'])} | "
                         f"{np.median(values['max_abs_diff']):.2f} (max {np.max(values['max_abs_diff']):.2f}) |")  # fmt: skip
    lines += ["", "### 95 % interval width per column (bootstrap, panel `paper` median rate)", "",
              "| column | kind | target rate % | full records | lite records | full width | lite width |",
              "|---|---|---:|---:|---:|---:|---:|"]  # fmt: skip
    for row in result["widths"]:
        lines.append(f"| {row['column']} | {row['kind']} | {row['median_rate']:.1f} | {row['full_records']:,} | "
                     f"{row['lite_records']:,} | {row['full_width']:.2f} | {row['lite_width']:.2f} |")  # fmt: skip
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, default=50, help="simulated test sets per panel")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", help="also write the raw figures here")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    paper = paper_models()
    panels = {"paper": paper, "spread": spread_models(paper)}
    result: dict[str, Any] = {
        "replicates": args.replicates,
        "seed": args.seed,
        "panel_sizes": {name: len(models) for name, models in panels.items()},
        "sizes": lite_sizes(args.seed),
        "agreement": {name: agreement(models, args.replicates, args.seed) for name, models in panels.items()},
        "widths": interval_widths(paper, args.seed),
    }
    print(report(result))
    print(f"\n({time.perf_counter() - started:.0f} s)", file=sys.stderr)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(result, handle, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
