"""SARChat-Bench (arXiv 2502.08168) as lmms-eval tasks: SAR image interpretation for VLMs.

Data flows: official files or SARDet-100K -> prepared set (``prepare``, ``build``) -> lmms-eval
task (``task_yamls/``) -> hooks (``hooks``) -> scoring (``scoring``, ``utils``) -> results ->
report (``report``).
"""

__version__ = "0.1.0"
