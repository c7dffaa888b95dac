"""``sarchat include-path`` and ``sarchat eval``: lmms-eval with the SARChat tasks included.

Without ``--data`` the packaged tasks run on the bundled sample. With ``--data DIR`` (a prepared
set) the task folder inside DIR is used; it is rewritten first, so that it always includes the
installed package's task YAMLs, wherever the package now lives, and names only the tasks the set
has records for.

``sarchat eval`` runs lmms-eval through ``sarchat_tasks.run.launcher`` and exits non-zero unless
lmms-eval wrote results for every task asked for and no request failed (``--allow-failed-requests``
accepts failed ones: they are counted in ``failed_requests`` and never scored). With ``--shards N``
or ``--shard I/N`` the records are cut into shards run one lmms-eval each (``sarchat_tasks.run.shards``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import sys
from pathlib import Path

from sarchat_tasks.errors import SarchatError
from sarchat_tasks.prepared import MANIFEST, PreparedSet
from sarchat_tasks.registry import profile_for_model
from sarchat_tasks.run.launcher import (
    Launch,
    RunContext,
    has_flag,
    launch,
    lmms_eval_argv,
    option,
    results_files,
    without_option,
)
from sarchat_tasks.run.preflight import check_output_folder
from sarchat_tasks.task_folder import budget_shortfalls, bundled_sample, packaged_task_folder, write_task_folder

__all__ = ["lmms_eval_argv", "results_files", "run", "task_folder"]

ACCEPTS_EXTRA = True
DEFAULT_OUTPUT = Path("sarchat-runs")


FORWARDED_HELP = f"""every other argument goes to lmms-eval as it is, for example:
  --model NAME            required: an lmms-eval model (qwen2_vl, qwen2_5_vl, internvl_hf, llava_hf, openai, ...)
  --model_args K=V,...    the model's arguments (pretrained=PATH, max_pixels=N, ...)
  --tasks T,...           default: sarchat (the six tasks); sarchat_lite, sarchat_referring, ...
  --output_path DIR       the same as --out DIR; default: ./{DEFAULT_OUTPUT}
  --batch_size N, --limit N, --gen_kwargs max_new_tokens=N, --device cuda:0
--log_samples is always added (the merge, rescore and report read the sample logs).
lmms-eval's own output goes to a log file beside the results (--verbose shows it as it runs).
Options may be written kebab-case or snake_case (--allow_failed_requests works too)."""


class EvalError(SarchatError):
    """A run that did not give results for every task asked for, or had failed requests."""


def task_folder(data: Path | None) -> Path:
    """The folder to hand to ``--include_path``: the packaged one, or DIR's regenerated one."""
    if data is None:
        return packaged_task_folder()
    prepared = PreparedSet(data)
    manifest = prepared.manifest  # raises with a clear message on a missing or outdated set
    prepared.validate()
    budgets = {task: info["max_new_tokens"] for task, info in manifest.get("tasks", {}).items()}
    return write_task_folder(prepared.root, budgets)


MAX_SHARDS = 100_000


def shard_count(text: str) -> int:
    """``--shards N``: a whole number from 1 to ``MAX_SHARDS`` (argparse reports anything else)."""
    try:
        count = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if not 1 <= count <= MAX_SHARDS:
        raise argparse.ArgumentTypeError(f"must be from 1 to {MAX_SHARDS:,}, got {text}")
    return count


def shard_spec(text: str) -> str:
    """``--shard I/N``, checked as ``shards.parse_shard`` reads it, with N within ``shard_count``'s range."""
    from sarchat_tasks.run.shards import parse_shard

    try:
        _, count = parse_shard(text)
    except SarchatError as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix(f"--shard {text!r}: ")) from None
    shard_count(str(count))
    return text


def register_command(name: str, parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", type=Path, help=f"a prepared set (holding {MANIFEST}); default: the bundled sample")
    if name != "eval":
        return
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = FORWARDED_HELP
    parser.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help=f"output folder, as every sarchat command names it (lmms-eval's --output_path; default: ./{DEFAULT_OUTPUT})",
    )
    parser.add_argument(
        "--shards", type=shard_count, metavar="N", help="cut the records into N shards, run each, merge"
    )
    parser.add_argument(
        "--shard", type=shard_spec, metavar="I/N", help="run shard I (0-based) of N only; join with `sarchat merge`"
    )
    parser.add_argument(
        "--allow-failed-requests",
        action="store_true",
        help="exit 0 even if some requests failed (they are counted in failed_requests, never scored)",
    )
    parser.add_argument(
        "--profile", help="model profile (sarchat profiles); default: the one --model names, else generic"
    )
    parser.add_argument(
        "--verbose",
        action="store_true",
        help="show lmms-eval's own output as it runs (default: a log file beside the results, a progress bar)",
    )
    parser.add_argument(
        "--allow-short-budget",
        action="store_true",
        help="run even if --gen_kwargs max_new_tokens is below a task's longest reference answer (cuts answers)",
    )


