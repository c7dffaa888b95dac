"""Reference baselines for SARChat-Bench, runnable as lmms-eval models.

* ``sarchat_cfar``: a CA-CFAR detector (``cfar.py``) that answers every task from its detections.
* ``sarchat_blind``: answers from the question text and training-set priors, never opening the image.

Both write their answers with ``answers.py``; the lmms-eval classes live in ``models.py``.

The ``lmms_eval.models`` entry points name the two callables below rather than objects in
``models.py``. Why: lmms-eval loads every entry point once, while ``lmms_eval.models`` is being
imported. Had the payload lived in ``models.py`` (which must import lmms-eval, and torch with it),
a program that imported ``models.py`` first would re-enter its own half-initialised module during
that load, and lmms-eval would drop every plugin model for the whole process. This package module
imports nothing, so the entry points always resolve, and cheaply.
"""

from __future__ import annotations

# The lmms-eval model names of the baselines: they exist only where this package is installed.
BASELINE_MODELS = ("sarchat_cfar", "sarchat_blind")
CFAR_CLASS = "sarchat_tasks.baselines.models.SARChatCFAR"
BLIND_CLASS = "sarchat_tasks.baselines.models.SARChatBlind"


def cfar_manifest():
    """Entry-point payload for ``sarchat_cfar`` (an lmms-eval ``ModelManifest``)."""
    from lmms_eval.models.registry_v2 import ModelManifest

    return ModelManifest(model_id="sarchat_cfar", simple_class_path=CFAR_CLASS)


def blind_manifest():
    """Entry-point payload for ``sarchat_blind`` (an lmms-eval ``ModelManifest``)."""
    from lmms_eval.models.registry_v2 import ModelManifest

    return ModelManifest(model_id="sarchat_blind", simple_class_path=BLIND_CLASS)
