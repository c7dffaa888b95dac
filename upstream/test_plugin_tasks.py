"""Regression test for the plugin fix, written for lmms-eval's own suite (``test/eval/test_plugin_tasks.py``).

A package named in ``LMMS_EVAL_PLUGINS`` ships task YAMLs in ``<package>/tasks/``; ``--tasks`` must find
them. Before the fix, ``cli_evaluate_single`` built the ``TaskManager`` before it added the plugin folders
to the include path, and the run stopped with ``Tasks not found``. CPU only, no dataset, no model: the
evaluation itself is replaced by a mock.
"""

import os
import sys
import tempfile
import textwrap
import unittest
from pathlib import Path
from unittest.mock import patch

from lmms_eval import __main__ as main_module

TASK_NAME = "lmms_eval_plugin_probe_task"


class TestPluginTasks(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory()
        root = Path(self._tmp.name)
        package = root / "lmms_eval_plugin_probe"
        (package / "tasks").mkdir(parents=True)
        (package / "__init__.py").write_text("")
        (package / "tasks" / "__init__.py").write_text("")
        (package / "models.py").write_text("AVAILABLE_MODELS = {}\n")
        task_yaml = f"""
            task: {TASK_NAME}
            dataset_path: parquet
            test_split: test
            output_type: generate_until
            doc_to_text: question
            doc_to_target: answer
        """
        (package / "tasks" / f"{TASK_NAME}.yaml").write_text(textwrap.dedent(task_yaml))
        sys.path.insert(0, str(root))
        self._root = str(root)

    def tearDown(self):
        sys.path.remove(self._root)
        for name in [name for name in sys.modules if name.startswith("lmms_eval_plugin_probe")]:
            del sys.modules[name]
        self._tmp.cleanup()

    def _run(self, include_path=None):
        argv = ["lmms-eval", "--model", "dummy", "--tasks", TASK_NAME]
        if include_path:
            argv += ["--include_path", include_path]
        with patch.object(sys, "argv", argv):
            _, args = main_module.parse_eval_args()
        with patch.dict(os.environ, {"LMMS_EVAL_PLUGINS": "lmms_eval_plugin_probe"}), patch.object(main_module.evaluator, "simple_evaluate", return_value=None) as simple_evaluate:
            main_module.cli_evaluate_single(args)
        return simple_evaluate.call_args.kwargs

    def test_plugin_tasks_are_found(self):
        kwargs = self._run()
        self.assertEqual(kwargs["tasks"], [TASK_NAME])
        self.assertIn(TASK_NAME, kwargs["task_manager"].all_tasks)

    def test_plugin_tasks_are_found_alongside_an_include_path(self):
        with tempfile.TemporaryDirectory() as other:
            kwargs = self._run(include_path=other)
        self.assertIn(TASK_NAME, kwargs["task_manager"].all_tasks)


if __name__ == "__main__":
    unittest.main()
