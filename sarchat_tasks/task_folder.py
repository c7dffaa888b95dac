"""Task YAMLs as data, and the generated task folder that binds the packaged tasks to a prepared set.

lmms-eval expands no variables in YAML, so a prepared set DIR carries ``DIR/tasks/``: one YAML per
packaged task that ``include``s the installed one and overrides only the data and the generation
budget, plus a three-line module, ``sarchat_dataset.py``, that finds DIR from its own location and
binds ``PreparedSet`` hooks to it. The generation budget (``max_new_tokens``) is measured on the
set's own reference answers.
"""

from __future__ import annotations

import math
import re
from importlib.resources import files
from pathlib import Path
from typing import Any

import yaml

from sarchat_tasks.errors import SarchatError
from sarchat_tasks.prepared import BINDING_MODULE, ROWS_DIR, TASKS_DIR


def packaged_task_folder() -> Path:
    """The installed task YAML folder (what ``sarchat include-path`` prints)."""
    return Path(str(files("sarchat_tasks.tasks")))


def bundled_sample() -> Path:
    """The prepared sample shipped inside the package, the packaged tasks' default data."""
    return packaged_task_folder() / "sample"


# ---------------------------------------------------------------------------------------------
# Generation budget
# ---------------------------------------------------------------------------------------------

TOKEN_RE = re.compile(r"\d|[A-Za-z]+|[^\sA-Za-z\d]")
BUDGET_MARGIN = 1.25
BUDGET_SLACK = 16


def estimate_tokens(text: str) -> int:
    """A tokenizer-free upper estimate of an answer's length in tokens: one per digit (Qwen and
    LLaMA tokenizers split digits), one per word, one per punctuation mark."""
    return len(TOKEN_RE.findall(text))


def generation_budget(longest_reference_tokens: int) -> int:
    """``max_new_tokens`` for a task: the longest reference answer plus 25 % and 16 tokens,
    rounded up to a multiple of 16."""
    raw = math.ceil(longest_reference_tokens * BUDGET_MARGIN) + BUDGET_SLACK
    return int(math.ceil(raw / 16.0) * 16)


def distinct_budgets(budgets: dict[str, int]) -> dict[str, int]:
    """The budgets with ties broken upwards by 16 tokens, in the order given, so that no two tasks
    share one. Why: lmms-eval 0.7.3 batches requests whose generation settings are equal, and most
    of its backends (qwen2_vl, llava_hf, internvl, ...) load a batch's images from the task of its
    first request, so two tasks with equal settings in one batch crash the run (IndexError) or
    pair a question with another task's image. A larger budget never cuts an answer."""
    taken: set[int] = set()
    out = {}
    for task, budget in budgets.items():
        while budget in taken:
            budget += 16
        taken.add(budget)
        out[task] = budget
    return out


class BudgetError(SarchatError):
    """A generation budget below the longest reference answer of the set a task runs on."""


def task_budgets(folder: Path) -> dict[str, tuple[str, int | None]]:
    """Each task of a task folder: lmms-eval task name -> (suite task its rows hold, max_new_tokens)."""
    from sarchat_tasks.lite import LITE_SUFFIX

    out = {}
    for path in sorted(folder.glob("*.yaml")):
        config = read_task_yaml(path, resolve_includes=True)
        rows = ((config.get("dataset_kwargs") or {}).get("data_files") or {}).get("test")
        if not isinstance(config.get("task"), str) or not isinstance(rows, str):
            continue
        budget = (config.get("generation_kwargs") or {}).get("max_new_tokens")
        out[config["task"]] = (Path(rows).stem.removesuffix(LITE_SUFFIX), budget)
    return out


def group_members(folder: Path, names: list[str]) -> list[str]:
    """The task names a list of task and group names runs, groups expanded from their YAMLs."""
    groups = {}
    for path in folder.glob("*.yaml"):
        config = read_task_yaml(path)
        if isinstance(config.get("group"), str):
            groups[config["group"]] = [t for t in config.get("task") or [] if isinstance(t, str)]
    out: list[str] = []
    pending = list(names)
    while pending:
        name = pending.pop(0)
        if name in groups:
            pending[:0] = groups.pop(name)  # popped: a group listing itself cannot loop
        elif name not in out:
            out.append(name)
    return out


