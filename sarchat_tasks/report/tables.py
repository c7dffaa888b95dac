"""The one table writer of the reports: Markdown (``sarchat report``, ``sarchat demo``) or aligned
plain text (``sarchat stats``), from a header and rows of cell strings."""

from __future__ import annotations

from collections.abc import Sequence


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
