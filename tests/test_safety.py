"""Nothing in the package evaluates model output or user files as code.

Model answers and task YAMLs are untrusted input: a response such as ``__import__('os').system(..)``
must stay a string. This test reads the package source (so a new module is covered the day it is
added) and fails on any construct that runs or unpickles data: ``eval(``, ``exec(``,
``literal_eval``, ``pickle``/``marshal``/``dill`` loads, ``torch.load`` without ``weights_only``,
and ``yaml.load`` with anything but a SafeLoader (or a subclass of it declared in the same file).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted(
    p for folder in ("sarchat_tasks", "utils", "task_yamls", "benchmarks") for p in (ROOT / folder).rglob("*.py")
)
_CALLS_FORBIDDEN = {"eval", "exec", "literal_eval", "unsafe_load", "full_load", "load_all"}
_MODULES_FORBIDDEN = {"pickle", "cPickle", "marshal", "dill", "shelve", "cloudpickle", "joblib"}


def _safe_loaders(tree: ast.AST) -> set[str]:
    """Names of classes in the file that derive from yaml.SafeLoader / yaml.CSafeLoader."""
    names = {"SafeLoader", "CSafeLoader", "yaml.SafeLoader", "yaml.CSafeLoader"}
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and any(ast.unparse(base) in names for base in node.bases):
            names.add(node.name)
    return names


def _problems(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    safe = _safe_loaders(tree)
    found = []
    for node in ast.walk(tree):
        where = f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', '?')}"
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            modules = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            for module in modules:
                if module.split(".")[0] in _MODULES_FORBIDDEN:
                    found.append(f"{where}: imports {module}")
        if not isinstance(node, ast.Call):
            continue
        name = ast.unparse(node.func)
        short = name.rsplit(".", 1)[-1]
        if short in _CALLS_FORBIDDEN and not name.endswith(".eval"):  # model.eval() switches a torch mode
            found.append(f"{where}: calls {name}(")
        if name in ("yaml.load", "load") and short == "load" and name.startswith("yaml"):
            loader = next((k.value for k in node.keywords if k.arg == "Loader"), None)
            if loader is None and len(node.args) > 1:
                loader = node.args[1]
            if loader is None or ast.unparse(loader) not in safe:
                found.append(f"{where}: yaml.load without a SafeLoader")
        if name == "torch.load" and not any(k.arg == "weights_only" for k in node.keywords):
            found.append(f"{where}: torch.load without weights_only")
    return found


def test_the_package_source_is_scanned():
    assert len(SOURCES) > 10
    assert ROOT / "sarchat_tasks" / "scoring.py" in SOURCES


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_code_evaluation_of_data(path: Path):
    assert _problems(path) == []


def test_the_checker_catches_what_it_looks_for(tmp_path: Path):
    """The scan is only worth something if it fires: feed it each forbidden construct."""
    bad = tmp_path / "bad.py"
    bad.write_text(
        "import pickle\nimport yaml, ast\nfrom marshal import loads\n"
        "eval(x)\nast.literal_eval(x)\nyaml.load(f)\nyaml.load(f, Loader=yaml.Loader)\nyaml.unsafe_load(f)\n"
        "class L(yaml.SafeLoader):\n    pass\nyaml.load(f, Loader=L)\nmodel.eval()\n",
        encoding="utf-8",
    )
    global ROOT
    saved, ROOT = ROOT, tmp_path
    try:
        problems = _problems(bad)
    finally:
        ROOT = saved
    joined = "\n".join(problems)
    assert "imports pickle" in joined and "imports marshal" in joined
    assert "calls eval(" in joined and "calls ast.literal_eval(" in joined and "calls yaml.unsafe_load(" in joined
    assert joined.count("yaml.load without a SafeLoader") == 2  # the plain Loader and no Loader; L is safe
    assert "model.eval" not in joined


def test_a_response_that_looks_like_code_is_scored_as_text(tmp_path: Path):
    """A response written as Python is read as words and boxes, never run."""
    from sarchat_tasks.metrics import score_sample

    marker = tmp_path / "ran"
    payload = f"__import__('pathlib').Path({str(marker)!r}).write_text('x') or [1, 2, 3, 4]"
    for task, ref in (
        ("referring", {"boxes": [[1, 2, 3, 4]], "category": "ship"}),
        ("classification", {"categories": ["ship"]}),
    ):
        score_sample(task, "single", payload, ref, 100, 100)
    assert not marker.exists()
