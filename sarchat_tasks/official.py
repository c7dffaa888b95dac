"""Reading SARChat's official files: test sets and ``swift infer`` prediction files.

The official test files are JSON arrays of single-turn records with one image. Whether they use
ms-swift ``messages`` (``role``/``content``) or ShareGPT ``conversations`` (``from``/``value``) is
not documented, so both are read. Prediction files, as the original repository's inference
wrapper writes them, add ``response`` (the model's answer) and ``labels`` (the reference), as a
JSON array or as JSON lines.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sarchat_tasks.errors import SarchatError
from sarchat_tasks.utils.vocabulary import find_categories

# Official file name -> (task, subset). Subset "" where the task has none.
OFFICIAL_FILES: dict[str, tuple[str, str]] = {
    "SARChat_classify_test.json": ("classification", ""),
    "SARChat_describe_test.json": ("description", ""),
    "SARChat_classify_count_test.json": ("counting", ""),
    "SARChat_grounding_multi_test.json": ("grounding", "multi"),
    "SARChat_grounding_single_test.json": ("grounding", "single"),
    "SARChat_identify_multi_test.json": ("identification", "multi"),
    "SARChat_identify_single_test.json": ("identification", "single"),
    "SARChat_refer_multi_test.json": ("referring", "multi"),
    "SARChat_refer_single_test.json": ("referring", "single"),
}
TASK_TAGS: dict[str, str] = {"[count]": "counting", "[grounding]": "grounding", "[identify]": "identification",
                             "[refer]": "referring"}  # fmt: skip
_FILE_TASK_WORDS = (("classify_count", "counting"), ("count", "counting"), ("grounding", "grounding"),
                    ("identify", "identification"), ("refer", "referring"), ("describe", "description"),
                    ("classify", "classification"))  # fmt: skip
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
    return OfficialRecord(index, question, answer.strip(), image, response if isinstance(response, str) else None)


def read_official_file(path: Path) -> list[OfficialRecord]:
    """Every record of an official test or prediction file."""
    return [parse_record(record, i, path) for i, record in enumerate(read_json_records(path))]


def task_of_file(path: Path) -> tuple[str | None, str | None]:
    """(task, subset) from an official file name, or from the words in another name; None where
    the name does not tell."""
    name = Path(path).name
    if name in OFFICIAL_FILES:
        return OFFICIAL_FILES[name]
    lowered = name.lower()
    task = next((t for word, t in _FILE_TASK_WORDS if word in lowered), None)
    subset = "multi" if "multi" in lowered else "single" if "single" in lowered else None
    return task, subset


def task_of_question(question: str) -> str:
    """The task a question belongs to, by its tag; untagged questions that offer the category
    options are classification, the rest description."""
    lowered = question.lower()
    for tag, task in TASK_TAGS.items():
        if tag in lowered:
            return task
    if len({m.value for m in find_categories(question)}) >= 3:
        return "classification"
    return "description"
