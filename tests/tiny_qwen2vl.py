"""A tiny, randomly initialised Qwen2-VL checkpoint built from a config, for end-to-end tests of
the real lmms-eval ``qwen2_vl`` backend on CPU with no download. Its answers are noise; what the
tests check is that every stage of the pipeline runs and reports every metric. The builders of all
families live in ``tiny_models.py``; this module keeps the name the older tests import."""

from __future__ import annotations

from tiny_models import CHAT_TEMPLATE, SPECIAL_TOKENS, build_tiny_qwen2vl

__all__ = ["CHAT_TEMPLATE", "SPECIAL_TOKENS", "build_tiny_qwen2vl"]
