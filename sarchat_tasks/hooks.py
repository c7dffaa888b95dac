"""lmms-eval hooks for the SARChat-Bench tasks: prompt, image, scoring, aggregation, box filter.

The task YAMLs in ``task_yamls/`` name these functions with dotted ``!function`` paths, which
lmms-eval imports as a normal module. Scoring itself lives in ``sarchat_tasks.scoring``; this
module only adapts it to lmms-eval's calling conventions:

* ``process_results`` runs in a thread pool and is retried when it raises, so it is a pure
  function of its arguments and never raises on model output;
* every metric of the suite is listed once in the shared template; each task returns only its
  own keys, and a metric a sample does not belong to gets None, which the aggregations skip;
* ``avg_score`` and ``category_<name>`` carry each sample's Table 3 columns, so one aggregation
  (``task_score``) yields the task score a_t over all samples or over one category's.
"""

from __future__ import annotations

import json
from typing import Any

from lmms_eval.api.filter import Filter

from sarchat_tasks.prepared import PreparedSet
from sarchat_tasks.scoring import count_of_samples, pooled_accuracy, sample_metrics, share_of_samples, task_score
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


def doc_to_text(doc: dict[str, Any], lmms_eval_specific_kwargs: dict[str, Any] | None = None) -> str:
    """The dataset's question as published (the SARChat models were trained on it), with the
    backend's ``pre_prompt`` and ``post_prompt`` from ``lmms_eval_specific_kwargs``."""
    kwargs = lmms_eval_specific_kwargs or {}
    return f"{kwargs.get('pre_prompt', '')}{doc['question']}{kwargs.get('post_prompt', '')}"


def doc_to_target(doc: dict[str, Any]) -> str:
    """The reference answer."""
    return doc["answer"]


def process_results(doc: dict[str, Any], results: list[Any]) -> dict[str, Any]:
    """Score one response: the task's columns, its Table 3 record for ``avg_score`` and for its
    category's ``category_<name>``, and whether nothing in it could be read.

    A request the backend never got an answer for comes back as lmms-eval's marker text
    ``[LMMS_EVAL_REQUEST_FAILED after N retries] ...`` (API backends): it is not the model's answer,
    so every metric is None (the aggregations skip it) and ``failed_requests`` is 1. The check is
    written out here (``sarchat_tasks.failures`` has the same rule) so that the upstream export,
    which copies this function alone, keeps it."""
    response = results[0] if results else ""
    failed = isinstance(response, str) and response.lstrip().startswith("[LMMS_EVAL_REQUEST_FAILED")
    reference = json.loads(doc["reference"])
    values = sample_metrics(
        doc["task"], doc["subset"], doc["category"], "" if failed else response, reference, doc["width"], doc["height"]
    )
    if failed:
        values = dict.fromkeys(values)
    values["failed_requests"] = int(failed)
    return values


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
