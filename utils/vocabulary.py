"""The SARChat vocabulary: categories, the 3x3 position grid, size, shape and relation words.

SARChat-Bench (arXiv 2502.08168) writes its answers with a small closed vocabulary. The same
rules serve two sides and must never drift apart:

* the builder turns SARDet-100K boxes into words (``grid_cell``, ``size_word``, ``shape_word``,
  ``relation_word``) when it writes reference answers;
* the scorer reads words back out of reference and model answers (``find_categories``,
  ``find_cells``, ``find_sizes``, ``find_shapes``, ``find_relations``).

Readers accept the phrasings a zero-shot model plausibly uses (plurals, British spelling, the
synonym table ``CATEGORY_WORDS``, hyphenation, any capitalisation), each listed here so that
docs/METRICS.md can name them, and leave out what a negator negates (``find_affirmed_categories``,
``find_attributes(affirmed=True)``, ``negation_scopes``). Every pattern is anchored on a literal
word and has no nested quantifiers, so matching is linear in the text.
"""

from __future__ import annotations

import math
import re
from typing import NamedTuple

CATEGORIES: tuple[str, ...] = ("ship", "aircraft", "car", "tank", "bridge", "harbor")

# Words read as a category: canonical name, plural, British spelling, and the synonyms a zero-shot
# model uses for SARDet-100K's six classes (docs/METRICS.md, "Vocabulary", lists the same table).
CATEGORY_WORDS: dict[str, tuple[str, ...]] = {
    "ship": ("ship", "ships", "boat", "boats", "vessel", "vessels"),
    "aircraft": ("aircraft", "aircrafts", "airplane", "airplanes", "aeroplane", "aeroplanes", "plane", "planes",
                 "jet", "jets"),
    "car": ("car", "cars", "vehicle", "vehicles", "truck", "trucks"),
    "tank": ("tank", "tanks"),
    "bridge": ("bridge", "bridges"),
    "harbor": ("harbor", "harbors", "harbour", "harbours", "port", "ports", "dock", "docks"),
}  # fmt: skip
_WORD_TO_CATEGORY = {word: category for category, words in CATEGORY_WORDS.items() for word in words}
_CATEGORY_RE = re.compile(
    r"\b(?P<category>" + "|".join(sorted(_WORD_TO_CATEGORY, key=len, reverse=True)) + r")\b", re.IGNORECASE
)

ROWS: tuple[str, ...] = ("top", "middle", "bottom")
COLUMNS: tuple[str, ...] = ("left", "center", "right")
CELLS: tuple[str, ...] = tuple(f"{row} {col}" for row in ROWS for col in COLUMNS)

# Identification size words by box area / image area (paper, section 3): lower bounds, largest first.
SIZE_THRESHOLDS: tuple[tuple[float, str], ...] = (
    (0.4, "very large"),
    (0.25, "large"),
    (0.1, "medium"),
    (0.03, "small"),
)
SIZE_WORDS: tuple[str, ...] = ("very small", "small", "medium", "large", "very large")
# Description size words (paper: small under 5 %, large over 30 %, medium between).
DESCRIPTION_SMALL_BELOW = 0.05
DESCRIPTION_LARGE_ABOVE = 0.30

# Shape by aspect ratio width / height (the paper states both w/h and h/w; w/h is the choice here,
# so that "wide" means wider than tall, as the word says).
SHAPE_WIDE_ABOVE = 1.5
SHAPE_TALL_BELOW = 0.67
SHAPE_WORDS: tuple[str, ...] = ("wide", "square", "tall")

# Grounding relation sentences: centre distance against (W + H) / 8.
RELATION_DIVISOR = 8.0
RELATIONS: tuple[str, ...] = ("near", "far")


# The four non-ASCII characters CPython's case-insensitive ``re`` equates with an ASCII letter, to
# that letter; ``str.lower`` alone leaves three of them (or, for U+0130, two characters) that no
# table lookup would find.
_FOLD = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s", "\u212a": "k"})


def fold(word: str) -> str:
    """A matched word in the lower-case ASCII form the vocabulary tables are keyed by."""
    return word.translate(_FOLD).lower()


