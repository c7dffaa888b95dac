"""The question and answer template banks of `sarchat build`, loaded from data and checked.

The paper (arXiv 2502.08168, section 3) drew each question from a bank of templates per task
(20 classification, 40 description, 15 counting, 15 grounding, 20 identification, 30 referring)
but never published them. This project's banks live in ``sarchat_tasks/data/templates.yaml``, as
data, so that they can be read, reviewed and swapped (``sarchat build --templates FILE``) without
touching code. Loading checks every template's placeholders against what its slot allows, so a
typo fails at load time with the template named, not halfway through a two-million-record build.
"""

from __future__ import annotations

import hashlib
import string
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

import yaml

from sarchat_tasks.errors import SarchatError
from sarchat_tasks.utils.vocabulary import CELLS

# The paper's number of question templates per task (the default bank has exactly these).
PAPER_QUESTION_COUNTS: dict[str, int] = {
    "classification": 20,
    "description": 40,
    "counting": 15,
    "grounding": 15,
    "identification": 20,
    "referring": 30,
}


class TemplateError(SarchatError):
    """A template bank that cannot be used; the message names the file and the template."""


# (task, key) -> (required fields, optional fields, is_list). A list slot holds alternatives the
# builder picks from with its seeded generator; a scalar slot is a fixed phrase.
_SLOTS: dict[tuple[str, str], tuple[frozenset[str], frozenset[str], bool]] = {
    ("classification", "questions"): (frozenset({"options"}), frozenset(), True),
    ("classification", "answer"): (frozenset({"categories"}), frozenset(), False),
    ("description", "questions"): (frozenset(), frozenset(), True),
    ("description", "intro"): (frozenset(), frozenset(), False),
    ("description", "first"): (frozenset({"size", "category", "place"}), frozenset(), True),
    ("description", "more"): (frozenset({"size", "category", "place"}), frozenset(), True),
    ("counting", "questions"): (frozenset(), frozenset({"category", "plural"}), True),
    ("counting", "answer_many"): (frozenset({"count"}), frozenset(), False),
    ("counting", "answer_one"): (frozenset(), frozenset(), False),
    ("grounding", "questions"): (frozenset(), frozenset(), True),
    ("grounding", "intro_many"): (frozenset(), frozenset(), False),
    ("grounding", "intro_one"): (frozenset(), frozenset(), False),
    ("grounding", "group_many"): (frozenset({"count", "plural", "items"}), frozenset(), False),
    ("grounding", "group_one"): (frozenset({"category", "items"}), frozenset(), False),
    ("grounding", "item"): (frozenset({"cell", "box"}), frozenset(), False),
    ("grounding", "relation"): (frozenset({"first", "relation", "second"}), frozenset(), False),
    ("identification", "questions"): (frozenset({"box"}), frozenset(), True),
    ("identification", "answers"): (frozenset({"cell", "object"}), frozenset(), True),
    ("identification", "objects"): (frozenset({"size", "category"}), frozenset({"shape"}), True),
    ("referring", "questions"): (frozenset({"count"}), frozenset({"category", "plural"}), True),
    ("referring", "item"): (frozenset({"box", "cell"}), frozenset(), False),
}
# Counting and referring questions must name the category one way or the other.
_ONE_OF: dict[tuple[str, str], frozenset[str]] = {
    ("counting", "questions"): frozenset({"category", "plural"}),
    ("referring", "questions"): frozenset({"category", "plural"}),
}


@dataclass(frozen=True)
class TemplateBank:
    """A checked template bank: ``bank.get(task, key)`` is a string or a tuple of strings;
    ``places[cell]`` the description's phrasings of a grid cell; ``digest`` the SHA-256 of the
    source file, recorded in the build report so that a build names the bank it used."""

    slots: dict[tuple[str, str], Any]
    places: dict[str, tuple[str, ...]]
    questions_per_instance: float
    source: str
    digest: str

    def get(self, task: str, key: str) -> Any:
        return self.slots[(task, key)]

    def question_counts(self) -> dict[str, int]:
        return {task: len(self.slots[(task, "questions")]) for task in PAPER_QUESTION_COUNTS}


