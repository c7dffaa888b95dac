"""Reading SARChat answers into structures: counts, categorised boxes, description items, attributes.

The same readers parse reference answers (once, when a test set is prepared) and model answers
(per sample), so a reference fed back as a response always reads back to itself. Each reader
returns an empty structure rather than raising: model output is untrusted input. Every rule is
written out in docs/METRICS.md.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import NamedTuple

from .boxes import ParsedBox, parse_boxes
from .vocabulary import (
    _WORD_TO_CATEGORY,
    NUMBER_WORDS,
    TENS_WORDS,
    UNIT_WORDS,
    find_affirmed_categories,
    find_attributes,
    find_categories,
    find_cells,
    fold,
    is_negated,
    negation_of,
)

# ---------------------------------------------------------------------------------------------
# Counting: the count of the queried category (docs/METRICS.md, "Counting").
# ---------------------------------------------------------------------------------------------

MAX_COUNT_DIGITS = 9  # a longer digit string is a stated count no image can have
WRONG_COUNT = -1  # the value of a count no reference has: an impossible number or a hedge
_TOKEN_RE = re.compile(r"\n|[0-9]+|[a-z]+(?:['\u2019][a-z]+)?|[^\sa-z0-9]")
_SENTENCE_END = frozenset({".", "!", "?", ";", "\n"})
_GENERIC_NOUNS = frozenset({"instance", "instances", "object", "objects", "target", "targets", "item", "items"})
# Words that end the modifiers between a number and its noun: "one in the top left" is no count.
_NOT_MODIFIERS = frozenset({"of", "the", "in", "on", "at", "and", "or", "but", "with", "to", "from", "is", "are",
                            "was", "were", "be", "that", "this", "which", "it", "its", "them", "they", "there",
                            "here", "i", "we", "you", "he", "she", "by", "for", "as", "near", "than"})  # fmt: skip
_QUALIFIERS = frozenset({"only", "exactly", "about", "approximately", "around", "roughly", "nearly", "precisely"})
_HEDGE_LINKS = frozenset({"or", "to", "-", "\u2013", "\u2014"})
_COPULAS = frozenset({"is", "are", "was", "were", ":", "=", "equals"})
_AFTER_LABELLED_COUNT = frozenset({".", ",", ";", "!", "?", "\n", ")", "and"})
_MAX_MODIFIERS = 2
# Markdown emphasis is not part of the sentence ("There are **2** ships"): it reads as a space, which
# no token contains, so the tokens are those of the text without it.
_MARKUP_TO_SPACE = str.maketrans(dict.fromkeys("*`#_", " "))
_NEGATORS = frozenset({"not", "no", "never", "cannot", "without"})
_NUMBER_OF_REACH = 12  # tokens from "number of" to its count: "The number of ships visible in ... is 2"


# The words ``_number_at`` reads a number from (besides digits), and every token that ends a
# sentence or can open a count statement.
_NUMBER_STARTS = frozenset(NUMBER_WORDS) - {"a", "an", "single"} | frozenset(TENS_WORDS) | {"not", "any"}
_STATEMENT_TOKENS = (_SENTENCE_END | _NUMBER_STARTS | frozenset(_WORD_TO_CATEGORY)
                     | {"there", "there's", "number", "count", "total", "answer"})  # fmt: skip


class _Statement(NamedTuple):
    category: str | None  # None: instances, objects, targets, items, or "there are N"
    value: int
    total: bool  # "there are N X", "a total of N X", "the number of X is N", "X: N"
    sentence: int


def _number_at(tokens: list[str], i: int) -> tuple[int, int] | None:
    """(value, index after it) of the number written at ``tokens[i]``: digits, a number word up to
    ninety-nine ("twenty-one", "twenty one"), "no", "none", "not any", "not one", "not a single";
    else None.
    ``a``/``an``/``single`` are left to the callers that accept them."""
    token = tokens[i] if i < len(tokens) else ""
    if token.isdigit() and token.isascii():
        return (int(token) if len(token) <= MAX_COUNT_DIGITS else WRONG_COUNT), i + 1
    if token in TENS_WORDS:
        value, j = TENS_WORDS[token], i + 1
        if j < len(tokens) and tokens[j] == "-" and j + 1 < len(tokens) and tokens[j + 1] in UNIT_WORDS:
            return value + UNIT_WORDS[tokens[j + 1]], j + 2
        if j < len(tokens) and tokens[j] in UNIT_WORDS:
            return value + UNIT_WORDS[tokens[j]], j + 1
        return value, j
    if token == "not" and i + 1 < len(tokens):
        if tokens[i + 1] in ("any", "one"):  # "not any ships", "not one (single) ship"
            return 0, i + 2
        if tokens[i + 1] == "a" and i + 2 < len(tokens) and tokens[i + 2] == "single":
            return 0, i + 3
        return None
    if token == "any" and any(t in _NEGATORS or t.endswith(("n't", "n\u2019t")) for t in tokens[max(0, i - 3) : i]):
        return 0, i + 1  # "I don't see any ships", "there aren't any tanks"
    if token in NUMBER_WORDS and token not in ("a", "an", "single"):
        return NUMBER_WORDS[token], i + 1
    return None


def _number_or_hedge(tokens: list[str], i: int) -> tuple[int, int] | None:
    """``_number_at``, where "N or M", "N to M", "N-M" (a hedge) reads as WRONG_COUNT."""
    found = _number_at(tokens, i)
    if found is None:
        return None
    value, j = found
    if j + 1 < len(tokens) and tokens[j] in _HEDGE_LINKS:
        second = _number_at(tokens, j + 1)
        if second is not None and tokens[j + 1] not in ("no", "none", "not"):
            return WRONG_COUNT, second[1]
    return value, j


def _counted_noun(tokens: list[str], j: int) -> tuple[str | None, bool, int] | None:
    """After a number: ``(category or None, modified, index after)`` when at most two modifier
    words ("large", "very small", "medium-sized") lead to a counted noun, a category word or
    instances/objects/targets/items (of [the] X: a category word); else None."""
    modifiers = 0
    while j < len(tokens):
        token = tokens[j]
        if token in _WORD_TO_CATEGORY:
            return _WORD_TO_CATEGORY[token], modifiers > 0, j + 1
        if token in _GENERIC_NOUNS:  # "4 instances", "3 instances of tanks"
            k = j + 2 if tokens[j + 1 : j + 3] != ["of", "the"] else j + 3
            if tokens[j + 1 : j + 2] == ["of"] and k < len(tokens) and tokens[k] in _WORD_TO_CATEGORY:
                return _WORD_TO_CATEGORY[tokens[k]], modifiers > 0, k + 1
            return None, modifiers > 0, j + 1
        if token == "-":
            j += 1
            continue
        if not token.isalpha() or token in _NOT_MODIFIERS or modifiers == _MAX_MODIFIERS:
            return None
        modifiers += 1
        j += 1
    return None


def _count_statements(text: str) -> list[_Statement]:
    tokens = _TOKEN_RE.findall(fold(text).translate(_MARKUP_TO_SPACE))
    statements: list[_Statement] = []
    sentence = 0
    n = len(tokens)
    i = 0
    # Only the tokens below can end a sentence or open a statement: the loop visits those alone.
    for k in [k for k, token in enumerate(tokens) if token in _STATEMENT_TOKENS or token.isdigit()]:
        if k < i:
            continue  # inside the statement read last
        i = k
        token = tokens[i]
        if token in _SENTENCE_END:
            sentence += 1
            continue
        # "there is a ship", "there are a total of 2 ships", "there are 4 instances", "there are none"
        if token == "there's" or (token == "there" and i + 1 < n and tokens[i + 1] in ("is", "are", "was", "were")):
            j = i + (1 if token == "there's" else 2)
            if tokens[j : j + 3] == ["a", "total", "of"]:
                j += 3
            while j < n and tokens[j] in _QUALIFIERS:
                j += 1
            if j < n and (tokens[j] in ("a", "an") or tokens[j : j + 2] == ["one", "single"]):
                noun = _counted_noun(tokens, j + (2 if tokens[j] == "one" else 1))
                if noun is not None:
                    statements.append(_Statement(noun[0], 1, not noun[1], sentence))
                    i = noun[2]
                    continue
            number = _number_or_hedge(tokens, j)
            if number is not None:
                noun = _counted_noun(tokens, number[1])
                if noun is not None:
                    statements.append(_Statement(noun[0], number[0], not noun[1], sentence))
                    i = noun[2]
                else:
                    statements.append(_Statement(None, number[0], True, sentence))
                    i = number[1]
                continue
        # "the number of ships (visible in the image) is 2", "count of tanks: 3"
        if token in ("number", "count") and i + 1 < n and tokens[i + 1] == "of":
            found = _number_of(tokens, i + 2, sentence)
            if found is not None:
                statements.append(found[0])
                i = found[1]
                continue
        # "Count: 2", "Total: 2", "The answer is 2", "ships: 2" (the count closes the phrase)
        if (
            (token in ("count", "total", "answer") or token in _WORD_TO_CATEGORY)
            and i + 2 < n
            and (tokens[i + 1] in (":", "=", "is"))
        ):
            j = i + 2
            number = _number_or_hedge(tokens, j)
            if number is not None and (number[1] == n or tokens[number[1]] in _AFTER_LABELLED_COUNT):
                statements.append(_Statement(_WORD_TO_CATEGORY.get(token), number[0], True, sentence))
                i = number[1]
                continue
        # "2 ships", "1 large ship", "no tanks", "twenty-one instances", "2 or 3 ships"
        number = _number_or_hedge(tokens, i)
        if number is not None:
            noun = _counted_noun(tokens, number[1])
            if noun is not None:
                total = not noun[1] and tokens[max(0, i - 2) : i] == ["total", "of"]
                statements.append(_Statement(noun[0], number[0], total, sentence))
                i = noun[2]
                continue
            i = number[1]
    if not statements:
        bare = _bare_number(tokens)
        if bare is not None:
            statements.append(_Statement(None, bare, True, 0))
    return statements


def _number_of(tokens: list[str], j: int, sentence: int) -> tuple[_Statement, int] | None:
    category = None
    end = min(len(tokens), j + _NUMBER_OF_REACH)
    while j < end and tokens[j] not in _SENTENCE_END:
        token = tokens[j]
        if category is None and token in _WORD_TO_CATEGORY:
            category = _WORD_TO_CATEGORY[token]
        elif category is not None and token in _COPULAS:
            k = j + 1
            while k < len(tokens) and tokens[k] in _QUALIFIERS:
                k += 1
            number = _number_or_hedge(tokens, k)
            if number is not None:
                return _Statement(category, number[0], True, sentence), number[1]
        j += 1
    return None


def _bare_number(tokens: list[str]) -> int | None:
    """A response that is only a number (or a hedge), with punctuation: "2", "**2**", "about 2-3"."""
    rest = [t for t in tokens if t[0].isalnum() or t in _HEDGE_LINKS]
    k = 0
    while k < len(rest) and rest[k] in _QUALIFIERS:
        k += 1
    if k == len(rest) or rest[k] in ("no", "not"):
        return None
    number = _number_or_hedge(rest, k)
    if number is None or number[1] != len(rest):
        return None
    return number[0]


def stated_count(text: str, category: str | None = None) -> int | None:
    """The count the text states for ``category`` (the queried one), or None when it states none.

    Count statements are read over the words of the text: "N X" (up to two modifier words between,
    X a category word or instances/objects/targets/items), "there is/are N [X]", "the number of X
    is N", "X: N", "Count: N", a bare number. The first statement about ``category`` decides:
    when it is a total ("there are N X", "a total of N X", "the number of X is N", "X: N", no
    modifier) its N is the count; otherwise the count is the sum of the statements about
    ``category`` in that sentence ("1 large ship and 1 small ship" = 2). With no statement about
    ``category``, the first statement about no category ("There are 4 instances.") is the count.
    A hedge ("2 or 3 ships", "2-3") or a digit string longer than ``MAX_COUNT_DIGITS`` states
    ``WRONG_COUNT``. Without ``category``, the first category a statement names is the one read.
    """
    statements = _count_statements(text)
    if not statements:
        return None
    if category is None:
        category = next((s.category for s in statements if s.category is not None), None)
    about = [s for s in statements if category is not None and s.category == category]
    if about:
        first = about[0]
        if first.total:
            return first.value
        values = [s.value for s in about if s.sentence == first.sentence]
        return WRONG_COUNT if WRONG_COUNT in values else sum(values)
    generic = [s for s in statements if s.category is None]
    return generic[0].value if generic else None


class CategorisedBox(NamedTuple):
    """A box with the category the answer gives it (None when no category word precedes it)."""

    category: str | None
    box: ParsedBox


# ---------------------------------------------------------------------------------------------
# Grounding: boxes with their categories.
# ---------------------------------------------------------------------------------------------

_JSON_LABEL_RE = re.compile(r"[\"'](?:label|category|class|name)[\"']\s*:\s*[\"']([^\"']{0,64})[\"']", re.IGNORECASE)
_JSON_WINDOW = 200


def categorised_boxes(
    text: str, width: float, height: float, conventions: Mapping[str, str] | None = None
) -> list[CategorisedBox]:
    """Every box with its category: the last category word before the box that no negator
    negates. A JSON box whose object has a ``label`` (``category``, ``class``, ``name``) takes that
    label instead, since JSON answers name the label after the box; a label that names no category
    leaves the box without one (a false positive), never with the previous object's."""
    boxes = parse_boxes(text, width, height, conventions)
    if not boxes:
        return []
    mentions = find_affirmed_categories(text)
    out = []
    k = 0
    current = None
    for box in boxes:
        while k < len(mentions) and mentions[k].start < box.start:
            current = mentions[k].value
            k += 1
        category = current
        if box.syntax == "json":
            labelled, label = _json_label(text, box)
            if labelled:
                category = label
        out.append(CategorisedBox(category, box))
    return out