def lowercase_twin(pattern: re.Pattern) -> re.Pattern:
    """The same pattern without IGNORECASE and without its leading ``\\b``.

    CPython's ``re`` matches case-insensitively several times slower than case-sensitively, and
    these scans are the scorer's hot path. On ASCII text (``str.lower`` keeps every offset) with a
    pattern whose literals are all lower case, scanning ``text.lower()`` with the twin finds exactly
    the same spans as scanning ``text`` with the original; other text keeps the original pattern.
    The caller restores the word boundary in the form that suits it (``word_pattern``, and the box
    scan's check of the character before a match).
    """
    source = pattern.pattern
    if source.startswith("\\b"):
        source = source[2:]
    return re.compile(source, pattern.flags & ~re.IGNORECASE)


class WordPattern(NamedTuple):
    """A vocabulary pattern (case-insensitive, opening with ``\\b``) and its fast ASCII forms."""

    pattern: re.Pattern
    fast: re.Pattern | None  # the whole pattern behind the guards, for ``finditer``; None for rare words
    twin: re.Pattern  # the lower-case pattern without its ``\\b``, tried where ``finder`` finds a first word
    finder: re.Pattern | None  # first words at word starts, for rare first words; None for common ones


def word_pattern(pattern: re.Pattern, first_words, *, rare: bool = False) -> WordPattern:
    """``pattern`` ready for ``scan``; ``first_words`` must hold every run of word characters a
    match can start with ("isn" for "isn't", "midsized").

    CPython's ``re`` tries an alternation branch by branch at every position, and a pattern that
    opens with a look-around gets no quick skip to the characters a match can start with. Two
    fast forms avoid that, both on lower-case text:

    * ``fast``: the lower-case twin behind two guards, no word character before (the ``\\b``)
      and a first word as a whole run after, written as a trie. The guards fail within a step or
      two in the middle of a word and at any word that starts no phrase, so the alternation runs
      only where a phrase can start. For words that are common in answers (cells, sizes).
    * ``finder``: only the first words, as a trie whose first letters ``re`` skips to directly,
      each checking the word start behind it; the twin is then matched where a first word stands.
      Fastest when such words are rare (categories, negators), since each costs a Python step.

    The guards only restate what a match implies, so the matches are the same
    (tests/test_properties.py checks both forms against the original pattern).
    """
    if not pattern.pattern.startswith("\\b"):
        raise ValueError(f"a vocabulary pattern must open with a word boundary: {pattern.pattern[:40]!r}")
    twin = lowercase_twin(pattern)
    flags = pattern.flags & ~re.IGNORECASE
    if rare:
        return WordPattern(pattern, None, twin, re.compile(_trie(first_words, word_start=True) + r"(?!\w)"))
    fast = re.compile(r"(?<!\w)(?=" + _trie(first_words) + r"(?!\w))(?:" + twin.pattern + ")", flags)
    return WordPattern(pattern, fast, twin, None)


def _trie(words, *, word_start: bool = False) -> str:
    """An alternation of ``words`` (lower-case letters) as a trie: ``car|cars|tank`` ->
    ``(?:car(?:s)?|tank)``, one branch per distinct next letter. With ``word_start`` each first
    letter is followed by a check that no word character stands before it."""
    root: dict = {}
    for word in words:
        node = root
        for letter in word:
            node = node.setdefault(letter, {})
        node[""] = {}

    def emit(node: dict, depth: int) -> str:
        after = r"(?<!\w.)" if word_start and depth == 0 else ""
        branches = [
            re.escape(letter) + after + emit(child, depth + 1) for letter, child in sorted(node.items()) if letter
        ]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body

    return emit(root, 0)


def scan(vocabulary_pattern: WordPattern, text: str) -> list[re.Match]:
    """The matches of ``pattern.finditer(text)``: through a fast form on ASCII text (on which
    ``str.lower`` keeps every offset), through the pattern itself on other text."""
    if not text.isascii():
        return list(vocabulary_pattern.pattern.finditer(text))
    lower = text.lower()
    if vocabulary_pattern.finder is None:
        return list(vocabulary_pattern.fast.finditer(lower))
    found = []
    position = 0
    match = vocabulary_pattern.twin.match
    for first in vocabulary_pattern.finder.finditer(lower):
        start = first.start()
        if start >= position and (m := match(lower, start)) is not None:
            found.append(m)
            position = m.end()
    return found


