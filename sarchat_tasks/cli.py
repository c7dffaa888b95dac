"""The ``sarchat`` command. Each subcommand lives in its own module, imported only when it runs
(so ``sarchat include-path`` does not pay for importing torch); a module provides
``register(parser)`` and ``run(args) -> int``, and sets ``ACCEPTS_EXTRA = True`` to receive the
arguments it does not declare (``sarchat eval`` hands them to lmms-eval). A command reports what
it cannot work with by raising ``SarchatError``: printed here, once, as one line with status 2;
Ctrl-C is one line with status 130."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Iterable
from typing import Any, TypeVar

from sarchat_tasks.errors import EXIT_INTERRUPTED, EXIT_USAGE, SarchatError

# name -> (module, one-line help). The order is the order of the data flow.
COMMANDS: dict[str, tuple[str, str]] = {
    "synth": ("sarchat_tasks.build.synth", "generate synthetic SAR scenes as a SARDet-100K-style tree"),
    "build": ("sarchat_tasks.build.pipeline", "rebuild SARChat-Bench from SARDet-100K (official files + prepared set)"),
    "doctor": ("sarchat_tasks.build.doctor", "check a SARDet-100K download (layout, sizes, unreadable images)"),
    "train-data": (
        "sarchat_tasks.train.data",
        "training and validation files for ms-swift or peft from a build's train split",
    ),
    "finetune": (
        "sarchat_tasks.train.loop",
        "LoRA fine-tuning with transformers Trainer + peft on train-data files (ms-swift defaults)",
    ),
    "tiny-model": (
        "sarchat_tasks.train.tiny_models",
        "write a tiny random checkpoint (Qwen2-VL, ...) for an offline smoke run of finetune and eval",
    ),
    "prepare": ("sarchat_tasks.prepare", "prepare official SARChat test files for the lmms-eval tasks"),
    "stats": ("sarchat_tasks.report.stats", "dataset tables (paper Tables 1, 2, 4, 5) of a built or prepared set"),
    "include-path": ("sarchat_tasks.run.evaluate", "print the task folder to pass to lmms-eval --include_path"),
    "profiles": ("sarchat_tasks.run.profiles", "list the model profiles: prompt, box conventions, backends"),
    "eval": ("sarchat_tasks.run.evaluate", "run lmms-eval with the SARChat tasks included"),
    "demo": ("sarchat_tasks.run.demo", "run the baselines on the bundled sample and print the Table 3 report"),
    "merge": ("sarchat_tasks.run.shards", "join the shards of a sharded run (sarchat eval --shards) into one result"),
    "score": ("sarchat_tasks.results.score_files", "score official-format prediction files (swift infer output)"),
    "rescore": ("sarchat_tasks.results.rescore", "recompute metrics from lmms-eval sample logs"),
    "report": ("sarchat_tasks.report.table3", "Table 3 report from lmms-eval results, with the paper side by side"),
    "inspect": (
        "sarchat_tasks.report.inspect",
        "an HTML viewer of a run's samples: boxes drawn, what was read, why it scored",
    ),
    "export-hub": ("sarchat_tasks.export.hub", "write a prepared set as a Hugging Face dataset repository folder"),
    "export-upstream": ("sarchat_tasks.export.upstream", "write the suite as an lmms-eval task folder"),
}


def box_reading(profile: str, spec: str = "", frame: str = ""):
    """How ``sarchat score`` and ``rescore`` read boxes: a profile's conventions and frame
    (``--profile``; ``--frame min_pixels=..,max_pixels=..`` for a resized one), with the syntaxes
    ``--conventions`` names (``"list=unit,json=norm1000"``) changed."""
    from sarchat_tasks.registry import FRAME_KEYS, PROFILES
    from sarchat_tasks.utils.boxes import convention_pairs

    if profile not in PROFILES:
        raise SarchatError(f"--profile: unknown profile {profile!r}; known: {', '.join(PROFILES)} (sarchat profiles)")
    options = dict(part.split("=", 1) for part in frame.split(",") if "=" in part)
    unknown = set(options) - set(FRAME_KEYS)
    if unknown:
        raise SarchatError(f"--frame: unknown option(s) {', '.join(sorted(unknown))}; known: {', '.join(FRAME_KEYS)}")
    try:
        conventions = PROFILES[profile].box_conventions(
            int(options["min_pixels"]) if "min_pixels" in options else None,
            int(options["max_pixels"]) if "max_pixels" in options else None,
            options.get("force_simple", "").lower() in ("1", "true", "yes"),
        )
        return conventions.with_overrides(convention_pairs(spec))
    except ValueError as exc:
        raise SarchatError(f"--conventions/--frame: {exc}") from exc


# Progress bars for long work (build, prepare, the report's bootstrap, rescore, sharded runs, merge):
# drawn on a terminal, silent in logs and CI, where a redrawn bar only fills the file.
# SARCHAT_PROGRESS=1 forces them on, SARCHAT_PROGRESS=0 off.
T = TypeVar("T")


def progress_enabled() -> bool:
    """Whether bars are drawn: on when the error stream is a terminal, unless overridden."""
    forced = os.environ.get("SARCHAT_PROGRESS", "").strip()
    if forced in ("0", "1"):
        return forced == "1"
    stream = sys.stderr
    return bool(getattr(stream, "isatty", lambda: False)()) and os.environ.get("CI", "") in ("", "0", "false")


def progress(iterable: Iterable[T], *, disable: bool = False, **kwargs: Any) -> Iterable[T]:
    """``iterable`` wrapped in a tqdm bar on a terminal, else returned as it is."""
    if disable or not progress_enabled():
        return iterable
    from tqdm.auto import tqdm

    return tqdm(iterable, file=sys.stderr, dynamic_ncols=True, leave=False, **kwargs)


def normalise_flags(parser: argparse.ArgumentParser, argv: list[str], *, forwards: bool = False) -> list[str]:
    """One command line in either spelling: the suite's options are kebab-case
    (``--allow-failed-requests``) and lmms-eval's snake_case (``--output_path``); on a line that
    mixes both, an option of the suite written snake_case is read as the suite's, and, for a
    command that forwards the rest to lmms-eval (``forwards``), any other kebab-case option is
    handed on in lmms-eval's snake_case (``--model-args`` -> ``--model_args``)."""
    known = set(parser._option_string_actions)
    out = []
    for index, token in enumerate(argv):
        if token == "--":
            return out + argv[index:]
        name, sep, value = token.partition("=")
        if name.startswith("--") and name not in known:
            kebab, snake = "--" + name[2:].replace("_", "-"), "--" + name[2:].replace("-", "_")
            if kebab in known:
                name = kebab
            elif forwards and snake != name:
                name = snake
        out.append(name + sep + value)
    return out


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sarchat", description="SARChat-Bench for lmms-eval.")
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (_, summary) in COMMANDS.items():
        sub.add_parser(name, help=summary, add_help=False)
    return parser


def _version() -> str:
    from sarchat_tasks import __version__

    return f"sarchat-bench {__version__}"


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in COMMANDS:
        parser = _parser()
        if not argv:
            parser.print_help()
            return 0
        parser.parse_args(argv)  # prints the error or --help / --version and exits
        return 2
    name, rest = argv[0], argv[1:]
    module_name, summary = COMMANDS[name]
    module = importlib.import_module(module_name)
    parser = argparse.ArgumentParser(prog=f"sarchat {name}", description=summary)
    if hasattr(module, "register_command"):
        module.register_command(name, parser)
    else:
        module.register(parser)
    accepts_extra = getattr(module, "ACCEPTS_EXTRA", False)
    rest = normalise_flags(parser, rest, forwards=accepts_extra)
    if accepts_extra:
        args, extra = parser.parse_known_args(rest)
        args.extra = extra
    else:
        # options may stand between positionals: `report A --params x=2 B`
        args = parser.parse_intermixed_args(rest)
    args.command = name
    try:
        return int(module.run(args) or 0)
    except SarchatError as exc:  # every command's expected failures: one line, exit status 2
        print(f"sarchat {name}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:  # Ctrl-C: the launcher has stopped lmms-eval; one line, the shell's status
        print(f"sarchat {name}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