def _json_label(text: str, box: ParsedBox) -> tuple[bool, str | None]:
    """Whether the box's own JSON object has a label key, and the category the label names."""
    open_at = text.rfind("{", max(0, box.start - _JSON_WINDOW), box.start)
    close_at = text.find("}", box.end, box.end + _JSON_WINDOW)
    window = text[open_at if open_at >= 0 else box.start : close_at if close_at >= 0 else box.end]
    m = _JSON_LABEL_RE.search(window)
    if m is None:
        return False, None
    cats = find_affirmed_categories(m.group(1))
    return True, (cats[0].value if cats else None)


# ---------------------------------------------------------------------------------------------
# Description: (category, cell) per object.
# ---------------------------------------------------------------------------------------------

# Sentences end at . ; ! ? or a line break, and at a capitalised word that starts a new clause
# without a period, as SARChat references write them ("...of the image There is...", "...of the
# image A small ship...", "...of the image Also, we..."): a lower-case letter, spaces, then a
# capitalised word followed by a lower-case one. A colon does not end a sentence ("Top left: a
# ship"), nor does a Title Case phrase ("Top Left", "A Ship").
_SENTENCE_MARK_RE = re.compile(r"[.;!?\n]|\s(?=[A-Z])")
_RUN_ON_RE = re.compile(r"[A-Z][a-z]*,?\s+[a-z]")


