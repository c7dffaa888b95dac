"""``sarchat export-upstream DIR --hub-id ORG/NAME``: the suite as an lmms-eval task folder.

``--dataset-path HUB_DIR`` instead of ``--hub-id`` points the tasks at a local folder written by
``sarchat export-hub`` (the same files the hub repository holds), so that the exported tasks can be
run by plain lmms-eval offline and compared with the package's own run before anything is uploaded.

lmms-eval's own tasks live in ``lmms_eval/tasks/<name>/`` (``_default_template_yaml``, one YAML per
task, ``utils.py``), load their data from the Hugging Face hub, and may depend on nothing outside
lmms-eval. This command writes that folder from the packaged suite, so there is one source of
truth and nothing is copied by hand:

* ``utils.py`` is the concatenated source of ``sarchat_tasks/utils/*.py``, ``errors.py``, ``images.py``,
  ``scoring.py``, the task specs of ``registry.py``, ``metrics.py`` and the lmms-eval hooks of
  ``hooks.py``, with the imports between them removed, then formatted the way lmms-eval is (isort,
  black line length 240);
* the YAMLs are the packaged ones with ``sarchat_tasks.hooks.X`` rewritten to ``utils.X``, the local
  Parquet rows replaced by ``dataset_path: ORG/NAME`` with one dataset config per rows file
  (``counting``, ``counting_lite``, ...), and the prepared-set check (``process_docs``) dropped;
* images come from the hub dataset's ``image`` column (an ``Image`` feature), so the exported
  ``doc_to_visual`` is ``[display_rgb(doc["image"])]``, the display rule of ``images.py``.

Formatting needs black and isort (``pip install black isort``), as lmms-eval's own lint does.
"""

from __future__ import annotations

import argparse
import ast
import os
import re
from pathlib import Path
from typing import Any

import yaml

from sarchat_tasks import __version__
from sarchat_tasks.errors import SarchatError
from sarchat_tasks.prepared import ROW_COLUMNS
from sarchat_tasks.registry import LMMS_TASK_PREFIX, TASKS
from sarchat_tasks.task_folder import GENERATED_HEADER, REGISTRY_YAML, packaged_task_folder, read_task_yaml

PACKAGE_ROOT = Path(__file__).resolve().parent.parent  # sarchat_tasks/
# Source modules of utils.py, in dependency order, and the top-level names each contributes
# (None: all of them).
HOOK_FUNCTIONS = ("PROFILE_ENV", "FRAME_ENV", "_PROFILE_OF_TASK", "_PROFILE_LOCK", "_frame_options",
                  "selected_profile", "doc_to_text", "doc_to_target", "process_results", "BoxConventionFilter")  # fmt: skip
HOOKS_PREFIX = "sarchat_tasks.hooks."
TEMPLATE = "_default_template_yaml"
HUB_ID_RE = re.compile(r"^[A-Za-z0-9][\w.-]*/[A-Za-z0-9][\w.-]*$")
PAPER = "SARChat-Bench-2M: A Multi-Task Vision-Language Benchmark for SAR Image Interpretation"
ARXIV = "2502.08168"
# The paper's authors, in its order (arXiv 2502.08168).
AUTHORS = ("Zhiming Ma", "Xiayang Xiao", "Sihao Dong", "Peidong Wang", "HaiPeng Wang", "Qingyun Pan")
AUTHOR_LINE = ", ".join(AUTHORS)
_BIBTEX_AUTHORS = " and ".join(f"{name.split()[-1]}, {' '.join(name.split()[:-1])}" for name in AUTHORS)
CITATION = f"""```bibtex
@article{{ma2025sarchat,
  title   = {{{PAPER}}},
  author  = {{{_BIBTEX_AUTHORS}}},
  journal = {{arXiv preprint arXiv:{ARXIV}}},
  year    = {{2025}}
}}
```"""


def upload_command(hub_id: str, folder: str | Path) -> str:
    """The command that uploads an exported hub folder: huggingface_hub's ``hf`` CLI (its former
    ``huggingface-cli`` is gone from current releases)."""
    return f"hf upload {hub_id} {folder} --repo-type dataset"