def effective_profile(profile: str | None, extra: list[str]) -> str:
    """The profile the answers are read in: ``--profile``, else the one ``--model`` names."""
    from sarchat_tasks.registry import PROFILES

    if profile is not None and profile not in PROFILES:
        raise SarchatError(f"--profile: unknown profile {profile!r}; known: {', '.join(PROFILES)}")
    return profile or profile_for_model(option(extra, "--model"))


def profile_environment(profile: str | None, extra: list[str]) -> dict[str, str]:
    """The variables the hooks read: ``SARCHAT_PROFILE``, always set (``effective_profile``), so
    that the profile recorded is the one the answers were read in, and ``SARCHAT_FRAME`` from
    ``--model_args``' min_pixels, max_pixels and force_simple (the frame Qwen2.5-VL answers in)."""
    from sarchat_tasks.hooks import FRAME_ENV, PROFILE_ENV
    from sarchat_tasks.provenance import frame_text

    env = {PROFILE_ENV: effective_profile(profile, extra)}
    frame = frame_text(option(extra, "--model_args"))
    if frame:
        env[FRAME_ENV] = frame
    return env


def run_context(data: Path | None, profile: str | None, extra: list[str]) -> RunContext:
    """What the run's provenance record needs besides lmms-eval's results: the data set's
    fingerprint, the profile and the frame."""
    from sarchat_tasks.provenance import data_record, frame_text

    root = PreparedSet(data).root if data is not None else bundled_sample()
    return RunContext(
        data=data_record(root),
        profile=effective_profile(profile, extra),
        frame=frame_text(option(extra, "--model_args")),
    )