_CATEGORY_SCAN = word_pattern(_CATEGORY_RE, _WORD_TO_CATEGORY, rare=True)


class Mention(NamedTuple):
    """A vocabulary word found in a text: its canonical value and where it stands."""

    value: str
    start: int
    end: int


# ---------------------------------------------------------------------------------------------
# Boxes to words (used by the builder; the scorer reads the words back).
# ---------------------------------------------------------------------------------------------


def grid_cell(box: tuple[float, float, float, float], width: float, height: float) -> str:
    """Name the 3x3 grid cell holding the box centre, as ``"<row> <col>"``.

    A centre exactly on a third line belongs to the cell after it (intervals closed on the left).
    """
    if width <= 0 or height <= 0:
        raise ValueError(f"image size must be positive, got {width}x{height}")
    cx = (box[0] + box[2]) / 2.0
    cy = (box[1] + box[3]) / 2.0
    col = min(2, max(0, math.floor(3.0 * cx / width)))
    row = min(2, max(0, math.floor(3.0 * cy / height)))
    return f"{ROWS[row]} {COLUMNS[col]}"


def box_area_ratio(box: tuple[float, float, float, float], width: float, height: float) -> float:
    """Box area over image area."""
    return max(0.0, box[2] - box[0]) * max(0.0, box[3] - box[1]) / float(width * height)


def size_word(area_ratio: float) -> str:
    """Identification size word: >=0.4 very large, >=0.25 large, >=0.1 medium, >=0.03 small."""
    for lower_bound, word in SIZE_THRESHOLDS:
        if area_ratio >= lower_bound:
            return word
    return "very small"


def description_size_word(area_ratio: float) -> str:
    """Description size word: small under 5 %, large over 30 %, medium between."""
    if area_ratio < DESCRIPTION_SMALL_BELOW:
        return "small"
    if area_ratio > DESCRIPTION_LARGE_ABOVE:
        return "large"
    return "medium"


def shape_word(box_width: float, box_height: float) -> str:
    """Shape by aspect ratio w/h: >1.5 wide, <0.67 tall, otherwise square."""
    if box_height <= 0:
        return "wide"
    ratio = box_width / box_height
    if ratio > SHAPE_WIDE_ABOVE:
        return "wide"
    if ratio < SHAPE_TALL_BELOW:
        return "tall"
    return "square"


def relation_word(
    box_a: tuple[float, float, float, float], box_b: tuple[float, float, float, float], width: float, height: float
) -> str:
    """``"near"`` when the box centres are closer than (W + H) / 8, else ``"far"``."""
    dx = (box_a[0] + box_a[2] - box_b[0] - box_b[2]) / 2.0
    dy = (box_a[1] + box_a[3] - box_b[1] - box_b[3]) / 2.0
    return "near" if math.hypot(dx, dy) < (width + height) / RELATION_DIVISOR else "far"


# ---------------------------------------------------------------------------------------------
# Words out of text (used by the scorer, on references and model answers alike).
# ---------------------------------------------------------------------------------------------


def category_of(word: str) -> str | None:
    """The canonical category a single word names, or None."""
    return _WORD_TO_CATEGORY.get(word.strip().lower())


def find_categories(text: str) -> list[Mention]:
    """Every category word in the text, in order, folded to its canonical name."""
    return [Mention(_category_value(m), m.start(), m.end()) for m in scan(_CATEGORY_SCAN, text)]


def _category_value(m: re.Match) -> str:
    return _WORD_TO_CATEGORY[fold(m.group("category"))]


# Position phrases. Two-word cells come first in the alternation so that "top left" wins over "top".
_ROW_WORDS = {"top": "top", "upper": "top", "middle": "middle", "center": "middle", "centre": "middle",
              "central": "middle", "bottom": "bottom", "lower": "bottom"}  # fmt: skip
