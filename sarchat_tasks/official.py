"""Reading SARChat's official files: test sets and ``swift infer`` prediction files.

The official test files are JSON arrays of single-turn records with one image. Whether they use
ms-swift ``messages`` (``role``/``content``) or ShareGPT ``conversations`` (``from``/``value``) is
not documented, so both are read. Prediction files, as the original repository's inference
wrapper writes them, add ``response`` (the model's answer) and ``labels`` (the reference), as a
JSON array or as JSON lines. Which task a file or a question belongs to (``task_of_file``,
``task_of_question``) is read from the file names and question tags of the task registry.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sarchat_tasks.errors import SarchatError
from sarchat_tasks.registry import TABLE5_ORDER, TASKS
from sarchat_tasks.utils.vocabulary import find_categories

OFFICIAL_FILES: dict[str, tuple[str, str]] = {
    file: (task, subset) for task in TABLE5_ORDER for file, subset in TASKS[task].official_files.items()
}
_NAME_WORD_RE = re.compile(r"[a-z0-9]+")
# The official inference script cuts each input file into chunk_N.jsonl under a folder named after
# the input's stem and writes each chunk's answers to chunk_N_results.jsonl beside it.
SWIFT_CHUNK_RE = re.compile(r"chunk_(\d+)(_results)?\.jsonl")


def _name_words(name: str) -> list[str]:
    """The whole words of a file name: lower-case runs of letters and digits (``_``, ``-``, ``.``
    and every other mark separate them)."""
    return _NAME_WORD_RE.findall(name.lower())


# How many tasks' official file names hold each task word. The release prefixes four tasks' files
# with "classify" (SARChat_classify_refer_multi_test.json is referring), so "classify" is shared by
# five tasks and any task word that names one task only is more specific than it.
_WORD_SPREAD: dict[str, int] = {
    word: sum(any(word in _name_words(file) for file in s.official_files) for s in TASKS.values()) or 1
    for spec in TASKS.values()
    for word in spec.file_words
}
_WORD_TASK: dict[str, str] = {word: spec.name for spec in TASKS.values() for word in spec.file_words}
# "multi"/"single" as a word of the name (between _, -, . or the ends), the last one winning:
# "qwen2-vl-multimodal_..._grounding_single_test.json" is single.
_SUBSET_WORD_RE = re.compile(r"(?:^|[_.-])(multi|single)(?=$|[_.-])")
QUESTION_TAG_RE = re.compile(
    r"\[\s*(" + "|".join(re.escape(s.question_tag[1:-1]) for s in TASKS.values() if s.question_tag) + r")\s*\]",
    re.IGNORECASE,
)
_TAG_TASK: dict[str, str] = {s.question_tag[1:-1]: s.name for s in TASKS.values() if s.question_tag}
# Untagged questions that offer categories to choose from are classification.
_OPTIONS_RE = re.compile(r"\b(?:options?|categor(?:y|ies)|classes|class)\b", re.IGNORECASE)


def task_of_file(path: Path | str) -> tuple[str | None, str | None]:
    """(task, subset) from an official file name, or from the words in another name; None where
    the name does not tell.

    The task: the nine official names as they are; any other name by its whole words (a model name
    holding "count" inside a longer word names nothing), the most specific word winning: a word
    found in one task's official names (``refer``) beats ``classify``, which five of them share.
    Two equally specific words of different tasks leave the task to the records' question tags.
    A swift chunk file (``chunk_N_results.jsonl``) is named by its folder, the input file's stem.
    The subset is ``multi`` or ``single`` as a whole word of the name (the last one), so a model
    name such as ``qwen2-vl-multimodal`` in a file name does not set it."""
    name = Path(path).name
    if name in OFFICIAL_FILES:
        return OFFICIAL_FILES[name]
    if SWIFT_CHUNK_RE.fullmatch(name):
        # swift's chunk files are named by number only, in a folder named after the input file
        return task_of_file(Path(path).parent.name) if Path(path).parent.name else (None, None)
    lowered = name.lower()
    spread = {}  # task -> the spread of its most specific word in the name
    for word in _name_words(lowered):
        if word in _WORD_TASK:
            task = _WORD_TASK[word]
            spread[task] = min(spread.get(task, _WORD_SPREAD[word]), _WORD_SPREAD[word])
    narrowest = min(spread.values(), default=0)
    tasks = [task for task, value in spread.items() if value == narrowest]
    subsets = _SUBSET_WORD_RE.findall(lowered)
    return (tasks[0] if len(tasks) == 1 else None), (subsets[-1] if subsets else None)


def task_of_question(question: str) -> str:
    """The task a question belongs to: by its tag (``[count]``, any case, spaces allowed), else
    classification when it offers categories to choose from (two or more category names, or the
    words option/category/class), else description."""
    text = question or ""
    tag = QUESTION_TAG_RE.search(text)
    if tag:
        return _TAG_TASK[tag.group(1).lower()]
    if len({m.value for m in find_categories(text)}) >= 2 or _OPTIONS_RE.search(text):
        return "classification"
    return "description"


_IMAGE_TOKEN_RE = re.compile(r"^\s*(?:<image>\s*)+")


class OfficialFormatError(SarchatError):
    """A file or record that is not in the official format; the message names both."""


@dataclass(frozen=True)
class OfficialRecord:
    """One record: the question (without the ``<image>`` token), the reference answer, the image
    path as written in the file, and the model's response where the file carries one."""

    index: int
    question: str
    answer: str
    image: str
    response: str | None = None
    response_kind: str = "text"  # what the file's "response" holds: text, missing, null, number, list, ...