DOC_TO_VISUAL_SOURCE = '''
def doc_to_visual(doc):
    """The record's SAR image as the display rule shows it (the hub dataset's ``image`` column is
    an Image feature; 16-bit and float amplitude are stretched, not clipped)."""
    return [display_rgb(doc["image"])]
'''


class ExportError(SarchatError):
    """The packaged suite cannot be exported as it is; the message says what to fix."""


def _utils_folder() -> Path:
    """``sarchat_tasks.utils`` as installed (the repository's top-level ``utils/``)."""
    from sarchat_tasks import utils

    return Path(utils.__file__).resolve().parent


def source_modules() -> list[tuple[Path, frozenset[str] | None, frozenset[str]]]:
    """(file, names to keep or None for all, names to drop) for every module utils.py is made of."""
    utils = _utils_folder()
    return [
        (utils / "vocabulary.py", None, frozenset()),
        (utils / "frames.py", None, frozenset()),
        (utils / "boxes.py", None, frozenset()),
        (utils / "matching.py", None, frozenset()),
        (utils / "answers.py", None, frozenset()),
        (PACKAGE_ROOT / "errors.py", None, frozenset()),
        (PACKAGE_ROOT / "images.py", None, frozenset()),
        (PACKAGE_ROOT / "scoring.py", None, frozenset()),
        (PACKAGE_ROOT / "registry.py", None, frozenset()),
        (PACKAGE_ROOT / "metrics.py", None, frozenset()),
        (PACKAGE_ROOT / "hooks.py", frozenset(HOOK_FUNCTIONS), frozenset()),
    ]


def _is_internal(node: ast.Import | ast.ImportFrom) -> bool:
    if isinstance(node, ast.ImportFrom):
        return node.level > 0 or (node.module or "").split(".")[0] in ("sarchat_tasks", "__future__")
    return any(alias.name.split(".")[0] == "sarchat_tasks" for alias in node.names)


def _defined_names(node: ast.stmt) -> set[str]:
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {node.name}
    targets: list[ast.expr] = []
    if isinstance(node, ast.Assign):
        targets = node.targets
    elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
        targets = [node.target]
    return {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}


def _first_line(node: ast.stmt) -> int:
    decorators = getattr(node, "decorator_list", [])
    return min([node.lineno, *(d.lineno for d in decorators)])


def quote_signature_annotations(source: str) -> str:
    """The source with every function annotation written as a string.

    Why: lmms-eval loads a task's utils.py with ``exec_module`` without registering it in
    ``sys.modules``, and ``dataclasses`` then fails on string annotations in a class body; so the
    export cannot use ``from __future__ import annotations`` and quotes the annotations that may
    name a class not yet defined (signatures) instead, leaving class-body annotations evaluated.
    """
    tree = ast.parse(source)
    spans: list[tuple[int, int, int, int]] = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            args = node.args
            annotated = [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]
            nodes = [a.annotation for a in annotated if a is not None and a.annotation is not None]
            nodes += [node.returns] if node.returns is not None else []
            for annotation in nodes:
                if not (isinstance(annotation, ast.Constant) and isinstance(annotation.value, str)):
                    spans.append(
                        (annotation.lineno, annotation.col_offset, annotation.end_lineno, annotation.end_col_offset)
                    )
    lines = source.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line.encode("utf-8")))
    data = source.encode("utf-8")
    for start_line, start_col, end_line, end_col in sorted(spans, reverse=True):
        start, end = offsets[start_line - 1] + start_col, offsets[end_line - 1] + end_col
        text = " ".join(data[start:end].decode("utf-8").split())
        quoted = '"' + text + '"' if '"' not in text else repr(text)
        data = data[:start] + quoted.encode("utf-8") + data[end:]
    return data.decode("utf-8")