_COL_WORDS = {"left": "left", "center": "center", "centre": "center", "middle": "center", "right": "right"}
_SEP = r"[\s-]+"
_REGION = r"(?:region|area|part|portion|section|side|edge|half|corner)"
# What follows a lone row word to make it a place: "of the image" or a region noun.
_PLACE = r"(?:of" + _SEP + r"the" + _SEP + r"(?:image|scene|picture)|" + _REGION + r")"
_CELL_RE = re.compile(
    r"\b(?:"
    r"(?P<row>top|upper|bottom|lower|middle|center|centre|central)" + _SEP + r"(?P<col>left|right|center|centre|middle)"
    r"|(?P<side>left|right)(?:" + _SEP + r"hand)?" + _SEP + r"(?:side|edge|part|portion|region|area|half)"
    r"|(?P<mid>center|centre|central|middle)" + _SEP + _PLACE
    + r"|(?P<edge>top|upper|bottom|lower)" + _SEP + _PLACE
    + r"|(?P<inmid>in|at)\s+the\s+(?:center|centre|middle)(?![\s-]+(?:left|right|center|centre|middle)\b)"
    + r")\b",
    re.IGNORECASE,
)  # fmt: skip
_CELL_FIRST_WORDS = (*_ROW_WORDS, "left", "right", "in", "at")
_CELL_SCAN = word_pattern(_CELL_RE, _CELL_FIRST_WORDS)


def find_cells(text: str) -> list[Mention]:
    """Every grid-cell phrase in the text, in order, as canonical ``"<row> <col>"``.

    Read: ``<row> <col>`` with row in top/upper/middle/center/central/bottom/lower and col in
    left/center/centre/middle/right (space or hyphen); ``left side`` / ``right side`` (and edge,
    part, portion, region, area, half) = middle left / right; ``central region``, ``center of the
    image``, ``in the center`` / ``at the middle`` (not followed by a column word) = middle center;
    ``top part``, ``bottom of the image`` = top / bottom center.
    """
    return [Mention(_cell_value(m), m.start(), m.end()) for m in scan(_CELL_SCAN, text)]


def _cell_value(m: re.Match) -> str:
    if m.group("row"):
        return f"{_ROW_WORDS[fold(m.group('row'))]} {_COL_WORDS[fold(m.group('col'))]}"
    if m.group("side"):
        return f"middle {fold(m.group('side'))}"
    if m.group("mid") or m.group("inmid"):
        return "middle center"
    return f"{_ROW_WORDS[fold(m.group('edge'))]} center"


_SIZE_RE = re.compile(
    r"\b(?P<very>very[\s-]+)?(?P<size>small|large|medium|tiny|huge|mid)(?:[\s-]*sized)?\b",
    re.IGNORECASE,
)
_SIZE_CANONICAL = {"small": "small", "large": "large", "medium": "medium", "mid": "medium", "tiny": "very small",
                   "huge": "very large"}  # fmt: skip
# "very", a size word, or one run with "sized" ("midsized")
_SIZE_FIRST_WORDS = ("very", *_SIZE_CANONICAL, *(word + "sized" for word in _SIZE_CANONICAL))
_SIZE_SCAN = word_pattern(_SIZE_RE, _SIZE_FIRST_WORDS)


def find_sizes(text: str) -> list[Mention]:
    """Every size word in the text: very small, small, medium (mid-sized), large, very large
    (tiny = very small, huge = very large)."""
    return [Mention(v, m.start(), m.end()) for m in scan(_SIZE_SCAN, text) if (v := _size_value(m))]


def _size_value(m: re.Match) -> str | None:
    size = fold(m.group("size"))
    if size == "mid" and not fold(m.group(0)).endswith("sized"):
        return None  # "mid" alone is not a size
    word = _SIZE_CANONICAL[size]
    if m.group("very") and word in ("small", "large"):
        word = "very " + word
    return word


_SHAPE_RE = re.compile(
    r"\b(?:(?:approximately|roughly|nearly|almost)[\s-]+)?(?P<shape>wide|square|tall|elongated)\b", re.IGNORECASE
)
_SHAPE_FIRST_WORDS = ("approximately", "roughly", "nearly", "almost", "wide", "square", "tall", "elongated")
_SHAPE_SCAN = word_pattern(_SHAPE_RE, _SHAPE_FIRST_WORDS)


def find_shapes(text: str) -> list[Mention]:
    """Every shape word: wide, (approximately) square, tall."""
    return [Mention(v, m.start(), m.end()) for m in scan(_SHAPE_SCAN, text) if (v := _shape_value(m))]


def _shape_value(m: re.Match) -> str | None:
    shape = fold(m.group("shape"))
    return None if shape == "elongated" else shape  # "elongated" says nothing about the axis


