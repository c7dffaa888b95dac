"""Box parsing, IoU, matching and the SARChat vocabulary: numpy and scipy only, no lmms-eval.

Installed as ``sarchat_tasks.utils``. Modules: ``vocabulary`` (categories, grid cells, size, shape
and relation words), ``boxes`` (box syntaxes and coordinate conventions), ``matching`` (IoU and
one-to-one matching), ``answers`` (counts, categorised boxes, description items, attributes).
"""
