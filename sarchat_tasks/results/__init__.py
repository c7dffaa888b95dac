"""Model answers -> metrics, outside a model run: lmms-eval's output read back (``run_logs``),
rescored from its sample logs (``rescore``), and ``swift infer`` prediction files scored
(``score_files``). All score through ``sarchat_tasks.scoring``, as the lmms-eval hooks do."""