@contextlib.contextmanager
def environment(variables: dict[str, str]):
    """The process environment with ``variables`` set, as it was again afterwards; the lmms-eval
    child processes inherit it."""
    saved = {key: os.environ.get(key) for key in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


_MAX_NEW_TOKENS_RE = re.compile(r"(?:^|,)\s*max_new_tokens\s*=\s*([^,]*)")


def check_budgets(folder: Path, data: Path | None, tasks: str, extra: list[str], allow_short: bool) -> None:
    """Refuse, before any generation, a generation budget below the longest reference answer of the
    set a task runs on (a right answer would be cut and scored as wrong); ``--allow-short-budget``
    turns the refusal into a warning, for users who cap generation on purpose."""
    manifest = PreparedSet(data if data is not None else bundled_sample()).manifest
    longest = {
        task: int(info["longest_reference_tokens"])
        for task, info in manifest.get("tasks", {}).items()
        if isinstance(info.get("longest_reference_tokens"), int)
    }
    found = _MAX_NEW_TOKENS_RE.findall(option(extra, "--gen_kwargs") or "")
    override = None
    if found:
        try:
            override = int(found[-1].strip())
        except ValueError:
            raise EvalError(f"--gen_kwargs: max_new_tokens must be a whole number, got {found[-1].strip()!r}") from None
    lines = budget_shortfalls(folder, tasks.split(","), longest, override)
    if not lines:
        return
    if not allow_short:
        raise EvalError(
            "a generation budget would cut right answers: "
            + "; ".join(lines)
            + ". Raise max_new_tokens, or pass --allow-short-budget to cap generation on purpose"
        )
    for line in lines:
        print(f"sarchat eval: warning: {line}; answers longer than the budget are cut", file=sys.stderr)


def known_task_names(folder: Path) -> set[str]:
    """The task and group names the task folder defines."""
    from sarchat_tasks.task_folder import read_task_yaml

    names = set()
    for path in folder.glob("*.yaml"):
        config = read_task_yaml(path)
        names.update(str(config[key]) for key in ("task", "group") if isinstance(config.get(key), str))
    return names


def check_task_names(folder: Path, data: Path | None, tasks: str) -> None:
    """Refuse a SARChat task name the folder does not define, before lmms-eval starts."""
    known = known_task_names(folder)
    unknown = [t for t in tasks.split(",") if t.startswith("sarchat") and t not in known]
    if not unknown:
        return
    hint = ""
    if data is not None:
        from sarchat_tasks.prepare import empty_task_reasons

        manifest = PreparedSet(data).manifest
        reasons = empty_task_reasons(manifest)
        empty = [
            f"{task} ({reasons[task]})" for task in reasons if any(t.startswith(f"sarchat_{task}") for t in unknown)
        ]
        if empty:
            hint += f"; {data} has no records for {', '.join(empty)}"
        hint += f"; it has records for: {', '.join(manifest.get('tasks', {})) or 'none'}"
    raise EvalError(f"unknown task {', '.join(unknown)}: not in {folder}{hint}")


def note_missing_tasks(result: Launch, folder: Path) -> dict[str, list[str]]:
    """Record in the results file which tasks each group ran without (``metadata.missing_tasks``
    of the set's group YAMLs, which lmms-eval does not copy): ``sarchat_missing_tasks``."""
    import os

    from sarchat_tasks.task_folder import read_task_yaml

    missing = {}
    for group in result.results.get("group_subtasks") or {}:
        path = folder / f"{group}.yaml"
        if path.is_file():
            listed = (read_task_yaml(path).get("metadata") or {}).get("missing_tasks")
            if listed:
                missing[group] = list(listed)
    if missing:
        result.results["sarchat_missing_tasks"] = missing
        partial = result.results_path.with_name(f".{result.results_path.name}.partial")
        partial.write_text(json.dumps(result.results, indent=2, default=str) + "\n", encoding="utf-8")
        os.replace(partial, result.results_path)
    return missing


def check_launch(result: Launch, allow_failed: bool) -> None:
    """Raise if requests failed and the user did not allow it; say so either way."""
    if not result.total_failed:
        return
    detail = ", ".join(f"{task}: {n}" for task, n in sorted(result.failed_requests.items()) if n)
    if not allow_failed:
        raise EvalError(
            f"{result.results_path}: {result.total_failed} requests failed ({detail}); they are counted in "
            "failed_requests and not scored. Rerun, or pass --allow-failed-requests to accept the run"
        )
    print(f"sarchat eval: warning: {result.total_failed} requests failed ({detail}), not scored", file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    if args.command == "eval" and not has_flag(args.extra, "--model"):
        raise EvalError("--model is required: an lmms-eval model name such as qwen2_vl (sarchat eval --help)")
    folder = task_folder(args.data)
    if args.command == "include-path":
        if args.extra:
            raise EvalError(f"unexpected arguments {args.extra}")
        print(folder)
        return 0
    extra = list(args.extra)
    if args.out is not None:
        given = option(extra, "--output_path")
        if given is not None and Path(given) != args.out:
            raise EvalError(f"two output folders given: --out {args.out} and --output_path {given}")
        extra = [*without_option(extra, "--output_path"), "--output_path", str(args.out)]
    if not has_flag(extra, "--output_path"):
        extra += ["--output_path", str(DEFAULT_OUTPUT)]
    if not has_flag(extra, "--log_samples"):
        extra.append("--log_samples")  # sharding, merge, rescore and the report's intervals read them
    tasks = option(extra, "--tasks") or "sarchat"
    check_task_names(folder, args.data, tasks)
    check_budgets(folder, args.data, tasks, extra, args.allow_short_budget)
    check_output_folder(Path(option(extra, "--output_path")))  # writable, with room, before any generation
    if args.data is not None:
        missing = PreparedSet(args.data).missing_tasks()
        if missing and "sarchat" in tasks.split(","):
            print(
                f"sarchat eval: note: {args.data} has no records for {', '.join(missing)}; "
                "the sarchat average covers the other tasks",
                file=sys.stderr,
            )
    context = run_context(args.data, args.profile, extra)
    if args.shards is not None or args.shard is not None:
        from sarchat_tasks.run import shards

        with environment(profile_environment(args.profile, extra)):
            result = shards.run_sharded(
                folder, args.data, extra, context, shards=args.shards, shard=args.shard,
                allow_failed=args.allow_failed_requests, quiet=not args.verbose,
            )  # fmt: skip
        if result is None:  # one shard of several: merged later by `sarchat merge`
            return 0
    else:
        with environment(profile_environment(args.profile, extra)):
            result = launch(folder, extra, context=context, quiet=not args.verbose)
    for group, tasks_missing in note_missing_tasks(result, folder).items():
        print(f"sarchat eval: note: {group} averages without {', '.join(tasks_missing)} (no records)", file=sys.stderr)
    check_launch(result, args.allow_failed_requests)
    if not args.verbose:  # lmms-eval's own tables are in its log: one table of ours instead
        from sarchat_tasks.report.tables import table3_markdown

        print(table3_markdown({option(extra, "--model") or "model": result.results}))
    if result.log_path is not None:
        print(f"sarchat eval: lmms-eval's log: {result.log_path}", file=sys.stderr)
    print(f"sarchat eval: results: {result.results_path}", file=sys.stderr)
    return 0