def module_body(path: Path, keep: frozenset[str] | None, drop: frozenset[str]) -> tuple[str, list[str]]:
    """A module's code without its docstring and imports (returned apart) and without the
    top-level definitions not wanted; its docstring becomes a comment block."""
    source = quote_signature_annotations(path.read_text(encoding="utf-8"))
    tree = ast.parse(source)
    lines = source.splitlines()
    removed: set[int] = set()  # 0-based line numbers
    imports: list[str] = []
    # A module taken in part keeps only its origin: its docstring describes the whole module.
    docstring = ast.get_docstring(tree, clean=True) or "" if keep is None else ""
    for index, node in enumerate(tree.body):
        span = range(_first_line(node) - 1, node.end_lineno)
        if index == 0 and isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            removed.update(span)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            removed.update(span)
            if not _is_internal(node):
                imports.append(ast.get_source_segment(source, node) or "")
        else:
            names = _defined_names(node)
            unwanted = (keep is not None and not (names & keep)) or bool(names & drop)
            if keep is not None and not names:
                unwanted = True  # module-level statements of a module taken in part
            if unwanted:
                removed.update(span)
                line = span.start - 1  # the comment lines directly above belong to it
                while line >= 0 and lines[line].lstrip().startswith("#") and not lines[line].startswith("# ---"):
                    removed.add(line)
                    line -= 1
    kept = [line for number, line in enumerate(lines) if number not in removed]
    origin = f"sarchat_tasks/utils/{path.name}" if path.parent == _utils_folder() else f"sarchat_tasks/{path.name}"
    header = [f"# {'-' * 98}", f"# From {origin}"]
    header += [f"# {line}".rstrip() for line in docstring.splitlines()] + [f"# {'-' * 98}"]
    body = "\n".join(header + kept).strip("\n")
    return re.sub(r"\n{3,}", "\n\n\n", body), imports


def _check_names(parts: list[tuple[Path, str]]) -> None:
    seen: dict[str, Path] = {}
    for path, body in parts:
        for node in ast.parse(body).body:
            for name in _defined_names(node):
                if name in seen and seen[name] != path:
                    raise ExportError(f"{name} is defined in both {seen[name]} and {path}; rename one to export")
                seen[name] = path


def utils_source(dataset: str) -> str:
    """The self-contained utils.py, formatted with isort and black (line length 240)."""
    bodies: list[tuple[Path, str]] = []
    imports: list[str] = []
    for path, keep, drop in source_modules():
        body, module_imports = module_body(path, keep, drop)
        bodies.append((path, body))
        imports.extend(module_imports)
    bodies.append((Path("doc_to_visual"), DOC_TO_VISUAL_SOURCE.strip("\n")))
    _check_names(bodies)
    header = (
        f'"""SARChat-Bench (arXiv {ARXIV}) for lmms-eval: prompts, images, scoring and aggregation.\n\n'
        f"Generated by `sarchat export-upstream` (sarchat-bench {__version__}) from the sarchat-bench package\n"
        f"source; regenerate rather than edit. Data: the Hugging Face dataset {dataset}.\n"
        '"""'
    )
    text = "\n\n".join([header, "\n".join(dict.fromkeys(imports)), *(body for _, body in bodies)]) + "\n"
    text = text.replace("!function " + HOOKS_PREFIX, "!function utils.")  # examples in docstrings
    return format_python(text)


def format_python(text: str) -> str:
    """isort (profile black) then black, both at lmms-eval's line length of 240."""
    try:
        import black
        import isort
    except ImportError as exc:
        raise ExportError(
            f"export-upstream formats utils.py as lmms-eval does: pip install black isort ({exc})"
        ) from exc
    text = isort.code(text, profile="black", line_length=240)
    return black.format_str(text, mode=black.Mode(line_length=240))


# ---------------------------------------------------------------------------------------------
# YAMLs
# ---------------------------------------------------------------------------------------------


class _Function(str):
    """A string written back as ``!function name``."""


class _Dumper(yaml.SafeDumper):
    """Writes ``_Function`` strings as ``!function`` tags."""


_Dumper.add_representer(_Function, lambda dumper, data: dumper.represent_scalar("!function", str(data)))


