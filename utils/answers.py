"""Reading SARChat answers into structures: counts, categorised boxes, description items, attributes.

The same readers parse reference answers (once, when a test set is prepared) and model answers
(per sample), so a reference fed back as a response always reads back to itself. Each reader
returns an empty structure rather than raising: model output is untrusted input.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import NamedTuple

from .boxes import ParsedBox, parse_boxes
from .vocabulary import (
    _CATEGORY_ALTERNATION,
    NUMBER_WORDS,
    find_attributes,
    find_categories,
    find_cells,
    fold,
    lowercase_twin,
    scan,
)

# "There are 4 instances", "There is one ship", "3 objects", "two small tanks". The first match wins.
_NUMBER = r"(?P<n>\d+|" + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True)) + r")"
_COUNTED = r"(?:instances?|objects?|targets?|items?|" + _CATEGORY_ALTERNATION + r")"
_COUNT_RE = re.compile(
    r"\bthere\s+(?:are|is|were|was)\s+" + _NUMBER + r"\b"
    r"|\b" + _NUMBER.replace("?P<n>", "?P<m>") + r"\s+(?:[a-z]+[\s-]+)?" + _COUNTED + r"\b",
    re.IGNORECASE,
)
_COUNT_RE_LOWER = lowercase_twin(_COUNT_RE)
MAX_COUNT_DIGITS = 9  # a longer digit string is a stated count no image can have


def stated_count(text: str) -> int | None:
    """The count the text states (digits or number words, ``no`` = 0), or None.

    ``a``/``an`` count as one only after "there is" ("There is a ship"), never in "3 a ..." forms.
    A digit string longer than ``MAX_COUNT_DIGITS`` states a count of -1, which equals no reference.
    """
    for m in scan(_COUNT_RE, _COUNT_RE_LOWER, text):
        word = fold(m.group("n") or m.group("m"))
        if m.group("m") is not None and word in ("a", "an", "no"):
            continue  # "a ship", "no ships" mid-sentence are not counts of the answer
        if word.isdigit():
            return int(word) if len(word) <= MAX_COUNT_DIGITS else -1
        return NUMBER_WORDS[word]
    return None


class CategorisedBox(NamedTuple):
    """A box with the category the answer gives it (None when no category word precedes it)."""

    category: str | None
    box: ParsedBox


_JSON_LABEL_RE = re.compile(r"[\"'](?:label|category|class|name)[\"']\s*:\s*[\"']([^\"']{0,64})[\"']", re.IGNORECASE)
_JSON_WINDOW = 200


def categorised_boxes(
    text: str, width: float, height: float, conventions: Mapping[str, str] | None = None
) -> list[CategorisedBox]:
    """Every box with its category: the last category word before the box. A JSON box takes the
    ``label`` of its own object instead, since JSON answers name the label after the box."""
    boxes = parse_boxes(text, width, height, conventions)
    if not boxes:
        return []
    mentions = find_categories(text)
    out = []
    k = 0
    current = None
    for box in boxes:
        while k < len(mentions) and mentions[k].start < box.start:
            current = mentions[k].value
            k += 1
        category = current
        if box.syntax == "json":
            category = _json_label(text, box) or category
        out.append(CategorisedBox(category, box))
    return out


def _json_label(text: str, box: ParsedBox) -> str | None:
    open_at = text.rfind("{", max(0, box.start - _JSON_WINDOW), box.start)
    close_at = text.find("}", box.end, box.end + _JSON_WINDOW)
    window = text[open_at if open_at >= 0 else box.start : close_at if close_at >= 0 else box.end]
    for m in _JSON_LABEL_RE.finditer(window):
        cats = find_categories(m.group(1))
        if cats:
            return cats[0].value
    return None


# Description clauses end at sentence punctuation or at a capitalised word that starts a new clause
# without a period ("...of the image There is...", "...of the image A small ship..."), as SARChat
# references write them. Commas and
# "and" do not end a clause: "two ships, one in the top left and one ..." keeps its cells.
_CLAUSE_SPLIT_RE = re.compile(r"[.;:!?\n]+|\s(?=[A-Z][a-z]|A\s)")


def description_items(text: str) -> list[tuple[str, str | None]]:
    """(category, cell) for every category word: within a clause the k-th category word takes the
    k-th cell phrase (the last one when the clause has fewer), None when the clause has none."""
    items: list[tuple[str, str | None]] = []
    for clause in _CLAUSE_SPLIT_RE.split(text):
        cats = find_categories(clause)
        if not cats:
            continue
        cells = find_cells(clause)
        for i, cat in enumerate(cats):
            cell = cells[min(i, len(cells) - 1)].value if cells else None
            items.append((cat.value, cell))
    return items


ATTRIBUTES: tuple[str, ...] = ("cell", "size", "category", "shape")


def stated_attributes(text: str) -> dict[str, set[str]]:
    """The distinct values the text states for each identification attribute."""
    return find_attributes(text)
