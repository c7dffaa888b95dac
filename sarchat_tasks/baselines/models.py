"""The baselines as lmms-eval model backends: ``sarchat_cfar`` and ``sarchat_blind``.

Why as lmms-eval models: a baseline then runs through exactly the same task YAMLs, prompts,
post-processing and scoring as a VLM (``--model sarchat_cfar``), so its numbers are directly
comparable with a model's, row by row in the same results table.

* ``sarchat_cfar`` looks at the image with a CA-CFAR detector (``cfar.py``) and writes every answer
  from its detections: the floor a VLM must clear to claim it localises anything.
* ``sarchat_blind`` never opens the image: it answers from the question text and training-set
  priors (most frequent category, typical count and box, most frequent cell). A VLM that does not
  beat it has not used the image.

Both are registered through the ``lmms_eval.models`` entry-point group (payloads in
``sarchat_tasks/baselines/__init__.py``), so they work after ``pip install`` with no flag. Both are deterministic
and CPU-only.

lmms-eval hands a simple model ``Instance`` objects whose ``args`` are
``(context, generation_kwargs, doc_to_visual, doc_id, task, split)``; the visuals are
``doc_to_visual(self.task_dict[task][split][doc_id])``, as in lmms-eval's own simple backends.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from lmms_eval.api.model import lmms

from sarchat_tasks.baselines import answers
from sarchat_tasks.baselines.cfar import CFARConfig, Detection, classify_box, detect, to_amplitude

# Keyword arguments lmms-eval passes to every backend; a baseline has no use for them.
_IGNORED_KWARGS = ("batch_size", "max_batch_size", "device")
# Columns a dataset may carry with the image size (read by the blind baseline without decoding the image).
_SIZE_KEYS = (("width", "height"), ("image_width", "image_height"), ("img_width", "img_height"))


def _as_bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


def _check_kwargs(name: str, kwargs: Mapping[str, Any]) -> None:
    unknown = sorted(k for k in kwargs if k not in _IGNORED_KWARGS)
    if unknown:
        raise TypeError(f"{name}: unknown model_args {', '.join(unknown)}")


class _Baseline(lmms):
    """Shared plumbing: request loop, priors, no log-likelihoods."""

    is_simple = True
    name = "sarchat_baseline"
    # lmms-eval's evaluator reads ``model.device`` when several processes gather results; these
    # baselines run on the CPU in every process.
    device = "cpu"

    def __init__(self, priors: str | None = None, shape_words: bool | str = False) -> None:
        super().__init__()
        self.priors = answers.load_priors(priors) if priors else answers.DEFAULT_PRIORS
        self.shape_words = _as_bool(shape_words)

    def _answer(self, context: str, doc_to_visual, doc_id: int, task: str, split: str) -> str:
        raise NotImplementedError

    def generate_until(self, requests) -> list[str]:
        from tqdm import tqdm

        responses = []
        # the bar lmms-eval's own models draw (rank 0 only), which `sarchat eval` and `demo` redraw
        for request in tqdm(requests, desc="Model Responding", disable=getattr(self, "rank", 0) != 0):
            context, gen_kwargs, doc_to_visual, doc_id, task, split = request.args[:6]
            text = self._answer(
                context if isinstance(context, str) else str(context), doc_to_visual, doc_id, task, split
            )
            responses.append(text)
            self.cache_hook.add_partial("generate_until", (context, gen_kwargs), text)
        return responses

    def generate_until_multi_round(self, requests) -> list[str]:
        return self.generate_until(requests)

    def loglikelihood(self, requests) -> list[tuple[float, bool]]:
        raise NotImplementedError(f"{self.name} writes answers; it has no likelihoods to score")


class SARChatCFAR(_Baseline):
    """Answers every SARChat task from CA-CFAR detections (see ``cfar.py`` for the settings).

    model_args: ``pfa`` (1e-5), ``pfa_extent`` (1e-3), ``guard_fraction`` (0.08), ``train_fraction``
    (0.03), ``min_pixels`` (5), ``min_seeds`` (2), ``priors`` (a priors JSON or COCO train file, for
    the fallback category), ``shape_words`` (false: add a shape word to identification answers).
    """

    name = "sarchat_cfar"

    def __init__(
        self,
        pfa: float = CFARConfig.pfa,
        pfa_extent: float = CFARConfig.pfa_extent,
        guard_fraction: float = CFARConfig.guard_fraction,
        train_fraction: float = CFARConfig.train_fraction,
        min_pixels: int = CFARConfig.min_pixels,
        min_seeds: int = CFARConfig.min_seeds,
        priors: str | None = None,
        shape_words: bool | str = False,
        cache_size: int = 64,
        **kwargs: Any,
    ) -> None:
        _check_kwargs(self.name, kwargs)
        super().__init__(priors=priors, shape_words=shape_words)
        self.config = CFARConfig(
            pfa=float(pfa),
            pfa_extent=float(pfa_extent),
            guard_fraction=float(guard_fraction),
            train_fraction=float(train_fraction),
            min_pixels=int(min_pixels),
            min_seeds=int(min_seeds),
        )
        self._cache: OrderedDict[str, tuple[np.ndarray, list[Detection]]] = OrderedDict()
        self._cache_size = max(1, int(cache_size))

    def analyse(self, image: Any) -> tuple[np.ndarray, list[Detection]]:
        """(amplitude, detections) for an image; identical images are analysed once (each image
        serves many questions: identification alone asks about every object several times)."""
        amplitude = to_amplitude(_open(image))
        key = hashlib.sha1(np.ascontiguousarray(amplitude).tobytes() + str(amplitude.shape).encode()).hexdigest()
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        result = (amplitude, detect(amplitude, self.config))
        self._cache[key] = result
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return result

    def answer_image(self, question: str, image: Any) -> str:
        """The answer to ``question`` about ``image`` (a PIL image, an array or a path)."""
        amplitude, detections = self.analyse(image)
        height, width = amplitude.shape
        # Most confident first, so that referring's "Identify N" takes the strongest N.
        ranked = sorted(detections, key=lambda d: (-d.peak_snr_db, d.box))
        objects = [(d.category, d.box) for d in ranked]
        return answers.answer(
            question,
            objects,
            width,
            height,
            priors=self.priors,
            box_category=lambda box: classify_box(amplitude, box, detections),
            shape_words=self.shape_words,
        )

    def _answer(self, context: str, doc_to_visual, doc_id: int, task: str, split: str) -> str:
        visuals = doc_to_visual(self.task_dict[task][split][doc_id])
        if isinstance(visuals, (list, tuple)):
            visuals = visuals[0] if visuals else None
        if visuals is None:
            # No image: nothing was detected; the writers still answer in format.
            return answers.answer(context, [], *self.priors.image_size, priors=self.priors)
        return self.answer_image(context, visuals)


def _open(image: Any) -> Any:
    """A path opened as the display rule shows it (``sarchat_tasks.images``); anything else as given."""
    if isinstance(image, (str, Path)):
        from sarchat_tasks.images import load_display_rgb

        return load_display_rgb(image)
    return image


class SARChatBlind(_Baseline):
    """Answers from the question text and training-set priors alone; never calls ``doc_to_visual``.

    The image size is the only thing it takes from the document, and only from plain size columns
    (``width``/``height``) when the dataset has them, else the priors' typical size: pixel boxes
    need a frame, and a VLM sees the size anyway. model_args: ``priors`` (a priors JSON or a COCO
    train annotation file; built-in defaults otherwise), ``shape_words`` (false).
    """

    name = "sarchat_blind"

    def __init__(self, priors: str | None = None, shape_words: bool | str = False, **kwargs: Any) -> None:
        _check_kwargs(self.name, kwargs)
        super().__init__(priors=priors, shape_words=shape_words)
        self._size_views: dict[tuple[str, str], Any] = {}

    def objects_for(self, question: answers.Question, width: float, height: float) -> list[answers.Object]:
        """What the priors say is in a typical image, for this question."""
        if question.task in ("counting", "referring"):
            category = question.category or self.priors.most_frequent()
            n = question.number if question.task == "referring" and question.number else self.priors.count_for(category)
        else:
            category = self.priors.most_frequent()
            n = self.priors.count_for(category)
        return [(category, box) for box in self.priors.boxes(category, n, width, height)]

    def answer_text(self, question: str, width: float | None = None, height: float | None = None) -> str:
        """The answer to ``question`` for an image of the given size (priors' size when None)."""
        q = answers.parse_question(question)
        w, h = (width, height) if width and height else self.priors.image_size
        w, h = answers.size_from_question(q, float(w), float(h))
        return answers.answer(q, self.objects_for(q, w, h), w, h, priors=self.priors, shape_words=self.shape_words)

    def _image_size(self, task: str, split: str, doc_id: int) -> tuple[float, float] | None:
        dataset = self.task_dict[task][split]
        columns = getattr(dataset, "column_names", None)
        if columns is not None and hasattr(dataset, "select_columns"):
            # A datasets.Dataset: read only size columns, so the image column is never decoded.
            key = (task, split)
            if key not in self._size_views:
                pair = next((p for p in _SIZE_KEYS if p[0] in columns and p[1] in columns), None)
                self._size_views[key] = (pair, dataset.select_columns(list(pair)) if pair else None)
            pair, view = self._size_views[key]
            if view is None:
                return None
            row = view[int(doc_id)]
            return _size_of(row, pair)
        doc = dataset[doc_id]
        if isinstance(doc, Mapping):
            pair = next((p for p in _SIZE_KEYS if p[0] in doc and p[1] in doc), None)
            return _size_of(doc, pair) if pair else None
        return None

    def _answer(self, context: str, doc_to_visual, doc_id: int, task: str, split: str) -> str:
        size = None
        try:
            size = self._image_size(task, split, doc_id)
        except (KeyError, IndexError, TypeError, ValueError):
            size = None
        return self.answer_text(context, *(size or (None, None)))


def _size_of(row: Mapping[str, Any], pair: Sequence[str] | None) -> tuple[float, float] | None:
    if not pair:
        return None
    try:
        w, h = float(row[pair[0]]), float(row[pair[1]])
    except (TypeError, ValueError, KeyError):
        return None
    return (w, h) if w > 0 and h > 0 else None


# The entry-point payloads are ``sarchat_tasks.baselines.cfar_manifest`` / ``blind_manifest``
# (see that package's docstring for why they do not live here).