def _upstream_value(value: Any) -> Any:
    """A packaged YAML value with hook references rewritten to the exported utils.py."""
    if isinstance(value, dict):
        return {key: _upstream_value(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_upstream_value(item) for item in value]
    if isinstance(value, str) and value.startswith(HOOKS_PREFIX):
        return _Function("utils." + value[len(HOOKS_PREFIX) :])
    if isinstance(value, str) and value.startswith("sarchat_tasks."):
        raise ExportError(f"{value} is not in sarchat_tasks.hooks; export only knows the hooks module")
    return value


def _without_suite_models(lines: list[str]) -> list[str]:
    """The template's lines less the profile entries of this suite's own baseline models
    (``lmms_eval_specific_kwargs.sarchat_cfar``, ...), which plain lmms-eval does not have."""
    from sarchat_tasks.baselines import BASELINE_MODELS

    out: list[str] = []
    skipping = False
    for line in lines:
        key = line.strip().removesuffix(":")
        if line.startswith("  ") and not line.startswith("   ") and line.rstrip().endswith(":"):
            skipping = key in BASELINE_MODELS
        elif not line.startswith("  "):
            skipping = False
        if not skipping:
            out.append(line)
    return out


def template_yaml(dataset: str) -> str:
    """The packaged shared template with the hub dataset (an id or a local folder) and the exported hooks."""
    folder = packaged_task_folder()
    # The packaged template includes the metric list generated from the registry; upstream gets one file.
    text = (folder / TEMPLATE).read_text(encoding="utf-8") + (folder / REGISTRY_YAML).read_text(encoding="utf-8")
    lines = text.splitlines()
    skipped = ("#", "process_docs:", "include:")
    body = [line for line in lines if not line.startswith(skipped)]
    body = [line.replace("!function " + HOOKS_PREFIX, "!function utils.") for line in body]
    body = [f"dataset_path: {dataset}" if line.startswith("dataset_path:") else line for line in body]
    body = _without_suite_models(body)
    header = [
        f"# SARChat-Bench (arXiv {ARXIV}): settings shared by every task. Each task YAML includes this file",
        "# and sets its task name, its dataset config (dataset_name) and its generation budget. The metric",
        "# list is the union over the six tasks: a task returns only its own metrics.",
    ]
    out = "\n".join(header + body) + "\n"
    if "sarchat_tasks" in out:
        raise ExportError(f"{TEMPLATE} names a function outside sarchat_tasks.hooks; cannot export it")
    return out


def _flattened(path: Path) -> dict[str, Any]:
    """A packaged task YAML merged with the packaged task YAMLs it includes (not the template)."""
    config = read_task_yaml(path)
    include = config.pop("include", None)
    if include is None or include == TEMPLATE:
        return config
    includes = [include] if isinstance(include, str) else list(include)
    merged: dict[str, Any] = {}
    for name in includes:
        if name == TEMPLATE:
            continue
        merged.update(_flattened(path.parent / name))
    merged.update(config)
    return merged


def task_yamls(configs: set[str] | None = None, budgets: dict[str, int] | None = None) -> dict[str, str]:
    """File name -> text of every exported task and group YAML, from the packaged ones: only the
    tasks whose dataset config is in ``configs`` (None: all), each with the generation budget of
    its task in ``budgets`` (measured on the data it reads); the groups list the tasks exported and
    name the others under ``metadata.missing_tasks``."""
    from sarchat_tasks.lite import LITE_SUFFIX

    out: dict[str, str] = {}
    folder = packaged_task_folder()
    groups: dict[str, Path] = {}
    for source in sorted(folder.glob("*.yaml")):
        config = _flattened(source)
        if "group" in config:
            groups[source.name] = source
            continue
        data_files = (config.pop("dataset_kwargs", None) or {}).get("data_files") or {}
        if "task" not in config or not data_files:
            continue
        dataset_name = Path(next(iter(data_files.values()))).stem
        if configs is not None and dataset_name not in configs:
            continue
        exported: dict[str, Any] = {"include": TEMPLATE, "task": config.pop("task"), "dataset_name": dataset_name}
        config.pop("doc_to_visual", None)
        config.pop("process_docs", None)
        task = dataset_name.removesuffix(LITE_SUFFIX)
        if budgets is not None and isinstance(config.get("generation_kwargs"), dict):
            if task not in budgets:
                raise ExportError(f"no generation budget measured for {task}; export the hub folder again")
            config["generation_kwargs"] = {**config["generation_kwargs"], "max_new_tokens": int(budgets[task])}
        exported.update(_upstream_value(config))
        out[source.name] = yaml.dump(exported, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=240)
    tasks = {yaml.safe_load(text.replace("!function", ""))["task"] for text in out.values()}
    for name, source in groups.items():
        config = read_task_yaml(source)
        members = [t for t in config["task"] if t in tasks]
        missing = [t for t in config["task"] if t not in tasks]
        if not members:
            continue
        text = source.read_text(encoding="utf-8").removeprefix(GENERATED_HEADER)
        if missing:
            config["task"] = members
            config["metadata"] = {**(config.get("metadata") or {}), "missing_tasks": missing}
            comments = "".join(line + "\n" for line in text.splitlines() if line.startswith("#"))
            text = (
                f"# The dataset has no records for {', '.join(missing)}: the group's average covers the others.\n"
                + comments
                + yaml.dump(config, sort_keys=False, allow_unicode=True, width=240)
            )
        out[name] = text
    return out


# ---------------------------------------------------------------------------------------------
# README
# ---------------------------------------------------------------------------------------------


def readme(hub_id: str, yamls: dict[str, str], absent: list[str] = ()) -> str:  # hub_id: an id, or a local hub folder
    """The task folder's README: paper, citation, tasks, metrics, model profiles, dataset layout."""
    from sarchat_tasks.baselines import BASELINE_MODELS
    from sarchat_tasks.hooks import PROFILE_ENV
    from sarchat_tasks.registry import DEFAULT_PROFILE, MODEL_PROFILES, PROFILES

    tasks = _task_names(yamls)
    rows = "\n".join(
        f"| `sarchat_{task}` | `{task}` | " + ", ".join(f"`{c.name}`" for c in TASKS[task].columns) + " |"
        for task in TASKS
        if task not in absent
    )
    missing = (
        f"\n\nThe dataset has no records for {', '.join(f'`sarchat_{t}`' for t in absent)}: those tasks are not\n"
        "exported, and the groups' averages cover the others (`metadata.missing_tasks` of the group YAMLs)."
        if absent
        else ""
    )
    by_backend = ", ".join(
        f"`{backend}` -> `{profile}`" for backend, profile in MODEL_PROFILES.items() if backend not in BASELINE_MODELS
    )
    profiles = ", ".join(f"`{name}`" for name in PROFILES)
    lite = ", ".join(f"`{t}`" for t in tasks if t.endswith("_lite"))
    columns = ", ".join(f"`{c}`" for c in ROW_COLUMNS)
    return f"""# SARChat-Bench

SARChat-Bench evaluates vision-language models on synthetic aperture radar (SAR) images: six tasks
(counting, spatial grounding, cross-modal identification, referring, fine-grained description,
classification) over the SARDet-100K test images, as defined in

> {AUTHOR_LINE}. {PAPER}. arXiv:{ARXIV}, 2025. <https://arxiv.org/abs/{ARXIV}>

The paper publishes no scoring code; these tasks implement its metrics (section 4) rule by rule.
Generated by `sarchat export-upstream` from sarchat-bench {__version__}; regenerate, do not edit.

## Tasks

Groups: `sarchat` (the six tasks) and `sarchat_lite` (the same tasks on a fixed, stratified 5 %
subset of each test file, chosen from record ids; tasks {lite}).

| task | dataset config | metrics (Table 3 columns and extras) |
|---|---|---|
{rows}{missing}

Every task also reports `avg_score` (its task score a_t: the plain mean of its Table 3 columns,
paper equation 5), `parse_failure_rate` (share of answers in which nothing could be read) and
`category_<name>` (a_t over the samples of one category). The groups' `avg_score` is paper
equation 4: task scores weighted by the number of samples.

## Metric notes

- Scores are percentages. Counting-only, abstract position and identification are shares of
  samples answered correctly; every other column is Acc = TP / (TP + FP + FN) (paper equation 3),
  pooled over the column's samples, so an image with 40 ships weighs 40 times one with a ship.
- Boxes are matched one-to-one (an assignment maximising pairs, then IoU) at IoU 0.25 and 0.5;
  grounding matches only boxes of the same category (IoU 0.5; `_iou25` variants are extras).
- Boxes are read in every common syntax (`{{<x1><y1><x2><y2>}}`, Qwen2-VL, InternVL, JSON `bbox_2d`,
  plain lists). A zero-shot model that answers on another coordinate scale is read correctly by
  adding a filter to the task YAML (`utils.BoxConventionFilter`, e.g. `list: unit` or
  `qwen: norm1000`); conventions are never guessed from the ground truth.
- Scoring never raises on model output; an unreadable answer scores as an empty one.

## Model profiles: how each model is asked and read

A profile adds to each SARChat question the instruction a model family follows (its own box
syntax) and reads its boxes in that family's coordinate frame. The task YAMLs choose it from the
`--model` backend ({by_backend}; any other backend: `{DEFAULT_PROFILE}`). The environment variable
`{PROFILE_ENV}` overrides that choice for every task; set it for a model fine-tuned on SARChat, which
must get the paper's question verbatim (`sarchat`), whatever backend runs it:

```bash
{PROFILE_ENV}=sarchat lmms-eval --model qwen2_vl --model_args pretrained=PATH/TO/FINETUNED --tasks sarchat ...
```

Profiles: {profiles}. The profile a run used is part of its result: runs with different
profiles are not comparable.

## Dataset

`dataset_path: {hub_id}`, one config per task YAML's `dataset_name`, split `test`. Columns:
{columns}; `image` is an `Image` feature, `reference` the parsed reference answer as JSON (scoring
compares against it). The dataset repository (Parquet shards with the images embedded, once per
shard, and a dataset card) is written from a prepared set by sarchat-bench and uploaded as it is:

```bash
sarchat export-hub data/sarchat --out hub/SARChat-Bench    # loads offline: load_dataset("hub/SARChat-Bench", "counting")
{upload_command(hub_id, "hub/SARChat-Bench")}
```

## Citation

{CITATION}
"""


# ---------------------------------------------------------------------------------------------
# Command
# ---------------------------------------------------------------------------------------------


def export(
    out: Path, hub_id: str | None = None, *, dataset_path: Path | str, force: bool = False
) -> tuple[list[Path], list[str]]:
    """Write the task folder to ``out`` for the dataset folder ``dataset_path`` (written by
    ``sarchat export-hub``, the folder uploaded to the hub): its tasks, with the generation budgets
    measured on its records. The YAMLs name ``hub_id`` as their dataset, else the local folder (to
    run them offline). Returns the files written and the tasks the dataset has no records for."""
    if hub_id is not None and not HUB_ID_RE.match(hub_id):
        raise ExportError(f"--hub-id must look like ORG/NAME, got {hub_id!r}")
    out = Path(out)
    local, configs, budgets = _checked_hub_folder(Path(dataset_path))
    if hub_id is None and (any(c in local for c in ":#'\"\n") or local != local.strip()):
        raise ExportError(f"--dataset-path {local}: the path must be plain to be written in a YAML; move the folder")
    dataset = hub_id if hub_id is not None else local
    yamls = task_yamls(configs, budgets)
    _check_out(out, [TEMPLATE, *yamls, "utils.py", "README.md"], force)
    exported = {t.removeprefix(LMMS_TASK_PREFIX) for t in _task_names(yamls)}
    absent = [task for task in TASKS if task not in exported]
    files = {
        TEMPLATE: template_yaml(dataset),
        **yamls,
        "utils.py": utils_source(dataset),
        "README.md": readme(dataset, yamls, absent),
    }
    for name, text in files.items():
        if name != "README.md" and _depends_on_package(name, text):
            raise ExportError(f"{name} still depends on sarchat_tasks; the export would not be self-contained")
    written = []
    try:
        out.mkdir(parents=True, exist_ok=True)
        for stale in out.glob(f"{STAGING_PREFIX}*"):  # an interrupted export's, by name
            stale.unlink(missing_ok=True)
        for name, text in files.items():  # each file whole or not at all
            staging = out / f"{STAGING_PREFIX}{name}"
            staging.write_text(text, encoding="utf-8")
            os.replace(staging, out / name)
            written.append(out / name)
    except OSError as exc:
        raise ExportError(f"cannot write the task folder {out}: {exc}") from exc
    return written, absent


STAGING_PREFIX = ".partial-upstream-"
EXPORT_SIGN = "# From sarchat_tasks/"  # in every utils.py this command writes


def _check_out(out: Path, names: list[str], force: bool) -> None:
    """Refuse a path that cannot be the task folder, and files this command did not write: a folder
    holding an earlier export (its utils.py carries the sign) has its files replaced; any other
    non-empty folder needs ``--force``, and even then a file with a name the export writes is refused."""
    from sarchat_tasks.outputs import check_folder_path

    try:
        check_folder_path(out)
    except ValueError as exc:
        raise ExportError(str(exc)) from exc
    if not out.is_dir():
        return
    present = sorted(p.name for p in out.iterdir() if not p.name.startswith(STAGING_PREFIX))
    try:
        own = EXPORT_SIGN in (out / "utils.py").read_text(encoding="utf-8", errors="replace")
    except OSError:
        own = False
    if own:
        return
    if present and not force:
        raise ExportError(f"{out} is not empty; pass --force to write the task folder beside its files (they are kept)")
    foreign = [name for name in names if name in present]
    if foreign:
        raise ExportError(
            f"{out} holds {', '.join(foreign[:3])}{' ...' if len(foreign) > 3 else ''}, not written by "
            "`sarchat export-upstream`; sarchat never replaces files it did not write (--force included)"
        )


def _task_names(yamls: dict[str, str]) -> list[str]:
    """The task names of exported YAMLs (not the groups)."""
    return sorted(yaml.safe_load(t.replace("!function", ""))["task"] for t in yamls.values() if "group:" not in t)


def _checked_hub_folder(folder: Path) -> tuple[str, set[str], dict[str, int]]:
    """A ``sarchat export-hub`` folder's absolute path, its dataset configs, and the generation
    budget per task measured on its records (never below its longest reference answer)."""
    from sarchat_tasks.export.hub import HubExportError, read_mark

    try:
        mark = read_mark(folder)
    except HubExportError as exc:
        raise ExportError(f"--dataset-path: {exc}") from exc
    configs = set(mark.get("configs") or {})
    source = mark.get("source") or {}
    budgets = {t: b for t, b in (source.get("max_new_tokens") or {}).items() if isinstance(b, int) and b > 0}
    for task, longest in (source.get("longest_reference_tokens") or {}).items():
        if task in budgets and isinstance(longest, int) and budgets[task] < longest:
            raise ExportError(
                f"--dataset-path {folder}: the budget of {task}, {budgets[task]} tokens, is below its longest "
                f"reference answer, {longest}; prepare and export the set again"
            )
    unmeasured = sorted({c.removesuffix("_lite") for c in configs} - set(budgets))
    if not configs or unmeasured:
        raise ExportError(
            f"--dataset-path {folder}: "
            + (f"no generation budget recorded for {', '.join(unmeasured)}" if configs else "no dataset config")
            + "; export it again with this version of `sarchat export-hub`"
        )
    return str(folder.resolve()), configs, budgets


def _depends_on_package(name: str, text: str) -> bool:
    """Whether an exported file imports or names a function of this package."""
    if not name.endswith(".py"):
        return "sarchat_tasks." in text
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.ImportFrom) and node.module == "__future__":
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)) and _is_internal(node):
            return True
    return False


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, metavar="DIR",
                        help="task folder to write, e.g. lmms-eval/lmms_eval/tasks/sarchat")  # fmt: skip
    parser.add_argument(
        "out_positional", nargs="?", type=Path, metavar="DIR", help="the same as --out (older spelling)"
    )
    parser.add_argument("--dataset-path", type=Path, metavar="HUB_DIR", required=True,
                        help="the folder `sarchat export-hub` wrote (the one uploaded): its tasks and generation budgets")  # fmt: skip
    parser.add_argument("--hub-id", help="the hub dataset the YAMLs load (ORG/NAME); default: HUB_DIR itself, offline")
    parser.add_argument("--force", action="store_true",
                        help="write into a non-empty folder that is not an earlier export (its files are kept)")  # fmt: skip


def run(args: argparse.Namespace) -> int:
    from sarchat_tasks.errors import SarchatError

    if args.out is None and args.out_positional is None:
        raise SarchatError("--out DIR is required: the task folder to write")
    if args.out is not None and args.out_positional is not None and args.out != args.out_positional:
        raise SarchatError(f"two output folders given: --out {args.out} and {args.out_positional}")
    args.out = args.out or args.out_positional
    written, absent = export(args.out, args.hub_id, dataset_path=args.dataset_path, force=args.force)
    for path in written:
        print(path)
    dataset = args.hub_id or Path(args.dataset_path).resolve()
    print(f"{len(written)} files -> {Path(args.out).resolve()} (dataset {dataset})")
    if absent:
        print(f"not exported: {', '.join(absent)} (the dataset has no records for them)")
    return 0
