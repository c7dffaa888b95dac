"""Requests the model never answered: lmms-eval's API backends (``openai``, ``gemini``, ...) put
the text ``[LMMS_EVAL_REQUEST_FAILED after N retries] <error>`` where the answer should be.

Such a sample is not an answer: every metric of it is None (the aggregations skip it, so it counts
neither for nor against the model) and ``failed_requests`` is 1. The task's ``failed_requests``
is the number of such samples; ``sarchat eval`` stops with an error when it is not 0, unless the
user allows failed requests. Used by the lmms-eval hook, ``sarchat rescore`` and ``sarchat merge``
alike, and free of lmms-eval so that the latter two run without it.
"""

from __future__ import annotations

from typing import Any

FAILED_MARKER = "[LMMS_EVAL_REQUEST_FAILED"
FAILED_REQUESTS = "failed_requests"


def is_failed_request(response: Any) -> bool:
    """Whether a response is lmms-eval's failure marker rather than the model's answer."""
    return isinstance(response, str) and response.lstrip().startswith(FAILED_MARKER)


def failed_sample(scored: dict[str, Any]) -> dict[str, Any]:
    """The per-sample values of a failed request: the keys a scored sample has, all None, and
    ``failed_requests`` 1."""
    values: dict[str, Any] = dict.fromkeys(scored)
    values[FAILED_REQUESTS] = 1
    return values


def sample_values(
    task: str,
    subset: str,
    category: str | None,
    response: Any,
    reference: dict[str, Any],
    width: int,
    height: int,
    conventions: Any = None,
) -> dict[str, Any]:
    """What ``hooks.process_results`` logs for one sample: its metrics, or none for a failed
    request, and ``failed_requests``."""
    from sarchat_tasks import scoring

    failed = is_failed_request(response)
    values = scoring.sample_metrics(
        task, subset, category, "" if failed else response, reference, width, height, conventions
    )
    if failed:
        return failed_sample(values)
    values[FAILED_REQUESTS] = 0
    return values


def task_metrics(task: str, samples: list[dict[str, Any]]) -> dict[str, Any]:
    """A task's metrics over logged per-sample values, as the task YAML's aggregations compute
    them, ``failed_requests`` included."""
    from sarchat_tasks import scoring

    metrics = scoring.aggregate_metrics(task, samples)
    metrics[FAILED_REQUESTS] = scoring.count_of_samples(s.get(FAILED_REQUESTS) for s in samples)
    return metrics
