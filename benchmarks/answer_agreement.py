"""Do the readers grade free-form answers as a careful human grader would? Agreement on the answer
corpus (tests/answer_corpus): hand-graded answers in the styles of public models, for all six
tasks and every model profile.

Each answer is scored through the real path: its record's reference answer parsed as
``sarchat prepare`` parses it (``registry.parse_reference``), the row built as a prepared row, and
``metrics.row_metrics`` run with the profile's box conventions and frame
(``registry.profile_conventions``). An entry agrees when every column of its task equals the
expected value (a share 0/1, a pooled [tp, fp, fn], None where the column does not apply).
Agreement is the share of entries that agree, overall, by task and by kind of answer.

Run: ``python benchmarks/answer_agreement.py [--show] [--min 97] [--json out.json]``; exits 1 when
the overall agreement is below ``--min`` (percent).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from answer_corpus import load_corpus

from sarchat_tasks.metrics import row_metrics
from sarchat_tasks.registry import TASKS, parse_reference, primary_category, profile_conventions

DEFAULT_MIN = 97.0


def read_columns(entry: dict[str, Any]) -> dict[str, Any]:
    """The task's columns for one entry's answer, as the scoring path computes them."""
    task = entry["task"]
    reference = parse_reference(task, entry["reference"], entry["width"], entry["height"], entry["question"])
    row = {
        "task": task,
        "subset": entry["subset"],
        "category": primary_category(task, reference),
        "reference": json.dumps(reference),
        "width": entry["width"],
        "height": entry["height"],
    }
    values = row_metrics(row, entry["answer"], profile_conventions(entry["profile"]))
    return {name: values[name] for name in TASKS[task].column_names}


def expected_columns(entry: dict[str, Any]) -> dict[str, Any]:
    """The expected value of every column of the entry's task (None where not given)."""
    return {name: entry["expected"].get(name) for name in TASKS[entry["task"]].column_names}


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, (list, tuple)) else value


def agreement(corpus: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Agreement overall, by task and by kind, with the disagreements (id, kind, expected, read)."""
    corpus = load_corpus() if corpus is None else corpus
    groups: dict[str, dict[str, list[int]]] = {"task": defaultdict(lambda: [0, 0]), "kind": defaultdict(lambda: [0, 0])}
    agreed = 0
    disagreements = []
    for entry in corpus:
        expected = expected_columns(entry)
        read = {name: _plain(value) for name, value in read_columns(entry).items()}
        ok = read == expected
        agreed += ok
        for key in ("task", "kind"):
            groups[key][entry[key]][0] += ok
            groups[key][entry[key]][1] += 1
        if not ok:
            differing = [name for name in expected if expected[name] != read[name]]
            disagreements.append({
                "id": entry["id"], "task": entry["task"], "kind": entry["kind"],
                "expected": {n: expected[n] for n in differing}, "read": {n: read[n] for n in differing},
            })  # fmt: skip
    return {
        "entries": len(corpus),
        "agreed": agreed,
        "agreement": 100.0 * agreed / len(corpus) if corpus else 0.0,
        **{
            f"by_{key}": {
                name: {"agreed": a, "entries": n, "agreement": 100.0 * a / n} for name, (a, n) in sorted(g.items())
            }
            for key, g in groups.items()
        },
        "disagreements": disagreements,
    }


def _print(result: dict[str, Any], show: bool) -> None:
    print(f"answer corpus: {result['agreed']} of {result['entries']} entries agree: {result['agreement']:.1f} %")
    for key in ("by_task", "by_kind"):
        print(f"\n{key.replace('_', ' ')}:")
        for name, g in result[key].items():
            print(f"  {name:<28} {g['agreed']:>4} / {g['entries']:<4} {g['agreement']:6.1f} %")
    if show and result["disagreements"]:
        print("\ndisagreements (expected -> read):")
        for d in result["disagreements"]:
            print(f"  {d['id']} [{d['kind']}]: {d['expected']} -> {d['read']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--show", action="store_true", help="list every disagreement")
    parser.add_argument("--min", type=float, default=DEFAULT_MIN, help="lowest agreement (%%) that passes")
    parser.add_argument("--json", type=Path, help="write the result as JSON to this file")
    args = parser.parse_args(argv)
    result = agreement()
    _print(result, args.show)
    if args.json:
        args.json.write_text(json.dumps(result, indent=1), encoding="utf-8")
    if result["agreement"] < args.min:
        print(f"\nagreement {result['agreement']:.1f} % is below --min {args.min:g} %", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