# Negation. A negator removes the mentions in its scope: the next NEGATION_SCOPE_WORDS words on the
# same line, up to a punctuation mark, a number or "but" ("This is not a ship, it is a harbor":
# ship is negated, harbor is not; "I see 2 ships but no tanks": tanks is negated).
_NEGATOR_WORDS = ("not", "no", "never", "none", "nor", "neither", "without", "cannot")
_NEGATED_VERBS = ("is", "are", "was", "were", "do", "does", "did", "ca", "could", "would", "should", "wo", "has", "have",
                  "had")  # fmt: skip
_NEGATOR = "(?:" + "|".join(_NEGATOR_WORDS) + "|(?:" + "|".join(_NEGATED_VERBS) + ")n['\u2019]t)"
_NEGATOR_RE = re.compile(r"\b" + _NEGATOR + r"\b", re.IGNORECASE)
# "isn't" starts with the run "isn"
_NEGATOR_SCAN = word_pattern(_NEGATOR_RE, (*_NEGATOR_WORDS, *(verb + "n" for verb in _NEGATED_VERBS)), rare=True)
NEGATION_SCOPE_WORDS = 4
_SCOPE_WORD_RE = re.compile(r"[ \t]+([^\W\d_]+(?:['\u2019-][^\W\d_]+)*)")


def negation_scopes(text: str, negator_ends: list[int]) -> list[tuple[int, int]]:
    """The spans of text the negators ending at ``negator_ends`` negate, merged and in order."""
    scopes: list[tuple[int, int]] = []
    for end in negator_ends:
        stop = end
        for _ in range(NEGATION_SCOPE_WORDS):
            m = _SCOPE_WORD_RE.match(text, stop)
            if m is None or fold(m.group(1)) == "but":
                break
            stop = m.end()
        if stop == end:
            continue
        if scopes and end <= scopes[-1][1]:
            scopes[-1] = (scopes[-1][0], max(scopes[-1][1], stop))
        else:
            scopes.append((end, stop))
    return scopes


def is_negated(position: int, scopes: list[tuple[int, int]]) -> bool:
    """Whether ``position`` lies inside one of the merged, ordered ``scopes``."""
    low, high = 0, len(scopes)
    while low < high:  # the last scope starting at or before the position (binary search)
        mid = (low + high) // 2
        if scopes[mid][0] <= position:
            low = mid + 1
        else:
            high = mid
    return low > 0 and position < scopes[low - 1][1]


def find_negators(text: str) -> list[Mention]:
    """Every negator: not, no, never, none, nor, neither, without, cannot and the ``n't`` forms."""
    return [Mention("not", m.start(), m.end()) for m in scan(_NEGATOR_SCAN, text)]


def may_negate(text: str) -> bool:
    """False when the text holds no negator for certain (a substring test, much cheaper than a
    scan): every negator contains "no", "never", "neither", "without" or "n't"."""
    lower = text.lower()
    return any(part in lower for part in _NEGATOR_PARTS)


_NEGATOR_PARTS = ("no", "never", "neither", "without", "n't", "n\u2019t")


def negation_of(text: str) -> list[tuple[int, int]]:
    """The merged negation scopes of the text (empty when it holds no negator)."""
    if not may_negate(text):
        return []
    negators = find_negators(text)
    return negation_scopes(text, [n.end for n in negators]) if negators else []


def find_affirmed_categories(text: str) -> list[Mention]:
    """``find_categories`` less the mentions a negator negates."""
    mentions = find_categories(text)
    scopes = negation_of(text) if mentions else []
    if not scopes:
        return mentions
    return [m for m in mentions if not is_negated(m.start, scopes)]


# Identification reads four families from one answer. No phrase of one family contains or starts
# like a phrase of another, so one scan of their alternation finds what four scans would, at a
# quarter of the cost on the benchmark's largest task.
_ATTRIBUTE_FAMILIES = (("cell", _CELL_RE, _cell_value), ("size", _SIZE_RE, _size_value),
                       ("shape", _SHAPE_RE, _shape_value), ("category", _CATEGORY_RE, _category_value))  # fmt: skip
