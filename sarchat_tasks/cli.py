"""The ``sarchat`` command. Each subcommand lives in its own module, imported only when it runs
(so ``sarchat include-path`` does not pay for importing torch); a module provides
``register(parser)`` and ``run(args) -> int``, and sets ``ACCEPTS_EXTRA = True`` to receive the
arguments it does not declare (``sarchat eval`` hands them to lmms-eval). A command reports what
it cannot work with by raising ``SarchatError``: printed here, once, as one line with status 2."""

from __future__ import annotations

import argparse
import importlib
import sys

from sarchat_tasks.errors import EXIT_USAGE, SarchatError

# name -> (module, one-line help). The order is the order of the data flow.
COMMANDS: dict[str, tuple[str, str]] = {
    "synth": ("sarchat_tasks.build.synth", "generate synthetic SAR scenes as a SARDet-100K-style tree"),
    "build": ("sarchat_tasks.build.pipeline", "rebuild SARChat-Bench from SARDet-100K (official files + prepared set)"),
    "prepare": ("sarchat_tasks.prepare", "prepare official SARChat test files for the lmms-eval tasks"),
    "stats": ("sarchat_tasks.report.stats", "dataset tables (paper Tables 1, 2, 4, 5) of a built or prepared set"),
    "include-path": ("sarchat_tasks.run.evaluate", "print the task folder to pass to lmms-eval --include_path"),
    "eval": ("sarchat_tasks.run.evaluate", "run lmms-eval with the SARChat tasks included"),
    "demo": ("sarchat_tasks.run.demo", "run the baselines on the bundled sample and print the Table 3 report"),
    "merge": ("sarchat_tasks.run.shards", "join the shards of a sharded run (sarchat eval --shards) into one result"),
    "score": ("sarchat_tasks.results.score_files", "score official-format prediction files (swift infer output)"),
    "rescore": ("sarchat_tasks.results.rescore", "recompute metrics from lmms-eval sample logs"),
    "report": ("sarchat_tasks.report.table3", "Table 3 report from lmms-eval results, with the paper side by side"),
    "export-upstream": ("sarchat_tasks.export.upstream", "write the suite as an lmms-eval task folder"),
}


def parse_conventions(spec: str):
    """``--conventions`` of ``sarchat score`` and ``rescore`` (``"list=unit,json=norm1000"``)."""
    from sarchat_tasks.utils.boxes import BoxConventions

    try:
        return BoxConventions.parse(spec)
    except ValueError as exc:
        raise SarchatError(f"--conventions: {exc}") from exc


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
    if getattr(module, "ACCEPTS_EXTRA", False):
        args, extra = parser.parse_known_args(rest)
        args.extra = extra
    else:
        args = parser.parse_args(rest)
    args.command = name
    try:
        return int(module.run(args) or 0)
    except SarchatError as exc:  # every command's expected failures: one line, exit status 2
        print(f"sarchat {name}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