def _sentence_ends(text: str) -> list[int]:
    """Where sentences end: at . ; ! ? or a line break, and before a run-on clause (a lower-case
    letter, spaces, then a capitalised word followed by a lower-case one)."""
    ends = []
    for m in _SENTENCE_MARK_RE.finditer(text):
        at = m.start()
        if text[at] in ".;!?\n":
            ends.append(at)
            continue
        j = at
        while j > 0 and text[j - 1].isspace():
            j -= 1
        if j > 0 and "a" <= text[j - 1] <= "z" and _RUN_ON_RE.match(text, at + 1):
            ends.append(at)
    return ends


# The number of objects a category word stands for: a number right before it, with at most two
# other words between ("two ships", "2 small ships", "one more small ship", "another ship").
_COUNT_BREAKERS = frozenset({"and", "or", "but", "with"})
_COUNT_WINDOW = 48
MAX_DESCRIBED_PER_MENTION = 100  # "999 ships" stands for at most this many objects
MAX_DESCRIBED_OBJECTS = 1000  # objects read from one answer at most (a reference describes far fewer)


def _described_count(text: str, start: int) -> int:
    # the three words before the category word: a number with at most two other words between,
    # within _COUNT_WINDOW characters (a word the window cuts is not among them: "12" is not "2")
    begin = max(0, start - _COUNT_WINDOW)
    window = text[begin:start].lower().replace("-", " ")
    words = window.split()
    if begin > 0 and words and not window[0].isspace() and not text[begin - 1].isspace() and text[begin - 1] != "-":
        del words[0]
    if start > 0 and not text[start - 1].isspace() and text[start - 1] != "-":
        return 1  # "(ships", "2ships": no number stands before it
    for k in range(1, min(3, len(words)) + 1):
        word = words[-k]
        if word.isdigit() and word.isascii() and len(word) <= 3:
            return min(int(word), MAX_DESCRIBED_PER_MENTION)
        if word == "another":
            return 1
        if word in NUMBER_WORDS:
            if word in UNIT_WORDS and k < len(words) and words[-k - 1] in TENS_WORDS:
                return TENS_WORDS[words[-k - 1]] + UNIT_WORDS[word]
            return NUMBER_WORDS[word]
        if not word.isalpha() or word in _WORD_TO_CATEGORY or word in _COUNT_BREAKERS:
            return 1
    return 1