def budget_shortfalls(
    folder: Path, names: list[str], longest: dict[str, int], override: int | None = None
) -> list[str]:
    """One line per task of ``names`` whose budget (its YAML's, or ``override``, lmms-eval's
    ``--gen_kwargs max_new_tokens``) is below the longest reference answer of its set
    (``longest``: suite task -> tokens, from the set's manifest): such a budget cuts a right answer."""
    budgets = task_budgets(folder)
    lines = []
    for name in group_members(folder, names):
        if name not in budgets:
            continue
        task, budget = budgets[name]
        budget = override if override is not None else budget
        if task in longest and (not isinstance(budget, int) or budget < longest[task]):
            source = "--gen_kwargs" if override is not None else f"{folder / name}.yaml"
            lines.append(
                f"{name}: max_new_tokens {budget} ({source}) is below the longest reference answer of the set, "
                f"{longest[task]} tokens"
            )
    return lines


class _TaskYamlLoader(yaml.SafeLoader):
    """Reads lmms-eval task YAMLs without importing anything: ``!function x`` becomes ``"x"``."""


_TaskYamlLoader.add_constructor("!function", lambda loader, node: loader.construct_scalar(node))


def read_task_yaml(path: Path, *, resolve_includes: bool = False) -> dict[str, Any]:
    """A task YAML as plain data (``!function`` tags left as their dotted names); with
    ``resolve_includes``, merged over the files it includes, as lmms-eval merges them."""
    with open(path, encoding="utf-8") as handle:
        config = yaml.load(handle, Loader=_TaskYamlLoader) or {}  # a SafeLoader subclass
    if not resolve_includes or "include" not in config:
        return config
    includes = config.pop("include")
    merged: dict[str, Any] = {}
    for included in [includes] if isinstance(includes, str) else includes:
        merged.update(read_task_yaml(Path(path).parent / included, resolve_includes=True))
    merged.update(config)
    return merged


class FunctionTag(str):
    """A string written back as ``!function name``."""


class _TaskYamlDumper(yaml.SafeDumper):
    """Writes ``FunctionTag`` strings as ``!function`` tags."""


_GENERATED = "# Generated by `sarchat prepare`"


class TaskFolderError(SarchatError):
    """A set's task folder that cannot be rewritten safely."""


_TaskYamlDumper.add_representer(FunctionTag, lambda dumper, data: dumper.represent_scalar("!function", str(data)))


def dump_task_yaml(config: dict[str, Any]) -> str:
    """A task YAML as text, ``FunctionTag`` values written as ``!function`` tags, keys in order."""
    return yaml.dump(config, Dumper=_TaskYamlDumper, sort_keys=False, allow_unicode=True)


_BINDING_SOURCE = '''"""Generated by `sarchat prepare`: binds the SARChat-Bench hooks to the prepared set around
this folder, so the task YAMLs here need no path written in them. Regenerate, do not edit."""

from pathlib import Path

from sarchat_tasks.prepared import PreparedSet

_PREPARED = PreparedSet(Path(__file__).resolve().parent.parent)
doc_to_visual = _PREPARED.doc_to_visual
process_docs = _PREPARED.process_docs
'''


