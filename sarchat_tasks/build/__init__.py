"""SARDet-100K -> SARChat-Bench's official files (and a prepared set): ``sarchat build``.

``coco`` reads and checks the COCO annotations, ``rules`` holds the paper's derivation rules
(grid cells, size and shape words, relations), ``templates`` the question and answer wording,
``records`` turns one image's objects into the six tasks' records, ``pipeline`` writes the
files; ``synth`` draws SAR-like scenes in SARDet-100K's layout for tests and the bundled sample.
"""
