"""Reading boxes out of model answers, in every syntax VLMs emit, into pixels of the original image.

SARChat answers write a box as ``{<x1><y1><x2><y2>}`` in pixels (several boxes concatenated).
Zero-shot models answer in their own syntax and coordinate frame, so each recognised syntax has a
coordinate *convention* that the user can set (``BoxConventions``); a convention is never guessed
by comparing with the ground truth, since that would score a model on what it did not say.

Syntaxes, tried leftmost-first in one pass (a box inside a longer form belongs to that form):

=========  ==========================================================  ==================
syntax     written as                                                  default convention
=========  ==========================================================  ==================
florence   ``<loc_x1><loc_y1><loc_x2><loc_y2>`` (Florence-2)             bin1000
rotated    ``{<x1><y1><x2><y2>|θ}`` (GeoChat, MiniGPT-v2; θ ignored)     norm100
native     ``{<x1><y1><x2><y2>}`` (braces optional)                    pixel
qwen       ``<|box_start|>(x1,y1),(x2,y2)<|box_end|>``, tags optional  norm1000
internvl   ``<box>[[x1, y1, x2, y2], ...]</box>``                      norm1000
deepseek   ``<|det|>[[x1, y1, x2, y2], ...]<|/det|>`` (DeepSeek-VL2)     norm999
json       ``"bbox_2d": [x1, y1, x2, y2]`` (or ``"bbox"``)              pixel
list       ``[x1, y1, x2, y2]`` or ``(x1, y1, x2, y2)``                pixel
=========  ==========================================================  ==================

Conventions: ``pixel`` (pixels of the frame), ``norm1000`` / ``norm999`` / ``norm100`` (the frame's
width and height are 1000, 999 or 100), ``unit`` (fractions of the frame), ``bin1000`` (Florence-2's
1000 bins per axis: value v is (v + 0.5) / 1000 of the frame). The *frame* (``utils/frames.py``) is
the original image unless a model sees another one (Qwen2.5-VL's resized input, LLaVA's square).

Swapped corners are put in order. A box whose numbers are not finite, have more than
``MAX_NUMBER_CHARS`` characters, or lie more than ``ABSURD_FACTOR`` image sizes away is *invalid*:
it still counts as a predicted box (a false positive) but matches nothing.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import NamedTuple

from .frames import IMAGE_FRAME, Frame
from .vocabulary import lowercase_twin

SYNTAXES: tuple[str, ...] = ("florence", "rotated", "native", "qwen", "internvl", "deepseek", "json", "list")
CONVENTIONS: tuple[str, ...] = ("pixel", "norm1000", "norm999", "norm100", "unit", "bin1000")
DEFAULT_CONVENTIONS: dict[str, str] = {
    "florence": "bin1000",
    "rotated": "norm100",
    "native": "pixel",
    "qwen": "norm1000",
    "internvl": "norm1000",
    "deepseek": "norm999",
    "json": "pixel",
    "list": "pixel",
}
# convention -> (scale, offset): a value v is (v + offset) / scale of the frame; None for pixels.
_SCALE = {"pixel": None, "norm1000": (1000.0, 0.0), "norm999": (999.0, 0.0), "norm100": (100.0, 0.0),
          "unit": (1.0, 0.0), "bin1000": (1000.0, 0.5)}  # fmt: skip

MAX_NUMBER_CHARS = 24
ABSURD_FACTOR = 10.0

_NUM = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?|[-+]?(?:nan|inf(?:inity)?)"
_N = r"\s*(" + _NUM + r")\s*"
_LIST_ITEM = r"\[[^\[\]<>{}]*\]"
_ANGLE = r"\s*\|\s*[-+]?\d{1,4}(?:\.\d{0,6})?\s*"
_BOX_RE = re.compile(
    # florence: <loc_x1><loc_y1><loc_x2><loc_y2>
    r"(?P<florence><loc_(\d{1,4})>\s*<loc_(\d{1,4})>\s*<loc_(\d{1,4})>\s*<loc_(\d{1,4})>)"
    # rotated: {<x1><y1><x2><y2>|angle}, before native, which would take its first part
    r"|(?P<rotated>\{\s*<" + _N + r">\s*<" + _N + r">\s*<" + _N + r">\s*<" + _N + r">" + _ANGLE + r"\})"
    # native: {<x1><y1><x2><y2>}
    r"|(?P<native>(?:\{\s*)?<" + _N + r">\s*<" + _N + r">\s*<" + _N + r">\s*<" + _N + r">\s*\}?)"
    # qwen: <|box_start|>(x1,y1),(x2,y2)<|box_end|>, the tags are special tokens that decoders often drop
    r"|(?P<qwen>(?:<\|box_start\|>\s*)?\("
    + _N
    + ","
    + _N
    + r"\)\s*,\s*\("
    + _N
    + ","
    + _N
    + r"\)(?:\s*<\|box_end\|>)?)"
    # internvl: <box>[[...], [...]]</box>
    r"|(?P<internvl><box>\s*\[\s*(?P<items>" + _LIST_ITEM + r"(?:\s*,\s*" + _LIST_ITEM + r")*)\s*\]\s*</box>)"
    # deepseek: <|det|>[[...], [...]]<|/det|>
    r"|(?P<deepseek><\|det\|>\s*\[\s*(?P<det_items>"
    + _LIST_ITEM
    + r"(?:\s*,\s*"
    + _LIST_ITEM
    + r")*)\s*\]\s*<\|/det\|>)"
    # json: "bbox_2d": [x1, y1, x2, y2], or "bbox"
    r"|(?P<json>[\"']bbox(?:_2d)?[\"']\s*:\s*\[" + _N + "," + _N + "," + _N + "," + _N + r"\])"
    # list: [x1, y1, x2, y2] or (x1, y1, x2, y2)
    r"|(?P<list>\[" + _N + "," + _N + "," + _N + "," + _N + r"\]|\(" + _N + "," + _N + "," + _N + "," + _N + r"\))",
    re.IGNORECASE,
)
_BOX_RE_LOWER = lowercase_twin(_BOX_RE)  # every literal above is lower case
# Every syntax starts with one of these characters. ``re`` cannot skip ahead to them through the
# named groups, so the scan finds them with a character class and tries the full pattern there.
_BOX_START_RE = re.compile(r"[{<(\[\"']")
_NUM_RE = re.compile(_NUM, re.IGNORECASE)
_LIST_ITEM_RE = re.compile(_LIST_ITEM)
# Syntaxes that hold a list of boxes, and the group holding it.
_LIST_OF_LISTS: dict[str, str] = {"internvl": "items", "deepseek": "det_items"}
# Group numbers of the coordinates of each syntax inside _BOX_RE.
_GROUPS: dict[str, tuple[int, ...]] = {}


def _coordinate_groups() -> None:
    names = {index: name for name, index in _BOX_RE.groupindex.items()}
    current = None
    for index in range(1, _BOX_RE.groups + 1):
        if index in names and names[index] in SYNTAXES:
            current = names[index]
            _GROUPS[current] = ()
        elif index not in names and current is not None:
            _GROUPS[current] = (*_GROUPS[current], index)


_coordinate_groups()


class ParsedBox(NamedTuple):
    """One box found in a text. ``coords`` is ``(x1, y1, x2, y2)`` in image pixels, or None when
    the box was written but its numbers are unusable (it then counts as a prediction that matches
    nothing)."""

    coords: tuple[float, float, float, float] | None
    start: int
    end: int
    syntax: str

    @property
    def valid(self) -> bool:
        return self.coords is not None


class BoxConventions(Mapping):
    """Coordinate convention per syntax, and the frame the coordinates are in; unknown syntaxes or
    conventions raise at construction.

    >>> BoxConventions(list="unit")["list"]
    'unit'
    """

    def __init__(self, mapping: Mapping[str, str] | None = None, frame: Frame = IMAGE_FRAME, **overrides: str) -> None:
        self.frame = frame
        merged = dict(DEFAULT_CONVENTIONS)
        for key, value in {**(mapping or {}), **overrides}.items():
            if key not in SYNTAXES:
                raise ValueError(f"unknown box syntax {key!r}; known: {', '.join(SYNTAXES)}")
            if value not in CONVENTIONS:
                raise ValueError(f"unknown coordinate convention {value!r} for {key}; known: {', '.join(CONVENTIONS)}")
            merged[key] = value
        self._conventions = merged

    def __getitem__(self, key: str) -> str:
        return self._conventions[key]

    def __iter__(self):
        return iter(self._conventions)

    def __len__(self) -> int:
        return len(self._conventions)

    def __repr__(self) -> str:
        return f"BoxConventions({self._conventions!r}, frame={self.frame!r})"

    @classmethod
    def parse(cls, spec: str) -> BoxConventions:
        """From ``"list=unit,json=norm1000"`` (the command-line form)."""
        return cls(convention_pairs(spec))

    def with_overrides(self, other: Mapping[str, str]) -> BoxConventions:
        """These conventions with the syntaxes ``other`` names changed, in the same frame."""
        return BoxConventions({**self._conventions, **other}, frame=self.frame)


def convention_pairs(spec: str) -> dict[str, str]:
    """``{"list": "unit", "json": "norm1000"}`` from ``"list=unit,json=norm1000"``; names unchecked."""
    pairs = {}
    for part in filter(None, (p.strip() for p in spec.split(","))):
        key, sep, value = part.partition("=")
        if not sep:
            raise ValueError(f"expected SYNTAX=CONVENTION, got {part!r}")
        pairs[key.strip()] = value.strip()
    return pairs


DEFAULT = BoxConventions()


def _number(text: str) -> float:
    if len(text) > MAX_NUMBER_CHARS:
        return math.nan
    try:
        return float(text)
    except (ValueError, OverflowError):
        return math.nan


Geometry = tuple[float, float, float, float, float, float]


def _to_pixels(
    numbers: list[float], convention: str, width: float, height: float, geometry: Geometry
) -> tuple[float, float, float, float] | None:
    """Four numbers in ``convention`` of the frame with ``geometry`` (``Frame.geometry``), as a box
    in pixels of the original ``width`` x ``height`` image, or None when unusable."""
    if len(numbers) != 4 or not all(math.isfinite(v) for v in numbers):
        return None
    x1, y1, x2, y2 = numbers
    x0, y0, frame_w, frame_h, sx, sy = geometry
    scale = _SCALE[convention]
    if scale is not None:
        size, offset = scale
        x1, x2 = (x1 + offset) * frame_w / size, (x2 + offset) * frame_w / size
        y1, y2 = (y1 + offset) * frame_h / size, (y2 + offset) * frame_h / size
    x1, x2 = x0 + x1 * sx, x0 + x2 * sx
    y1, y2 = y0 + y1 * sy, y0 + y2 * sy
    x1, x2 = min(x1, x2), max(x1, x2)
    y1, y2 = min(y1, y2), max(y1, y2)
    limit = ABSURD_FACTOR * max(width, height)
    if max(abs(x1), abs(x2), abs(y1), abs(y2)) > limit:
        return None
    return (x1, y1, x2, y2)


def _box_matches(text: str) -> list[re.Match]:
    """The matches ``_BOX_RE.finditer(text)`` gives, found faster: only where a box can start,
    and case-sensitively on lower-cased text when it is ASCII (offsets then stay the same)."""
    if text.isascii():
        text, pattern = text.lower(), _BOX_RE_LOWER
    else:
        pattern = _BOX_RE
    found = []
    position = 0
    find_start, match = _BOX_START_RE.search, pattern.match
    while (candidate := find_start(text, position)) is not None:
        start = candidate.start()
        m = match(text, start)
        if m is None:
            position = start + 1
        else:
            found.append(m)
            position = m.end()
    return found


def parse_boxes(
    text: str, width: float, height: float, conventions: Mapping[str, str] | None = None
) -> list[ParsedBox]:
    """All boxes in ``text``, in order, converted to pixels of a ``width`` x ``height`` image."""
    conv = conventions if conventions is not None else DEFAULT
    found: list[ParsedBox] = []
    if not isinstance(text, str):
        return found
    frame = getattr(conv, "frame", IMAGE_FRAME)
    geometry = frame.geometry(width, height) if frame is not IMAGE_FRAME else (0.0, 0.0, width, height, 1.0, 1.0)
    for m in _box_matches(text):
        syntax = m.lastgroup if m.lastgroup in SYNTAXES else next(s for s in SYNTAXES if m.group(s) is not None)
        if syntax in _LIST_OF_LISTS:
            for item in _LIST_ITEM_RE.finditer(m.group(_LIST_OF_LISTS[syntax])):
                numbers = [_number(n) for n in _NUM_RE.findall(item.group(0))]
                coords = _to_pixels(numbers, conv[syntax], width, height, geometry)
                found.append(ParsedBox(coords, m.start(), m.end(), syntax))
            continue
        numbers = [_number(v) for v in m.group(*_GROUPS[syntax]) if v is not None]
        found.append(ParsedBox(_to_pixels(numbers, conv[syntax], width, height, geometry), m.start(), m.end(), syntax))
    return found


def format_box(box: tuple[float, float, float, float]) -> str:
    """The SARChat form ``{<x1><y1><x2><y2>}``, corners rounded to whole pixels."""
    x1, y1, x2, y2 = (round(v) for v in box)
    return f"{{<{x1}><{y1}><{x2}><{y2}>}}"


def rewrite_boxes(text: str, width: float, height: float, conventions: Mapping[str, str] | None = None) -> str:
    """The text with every box written in the SARChat form in pixels, read under ``conventions``.

    After rewriting, the default conventions read the same boxes, so a task can change how a
    model's coordinates are read without changing the scorer. Unusable boxes become
    ``{<nan><nan><nan><nan>}``, which stays unusable.
    """
    if not isinstance(text, str):
        return ""
    pieces: list[str] = []
    last = 0
    boxes = parse_boxes(text, width, height, conventions)
    i = 0
    while i < len(boxes):
        start, end = boxes[i].start, boxes[i].end
        written = []
        while i < len(boxes) and boxes[i].start == start:  # an InternVL span can hold several boxes
            coords = boxes[i].coords
            written.append(_exact_box(coords) if coords is not None else "{<nan><nan><nan><nan>}")
            i += 1
        pieces.append(text[last:start])
        pieces.append("".join(written))
        last = end
    pieces.append(text[last:])
    return "".join(pieces)


def _exact_box(box: tuple[float, float, float, float]) -> str:
    # Four decimals keep a converted box within 1e-4 px of what the scorer would have read.
    return "{" + "".join("<" + f"{v:.4f}".rstrip("0").rstrip(".") + ">" for v in box) + "}"
