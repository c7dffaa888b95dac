"""``sarchat include-path`` and ``sarchat eval``: lmms-eval with the SARChat tasks included.

Without ``--data`` the packaged tasks run on the bundled sample. With ``--data DIR`` (a prepared
set) the task folder inside DIR is used; it is rewritten first, so that it always includes the
installed package's task YAMLs, wherever the package now lives.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sarchat_tasks.prepared import MANIFEST, PreparedSet
from sarchat_tasks.task_folder import packaged_task_folder, write_task_folder

ACCEPTS_EXTRA = True


def task_folder(data: Path | None) -> Path:
    """The folder to hand to ``--include_path``: the packaged one, or DIR's regenerated one."""
    if data is None:
        return packaged_task_folder()
    prepared = PreparedSet(data)
    manifest = prepared.manifest  # raises with a clear message on a missing or outdated set
    prepared.validate()
    budgets = {task: info["max_new_tokens"] for task, info in manifest.get("tasks", {}).items()}
    return write_task_folder(prepared.root, budgets)


def register_command(name: str, parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", type=Path, help=f"a prepared set (holding {MANIFEST}); default: the bundled sample")


def lmms_eval_argv(folder: Path, extra: list[str]) -> list[str]:
    """lmms-eval's arguments: ours first, then the user's; ``--tasks sarchat`` unless given."""
    argv = ["--include_path", str(folder), *extra]
    if not any(a == "--tasks" or a.startswith("--tasks=") for a in extra):
        argv += ["--tasks", "sarchat"]
    return argv


def run(args: argparse.Namespace) -> int:
    folder = task_folder(args.data)
    if args.command == "include-path":
        if args.extra:
            print(f"sarchat include-path: unexpected arguments {args.extra}", file=sys.stderr)
            return 2
        print(folder)
        return 0
    from lmms_eval.cli.dispatch import main as lmms_eval_main

    argv = lmms_eval_argv(folder, args.extra)
    saved = sys.argv
    sys.argv = ["lmms-eval", *argv]
    try:
        lmms_eval_main()
    except SystemExit as exc:
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    finally:
        sys.argv = saved
    return 0


def results_files(output_path: Path) -> list[Path]:
    """lmms-eval results files under an output folder, oldest first."""
    return sorted(Path(output_path).rglob("*_results.json"), key=lambda p: p.stat().st_mtime)
