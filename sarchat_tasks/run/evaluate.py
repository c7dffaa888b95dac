"""``sarchat include-path`` and ``sarchat eval``: lmms-eval with the SARChat tasks included.

Without ``--data`` the packaged tasks run on the bundled sample. With ``--data DIR`` (a prepared
set) the task folder inside DIR is used; it is rewritten first, so that it always includes the
installed package's task YAMLs, wherever the package now lives.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from sarchat_tasks.errors import SarchatError
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
    if name == "eval":
        parser.add_argument(
            "--profile", help="model profile (sarchat profiles); default: the one --model names, else generic"
        )


def option_value(extra: list[str], option: str) -> str | None:
    """The value of ``--option VALUE`` or ``--option=VALUE`` among lmms-eval's arguments."""
    for i, arg in enumerate(extra):
        if arg == option and i + 1 < len(extra):
            return extra[i + 1]
        if arg.startswith(option + "="):
            return arg[len(option) + 1 :]
    return None


def profile_environment(profile: str | None, extra: list[str]) -> dict[str, str]:
    """The variables the hooks read: ``SARCHAT_PROFILE`` for ``--profile``, and ``SARCHAT_FRAME``
    from ``--model_args``' min_pixels, max_pixels and force_simple (the frame Qwen2.5-VL answers in)."""
    from sarchat_tasks.hooks import FRAME_ENV, FRAME_KEYS, PROFILE_ENV
    from sarchat_tasks.registry import PROFILES

    env = {}
    if profile is not None:
        if profile not in PROFILES:
            raise SarchatError(f"--profile: unknown profile {profile!r}; known: {', '.join(PROFILES)}")
        env[PROFILE_ENV] = profile
    model_args = dict(p.split("=", 1) for p in (option_value(extra, "--model_args") or "").split(",") if "=" in p)
    frame = ",".join(f"{key}={model_args[key].strip()}" for key in FRAME_KEYS if key in model_args)
    if frame:
        env[FRAME_ENV] = frame
    return env


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
    environment = profile_environment(args.profile, args.extra)
    saved, saved_env = sys.argv, {key: os.environ.get(key) for key in environment}
    sys.argv = ["lmms-eval", *argv]
    os.environ.update(environment)
    try:
        lmms_eval_main()
    except SystemExit as exc:
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    finally:
        sys.argv = saved
        for key, value in saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return 0


def results_files(output_path: Path) -> list[Path]:
    """lmms-eval results files under an output folder, oldest first."""
    return sorted(Path(output_path).rglob("*_results.json"), key=lambda p: p.stat().st_mtime)
