"""The one table writer of the reports: Markdown (``sarchat report``, ``sarchat demo``) or aligned
plain text (``sarchat stats``), from a header and rows of cell strings."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def format_table(header: Sequence[str], rows: Sequence[Sequence[str]], *, text_columns: int = 1,
                 markdown: bool = True) -> str:  # fmt: skip
    """A table as one string without a final newline. The first ``text_columns`` columns are text
    (left-aligned); the rest are numbers (right-aligned: ``---:`` in Markdown, padded in text).
    Plain text pads every column to its widest cell and underlines the header with dashes."""
    if markdown:
        rule = "|" + "|".join("---" if i < text_columns else "---:" for i in range(len(header))) + "|"
        lines = ["| " + " | ".join(header) + " |", rule]
        lines += ["| " + " | ".join(cells) + " |" for cells in rows]
        return "\n".join(lines)
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        padded = (c.ljust(w) if i < text_columns else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths)))
        return "  ".join(padded).rstrip()

    return "\n".join([line(header), "  ".join("-" * w for w in widths), *(line(row) for row in rows)])


def table3_markdown(rows: Mapping[str, Mapping[str, Any]]) -> str:
    """Table 3 as Markdown from lmms-eval results files: one row per model (``{model: results}``),
    avg_score and the paper's columns that some run has (``n/a`` where another has no value)."""
    from sarchat_tasks.registry import TABLE3_COLUMNS

    flats = {}
    for model, results in rows.items():
        flat: dict[str, Any] = {}
        for task, metrics in (results.get("results") or {}).items():
            for key, value in metrics.items():
                name = key.split(",")[0]
                if name in TABLE3_COLUMNS or (task == "sarchat" and name == "avg_score"):
                    flat[name] = value
        flats[model] = flat
    columns = [
        c for c in ("avg_score", *TABLE3_COLUMNS) if any(isinstance(f.get(c), (int, float)) for f in flats.values())
    ]
    body = [
        [model, *(f"{flat[c]:.2f}" if isinstance(flat.get(c), (int, float)) else "n/a" for c in columns)]
        for model, flat in flats.items()
    ]
    return format_table(["model", *columns], body, text_columns=len(columns) + 1)