def read_json_records(path: Path) -> list[dict[str, Any]]:
    """A JSON array, or JSON lines, of objects."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise OfficialFormatError(f"{path}: cannot read: {exc}") from exc
    stripped = text.lstrip()
    try:
        if stripped.startswith("["):
            data = json.loads(text)
        else:
            data = [json.loads(line) for line in text.splitlines() if line.strip()]
    except json.JSONDecodeError as exc:
        whole = _whole_json(text)
        if isinstance(whole, dict):
            raise OfficialFormatError(_object_message(path, whole)) from exc
        raise OfficialFormatError(f"{path}: not valid JSON or JSON lines: {exc}") from exc
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise OfficialFormatError(f"{path}: expected a JSON array of objects")
    lines = not stripped.startswith("[")
    if lines and len(data) == 1 and not any(key in data[0] for key in ("messages", "conversations")):
        raise OfficialFormatError(_object_message(path, data[0]))
    return data


def _whole_json(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return None


def _object_message(path: Path, data: dict[str, Any]) -> str:
    keys = ", ".join(repr(k) for k in list(data)[:8]) or "none"
    return (
        f"{path}: a JSON object (keys {keys}), not a JSON array of records or JSON lines; each record needs "
        "'messages' or 'conversations'"
    )


def _turns(record: dict[str, Any]) -> list[tuple[str, str]]:
    if isinstance(record.get("messages"), list):
        return [(str(t.get("role", "")), t.get("content")) for t in record["messages"] if isinstance(t, dict)]
    if isinstance(record.get("conversations"), list):
        roles = {"human": "user", "gpt": "assistant", "user": "user", "assistant": "assistant", "system": "system"}
        return [(roles.get(str(t.get("from", "")), ""), t.get("value")) for t in record["conversations"]
                if isinstance(t, dict)]  # fmt: skip
    return []


def parse_record(record: dict[str, Any], index: int, path: Path) -> OfficialRecord:
    """One official record; raises ``OfficialFormatError`` naming the file and record index."""
    where = f"{path} record {index}"
    turns = _turns(record)
    user = [c for role, c in turns if role == "user"]
    assistant = [c for role, c in turns if role == "assistant"]
    if not user or not isinstance(user[0], str):
        raise OfficialFormatError(f"{where}: no user turn in 'messages' or 'conversations'")
    labels = record.get("labels")
    answer = assistant[0] if assistant else labels
    if not isinstance(answer, str):
        raise OfficialFormatError(f"{where}: no assistant turn (reference answer)")
    images = record.get("images", record.get("image"))
    if isinstance(images, str):
        images = [images]
    if not isinstance(images, list) or len(images) != 1:
        raise OfficialFormatError(f"{where}: expected exactly one image, got {images!r}")
    image = images[0]
    if isinstance(image, dict):
        image = image.get("path")
    if not isinstance(image, str) or not image:
        raise OfficialFormatError(f"{where}: image path missing")
    response = record.get("response")
    question = _IMAGE_TOKEN_RE.sub("", user[0]).strip()
    kind = "missing" if "response" not in record else _JSON_KIND.get(type(response), type(response).__name__)
    return OfficialRecord(index, question, answer.strip(), image, response if isinstance(response, str) else None, kind)


_JSON_KIND = {str: "text", type(None): "null", bool: "a boolean", int: "a number", float: "a number",
              list: "a list", dict: "an object"}  # fmt: skip


def read_official_file(path: Path) -> list[OfficialRecord]:
    """Every record of an official test or prediction file."""
    return [parse_record(record, i, path) for i, record in enumerate(read_json_records(path))]


def iter_file_records(path: Path) -> Iterator[dict[str, Any]]:
    """The records of a JSON array file, one line at a time when written one record per line
    (as ``sarchat build`` writes them, so a two-million-record train file never sits in memory
    whole), else the whole array."""
    done = 0
    try:
        with open(path, encoding="utf-8") as handle:
            if handle.readline().rstrip() == "[":
                for line in handle:
                    text = line.rstrip()
                    if text == "]":
                        return
                    # A record line starts at column 0; an indented line belongs to a pretty-printed array.
                    if not text.startswith("{"):
                        break
                    record = json.loads(text.removesuffix(","))
                    if not isinstance(record, dict):
                        break
                    yield record
                    done += 1
    except (ValueError, UnicodeDecodeError):
        pass  # not one record per line after all: read the whole array below
    except OSError as exc:
        raise OfficialFormatError(f"{path}: cannot read: {exc}") from exc
    yield from read_json_records(path)[done:]


def question_and_answer(raw: dict[str, Any], index: int, path: Path) -> tuple[str, str]:
    """The user and assistant texts of a record: straight from ``messages`` in the form
    ``sarchat build`` writes (a tenth of the cost at two million records), through
    ``parse_record`` (both official layouts, checked) for anything else."""
    messages = raw.get("messages")
    if isinstance(messages, list) and len(messages) == 2:
        user, assistant = messages
        if (
            isinstance(user, dict)
            and isinstance(assistant, dict)
            and user.get("role") == "user"
            and assistant.get("role") == "assistant"
            and isinstance(user.get("content"), str)
            and isinstance(assistant.get("content"), str)
        ):
            return _IMAGE_TOKEN_RE.sub("", user["content"]).strip(), assistant["content"].strip()
    record = parse_record(raw, index, path)
    return record.question, record.answer