def description_items(text: str) -> list[tuple[str, str | None]]:
    """(category, cell) per object the text describes, in order (docs/METRICS.md, "Description").

    A category word stands for as many objects as the number before it says (one by default, none
    when negated). Within a sentence that opens with a position ("Top left: a ship", "In the
    bottom right, there are two tanks") each object takes the last position before it. In any
    other sentence the positions after a category word go, in order, to the objects still
    waiting for one ("two ships, one in the top left and one in the bottom right"); when a run of
    positions is shorter than the queue, the rest take its last position ("a ship and a car in the
    top left"). Objects left without a position take those of the next sentence when that sentence
    names positions and no category ("There is a ship. It is in the top left."), or when it names
    their category again without announcing new objects ("There are two ships. One ship is in the
    top left and the other in the bottom right."; not "another ship", "one more ship", "also a
    ship"); else None. Sentences that name no category and no position are skipped over.
    """
    categories = find_categories(text)
    if not categories:
        return []
    scopes = negation_of(text)
    sequence = sorted([("category", m) for m in categories] + [("cell", m) for m in find_cells(text)],
                      key=lambda item: item[1].start)  # fmt: skip
    ends = _sentence_ends(text)
    sentences: list[list[tuple[str, object]]] = []
    last = -1
    index = 0  # sentence ends before the mention: mentions come in order, so one pass suffices
    for name, m in sequence:
        while index < len(ends) and ends[index] <= m.start:
            index += 1
        if index != last:
            sentences.append([])
            last = index
        sentences[-1].append((name, m))
    items: list[list] = []
    pending: list[int] = []
    for sentence in sentences:
        if not any(name == "category" for name, _ in sentence):
            _place(items, pending, [m.value for _, m in sentence])
            pending = []
            continue
        carried: dict[str, list[int]] = {}
        for index in pending:
            carried.setdefault(items[index][0], []).append(index)
        pending = []
        if sentence[0][0] == "cell":  # the sentence opens with a position: it labels what follows
            current = None
            for name, m in sentence:
                if name == "cell":
                    current = m.value
                    continue
                for index in _objects_of(items, text, m, scopes, carried):
                    items[index][1] = current
            continue
        queue: list[int] = []
        run: list[str] = []
        for name, m in sentence:
            if name == "cell":
                run.append(m.value)
                continue
            if run:
                _place(items, queue, run)
                queue, run = [], []
            queue.extend(_objects_of(items, text, m, scopes, carried))
        if run:
            _place(items, queue, run)
            queue = []
        pending = queue
    return [(category, cell) for category, cell in items]