def write_task_folder(root: Path, budgets: dict[str, int] | None = None, *, final_root: Path | None = None) -> Path:
    """(Re)write ``root/tasks``: one YAML per packaged task whose rows ``root`` has, bound to the
    rows and images of the set, which lies at ``final_root`` once committed (default ``root``).

    A packaged task reads ``sample/rows/<name>.parquet``; its bound twin reads
    ``root/rows/<name>.parquet`` by absolute path: a relative one would be resolved against the
    working directory, so a run started inside another set's folder would read that set's rows.
    A task without rows gets no YAML (asked for by name, it is unknown rather than a crash), and
    the groups (``sarchat``, ``sarchat_lite``) list only the tasks there, naming the others under
    ``metadata.missing_tasks``. Only the files this function writes are removed or replaced: the
    YAMLs of an earlier rewrite and the binding module. ``budgets`` maps a rows file stem to
    ``max_new_tokens``.
    """
    root = Path(root).resolve()
    final_root = Path(final_root).resolve() if final_root is not None else root
    target = root / TASKS_DIR
    if target.is_symlink() or (target.exists() and not target.is_dir()):
        raise TaskFolderError(f"{target} is not a folder of the set (a link or a file); remove it and run again")
    target.mkdir(parents=True, exist_ok=True)
    for stale in target.glob("*.yaml"):
        if stale.is_file() and not stale.is_symlink() and stale.read_text(encoding="utf-8").startswith(_GENERATED):
            stale.unlink()
    budgets = budgets or {}
    written: set[str] = set()
    groups: list[tuple[Path, dict[str, Any]]] = []
    for source in sorted(packaged_task_folder().rglob("*.yaml")):
        if "sample" in source.relative_to(packaged_task_folder()).parts:
            continue
        config = read_task_yaml(source, resolve_includes=True)
        if "group" in config and "task" in config and isinstance(config["task"], list):
            groups.append((source, read_task_yaml(source)))
            continue
        data_files = (config.get("dataset_kwargs") or {}).get("data_files")
        if not isinstance(data_files, dict) or "task" not in config:
            continue
        names = [Path(path).name for path in data_files.values()]
        if not all((root / ROWS_DIR / name).is_file() for name in names):
            continue  # the set has no records for this task
        bound_files = {split: str(final_root / ROWS_DIR / Path(path).name) for split, path in data_files.items()}
        bound: dict[str, Any] = {
            "include": str(source),
            "task": config["task"],
            "dataset_kwargs": {**config["dataset_kwargs"], "data_files": bound_files},
            "doc_to_visual": FunctionTag(f"{BINDING_MODULE}.doc_to_visual"),
            "process_docs": FunctionTag(f"{BINDING_MODULE}.process_docs"),
        }
        # rows/<task>.parquet and its variants (rows/<task>_lite.parquet) share the task's budget
        task_of_rows = Path(next(iter(data_files.values()))).stem.split("_")[0]
        if task_of_rows in budgets and isinstance(config.get("generation_kwargs"), dict):
            bound["generation_kwargs"] = {**config["generation_kwargs"], "max_new_tokens": int(budgets[task_of_rows])}
        text = _GENERATED + " from the packaged task; regenerate, do not edit.\n"
        text += dump_task_yaml(bound)
        (target / source.name).write_text(text, encoding="utf-8")
        written.add(str(config["task"]))
    for source, config in groups:
        members = [t for t in config["task"] if t in written]
        missing = [t for t in config["task"] if t not in written]
        if not members:
            continue
        text = _GENERATED + " from the packaged group; regenerate, do not edit.\n"
        if missing:
            text += f"# The set has no records for {', '.join(missing)}: the group's average covers the others.\n"
            config = {**config, "task": members}
            config["metadata"] = {**(config.get("metadata") or {}), "missing_tasks": missing}
        text += dump_task_yaml(config)
        (target / source.name).write_text(text, encoding="utf-8")
    (target / f"{BINDING_MODULE}.py").write_text(_BINDING_SOURCE, encoding="utf-8")
    return target


# ---------------------------------------------------------------------------------------------
# The packaged YAMLs generated from the registry
# ---------------------------------------------------------------------------------------------

GENERATED_HEADER = "# Generated from sarchat_tasks/registry.py by `python -m sarchat_tasks.task_folder`; do not edit.\n"
REGISTRY_YAML = "_registry_yaml"
GROUP_METRICS = [{"metric": "avg_score", "aggregation": "mean", "weight_by_size": True}]


def _dump(config: dict[str, Any], comment: str = "") -> str:
    return GENERATED_HEADER + comment + dump_task_yaml(config)


