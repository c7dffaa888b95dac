"""Running lmms-eval on the suite: ``sarchat eval`` and ``sarchat include-path`` (``evaluate``),
``sarchat demo`` (``demo``)."""
