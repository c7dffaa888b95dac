"""``sarchat stats DIR``: the dataset tables of SARChat-Bench for a built or prepared set.

The paper (arXiv 2502.08168) describes its dataset in Table 1 (objects per category), Tables 2
and 4 (box aspect ratios, overall and per category) and Table 5 (records per task). A rebuilt set
can only be trusted as far as it can be compared with those numbers, so this command prints the
same tables for any set, next to the paper's numbers where they are known:

* Table 1 and Table 5 (test split): the paper's counts, from docs and the paper's tables
  (``PAPER_TEST_INSTANCES``, ``PAPER_TEST_TASKS``; the train total ``PAPER_TOTALS``);
* Tables 2 and 4: the paper's values are not among the paper figures this suite carries (Tables 1, 3 and 5), so only ours are
  printed, and the table says so.

The objects (Tables 1, 2, 4) are read from the grounding answers, which list every object of their
image once, in the SARChat box syntax; the task of a record comes from its official file name or,
in the mixed train file, from its question (``registry.task_of_question``). A prepared set
(``DIR/manifest.json``) is read from its rows, whose parsed references already hold the objects.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sarchat_tasks.errors import SarchatError
from sarchat_tasks.official import (
    OfficialFormatError,
    iter_file_records,
    parse_record,
    question_and_answer,
    task_of_file,
    task_of_question,
)
from sarchat_tasks.registry import TABLE5_ORDER, TASKS
from sarchat_tasks.report.tables import format_table
from sarchat_tasks.utils.answers import categorised_boxes
from sarchat_tasks.utils.vocabulary import CATEGORIES, SHAPE_WORDS, shape_word

# Paper Table 1: test objects per category.
PAPER_TEST_INSTANCES: dict[str, int] = {
    "ship": 10_741,
    "aircraft": 6_779,
    "car": 1_230,
    "tank": 1_773,
    "bridge": 3_281,
    "harbor": 399,
}
# Paper Table 5: test records per task (its 11,794 for counting is a typo: 11,704 makes the total).
PAPER_TEST_TASKS: dict[str, int] = {task: TASKS[task].paper_test_records for task in TABLE5_ORDER}
PAPER_TOTALS: dict[str, int] = {"test": 226_636, "train": 1_836_912}

# Boxes are in pixels; parse_boxes only needs a frame large enough not to call them absurd.
_PIXEL_FRAME = 1e9
_SPLIT_ORDER = ("test", "val", "train")


class StatsError(SarchatError):
    """A folder or file the statistics cannot be read from."""


@dataclass
class SplitStats:
    """Counts for one split: records per task and subset, objects per category, box aspect ratios."""

    records: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    objects: Counter = field(default_factory=Counter)
    ratios: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))

    def add_object(self, category: str, box: tuple[float, float, float, float] | list[float]) -> None:
        self.objects[category] += 1
        height = box[3] - box[1]
        if height > 0:
            self.ratios[category].append((box[2] - box[0]) / height)


# ---------------------------------------------------------------------------------------------
# Reading a set
# ---------------------------------------------------------------------------------------------


def split_of_file(path: Path) -> str:
    """``..._test.json`` -> test, ``SARChat_train.json`` -> train, ``SARChat_val.json`` -> val."""
    stem = path.stem.lower()
    for split in ("test", "train", "val"):
        if stem.endswith("_" + split) or stem == split:
            return split
    return stem


def _official_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.json") if p.name.startswith("SARChat_") or "sarchat" in p.name.lower())


def read_official(folder: Path) -> dict[str, SplitStats]:
    """Statistics of the official-format files in ``folder``."""
    files = _official_files(folder)
    if not files:
        raise StatsError(f"{folder}: no SARChat_*.json files")
    stats: dict[str, SplitStats] = defaultdict(SplitStats)
    for path in files:
        split = stats[split_of_file(path)]
        file_task, file_subset = task_of_file(path)
        seen = 0
        try:
            for index, raw in enumerate(iter_file_records(path)):
                seen += 1
                subset = file_subset or ""
                if file_task and file_task != "grounding":
                    if index == 0:
                        parse_record(raw, index, path)  # the file's format, checked on its first record
                    split.records[file_task][subset] += 1
                    continue
                question, answer = question_and_answer(raw, index, path)
                task = file_task or task_of_question(question)
                if task == "grounding":
                    objects = categorised_boxes(answer, _PIXEL_FRAME, _PIXEL_FRAME)
                    for item in objects:
                        if item.category is not None and item.box.valid:
                            split.add_object(item.category, item.box.coords)
                    if not file_subset:
                        subset = "multi" if len(objects) > 1 else "single"
                split.records[task][subset] += 1
        except (OfficialFormatError, ValueError, OSError) as exc:
            raise StatsError(f"{path}: {exc}") from exc
        if seen == 0 and file_task:
            split.records[file_task]  # an empty official file still shows its task, with 0 records
    return dict(stats)


def read_prepared(folder: Path) -> dict[str, SplitStats]:
    """Statistics of a prepared set (its rows are the test split)."""
    import pyarrow.parquet as pq

    from sarchat_tasks.prepared import PreparedSet, PreparedSetError

    try:
        manifest = PreparedSet(folder).manifest
    except PreparedSetError as exc:
        raise StatsError(str(exc)) from exc
    split = SplitStats()
    for task, info in manifest.get("tasks", {}).items():
        path = folder / info["file"]
        try:
            table = pq.read_table(path, columns=["subset", "reference"]).to_pydict()
        except Exception as exc:  # pyarrow raises several unrelated types for a bad file
            raise StatsError(f"{path}: cannot read the rows: {exc}") from exc
        for subset, reference in zip(table["subset"], table["reference"]):
            split.records[task][subset or ""] += 1
            if task == "grounding":
                for category, box in json.loads(reference)["objects"]:
                    split.add_object(category, box)
    return {"test": split}


def read_set(folder: Path) -> tuple[str, dict[str, SplitStats]]:
    """(what was read, statistics per split) for a built set (``DIR/official``), a folder of
    official files, or a prepared set."""
    folder = Path(folder)
    if not folder.is_dir():
        raise StatsError(f"{folder} is not a directory")
    if (folder / "official").is_dir() and _official_files(folder / "official"):
        return f"official files in {folder / 'official'}", read_official(folder / "official")
    if _official_files(folder):
        return f"official files in {folder}", read_official(folder)
    if (folder / "manifest.json").is_file():
        return f"prepared set {folder}", read_prepared(folder)
    raise StatsError(
        f"{folder}: neither a built set (official/), official SARChat files nor a prepared set (manifest.json)"
    )


# ---------------------------------------------------------------------------------------------
# Tables
# ---------------------------------------------------------------------------------------------


def ratio_summary(ratios: list[float]) -> dict[str, Any]:
    """Count, mean, standard deviation, min, quartiles, max of width/height ratios, and the share
    of each shape word (wide > 1.5, tall < 0.67, square between: utils/vocabulary.py)."""
    n = len(ratios)
    if n == 0:
        return {"count": 0}
    ordered = sorted(ratios)
    mean = math.fsum(ordered) / n
    variance = math.fsum((r - mean) ** 2 for r in ordered) / n

    def quantile(q: float) -> float:  # linear interpolation, as numpy's default
        position = q * (n - 1)
        low = math.floor(position)
        high = min(low + 1, n - 1)
        return ordered[low] + (ordered[high] - ordered[low]) * (position - low)

    shapes = Counter(shape_word(r, 1.0) for r in ordered)
    summary = {
        "count": n,
        "mean": mean,
        "std": math.sqrt(variance),
        "min": ordered[0],
        "p25": quantile(0.25),
        "median": quantile(0.5),
        "p75": quantile(0.75),
        "max": ordered[-1],
    }
    summary.update({f"{shape}_share": 100.0 * shapes[shape] / n for shape in SHAPE_WORDS})
    return summary


def compute_stats(folder: Path) -> dict[str, Any]:
    """The four tables as data (what ``--json`` prints)."""
    source, per_split = read_set(folder)
    splits = sorted(per_split, key=lambda s: (_SPLIT_ORDER.index(s) if s in _SPLIT_ORDER else 9, s))
    table1, table2, table4, table5 = {}, {}, {}, {}
    for split in splits:
        data = per_split[split]
        table1[split] = {c: data.objects[c] for c in CATEGORIES}
        table2[split] = ratio_summary([r for c in CATEGORIES for r in data.ratios.get(c, [])])
        table4[split] = {c: ratio_summary(data.ratios.get(c, [])) for c in CATEGORIES}
        table5[split] = {
            task: {"records": sum(data.records[task].values()), "subsets": dict(sorted(data.records[task].items()))}
            for task in TABLE5_ORDER
            if task in data.records
        }
    return {
        "source": source,
        "splits": splits,
        "table1_categories": table1,
        "table2_aspect_ratio": table2,
        "table4_aspect_ratio_by_category": table4,
        "table5_tasks": table5,
        "paper": {
            "table1_test_objects": PAPER_TEST_INSTANCES,
            "table5_test_records": PAPER_TEST_TASKS,
            "total_records": PAPER_TOTALS,
            "table2_table4": None,
        },
    }


def _n(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"


def _diff(ours: int, paper: int | None) -> str:
    if paper is None:
        return "-"
    percent = f" ({100.0 * (ours - paper) / paper:+.1f} %)" if paper else ""
    return f"{ours - paper:+,}{percent}"


def _ratio_row(label: str, summary: dict[str, Any]) -> list[str]:
    if not summary["count"]:
        return [label, "0"] + ["-"] * 10
    return [
        label,
        f"{summary['count']:,}",
        *(f"{summary[k]:.2f}" for k in ("mean", "std", "min", "p25", "median", "p75", "max")),
        *(f"{summary[f'{s}_share']:.1f}" for s in SHAPE_WORDS),
    ]


_RATIO_HEADER = ["", "objects", "mean", "std", "min", "p25", "median", "p75", "max", "wide %", "square %", "tall %"]


def format_stats(stats: dict[str, Any]) -> str:
    """The four tables as text, the paper's numbers beside ours where known."""
    splits = stats["splits"]
    out = [f"SARChat-Bench dataset statistics of {stats['source']}", ""]

    out.append("Table 1. Objects per category (read from the grounding answers)")
    header = ["category"]
    for split in splits:
        header += [split, f"{split} %"]
        if split == "test":
            header += ["paper test", "paper %", "test - paper"]
    rows = []
    totals = {split: sum(stats["table1_categories"][split].values()) for split in splits}
    paper_total = sum(PAPER_TEST_INSTANCES.values())
    for category in [*CATEGORIES, "total"]:
        row = [category]
        for split in splits:
            ours = totals[split] if category == "total" else stats["table1_categories"][split][category]
            row += [_n(ours), f"{100.0 * ours / totals[split]:.1f}" if totals[split] else "-"]
            if split == "test":
                paper = paper_total if category == "total" else PAPER_TEST_INSTANCES[category]
                row += [_n(paper), f"{100.0 * paper / paper_total:.1f}", _diff(ours, paper)]
        rows.append(row)
    out += [format_table(header, rows, markdown=False), ""]

    out.append("Table 2. Box aspect ratio (width / height), all objects")
    out.append(
        "  The paper's Table 2 values are not reproduced here (this suite carries the paper's Tables 1, 3 and 5 only)."
    )
    out.append(
        format_table(
            ["split", *_RATIO_HEADER[1:]],
            [_ratio_row(s, stats["table2_aspect_ratio"][s]) for s in splits],
            markdown=False,
        )
    )
    out.append("")

    out.append("Table 4. Box aspect ratio (width / height) by category")
    out.append(
        "  The paper's Table 4 values are not reproduced here (this suite carries the paper's Tables 1, 3 and 5 only)."
    )
    rows = [
        _ratio_row(f"{split} {category}", stats["table4_aspect_ratio_by_category"][split][category])
        for split in splits
        for category in CATEGORIES
    ]
    out += [format_table(["split category", *_RATIO_HEADER[1:]], rows, markdown=False), ""]

    out.append("Table 5. Records per task (subsets: multi / single)")
    header = ["task"]
    for split in splits:
        header += [split]
        if split == "test":
            header += ["subsets", "paper test", "test - paper"]
        if split == "train":
            header += ["paper train"]
    rows = []
    for task in [*TABLE5_ORDER, "total"]:
        row = [task]
        for split in splits:
            table = stats["table5_tasks"][split]
            if task == "total":
                ours = sum(v["records"] for v in table.values())
            else:
                ours = table.get(task, {}).get("records", 0)
            row.append(_n(ours))
            if split == "test":
                subsets = table.get(task, {}).get("subsets", {})
                row.append(
                    " / ".join(_n(subsets.get(s, 0)) for s in ("multi", "single")) if set(subsets) - {""} else ""
                )
                paper = PAPER_TOTALS["test"] if task == "total" else PAPER_TEST_TASKS[task]
                row += [_n(paper), _diff(ours, paper)]
            if split == "train":
                row.append(_n(PAPER_TOTALS["train"]) if task == "total" else "n/a")
        rows.append(row)
    out.append(format_table(header, rows, markdown=False))
    if "train" in splits:
        out.append("  The paper gives only the train total; its per-task train counts are unknown.")
    return "\n".join(out) + "\n"


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dir", type=Path, metavar="DIR",
                        help="a built set (sarchat build --out), a folder of official files, or a prepared set")  # fmt: skip
    parser.add_argument("--json", action="store_true", help="print the tables as JSON")


def run(args: argparse.Namespace) -> int:
    stats = compute_stats(args.dir)
    if args.json:
        json.dump(stats, sys.stdout, indent=2)
        print()
    else:
        sys.stdout.write(format_stats(stats))
        for task, reason in empty_tasks(args.dir).items():
            print(f"{task}: no records: {reason}")
    return 0


def empty_tasks(folder: Path) -> dict[str, str]:
    """Why each task a prepared or built set has no records for is empty (from its manifest)."""
    from sarchat_tasks.prepare import empty_task_reasons
    from sarchat_tasks.prepared import PreparedSet, PreparedSetError

    if not (Path(folder) / "manifest.json").is_file():
        return {}
    try:
        return empty_task_reasons(PreparedSet(folder).manifest)
    except PreparedSetError:
        return {}
