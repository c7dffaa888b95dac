"""The tiny checkpoints the tests build: they ship in the package (``sarchat tiny-model``,
sarchat_tasks/train/tiny_models.py); this module keeps the name the tests import."""

from __future__ import annotations

from sarchat_tasks.train.tiny_models import *  # noqa: F403
from sarchat_tasks.train.tiny_models import FAMILIES, Family, build, build_tiny_qwen2vl  # noqa: F401