_NEW_OBJECT_WORDS = frozenset({"another", "more", "additional", "also", "extra"})


def _says_new(text: str, start: int) -> bool:
    """Whether the words right before a category word announce further objects ("another ship",
    "one more ship", "also a ship")."""
    words = text[max(0, start - _COUNT_WINDOW) : start].lower().split()[-3:]
    return any(word.strip(",") in _NEW_OBJECT_WORDS for word in words)


def _objects_of(
    items: list[list], text: str, mention, scopes: list[tuple[int, int]], carried: dict[str, list[int]]
) -> list[int]:
    """The objects a category word stands for: those of its category the previous sentence left
    without a position, when there are any and no word announces new ones (a mention again: "two
    ships. One ship is in the top left, the other in the bottom right"); else as many new objects
    as its number says."""
    if scopes and is_negated(mention.start, scopes):
        return []
    if mention.value in carried and not _says_new(text, mention.start):
        return carried.pop(mention.value)
    start = len(items)
    count = min(_described_count(text, mention.start), MAX_DESCRIBED_OBJECTS - start)
    items.extend([mention.value, None] for _ in range(count))
    return list(range(start, len(items)))


def _place(items: list[list], queue: list[int], cells: list[str]) -> None:
    if not cells:
        return
    for k, index in enumerate(queue):
        items[index][1] = cells[min(k, len(cells) - 1)]


ATTRIBUTES: tuple[str, ...] = ("cell", "size", "category", "shape")


def stated_attributes(text: str) -> dict[str, set[str]]:
    """The distinct values the text states for each identification attribute, less the negated
    ones ("not a ship, a harbor" states harbor)."""
    return find_attributes(text, affirmed=True)