def packaged_yamls() -> dict[str, str]:
    """The packaged task files derived from the registry, by file name: the metric list and the
    profile of each lmms-eval backend (``lmms_eval_specific_kwargs``), which the shared template
    includes; each task's lite twin; and the ``sarchat`` and ``sarchat_lite`` groups. Each task's own
    YAML (``sarchat_<task>.yaml``) is written by hand."""
    from sarchat_tasks.lite import LITE_SUFFIX
    from sarchat_tasks.metrics import metric_list
    from sarchat_tasks.registry import DEFAULT_PROFILE, MODEL_PROFILES, TASKS

    # Written by hand rather than by yaml.dump, which would quote the !function names.
    metrics = "".join(
        f"  - metric: {name}\n    aggregation: !function sarchat_tasks.hooks.{aggregation}\n"
        f"    higher_is_better: {str(higher).lower()}\n"
        for name, aggregation, higher in metric_list()
    )
    out = {
        REGISTRY_YAML: GENERATED_HEADER
        + "# Every metric of the suite; a task returns only its own, so the others do not appear in its results.\n"
        + "metric_list:\n"
        + metrics
        + "# The model profile per lmms-eval backend (--model name); any other backend gets the default.\n"
        + yaml.dump(
            {
                "lmms_eval_specific_kwargs": {
                    "default": {"profile": DEFAULT_PROFILE},
                    **{backend: {"profile": name} for backend, name in MODEL_PROFILES.items()},
                }
            },
            sort_keys=False,
        )
    }
    for spec in TASKS.values():
        out[f"{spec.lmms_task}{LITE_SUFFIX}.yaml"] = _dump(
            {
                "include": f"{spec.lmms_task}.yaml",
                "task": f"{spec.lmms_task}{LITE_SUFFIX}",
                "dataset_kwargs": {"data_files": {"test": f"sample/{ROWS_DIR}/{spec.name}{LITE_SUFFIX}.parquet"}},
            },
            f"# SARChat-Bench lite (docs/LITE.md): the {spec.name} task on its fixed 5 % stratified subset.\n",
        )
    equation = "# avg_score of the group is paper equation 4: the task scores a_t weighted by samples evaluated.\n"
    for group, suffix, note in (
        ("sarchat", "", ""),
        (
            "sarchat_lite",
            LITE_SUFFIX,
            "# SARChat-Bench lite (docs/LITE.md): the same records on every machine; report the full suite.\n",
        ),
    ):
        config = {
            "group": group,
            "task": [f"{spec.lmms_task}{suffix}" for spec in TASKS.values()],
            "aggregate_metric_list": GROUP_METRICS,
            "metadata": {"version": 1.0},
        }
        out[f"{group}.yaml"] = _dump(config, note + equation)
    return out


_BUDGET_LINE_RE = re.compile(r"^(  max_new_tokens: )(\d+)$", re.MULTILINE)


def sample_budgets() -> dict[str, int]:
    """The bundled sample's generation budgets by task, as its manifest measured them."""
    import json

    manifest = json.loads((bundled_sample() / "manifest.json").read_text(encoding="utf-8"))
    return {task: int(info["max_new_tokens"]) for task, info in manifest["tasks"].items()}


def with_sample_budget(name: str, text: str, budgets: dict[str, int]) -> str:
    """A hand-written packaged task YAML (``sarchat_<task>.yaml``) with its ``max_new_tokens`` set
    to the bundled sample's budget for the task: the packaged tasks read that sample, so their
    budget is measured on it like any prepared set's and never cuts one of its references."""
    task = name.removeprefix("sarchat_").removesuffix(".yaml")
    if len(_BUDGET_LINE_RE.findall(text)) != 1:
        raise TaskFolderError(f"task_yamls/{name}: expected one 'max_new_tokens: N' line under generation_kwargs")
    return _BUDGET_LINE_RE.sub(lambda m: f"{m.group(1)}{budgets[task]}", text)


def write_packaged_yamls(folder: Path | None = None) -> list[Path]:
    """Write ``packaged_yamls()`` into the packaged task folder (the source tree's ``task_yamls/``
    in an editable install), and each task YAML's budget from the bundled sample; returns the
    files that changed."""
    from sarchat_tasks.registry import TASKS

    folder = Path(folder) if folder else packaged_task_folder()
    budgets = sample_budgets()
    files = dict(packaged_yamls())
    for spec in TASKS.values():
        name = f"{spec.lmms_task}.yaml"
        files[name] = with_sample_budget(name, (folder / name).read_text(encoding="utf-8"), budgets)
    changed = []
    for name, text in files.items():
        path = folder / name
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            changed.append(path)
    return changed


if __name__ == "__main__":
    for written in write_packaged_yamls():
        print(f"wrote {written}")