_ATTRIBUTES_RE = re.compile(
    r"\b(?:" + "|".join(f"(?P<_{name}>{pattern.pattern[2:]})" for name, pattern, _ in _ATTRIBUTE_FAMILIES) + ")",
    re.IGNORECASE,
)
_ATTRIBUTES_SCAN = word_pattern(_ATTRIBUTES_RE, (*_CELL_FIRST_WORDS, *_SIZE_FIRST_WORDS, *_SHAPE_FIRST_WORDS,
                                                   *_WORD_TO_CATEGORY))  # fmt: skip
_ATTRIBUTE_VALUE = {f"_{name}": (name, value) for name, _, value in _ATTRIBUTE_FAMILIES}


def find_attributes(text: str, *, affirmed: bool = False) -> dict[str, set[str]]:
    """The distinct cells, sizes, shapes and categories the text states, in one scan; the same
    sets as ``find_cells``, ``find_sizes``, ``find_shapes`` and ``find_categories`` (with
    ``affirmed``, less the mentions a negator negates)."""
    found: dict[str, set[str]] = {"cell": set(), "size": set(), "shape": set(), "category": set()}
    scopes = negation_of(text) if affirmed else []
    for m in scan(_ATTRIBUTES_SCAN, text):
        key = (m.lastgroup, m.group())
        known = _ATTRIBUTE_MEMO.get(key)
        if known is None:
            name, value_of = _ATTRIBUTE_VALUE[m.lastgroup]
            known = (name, value_of(m))
            if len(_ATTRIBUTE_MEMO) < _ATTRIBUTE_MEMO_SIZE:
                _ATTRIBUTE_MEMO[key] = known
        name, value = known
        if value is not None and not (scopes and is_negated(m.start(), scopes)):
            found[name].add(value)
    return found


# A phrase's value depends only on its family and its text (within a family only the last branch,
# "in the center", looks ahead, and a phrase that branch matches no other branch can), and the
# vocabulary is closed: a few hundred phrases recur in every answer, so their values are kept.
_ATTRIBUTE_MEMO: dict[tuple[str, str], tuple[str, str | None]] = {}
_ATTRIBUTE_MEMO_SIZE = 4096


_CATEGORY_ALTERNATION = "|".join(sorted(_WORD_TO_CATEGORY, key=len, reverse=True))
_RELATION_RE = re.compile(
    r"\b(?P<a>" + _CATEGORY_ALTERNATION + r")\s+(?:is|are)(?P<neg>\s+not|n['\u2019]t)?\s+"
    r"(?:located\s+|situated\s+|positioned\s+)?"
    r"(?P<rel>near|close\s+to|next\s+to|far\s+from|far\s+away\s+from|distant\s+from)\s+(?:the\s+|a\s+|an\s+)?"
    r"(?P<b>" + _CATEGORY_ALTERNATION + r")\b",
    re.IGNORECASE,
)
_RELATION_SCAN = word_pattern(_RELATION_RE, _WORD_TO_CATEGORY, rare=True)


class Relation(NamedTuple):
    """A stated relation between two categories; the pair is stored in sorted order."""

    first: str
    second: str
    relation: str


def find_relations(text: str) -> list[Relation]:
    """Relation sentences such as ``The ship is far from the harbor.``; near = near / close to /
    next to, far = far (away) from / distant from. The pair is unordered. The relation is binary
    (every pair of objects is near or far by the builder's rule), so a negated relation states the
    other one: ``is not near`` = far, ``isn't far from`` = near."""
    found = []
    for m in scan(_RELATION_SCAN, text):
        a = _WORD_TO_CATEGORY[fold(m.group("a"))]
        b = _WORD_TO_CATEGORY[fold(m.group("b"))]
        rel = fold(m.group("rel"))
        far = rel.startswith(("far", "distant"))
        if m.group("neg"):
            far = not far
        first, second = sorted((a, b))
        found.append(Relation(first, second, "far" if far else "near"))
    return found


# Counts written as words, zero to ninety-nine; "no" and "none" state zero. A tens word followed by
# a unit word ("twenty-one", "twenty one") is read by the count reader as their sum.
UNIT_WORDS: dict[str, int] = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
}  # fmt: skip
TENS_WORDS: dict[str, int] = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
}  # fmt: skip
NUMBER_WORDS: dict[str, int] = {
    "no": 0, "none": 0, "zero": 0, "a": 1, "an": 1, "single": 1, **UNIT_WORDS, "ten": 10, "eleven": 11,
    "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19, **TENS_WORDS,
}  # fmt: skip
