"""A corpus of model answers, graded by hand: what public models write when asked SARChat-Bench's
questions, each with the metric values a careful human grader gives it under docs/METRICS.md.

One module per task (``counting``, ``grounding``, ...) holds ``RECORDS`` (the SARChat records the
answers reply to: question, reference answer as the release writes it, image size) and ``ENTRIES``
(one dict per answer). An entry names:

- ``id`` (unique), ``model`` (the public model whose style it is written in) and ``source`` (where
  that model's answer style or box format is documented: paper, model card or issue);
- ``profile`` (``sarchat_tasks/run/profiles.py``: the box conventions and frame it is read in) and
  ``kind`` (what makes it hard: ``plain``, ``prose``, ``negation``, ``markdown``,
  ``reasoning_block``, ``native_boxes_<syntax>``, ...);
- ``record`` (a key of the module's ``RECORDS``), ``answer`` (the model's text);
- ``expected``: every column of the task that applies to the record, as ``score_sample`` reports
  it (a share column 0/1, a pooled column ``[tp, fp, fn]``); columns left out must be None;
- ``why``: the hand working.

The expected values are worked out by hand from METRICS.md's definitions (IoU arithmetic included),
never by running the scorer: ``benchmarks/answer_agreement.py`` measures how often the readers
agree with them.

The scenes (pixel boxes of the original image, cells by box centre on thirds):

- ``harbour`` 512 x 512 (tests/official_fixture.py): ship (294, 358, 329, 427) bottom center,
  ship (61, 448, 122, 503) bottom left, ship (27, 199, 78, 261) middle left, harbor
  (193, 157, 245, 306) middle center; the ship is far from the harbor.
- ``airport`` 600 x 400: aircraft (393, 326, 470, 394) bottom right.
- ``depot`` 320 x 256: tank (20, 30, 60, 70) top left, tank (200, 150, 240, 190) bottom right,
  car (150, 20, 170, 34) top center.
- ``sea`` 800 x 600 (tests/native_answers.py): ship (200, 150, 400, 450) middle center, ship
  (480, 330, 640, 420) middle right.
- ``apron`` 560 x 560 (a multiple of 28: Qwen2.5-VL's resized input is the image itself): aircraft
  (56, 84, 140, 168) top left, aircraft (420, 392, 504, 476) bottom right, bridge
  (196, 210, 364, 350) middle center; 0-1000 coordinates are x / 0.56 (100, 150, 250, 300),
  (750, 700, 900, 850), (350, 375, 650, 625).
- ``fleet`` 480 x 480 (the bundled sample): ships (228, 171, 259, 242) middle center,
  (91, 379, 130, 437) bottom left, (359, 43, 400, 122) top right, (45, 270, 66, 333) middle left.
"""

from __future__ import annotations

import importlib
from typing import Any

TASK_MODULES: tuple[str, ...] = (
    "counting",
    "grounding",
    "identification",
    "referring",
    "description",
    "classification",
)
ENTRY_FIELDS: tuple[str, ...] = ("id", "model", "source", "profile", "kind", "record", "answer", "expected", "why")
RECORD_FIELDS: tuple[str, ...] = ("task", "subset", "question", "reference", "width", "height")

# Where each model's answer style or box format is documented.
SOURCES: dict[str, str] = {
    "sarchat": "https://arxiv.org/abs/2502.08168 (SARChat-Bench, Figure 3)",
    "qwen2_vl": "https://github.com/QwenLM/Qwen3-VL/issues/866",
    "qwen2_vl_paper": "https://arxiv.org/abs/2409.12191 (Qwen2-VL, grounding format)",
    "qwen2_5_vl": "https://github.com/QwenLM/Qwen3-VL/issues/676",
    "qwen2_5_vl_cookbook": "https://github.com/QwenLM/Qwen2.5-VL/blob/main/cookbooks/spatial_understanding.ipynb",
    "qwen3_vl": "https://github.com/QwenLM/Qwen3-VL/issues/1427",
    "qwen3_vl_thinking": "https://huggingface.co/Qwen/Qwen3-VL-8B-Thinking (model card: <think> block)",
    "internvl": "https://github.com/OpenGVLab/InternVL/issues/285",
    "internvl2": "https://arxiv.org/abs/2404.16821 (InternVL 1.5/2 report)",
    "internvl3": "https://arxiv.org/abs/2504.10479 (InternVL3 report)",
    "llava_1_5": "https://github.com/haotian-liu/LLaVA/issues/606",
    "llava_onevision": "https://arxiv.org/abs/2408.03326 (LLaVA-OneVision)",
    "gemma3": "https://huggingface.co/google/gemma-3-4b-it (model card)",
    "deepseek_vl2": "https://github.com/deepseek-ai/DeepSeek-VL2 (README, visual grounding)",
    "florence2": "https://huggingface.co/microsoft/Florence-2-large (model card, <loc_N> tokens)",
    "geochat": "https://arxiv.org/abs/2311.15826 (GeoChat, {<x1><y1><x2><y2>|θ} on 0-100)",
    "gpt4o": "https://arxiv.org/abs/2410.21276 (GPT-4o system card)",
    "gemini": "https://ai.google.dev/gemini-api/docs/image-understanding (Gemini image understanding)",
    "claude": "https://docs.anthropic.com/en/docs/build-with-claude/vision (Claude vision)",
    "deepseek_r1": "https://arxiv.org/abs/2501.12948 (DeepSeek-R1: <think> reasoning then answer)",
    "qvq": "https://huggingface.co/Qwen/QVQ-72B-Preview (model card: step-by-step reasoning)",
}


def E(id, model, source, profile, kind, record, answer, expected, why) -> dict[str, Any]:
    """One entry, its fields in ``ENTRY_FIELDS`` order (the task modules write them positionally)."""
    return dict(id=id, model=model, source=source, profile=profile, kind=kind, record=record, answer=answer,
                expected=expected, why=why)  # fmt: skip


def _module(task: str):
    return importlib.import_module(f"answer_corpus.{task}")


def load_corpus(tasks: tuple[str, ...] | None = None) -> list[dict[str, Any]]:
    """Every entry with its record's fields filled in (task, subset, question, reference answer,
    width, height), in task order."""
    corpus = []
    for task in tasks or TASK_MODULES:
        module = _module(task)
        for entry in module.ENTRIES:
            record = module.RECORDS[entry["record"]]
            corpus.append({**entry, **{key: record[key] for key in RECORD_FIELDS}})
    return corpus
