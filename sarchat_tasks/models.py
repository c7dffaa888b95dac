"""What lmms-eval's ``LMMS_EVAL_PLUGINS=sarchat_tasks`` expects of a plugin package besides its
``sarchat_tasks.tasks`` folder of task YAMLs: a ``models`` module with ``AVAILABLE_MODELS``.

lmms-eval imports ``<plugin>.models`` for every plugin named in that variable and fails to start
without it. The baselines (``sarchat_blind``, ``sarchat_cfar``) are registered through the
``lmms_eval.models`` entry-point group instead (pyproject.toml), the mechanism lmms-eval prefers,
so nothing is listed here.
"""

from __future__ import annotations

AVAILABLE_MODELS: dict[str, str] = {}
