"""The suite in lmms-eval's own layout, for a pull request upstream: ``sarchat export-upstream``
(``upstream``)."""
