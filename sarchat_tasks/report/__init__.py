"""Results -> the paper's tables: ``sarchat report`` (Table 3, ``table3``, with bootstrap
``intervals`` and ``plots``) and ``sarchat stats`` (the dataset tables 1, 2, 4 and 5, ``stats``);
``tables`` writes the Markdown tables they print."""