def default_templates_path() -> Path:
    """The packaged bank."""
    return Path(str(files("sarchat_tasks") / "data" / "templates.yaml"))


def template_fields(template: str) -> set[str]:
    """The ``str.format`` field names of a template; raises ValueError on a malformed one."""
    names = set()
    for _, field, spec, conversion in string.Formatter().parse(template):
        if field is None:
            continue
        if not field.isidentifier() or spec or conversion:
            raise ValueError(f"field {{{field}}} must be a plain name")
        names.add(field)
    return names


def _check_template(where: str, template: Any, required: frozenset[str], optional: frozenset[str]) -> str:
    if not isinstance(template, str) or not template.strip():
        raise TemplateError(f"{where}: expected a non-empty string, got {template!r}")
    if template != template.strip() or "  " in template:
        raise TemplateError(f"{where}: leading, trailing or doubled spaces in {template!r}")
    try:
        fields = template_fields(template)
    except ValueError as exc:
        raise TemplateError(f"{where}: {exc} in {template!r}") from exc
    unknown = fields - required - optional
    if unknown:
        raise TemplateError(f"{where}: unknown placeholder(s) {sorted(unknown)} in {template!r}")
    missing = required - fields
    if missing:
        raise TemplateError(f"{where}: missing placeholder(s) {sorted(missing)} in {template!r}")
    return template


def load_templates(path: Path | str | None = None) -> TemplateBank:
    """Read and check a template bank (the packaged one when ``path`` is None)."""
    source = Path(path) if path is not None else default_templates_path()
    try:
        raw_bytes = source.read_bytes()
        data = yaml.safe_load(raw_bytes.decode("utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise TemplateError(f"{source}: cannot read the template bank: {exc}") from exc
    if not isinstance(data, dict):
        raise TemplateError(f"{source}: expected a mapping of tasks")
    slots: dict[tuple[str, str], Any] = {}
    for (task, key), (required, optional, is_list) in _SLOTS.items():
        where = f"{source}: {task}.{key}"
        section = data.get(task)
        if not isinstance(section, dict) or key not in section:
            raise TemplateError(f"{where}: missing")
        value = section[key]
        if is_list:
            if not isinstance(value, list) or not value:
                raise TemplateError(f"{where}: expected a non-empty list of templates")
            checked = tuple(_check_template(f"{where}[{i}]", item, required, optional) for i, item in enumerate(value))
            if len(set(checked)) != len(checked):
                raise TemplateError(f"{where}: duplicate templates")
            one_of = _ONE_OF.get((task, key))
            for i, item in enumerate(checked):
                if one_of and not template_fields(item) & one_of:
                    raise TemplateError(f"{where}[{i}]: must contain one of {sorted(one_of)}: {item!r}")
            slots[(task, key)] = checked
        else:
            slots[(task, key)] = _check_template(where, value, required, optional)
    places_raw = (data.get("description") or {}).get("places")
    if not isinstance(places_raw, dict) or set(places_raw) != set(CELLS):
        raise TemplateError(f"{source}: description.places must name exactly the nine cells {list(CELLS)}")
    places = {}
    for cell in CELLS:
        phrases = places_raw[cell]
        if not isinstance(phrases, list) or not phrases:
            raise TemplateError(f"{source}: description.places.{cell}: expected a non-empty list")
        places[cell] = tuple(
            _check_template(f"{source}: description.places.{cell}[{i}]", p, frozenset(), frozenset())
            for i, p in enumerate(phrases)
        )
    per_instance = (data.get("identification") or {}).get("questions_per_instance")
    n_questions = len(slots[("identification", "questions")])
    if (
        isinstance(per_instance, bool)
        or not isinstance(per_instance, (int, float))
        or not 1 <= per_instance <= n_questions
    ):
        raise TemplateError(
            f"{source}: identification.questions_per_instance must be a number from 1 to the number of "
            f"identification questions ({n_questions}), got {per_instance!r}"
        )
    return TemplateBank(slots, places, float(per_instance), str(source), hashlib.sha256(raw_bytes).hexdigest())
