"""lmms-eval hooks for the SARChat-Bench tasks: prompt, image, scoring, aggregation, box filter.

The task YAMLs in ``task_yamls/`` name these functions with dotted ``!function`` paths, which
lmms-eval imports as a normal module. Scoring itself lives in ``sarchat_tasks.scoring``; this
module only adapts it to lmms-eval's calling conventions:

* ``process_results`` runs in a thread pool and is retried when it raises, so it is a pure
  function of its arguments and never raises on model output;
* every metric of the suite is listed once in the shared template; each task returns only its
  own keys, and a metric a sample does not belong to gets None, which the aggregations skip;
* ``avg_score`` and ``category_<name>`` carry each sample's Table 3 columns, so one aggregation
  (``task_score``) yields the task score a_t over all samples or over one category's;
* the model profile (``registry.PROFILES``: the instruction added to the question, the syntax
  conventions and frame boxes are read in) comes from ``lmms_eval_specific_kwargs``, whose key is
  the ``--model`` name (the task YAMLs map each backend to its profile, ``generic`` by default), or
  from the ``SARCHAT_PROFILE`` environment variable, which ``sarchat eval --profile`` sets and which
  wins. ``process_results`` never sees the model name, so ``doc_to_text``, which lmms-eval calls for
  every document before any response is scored, records the profile per task for it.
"""

from __future__ import annotations

import os
from typing import Any

from lmms_eval.api.filter import Filter

from sarchat_tasks.metrics import row_metrics, task_score
from sarchat_tasks.prepared import PreparedSet
from sarchat_tasks.registry import DEFAULT_PROFILE, FRAME_KEYS, PROFILES, profile_conventions
from sarchat_tasks.scoring import count_of_samples, pooled_accuracy, share_of_samples
from sarchat_tasks.task_folder import bundled_sample
from sarchat_tasks.utils.boxes import BoxConventions, rewrite_boxes

__all__ = [
    "BoxConventionFilter",
    "count_of_samples",
    "doc_to_target",
    "doc_to_text",
    "doc_to_visual",
    "pooled_accuracy",
    "process_docs",
    "process_results",
    "share_of_samples",
    "task_score",
]

_SAMPLE = PreparedSet(bundled_sample())
# The packaged tasks read the bundled sample; a prepared set's task folder rebinds these two.
doc_to_visual = _SAMPLE.doc_to_visual
process_docs = _SAMPLE.process_docs


PROFILE_ENV = "SARCHAT_PROFILE"
# "min_pixels=...,max_pixels=...,force_simple=1": the resized frame of the qwen25 profiles
FRAME_ENV = "SARCHAT_FRAME"
# task -> (profile, frame options), written by doc_to_text and read by process_results; one dict
# assignment or lookup each, which are atomic, so threads need no lock.
_PROFILE_OF_TASK: dict[str, tuple[str, tuple]] = {}


def _frame_options(kwargs: dict[str, Any]) -> tuple:
    options = dict(part.split("=", 1) for part in os.environ.get(FRAME_ENV, "").split(",") if "=" in part)
    options.update({key: kwargs[key] for key in FRAME_KEYS if key in kwargs})
    return tuple(options.get(key) for key in FRAME_KEYS)


def selected_profile(kwargs: dict[str, Any] | None) -> tuple[str, tuple]:
    """(profile name, frame options) for a task's ``lmms_eval_specific_kwargs``; the environment's
    ``SARCHAT_PROFILE`` wins. Raises ``KeyError`` on an unknown name, before any generation."""
    kwargs = kwargs or {}
    name = os.environ.get(PROFILE_ENV) or kwargs.get("profile") or DEFAULT_PROFILE
    if name not in PROFILES:
        raise KeyError(f"unknown SARChat profile {name!r}; known: {', '.join(PROFILES)}")
    return name, _frame_options(kwargs)


def doc_to_text(doc: dict[str, Any], lmms_eval_specific_kwargs: dict[str, Any] | None = None) -> str:
    """The dataset's question as published (the SARChat models were trained on it), followed by
    the profile's instruction for the task (none for the ``sarchat`` profile), with the backend's
    ``pre_prompt`` and ``post_prompt`` from ``lmms_eval_specific_kwargs``."""
    kwargs = lmms_eval_specific_kwargs or {}
    name, options = selected_profile(kwargs)
    _PROFILE_OF_TASK[doc["task"]] = (name, options)
    instruction = PROFILES[name].instruction(doc["task"], doc["width"], doc["height"])
    question = f"{doc['question']} {instruction}" if instruction else doc["question"]
    return f"{kwargs.get('pre_prompt', '')}{question}{kwargs.get('post_prompt', '')}"


def doc_to_target(doc: dict[str, Any]) -> str:
    """The reference answer."""
    return doc["answer"]


def process_results(doc: dict[str, Any], results: list[Any]) -> dict[str, Any]:
    """Score one response: the task's columns, its Table 3 record for ``avg_score`` and for its
    category's ``category_<name>``, whether nothing in it could be read, and whether the request
    failed (``metrics.row_metrics``: lmms-eval's failure marker is never scored); boxes are read
    in the profile ``doc_to_text`` recorded for the task (``generic`` if none was)."""
    if PROFILE_ENV in os.environ and os.environ[PROFILE_ENV] in PROFILES:
        name, options = os.environ[PROFILE_ENV], _frame_options({})
    else:
        name, options = _PROFILE_OF_TASK.get(doc["task"], (DEFAULT_PROFILE, (None, None, None)))
    return row_metrics(doc, results[0] if results else "", profile_conventions(name, *options))


class BoxConventionFilter(Filter):
    """An lmms-eval filter that reads a model's boxes under other coordinate conventions.

    Use it in a task YAML after ``take_first``, with one keyword per syntax to change::

        filter_list:
          - name: none
            filter:
              - function: take_first
              - function: !function sarchat_tasks.hooks.BoxConventionFilter
                list: unit        # [x1, y1, x2, y2] answers are fractions of the image

    It rewrites every box in pixels of the original image, which the scorer then reads as is.
    """

    def __init__(self, **conventions: str) -> None:
        self.conventions = BoxConventions(conventions)

    def apply(self, resps, docs):
        out = []
        for resp, doc in zip(resps, docs):
            if isinstance(resp, (list, tuple)):
                out.append([rewrite_boxes(r, doc["width"], doc["height"], self.conventions) for r in resp])
            else:
                out.append(rewrite_boxes(resp, doc["width"], doc["height"], self.conventions))
        return out
