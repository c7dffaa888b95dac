"""Mutation score of the scoring code: plant one small bug at a time, run the fast tests, count the kills.

    python benchmarks/mutation_score.py                      # every target in pyproject.toml
    python benchmarks/mutation_score.py --only boxes -j 2    # targets whose path contains "boxes", 2 workers
    python benchmarks/mutation_score.py --json mutation.json # also write every mutant and its fate
    python benchmarks/mutation_score.py --planted            # one planted bug per rule of METRICS.md and
                                                             # DATASET.md, and the fast test failing on each

Configured in ``[tool.sarchat.mutation]`` of pyproject.toml: the files to mutate (each with the module name
the tests import it under: ``utils/`` is installed as ``sarchat_tasks.utils``) and the fast test files.

How it works (docs/TESTING.md says why this runner rather than mutmut or cosmic-ray):

1. One coverage run of the test files records which tests execute each line of each target.
2. Each mutant is one AST change on one line: a comparison flipped (``<`` / ``<=``, ``==`` / ``!=``,
   ``in`` / ``not in``, ...), an arithmetic or boolean operator swapped, a ``not`` dropped, an integer or
   float constant moved by one, ``True`` / ``False`` swapped, ``abs``/``min``/``max``/``round`` dropped.
   Strings are left alone (regular expressions and word lists are covered by hand-written tests).
3. For each mutant a child process is forked from a parent that has already imported pytest, numpy,
   scipy and the other third-party modules; the child puts an import hook first on ``sys.meta_path`` that
   serves the *mutated* code for the target module, compiled in memory, and runs pytest (``-x``) on the
   tests that cover the mutated line (all of the target's tests for lines run at import time).
   A failing run, a crash or a time-out kills the mutant; a passing run is a survivor.

No file is ever written: the mutant exists only in the child's memory, so the source tree is clean
whenever the run stops, interrupted or not. Lines marked ``# pragma: no mutate`` are skipped.
"""

from __future__ import annotations

import argparse
import ast
import importlib.abc
import importlib.machinery
import importlib.util
import json
import os
import random
import signal
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
# coverage (``pip install coverage``) lets each mutant run only the tests that execute its line; without
# it every mutant runs every test file, which is several times slower.
HAVE_COVERAGE = importlib.util.find_spec("coverage") is not None
PYTEST_ARGS = ["-x", "-q", "-p", "no:cacheprovider", "-m", "not slow", "--no-header", "-o", "addopts="]

# Operator swaps: each AST operator type -> the ones it is mutated into.
_CMP = {
    ast.Lt: [ast.LtE],
    ast.LtE: [ast.Lt],
    ast.Gt: [ast.GtE],
    ast.GtE: [ast.Gt],
    ast.Eq: [ast.NotEq],
    ast.NotEq: [ast.Eq],
    ast.In: [ast.NotIn],
    ast.NotIn: [ast.In],
    ast.Is: [ast.IsNot],
    ast.IsNot: [ast.Is],
}
_BIN = {
    ast.Add: [ast.Sub],
    ast.Sub: [ast.Add],
    ast.Mult: [ast.Div],
    ast.Div: [ast.Mult],
    ast.FloorDiv: [ast.Div],
    ast.Mod: [ast.FloorDiv],
    ast.Pow: [ast.Mult],
}
_BOOL = {ast.And: [ast.Or], ast.Or: [ast.And]}
_DROPPED_CALLS = ("abs", "min", "max", "round")
_SYMBOL = {
    ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!=", ast.In: "in",
    ast.NotIn: "not in", ast.Is: "is", ast.IsNot: "is not", ast.Add: "+", ast.Sub: "-", ast.Mult: "*",
    ast.Div: "/", ast.FloorDiv: "//", ast.Mod: "%", ast.Pow: "**", ast.And: "and", ast.Or: "or",
}  # fmt: skip


@dataclass
class Mutant:
    path: str  # relative to the repository root
    line: int
    site: int  # index of the node in ast.walk order
    kind: str  # "cmp", "bin", "aug", "bool", "not", "num", "bool_const", "call"
    choice: int  # which replacement, for operators with several
    description: str
    status: str = "pending"  # killed, survived, timeout
    seconds: float = 0.0
    tests: int = 0
    source_line: str = field(default="", repr=False)
    # the first line of the innermost statement holding the mutated node: coverage records a
    # statement that spans lines (a tuple written over several) on its first line only
    statement_line: int = field(default=0, repr=False)


def _docstring_nodes(tree: ast.AST) -> set[int]:
    """Ids of the constant nodes that are docstrings (never mutated)."""
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                out.add(id(first.value))
    return out


def _sites(tree: ast.AST):
    """Yield (site index, node, kind, choices, description) for every mutable node."""
    docstrings = _docstring_nodes(tree)
    annotations = set()
    for node in ast.walk(tree):
        for attr in ("annotation", "returns"):
            sub = getattr(node, attr, None)
            if sub is not None:
                annotations.update(id(n) for n in ast.walk(sub))
    for index, node in enumerate(ast.walk(tree)):
        if id(node) in annotations:
            continue
        if isinstance(node, ast.Compare):
            for k, op in enumerate(node.ops):
                for c, new in enumerate(_CMP.get(type(op), [])):
                    yield index, node, "cmp", (k, c), f"{_SYMBOL[type(op)]} -> {_SYMBOL[new]}"
        elif isinstance(node, ast.BinOp | ast.AugAssign):
            for c, new in enumerate(_BIN.get(type(node.op), [])):
                kind = "bin" if isinstance(node, ast.BinOp) else "aug"
                yield index, node, kind, (0, c), f"{_SYMBOL[type(node.op)]} -> {_SYMBOL[new]}"
        elif isinstance(node, ast.BoolOp):
            for c, new in enumerate(_BOOL[type(node.op)]):
                yield index, node, "bool", (0, c), f"{_SYMBOL[type(node.op)]} -> {_SYMBOL[new]}"
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            yield index, node, "not", (0, 0), "not x -> x"
        elif isinstance(node, ast.Constant) and id(node) not in docstrings:
            value = node.value
            if isinstance(value, bool):
                yield index, node, "bool_const", (0, 0), f"{value} -> {not value}"
            elif isinstance(value, int | float) and not isinstance(value, complex):
                yield index, node, "num", (0, 0), f"{value!r} -> {value + 1!r}"
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in _DROPPED_CALLS
            and len(node.args) >= 1
            and not node.keywords
        ):
            yield index, node, "call", (0, 0), f"{node.func.id}(x, ...) -> x"


def _apply(tree: ast.AST, site: int, kind: str, choice: tuple[int, int]) -> ast.AST:
    """Mutate the node at ``site`` (ast.walk order) of ``tree`` in place; returns the tree."""
    for index, node in enumerate(ast.walk(tree)):
        if index != site:
            continue
        k, c = choice
        if kind == "cmp":
            node.ops[k] = _CMP[type(node.ops[k])][c]()
        elif kind in ("bin", "aug"):
            node.op = _BIN[type(node.op)][c]()
        elif kind == "bool":
            node.op = _BOOL[type(node.op)][c]()
        elif kind == "not":
            replacement = ast.Call(ast.Name("bool", ast.Load()), [node.operand], [])
            _replace(tree, node, replacement)
        elif kind == "bool_const":
            node.value = not node.value
        elif kind == "num":
            node.value = node.value + 1
        elif kind == "call":
            _replace(tree, node, node.args[0])
        ast.fix_missing_locations(tree)
        return tree
    raise LookupError(f"no site {site}")


def _replace(tree: ast.AST, old: ast.AST, new: ast.AST) -> None:
    ast.copy_location(new, old)
    for parent in ast.walk(tree):
        for name, value in ast.iter_fields(parent):
            if value is old:
                setattr(parent, name, new)
                return
            if isinstance(value, list):
                for i, item in enumerate(value):
                    if item is old:
                        value[i] = new
                        return


def mutants_of(path: Path) -> list[Mutant]:
    source = path.read_text()
    lines = source.splitlines()
    tree = ast.parse(source)
    out = []
    statement_of = _statement_lines(tree)
    for site, node, kind, choice, description in _sites(tree):
        line = node.lineno
        text = lines[line - 1]
        if "pragma: no mutate" in text:
            continue
        rel = str(path.relative_to(ROOT))
        out.append(Mutant(rel, line, site, kind, choice[0] * 10 + choice[1], description, source_line=text.strip(),
                          statement_line=statement_of.get(line, line)))  # fmt: skip
    return out


def _statement_lines(tree: ast.AST) -> dict[int, int]:
    """line -> first line of the innermost statement spanning it."""
    statements = sorted((n for n in ast.walk(tree) if isinstance(n, ast.stmt)), key=lambda n: n.lineno - n.end_lineno)
    first: dict[int, int] = {}
    for node in statements:  # outermost first, so inner statements overwrite
        for line in range(node.lineno, node.end_lineno + 1):
            first[line] = node.lineno
    return first


_RECORD_KEYS = {"path", "line", "site", "status", "source_line", "description"}


def _read_record(path: Path) -> list[dict]:
    """The mutants of an earlier ``--json`` record; exits with a message naming the file if it is not one."""
    try:
        record = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise SystemExit(f"--rerun {path}: cannot read it as a --json record: {error}") from None
    if not isinstance(record, list) or not all(isinstance(m, dict) and _RECORD_KEYS <= m.keys() for m in record):
        raise SystemExit(
            f"--rerun {path}: not a --json record of this runner (a list of mutants with {sorted(_RECORD_KEYS)})"
        )
    return record


def _write_json(path: Path, mutants: list[Mutant]) -> None:
    """Every mutant and its fate so far, replacing the file whole (never a half-written record)."""
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps([asdict(m) for m in mutants], indent=1))
    os.replace(partial, path)


def survivors_again(earlier: list[dict], mutants: list[Mutant]) -> list[Mutant]:
    """The mutants of the code as it is now that are the survivors of an ``--json`` record: the same
    change (the same description, and the same place among that line's mutants with this
    description: ``j + 1`` and ``value + x`` on one line are both "+ -> -") to a source line of the
    same text, the nearest one to where the survivor was (code added or removed elsewhere in the
    file since the run moves lines, and a line such as ``j += 1`` can stand several times). A
    survivor whose line was rewritten or removed is reported and left out; ``--only FILE --line N``
    runs a rewritten line's mutants afresh."""

    def keyed(items):  # (path, line text, description, place on the line) -> [(line, site, item)]
        places: dict[tuple, int] = {}
        out: dict[tuple, list] = {}
        for item in items:
            path, line, site = item["path"], item["line"], item["site"]
            text, description = item["source_line"], item["description"]
            place = places[(path, line, description)] = places.get((path, line, description), -1) + 1
            out.setdefault((path, text, description, place), []).append((line, site, item))
        return out

    now = keyed([{**asdict(m), "mutant": m} for m in mutants])
    chosen: list[Mutant] = []
    gone = 0
    for key, olds in keyed(earlier).items():
        for line, site, old in olds:
            if old["status"] != "survived":
                continue
            candidates = now.get(key, [])
            if not candidates:
                gone += 1
                continue
            nearest = min(candidates, key=lambda c: (abs(c[0] - line), abs(c[1] - site)))
            candidates.remove(nearest)
            chosen.append(nearest[2]["mutant"])
    if gone:
        print(f"{gone} survivors of the earlier run are on lines rewritten since: not rerun", flush=True)
    return sorted(chosen, key=lambda m: (m.path, m.line, m.site, m.choice))


class _MutantLoader(importlib.machinery.SourceFileLoader):
    """The target module's own loader with the mutated code object in place of the compiled file:
    importlib then runs it exactly as it runs any module's code."""

    def __init__(self, name: str, path: Path, code):
        super().__init__(name, str(path))
        self.code = code

    def get_code(self, fullname):
        return self.code


class _MutantFinder(importlib.abc.MetaPathFinder):
    """Serves the mutated code object for one module name; everything else imports as usual."""

    def __init__(self, name: str, path: Path, code):
        self.name, self.loader = name, _MutantLoader(name, path, code)

    def find_spec(self, fullname, path=None, target=None):
        if fullname != self.name:
            return None
        return importlib.util.spec_from_file_location(fullname, self.loader.path, loader=self.loader)


def _start_child(target) -> int:
    """Fork and run ``target()`` in the child, output silenced; its return value is the exit code."""
    pid = os.fork()
    if pid == 0:  # child
        code = 3
        try:
            os.setpgid(0, 0)
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.dup2(devnull, 2)
            code = target()
        except BaseException:
            code = 4
        finally:
            os._exit(code if isinstance(code, int) else 4)
    return pid


def _poll(pid: int, start: float, timeout: float) -> str | None:
    """The fate of a child: killed, survived, timeout, or None while it still runs."""
    done, status = os.waitpid(pid, os.WNOHANG)
    if done:
        return "survived" if os.waitstatus_to_exitcode(status) == 0 else "killed"
    if time.monotonic() - start > timeout:
        _kill(pid)
        return "timeout"
    return None


def _run_child(target, timeout: float) -> tuple[str, float]:
    start = time.monotonic()
    pid = _start_child(target)
    while (status := _poll(pid, start, timeout)) is None:
        time.sleep(0.02)
    return status, time.monotonic() - start


def _kill(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass


class _Recorder:
    """pytest plugin: switches the coverage context to each test's node id and records its duration."""

    def __init__(self, cov):
        self.cov = cov
        self.durations: dict[str, float] = {}
        self.failed: list[str] = []

    def pytest_runtest_setup(self, item):
        if self.cov is not None:
            self.cov.switch_context(item.nodeid)

    def pytest_runtest_logreport(self, report):
        self.durations[report.nodeid] = self.durations.get(report.nodeid, 0.0) + report.duration
        if report.failed:
            self.failed.append(report.nodeid)


def coverage_map(targets: dict[str, str], tests: list[str]) -> dict:
    """{path: {line: [node ids]}} and {node id: seconds}, from one coverage run in a forked child."""
    out_file = Path(tempfile.mkstemp(suffix=".json", prefix="mutation-coverage-")[1])

    def child():
        import pytest

        if not HAVE_COVERAGE:  # every mutant then runs every test file
            recorder = _Recorder(None)
            code = pytest.main([*PYTEST_ARGS[1:], *tests], plugins=[recorder])
            lines = {path: {} for path in targets}
            out_file.write_text(
                json.dumps({"lines": lines, "durations": recorder.durations, "failed": recorder.failed})
            )
            return int(code)
        import coverage

        cov = coverage.Coverage(data_file=None, include=[str(ROOT / p) for p in targets], branch=False)
        cov.start()
        recorder = _Recorder(cov)
        code = pytest.main([*PYTEST_ARGS[1:], *tests], plugins=[recorder])
        cov.stop()
        data = cov.get_data()
        lines = {}
        for path in targets:
            by_line = data.contexts_by_lineno(str(ROOT / path)) or {}
            lines[path] = {str(k): sorted(v) for k, v in by_line.items()}
        out_file.write_text(json.dumps({"lines": lines, "durations": recorder.durations, "failed": recorder.failed}))
        return int(code)

    try:
        status, seconds = _run_child(child, timeout=3600)
        result = json.loads(out_file.read_text()) if out_file.stat().st_size else {}
    finally:
        out_file.unlink(missing_ok=True)
    if status != "survived":
        failed = result.get("failed", [])
        raise SystemExit(f"the unmutated tests do not pass ({status}); failing: {failed}")
    result["seconds"] = seconds
    return result


def start_mutant(mutant: Mutant, module: str, tests: list[str]) -> int:
    """Fork a child that imports the mutated module and runs ``tests``; returns its pid."""
    path = ROOT / mutant.path
    tree = ast.parse(path.read_text())
    kind, choice = mutant.kind, (mutant.choice // 10, mutant.choice % 10)
    code = compile(_apply(tree, mutant.site, kind, choice), str(path), "exec")

    def child():
        import pytest

        sys.meta_path.insert(0, _MutantFinder(module, path, code))
        return int(pytest.main([*PYTEST_ARGS, *tests]))

    mutant.tests = len(tests)
    return _start_child(child)


def _preload() -> None:
    """Import the heavy third-party modules once, in the parent, so that each forked child starts warm."""
    import hypothesis  # noqa: F401
    import lmms_eval.api.filter  # noqa: F401  (and through it datasets, pandas, pyarrow: about 1 s a child)
    import numpy  # noqa: F401
    import PIL.Image  # noqa: F401
    import pytest  # noqa: F401
    import scipy.optimize  # noqa: F401
    import yaml  # noqa: F401

    for name in list(sys.modules):
        if name == "sarchat_tasks" or name.startswith("sarchat_tasks."):
            raise SystemExit(f"{name} was imported before forking: the children would not see the mutants")


# Planted bugs (``--planted``): one plausible semantic bug per rule of docs/METRICS.md and
# docs/DATASET.md, each breaking that rule alone. An entry is (file, module, text, replacement) or
# (file, module, text, replacement, rule id): ``text`` must stand exactly once in the file (a
# rewrite of that code must update the entry: tests/test_planted_bugs.py checks it), and the rule
# id is the one of docs/TESTING.md's table of rules. ``text`` and ``replacement`` may also be tuples
# of strings, replaced pairwise, for a bug that needs two edits.


def _bug(rule: str, path: str, text, replacement) -> tuple:
    """An entry of PLANTED, the module name derived from the path (``utils/`` is installed as
    ``sarchat_tasks.utils``)."""
    module = path.removesuffix(".py").replace("/", ".")
    module = "sarchat_tasks." + module if module.startswith("utils.") else module
    return (path, module, text, replacement, rule)


_SCORING, _METRICS, _BOXES = "sarchat_tasks/scoring.py", "sarchat_tasks/metrics.py", "utils/boxes.py"
_MATCHING, _VOCABULARY, _ANSWERS = "utils/matching.py", "utils/vocabulary.py", "utils/answers.py"
_FRAMES, _OFFICIAL, _REGISTRY = "utils/frames.py", "sarchat_tasks/official.py", "sarchat_tasks/registry.py"
_RULES, _RECORDS, _BUDGET = (
    "sarchat_tasks/build/rules.py",
    "sarchat_tasks/build/records.py",
    "sarchat_tasks/task_folder.py",
)
_PREPARE, _COCO, _IMAGES = "sarchat_tasks/prepare.py", "sarchat_tasks/build/coco.py", "sarchat_tasks/images.py"

PLANTED: tuple[tuple, ...] = (
    # --- METRICS.md: two kinds of column
    _bug(
        "M-share", _SCORING, "applicable = [v for v in plain if v is not None]", "applicable = [v or 0 for v in plain]"
    ),
    _bug("M-pooled", _SCORING, "total += value[0] + value[1] + value[2]", "total += value[0] + value[1]"),
    _bug(
        "M-null-column", _SCORING, "    if total == 0:\n        return None", "    if total == 0:\n        return 0.0"
    ),
    # --- boxes: each syntax with its default convention, conventions, frames, reading rules
    _bug("M-box-florence", _BOXES, '"florence": "bin1000",', '"florence": "norm1000",'),
    _bug("M-box-rotated", _BOXES, '"rotated": "norm100",', '"rotated": "pixel",'),
    _bug("M-box-native", _BOXES, '"native": "pixel",', '"native": "norm1000",'),
    _bug("M-box-qwen", _BOXES, '"qwen": "norm1000",', '"qwen": "pixel",'),
    _bug("M-box-internvl", _BOXES, '"internvl": "norm1000",', '"internvl": "pixel",'),
    _bug("M-box-deepseek", _BOXES, '"deepseek": "norm999",', '"deepseek": "norm1000",'),
    _bug("M-box-json", _BOXES, '"json": "pixel",', '"json": "norm1000",'),
    _bug("M-box-list", _BOXES, '"list": "pixel",', '"list": "norm1000",'),
    _bug("M-conv-bin1000", _BOXES, '"bin1000": (1000.0, 0.5)}', '"bin1000": (1000.0, 0.0)}'),
    _bug("M-conv-unit", _BOXES, '"unit": (1.0, 0.0)', '"unit": (100.0, 0.0)'),
    _bug(
        "M-conv-heights",
        _BOXES,
        "y1, y2 = (y1 + offset) * frame_h / size, (y2 + offset) * frame_h / size",
        "y1, y2 = (y1 + offset) * frame_w / size, (y2 + offset) * frame_w / size",
    ),
    _bug("M-frame-qwen25-factor", _FRAMES, "QWEN25_FACTOR = 28", "QWEN25_FACTOR = 14"),
    _bug(
        "M-frame-qwen25-twice",
        _FRAMES,
        "return qwen25_resized_size(*first, min_pixels, max_pixels)",
        "return qwen25_resized_size(width, height, min_pixels, max_pixels)",
    ),
    _bug(
        "M-frame-qwen25-scale",
        _FRAMES,
        "float(fw), float(fh), width / fw, height / fh",
        "float(fw), float(fh), fw / width, fh / height",
    ),
    _bug(
        "M-frame-center-square",
        _FRAMES,
        "side = min(width, height)\n    return ((width - side) / 2, (height - side) / 2, side)",
        "side = min(width, height)\n    return (0.0, 0.0, side)",
    ),
    _bug(
        "M-frame-padded-square",
        _FRAMES,
        "side = max(width, height)\n    return ((width - side) / 2, (height - side) / 2, side)",
        "side = max(width, height)\n    return (0.0, 0.0, side)",
    ),
    _bug(
        "M-box-leftmost",
        _BOXES,
        "found.append(m)\n            position = m.end()",
        "found.append(m)\n            position = start + 1",
    ),
    _bug("M-box-swapped", _BOXES, "    x1, x2 = min(x1, x2), max(x1, x2)\n", ""),
    _bug(
        "M-box-finite",
        _BOXES,
        "if len(numbers) != 4 or not all(math.isfinite(v) for v in numbers):",
        "if len(numbers) != 4:",
    ),
    ("utils/boxes.py", "sarchat_tasks.utils.boxes", "MAX_NUMBER_CHARS = 24", "MAX_NUMBER_CHARS = 25", "M-box-24-chars"),
    (
        "utils/boxes.py",
        "sarchat_tasks.utils.boxes",
        "max(abs(x1), abs(x2), abs(y1), abs(y2))",
        "max(x1, x2, y1, y2)",
        "M-box-absurd",
    ),
    _bug(
        "M-box-internvl-four",
        _BOXES,
        "numbers = [_number(n) for n in _NUM_RE.findall(item.group(0))]",
        "numbers = [_number(n) for n in _NUM_RE.findall(item.group(0))][:4]",
    ),
    _bug(
        "M-box-invalid-fp",
        _SCORING,
        "n_invalid = len(boxes) - len(valid)\n    stated = ",
        "n_invalid = 0\n    stated = ",
    ),
    (
        "sarchat_tasks/metrics.py",
        "sarchat_tasks.metrics",
        "response[:MAX_RESPONSE_CHARS] if",
        "response if",
        "M-response-cap",
    ),
    # --- IoU and matching
    _bug("M-iou-no-plus-one", _MATCHING, "    w, h = x2 - x1, y2 - y1\n", "    w, h = x2 - x1 + 1, y2 - y1 + 1\n"),
    _bug(
        "M-iou-zero-area",
        _MATCHING,
        "row.append(inter / union if union > 0 else 0.0)",
        "row.append(inter / union if union > 0 else 1.0)",
    ),
    _bug("M-match-inclusive", _MATCHING, "cut = threshold - IOU_TOLERANCE", "cut = threshold + IOU_TOLERANCE"),
    _bug("M-match-tolerance", _MATCHING, "IOU_TOLERANCE = 1e-9", "IOU_TOLERANCE = 0.0"),
    _bug("M-match-most-pairs", _MATCHING, "bonus = float(min(len(rows), len(cols)) + 1)", "bonus = 0.0"),
    (
        "utils/matching.py",
        "sarchat_tasks.utils.matching",
        "keep = sub_ok[r, c]",
        "keep = np.ones(len(r), dtype=bool)",
        "M-match-counts",
    ),
    # --- vocabulary
    _bug(
        "M-voc-synonyms",
        _VOCABULARY,
        '"ship": ("ship", "ships", "boat", "boats", "vessel", "vessels"),',
        '"ship": ("ship", "ships", "boat", "boats"),',
    ),
    _bug("M-voc-whole-words", _VOCABULARY, 'after = r"(?<!\\w.)" if word_start and depth == 0 else ""', 'after = ""'),
    _bug("M-voc-case", _VOCABULARY, "return word.translate(_FOLD).lower()", "return word.translate(_FOLD)"),
    _bug("M-voc-plurals", _VOCABULARY, '"tank": ("tank", "tanks"),', '"tank": ("tank",),'),
    (
        _VOCABULARY,
        "sarchat_tasks.utils.vocabulary",
        "math.floor(3.0 * cy / height)",
        "math.floor(3.0 * cy / width)",
        "M-cell-grid",
    ),
    _bug("M-cell-words", _VOCABULARY, '"middle": "center", "right": "right"}', '"middle": "middle", "right": "right"}'),
    _bug(
        "M-cell-side",
        _VOCABULARY,
        "return f\"middle {fold(m.group('side'))}\"",
        "return f\"center {fold(m.group('side'))}\"",
    ),
    _bug(
        "M-cell-center",
        _VOCABULARY,
        r"(?:center|centre|middle)(?![\s-]+(?:left|right|center|centre|middle)\b)",
        r"(?:center|centre|middle)",
    ),
    _bug(
        "M-cell-edge",
        _VOCABULARY,
        "return f\"{_ROW_WORDS[fold(m.group('edge'))]} center\"",
        "return f\"{fold(m.group('edge'))} center\"",
    ),
    _bug(
        "M-size-very",
        _VOCABULARY,
        'if m.group("very") and word in ("small", "large"):',
        'if m.group("very") and word == "small":',
    ),
    _bug("M-size-synonyms", _VOCABULARY, '"tiny": "very small",', '"tiny": "small",'),
    _bug(
        "M-shape-words",
        _VOCABULARY,
        'return None if shape == "elongated" else shape',
        'return "wide" if shape == "elongated" else shape',
    ),
    (
        "utils/vocabulary.py",
        "sarchat_tasks.utils.vocabulary",
        'rel.startswith(("far", "distant"))',
        'rel.startswith("far")',
        "M-rel-words",
    ),
    _bug("M-rel-unordered", _VOCABULARY, "first, second = sorted((a, b))", "first, second = a, b"),
    _bug(
        "M-rel-negated",
        _VOCABULARY,
        'if m.group("neg"):\n            far = not far',
        'if m.group("neg"):\n            pass',
    ),
    # --- negation
    _bug("M-neg-window", _VOCABULARY, "NEGATION_SCOPE_WORDS = 4", "NEGATION_SCOPE_WORDS = 3"),
    _bug("M-neg-but", _VOCABULARY, 'if m is None or fold(m.group(1)) == "but":', "if m is None:"),
    _bug(
        "M-neg-punctuation",
        _VOCABULARY,
        '_SCOPE_WORD_RE = re.compile(r"[ \\t]+(',
        '_SCOPE_WORD_RE = re.compile(r"[ \\t,]+(',
    ),
    _bug("M-neg-line", _VOCABULARY, '_SCOPE_WORD_RE = re.compile(r"[ \\t]+(', '_SCOPE_WORD_RE = re.compile(r"\\s+('),
    _bug(
        "M-neg-number",
        _VOCABULARY,
        '_SCOPE_WORD_RE = re.compile(r"[ \\t]+([^\\W\\d_]+',
        '_SCOPE_WORD_RE = re.compile(r"[ \\t]+([^\\W_]+',
    ),
    _bug("M-neg-words", _VOCABULARY, '"neither", "without", "cannot")', '"neither", "cannot")'),
    _bug("M-neg-nt", _VOCABULARY, '_NEGATED_VERBS = ("is", "are",', '_NEGATED_VERBS = ("are",'),
    _bug("M-neg-identification", _VOCABULARY, "scopes = negation_of(text) if affirmed else []", "scopes = []"),
    _bug(
        "M-neg-grounding",
        _ANSWERS,
        "mentions = find_affirmed_categories(text)\n    out = []",
        "mentions = find_categories(text)\n    out = []",
    ),
    _bug(
        "M-neg-description",
        _ANSWERS,
        "if scopes and is_negated(mention.start, scopes):",
        "if scopes and is_negated(mention.end, scopes):",
    ),
    _bug(
        "M-neg-classification",
        _SCORING,
        "named = {m.value for m in find_affirmed_categories(text)}",
        "named = {m.value for m in find_categories(text)}",
    ),
    # --- counting
    _bug(
        "M-count-queried", _SCORING, 'stated = stated_count(text, ref.get("category"))', "stated = stated_count(text)"
    ),
    _bug(
        "M-count-markdown",
        _ANSWERS,
        'str.maketrans(dict.fromkeys("*`#_", " "))',
        'str.maketrans(dict.fromkeys("`#_", " "))',
    ),
    _bug("M-count-modifiers", _ANSWERS, "_MAX_MODIFIERS = 2", "_MAX_MODIFIERS = 1"),
    _bug(
        "M-count-not-modifiers",
        _ANSWERS,
        '_NOT_MODIFIERS = frozenset({"of", "the", "in", "on",',
        '_NOT_MODIFIERS = frozenset({"of", "on",',
    ),
    _bug(
        "M-count-instances-of", _ANSWERS, 'k = j + 2 if tokens[j + 1 : j + 3] != ["of", "the"] else j + 3', "k = j + 2"
    ),
    (
        "utils/answers.py",
        "sarchat_tasks.utils.answers",
        '{"instance", "instances",',
        '{"instances",',
        "M-count-instance",
    ),
    _bug(
        "M-count-total-of",
        _ANSWERS,
        'total = not noun[1] and tokens[max(0, i - 2) : i] == ["total", "of"]',
        "total = False",
    ),
    _bug(
        "M-count-there-is",
        _ANSWERS,
        'tokens[i + 1] in ("is", "are", "was", "were")):',
        'tokens[i + 1] in ("is", "are")):',
    ),
    _bug("M-count-a-an", _ANSWERS, 'if j < n and (tokens[j] in ("a", "an") or', 'if j < n and (tokens[j] in ("a",) or'),
    _bug("M-count-none", _VOCABULARY, '"no": 0, "none": 0, "zero": 0,', '"no": 0, "zero": 0,'),
    _bug("M-count-number-of", _ANSWERS, "_NUMBER_OF_REACH = 12", "_NUMBER_OF_REACH = 6"),
    _bug(
        "M-count-label",
        _ANSWERS,
        "if number is not None and (number[1] == n or tokens[number[1]] in _AFTER_LABELLED_COUNT):",
        "if number is not None:",
    ),
    _bug("M-count-bare", _ANSWERS, "if number is None or number[1] != len(rest):", "if number is None:"),
    _bug("M-count-number-words", _ANSWERS, "return value + UNIT_WORDS[tokens[j]], j + 1", "return value, j"),
    _bug("M-count-any", _ANSWERS, "for t in tokens[max(0, i - 3) : i]):", "for t in tokens[max(0, i - 1) : i]):"),
    (
        "utils/answers.py",
        "sarchat_tasks.utils.answers",
        "        number = _number_or_hedge(tokens, i)\n        if number is not None:",
        '        number = _number_or_hedge(tokens, i)\n        if number is not None and token != "no":',
        "M-count-zero",
    ),
    _bug("M-count-hedge", _ANSWERS, "return WRONG_COUNT, second[1]", "return value, second[1]"),
    (
        "utils/answers.py",
        "sarchat_tasks.utils.answers",
        "len(token) <= MAX_COUNT_DIGITS",
        "len(token) < MAX_COUNT_DIGITS",
        "M-count-digits",
    ),
    _bug("M-count-first-total", _ANSWERS, "if first.total:\n", "if first.total and len(about) == 1:\n"),
    _bug(
        "M-count-sentence-sum",
        _ANSWERS,
        "values = [s.value for s in about if s.sentence == first.sentence]",
        "values = [s.value for s in about]",
    ),
    _bug(
        "M-count-hedge-among",
        _ANSWERS,
        "return WRONG_COUNT if WRONG_COUNT in values else sum(values)",
        "return sum(values)",
    ),
    _bug(
        "M-count-other-categories",
        _ANSWERS,
        "category is not None and s.category == category]",
        "category is not None and s.category in (category, None)]",
    ),
    _bug(
        "M-count-generic",
        _ANSWERS,
        "return generic[0].value if generic else None",
        "return generic[-1].value if generic else None",
    ),
    _bug(
        "M-count-sentences",
        _ANSWERS,
        '_SENTENCE_END = frozenset({".", "!", "?", ";", "\\n"})',
        '_SENTENCE_END = frozenset({".", "!", "?", "\\n"})',
    ),
    (
        "sarchat_tasks/scoring.py",
        "sarchat_tasks.scoring",
        "count = stated if stated is not None else len(boxes)",
        "count = stated or len(boxes)",
        "M-count-boxes",
    ),
    _bug(
        "M-count-iou",
        _SCORING,
        'at25, at50 = match_boxes_at(valid, ref["boxes"], (0.25, 0.5), n_invalid)\n    columns',
        'at25, at50 = match_boxes_at(valid, ref["boxes"], (0.5, 0.5), n_invalid)\n    columns',
    ),
    # --- grounding
    _bug("M-gr-last-category", _ANSWERS, "current = mentions[k].value", "current = current or mentions[k].value"),
    _bug("M-gr-json-label", _ANSWERS, "if labelled:\n", "if labelled and label:\n"),
    _bug("M-gr-json-keys", _ANSWERS, "(?:label|category|class|name)", "(?:label)"),
    _bug(
        "M-gr-same-category",
        _SCORING,
        "by_category_pred.setdefault(item.category, [])",
        "by_category_pred.setdefault(reference_objects[0][0] if reference_objects else item.category, [])",
    ),
    _bug(
        "M-gr-iou50",
        _SCORING,
        '_match_by_category(predicted, ref["objects"], (0.25, 0.5), pairs)',
        '_match_by_category(predicted, ref["objects"], (0.25, 0.25), pairs)',
    ),
    (
        "sarchat_tasks/scoring.py",
        "sarchat_tasks.scoring",
        "if item.category is None or not item.box.valid:\n            unmatched += 1",
        "if item.category is None:\n            pass\n        elif not item.box.valid:\n            unmatched += 1",
        "M-gr-no-category",
    ),
    _bug(
        "M-gr-subset",
        _SCORING,
        'columns[f"grounding_{subset}"] = _as_list(at50)',
        'columns["grounding_multi"] = _as_list(at50)',
    ),
    _bug("M-gr-abstract-applies", _SCORING, 'if ref["relations"]:', "if True:"),
    _bug(
        "M-gr-abstract-first",
        _SCORING,
        "first_stated.setdefault((rel.first, rel.second), rel.relation)",
        "first_stated[(rel.first, rel.second)] = rel.relation",
    ),
    _bug(
        "M-gr-abstract-every",
        _SCORING,
        "all(first_stated.get((a, b)) == relation",
        "any(first_stated.get((a, b)) == relation",
    ),
    # --- identification, referring
    _bug(
        "M-id-one-value",
        _SCORING,
        "(len(stated[attribute]) != 1 or expected not in stated[attribute])",
        "(expected not in stated[attribute])",
    ),
    _bug(
        "M-id-unstated",
        _SCORING,
        "if expected is not None and (len(stated[attribute])",
        "if (expected is not None or stated[attribute]) and (len(stated[attribute])",
    ),
    _bug(
        "M-ref-iou",
        _SCORING,
        'at25, at50 = match_boxes_at(valid, ref["boxes"], (0.25, 0.5), n_invalid)\n        columns',
        'at25, at50 = match_boxes_at(valid, ref["boxes"], (0.5, 0.5), n_invalid)\n        columns',
    ),
    # --- description
    _bug("M-desc-multiset", _SCORING, "tp = sum((pred & ref).values())", "tp = len(set(pred) & set(ref))"),
    _bug(
        "M-desc-category-and-cell",
        _SCORING,
        'items = description_items(text)\n    reference = [tuple(obj) for obj in ref["objects"]]',
        'items = [cell for _, cell in description_items(text)]\n    reference = [obj[1] for obj in ref["objects"]]',
    ),
    _bug(
        "M-desc-no-cell",
        _ANSWERS,
        "return [(category, cell) for category, cell in items]",
        'return [(category, cell or "middle center") for category, cell in items]',
    ),
    _bug(
        "M-desc-number-reach",
        _ANSWERS,
        "for k in range(1, min(3, len(words)) + 1):",
        "for k in range(1, min(2, len(words)) + 1):",
    ),
    _bug(
        "M-desc-number-digits",
        _ANSWERS,
        "if word.isdigit() and word.isascii() and len(word) <= 3:",
        "if word.isdigit() and word.isascii() and len(word) <= 1:",
    ),
    _bug(
        "M-desc-number-words",
        _ANSWERS,
        "return TENS_WORDS[words[-k - 1]] + UNIT_WORDS[word]",
        "return UNIT_WORDS[word]",
    ),
    _bug("M-desc-window", _ANSWERS, '!= "-":\n        del words[0]', '!= "-":\n        pass'),
    _bug(
        "M-desc-sentences",
        _ANSWERS,
        '_SENTENCE_MARK_RE = re.compile(r"[.;!?\\n]',
        '_SENTENCE_MARK_RE = re.compile(r"[.!?\\n]',
    ),
    _bug(
        "M-desc-run-on",
        _ANSWERS,
        '_RUN_ON_RE = re.compile(r"[A-Z][a-z]*,?\\s+[a-z]")',
        '_RUN_ON_RE = re.compile(r"[A-Z][a-z]*\\s+[a-z]")',
    ),
    _bug(
        "M-desc-title-case",
        _ANSWERS,
        '_RUN_ON_RE = re.compile(r"[A-Z][a-z]*,?\\s+[a-z]")',
        '_RUN_ON_RE = re.compile(r"[A-Z][a-z]*,?\\s+[A-Za-z]")',
    ),
    _bug(
        "M-desc-colon",
        _ANSWERS,
        ('_SENTENCE_MARK_RE = re.compile(r"[.;!?\\n]', 'if text[at] in ".;!?\\n":'),
        ('_SENTENCE_MARK_RE = re.compile(r"[.;:!?\\n]', 'if text[at] in ".;:!?\\n":'),
    ),
    _bug("M-desc-opening-position", _ANSWERS, "current = m.value\n", "current = current or m.value\n"),
    _bug(
        "M-desc-queue",
        _ANSWERS,
        "items[index][1] = cells[min(k, len(cells) - 1)]",
        "items[index][1] = cells[k] if k < len(cells) else None",
    ),
    _bug(
        "M-desc-next-sentence",
        _ANSWERS,
        "_place(items, pending, [m.value for _, m in sentence])",
        "_place(items, [], [m.value for _, m in sentence])",
    ),
    _bug(
        "M-desc-same-objects",
        _ANSWERS,
        "carried.setdefault(items[index][0], []).append(index)",
        "carried.setdefault(items[index][1], []).append(index)",
    ),
    _bug(
        "M-desc-new-objects",
        _ANSWERS,
        'frozenset({"another", "more", "additional", "also", "extra"})',
        'frozenset({"more", "additional", "also", "extra"})',
    ),
    _bug("M-desc-bounds", _ANSWERS, "MAX_DESCRIBED_PER_MENTION = 100", "MAX_DESCRIBED_PER_MENTION = 1000"),
    # --- classification
    (
        "sarchat_tasks/scoring.py",
        "sarchat_tasks.scoring",
        "named = {m.value for m in find_affirmed_categories(text)}",
        "named = [m.value for m in find_affirmed_categories(text)]",
        "M-cls-set",
    ),
    # --- per-task extras, task score, average, standard errors
    _bug("M-pfr-counting", _SCORING, "return columns, stated is None and not boxes", "return columns, stated is None"),
    _bug(
        "M-pfr-grounding",
        _SCORING,
        "return columns, not predicted and not stated_relations",
        "return columns, not predicted",
    ),
    _bug(
        "M-pfr-identification",
        _SCORING,
        "return columns, not any(stated.values())",
        'return columns, not stated["category"]',
    ),
    _bug("M-pfr-referring", _SCORING, "return columns, not boxes\n", "return columns, not valid\n"),
    _bug(
        "M-pfr-description",
        _SCORING,
        'reason=f"TP {tp}, FP {fp}, FN {fn} (category and cell)")  # fmt: skip\n    return columns, not items',
        'reason=f"TP {tp}, FP {fp}, FN {fn} (category and cell)")  # fmt: skip\n    return columns, not any(cell for _, cell in items)',
    ),
    _bug(
        "M-pfr-denominator",
        _METRICS,
        "if failed:\n        values = dict.fromkeys(values)",
        'if failed:\n        values = {**dict.fromkeys(values), "parse_failure_rate": 0}',
    ),
    _bug(
        "M-category-ties",
        _SCORING,
        "key=lambda name: (counts[name], -names.index(name))",
        "key=lambda name: (counts[name], names.index(name))",
    ),
    (
        "sarchat_tasks/metrics.py",
        "sarchat_tasks.metrics",
        "scores = [s for s in scores if s is not None]",
        "scores = [s or 0.0 for s in scores]",
        "M-task-score-nulls",
    ),
    (
        "sarchat_tasks/metrics.py",
        "sarchat_tasks.metrics",
        "for name in TASKS[task].table_column_names}",
        "for name in TASKS[task].column_names}",
        "M-task-score-columns",
    ),
    _bug(
        "M-avg-weighted",
        _SCORING,
        "value = sum(score * n for score, n in pairs) / weight",
        "value = sum(score for score, _ in pairs) / len(pairs)",
    ),
    _bug(
        "M-stderr-percent",
        _SCORING,
        "values[:] = [_Percent(100.0 * v) if isinstance(v, (int, float)) else v for v in plain]",
        "values[:] = plain",
    ),
    _bug("M-stderr-none", _SCORING, "values[:] = [_Hidden(v) for v in plain]", "values[:] = plain"),
    # --- references
    _bug("M-refs-outside", _SCORING, "x2 > width + 1 or y2 > height + 1", "x2 > width + 1 or y2 > width + 1"),
    _bug("M-refs-zero-area", _SCORING, "if x2 <= x1 or y2 <= y1:", "if x2 < x1 or y2 < y1:"),
    _bug("M-refs-several-values", _SCORING, "if len(values) > 1:", "if len(values) > 2:"),
    _bug(
        "M-refs-description-position",
        _SCORING,
        "if any(cell is None for _, cell in items):",
        "if all(cell is None for _, cell in items):",
    ),
    _bug(
        "M-refs-grounding-category",
        _SCORING,
        'if item.category is None:\n            raise ReferenceAnswerError("a reference box has no category word before it")',
        "if item.category is None:\n            continue",
    ),
    # --- task and subset of a record
    _bug(
        "M-file-whole-words",
        _OFFICIAL,
        "for word in _name_words(lowered):",
        "for word in [w for w in _WORD_TASK if w in lowered]:",
    ),
    _bug(
        "M-file-specific-word",
        _OFFICIAL,
        "narrowest = min(spread.values(), default=0)",
        "narrowest = max(spread.values(), default=0)",
    ),
    _bug("M-file-tie", _OFFICIAL, "(tasks[0] if len(tasks) == 1 else None)", "(tasks[0] if tasks else None)"),
    _bug(
        "M-file-chunk",
        _OFFICIAL,
        "return task_of_file(Path(path).parent.name) if Path(path).parent.name else (None, None)",
        "return (None, None)",
    ),
    _bug(
        "M-file-subset-word",
        _OFFICIAL,
        '_SUBSET_WORD_RE = re.compile(r"(?:^|[_.-])(multi|single)(?=$|[_.-])")',
        '_SUBSET_WORD_RE = re.compile(r"(multi|single)")',
    ),
    _bug("M-file-subset-last", _OFFICIAL, "(subsets[-1] if subsets else None)", "(subsets[0] if subsets else None)"),
    _bug("M-question-tag", _OFFICIAL, 'r"\\[\\s*(" + "|".join(', 'r"\\[(" + "|".join('),
    _bug(
        "M-question-choice",
        _OFFICIAL,
        "len({m.value for m in find_categories(text)}) >= 2",
        "len({m.value for m in find_categories(text)}) >= 3",
    ),
    _bug(
        "M-subset-by-count",
        _REGISTRY,
        '"multi" if len(reference[key]) > 1 else "single"',
        '"multi" if len(reference[key]) >= 1 else "single"',
    ),
    _bug(
        "M-subset-file-first",
        _PREPARE,
        "subset = file_subset or spec.subset_of(reference)",
        "subset = spec.subset_of(reference) or file_subset",
    ),
    _bug(
        "M-subset-identification",
        _PREPARE,
        "subset = file_subset or spec.subset_of(reference)",
        'subset = file_subset or spec.subset_of(reference) or "multi"',
    ),
    # --- generation budget
    _bug("M-budget-formula", _BUDGET, "BUDGET_MARGIN = 1.25", "BUDGET_MARGIN = 1.2"),
    _bug("M-budget-round-up", _BUDGET, "return int(math.ceil(raw / 16.0) * 16)", "return int(round(raw / 16.0) * 16)"),
    _bug("M-budget-distinct", _BUDGET, "while budget in taken:", "if budget in taken:"),
    _bug("M-budget-tokens", _BUDGET, 'TOKEN_RE = re.compile(r"\\d|', 'TOKEN_RE = re.compile(r"\\d+|'),
    _bug("M-budget-check", _BUDGET, "budget < longest[task]):", "budget < longest[task] // 2):"),
    # --- DATASET.md: build rules
    _bug(
        "D-box-round",
        _RULES,
        "round(x), round(y), round(x + w), round(y + h)",
        "round(x), round(y), round(x) + round(w), round(y) + round(h)",
    ),
    _bug("D-box-clip", _RULES, "min(width, x2), min(height, y2)", "min(width, x2), min(width, y2)"),
    _bug("D-box-zero-area", _RULES, "if not (w > 0 and h > 0):", "if not (w >= 0 and h >= 0):"),
    _bug(
        "D-position-third-line",
        _VOCABULARY,
        "col = min(2, max(0, math.floor(3.0 * cx / width)))",
        "col = min(2, max(0, math.ceil(3.0 * cx / width) - 1))",
    ),
    _bug("D-size-bounds", _VOCABULARY, "if area_ratio >= lower_bound:", "if area_ratio > lower_bound:"),
    _bug("D-shape-ratio", _VOCABULARY, "ratio = box_width / box_height", "ratio = box_height / box_width"),
    _bug(
        "D-description-size",
        _VOCABULARY,
        "if area_ratio < DESCRIPTION_SMALL_BELOW:",
        "if area_ratio <= DESCRIPTION_SMALL_BELOW:",
    ),
    _bug(
        "D-filter-image-side",
        _RULES,
        "return width >= DESCRIPTION_MIN_SIDE and height >= DESCRIPTION_MIN_SIDE",
        "return width * height >= DESCRIPTION_MIN_SIDE * DESCRIPTION_MIN_SIDE",
    ),
    _bug(
        "D-filter-object-area",
        _RULES,
        "if box_w * box_h < DESCRIPTION_MIN_AREA_RATIO",
        "if box_w * box_h <= DESCRIPTION_MIN_AREA_RATIO",
    ),
    _bug(
        "D-filter-aspect",
        _RULES,
        "return max(box_w, box_h) <= DESCRIPTION_MAX_ASPECT * min(box_w, box_h)",
        "return box_w <= DESCRIPTION_MAX_ASPECT * box_h",
    ),
    _bug("D-filter-border", _RULES, "    if crossed_border:\n        return False\n", ""),
    _bug("D-relation-distance", _VOCABULARY, "RELATION_DIVISOR = 8.0", "RELATION_DIVISOR = 4.0"),
    _bug(
        "D-relation-strict",
        _VOCABULARY,
        "< (width + height) / RELATION_DIVISOR",
        "<= (width + height) / RELATION_DIVISOR",
    ),
    _bug("D-relation-first-instance", _RECORDS, "(category, members[0][0].box)", "(category, members[-1][0].box)"),
    _bug(
        "D-subset-grounding",
        _RECORDS,
        'return ("grounding", subset_of(len(objects))',
        'return ("grounding", subset_of(len(groups))',
    ),
    _bug(
        "D-subset-identification",
        _RECORDS,
        "subset = subset_of(len(objects))",
        "subset = subset_of(len({inst.category for inst, _, _ in objects}))",
    ),
    _bug(
        "D-subset-referring",
        _RECORDS,
        'yield ("referring", subset_of(count)',
        'yield ("referring", subset_of(len(groups))',
    ),
    _bug("D-classification-order", _RULES, "return [c for c in CATEGORIES if c in present]", "return sorted(present)"),
    _bug(
        "D-classification-options",
        _RULES,
        "CLASSIFICATION_OPTIONS: tuple[str, ...] = tuple(sorted(CATEGORIES))",
        "CLASSIFICATION_OPTIONS: tuple[str, ...] = tuple(CATEGORIES)",
    ),
    _bug(
        "D-classification-join",
        _RULES,
        'return ", ".join(categories[:-1]) + " and " + categories[-1]',
        'return ", ".join(categories)',
    ),
    _bug("D-plural-aircraft", _RULES, '"aircraft": "aircraft",', '"aircraft": "aircrafts",'),
    _bug(
        "D-description-more",
        _RECORDS,
        "template = pick(draw, more if inst.category in seen else first)",
        "template = pick(draw, first)",
    ),
    _bug(
        "D-counting-one", _RECORDS, "if count == 1:\n                stated", "if count == 0:\n                stated"
    ),
    _bug("D-grounding-one-object", _RECORDS, '"intro_one" if len(objects) == 1 else "intro_many"', '"intro_many"'),
    _bug(
        "D-identification-questions",
        _RULES,
        "return whole + (1 if draw < questions_per_instance - whole else 0)",
        "return round(questions_per_instance)",
    ),
    _bug(
        "D-deterministic-seed",
        _RECORDS,
        'random.Random(f"sarchat-build:{seed}:{split}:{task}")',
        'random.Random(f"sarchat-build:{split}:{task}")',
    ),
    _bug(
        "D-train-order",
        _RECORDS,
        "        yield from self.counting(groups)\n        yield self.grounding(image, objects, groups)\n",
        "        yield self.grounding(image, objects, groups)\n        yield from self.counting(groups)\n",
    ),
    _bug(
        "D-image-paths",
        _COCO,
        'candidates = [f"{IMAGES_DIR}/{split}/{normalised}", f"{IMAGES_DIR}/{normalised}", normalised]',
        'candidates = [normalised, f"{IMAGES_DIR}/{normalised}", f"{IMAGES_DIR}/{split}/{normalised}"]',
    ),
    _bug("D-image-backslash", _COCO, 'normalised = file_name.replace("\\\\", "/")', "normalised = file_name"),
    _bug(
        "D-image-stretch",
        _IMAGES,
        "scaled = np.floor((kept - low) / (high - low) * 255.0 + 0.5)",
        "scaled = np.floor((kept - kept.min()) / (kept.max() - kept.min()) * 255.0 + 0.5)",
    ),
    _bug(
        "D-image-alpha",
        _IMAGES,
        "composite = (rgba[:, :, :3] * rgba[:, :, 3:4] + 127) // 255",
        "composite = rgba[:, :, :3]",
    ),
)
PLANTED_TESTS = "tests/test_planted_bugs.py"
# The fast test files run on a bug planted in a file (the longest matching prefix wins), with ``-x``:
# the planted-bug tests first, then the module's own tests, the quick ones first.
_READER_TESTS = ("tests/test_boxes.py", "tests/test_matching.py", "tests/test_answers.py", "tests/test_readers.py",
                 "tests/test_scoring.py", "tests/test_native_answers.py", "tests/test_mutation_survivors.py",
                 "tests/test_registry.py", "tests/test_prepare_and_score.py")  # fmt: skip
PLANTED_TEST_FILES: dict[str, tuple[str, ...]] = {
    "utils/": _READER_TESTS,
    "utils/frames.py": ("tests/test_frames.py", *_READER_TESTS),
    "sarchat_tasks/scoring.py": _READER_TESTS,
    "sarchat_tasks/metrics.py": ("tests/test_scoring.py", "tests/test_prepare_and_score.py", "tests/test_registry.py"),
    "sarchat_tasks/registry.py": ("tests/test_registry.py", "tests/test_prepare_and_score.py", "tests/test_scoring.py"),
    "sarchat_tasks/official.py": (
        "tests/test_registry.py",
        "tests/test_prepare_and_score.py",
        "tests/test_input_errors.py",
    ),
    "sarchat_tasks/prepare.py": ("tests/test_prepare_and_score.py", "tests/test_input_errors.py"),
    "sarchat_tasks/task_folder.py": ("tests/test_prepare_and_score.py", "tests/test_budgets.py"),
    "sarchat_tasks/build/": ("tests/test_build_rules.py", "tests/test_build.py", "tests/test_build_templates.py"),
    "sarchat_tasks/images.py": ("tests/test_images.py",),
}


# Tests of PLANTED itself, which read the source files and not the planted code: left out of the runs.
_STATIC_TESTS = tuple(f"--deselect={PLANTED_TESTS}::{name}" for name in (
    "test_every_planted_bug_still_has_its_line", "test_rule_table_and_planted_bugs_agree"))  # fmt: skip


def planted_bugs() -> list[dict]:
    """PLANTED as dicts: path, module, edits (pairs of text and replacement), rule ("" when none)."""
    out = []
    for entry in PLANTED:
        path, module, text, replacement = entry[:4]
        rule = entry[4] if len(entry) > 4 else ""
        texts = (text,) if isinstance(text, str) else tuple(text)
        replacements = (replacement,) if isinstance(replacement, str) else tuple(replacement)
        out.append(
            {"path": path, "module": module, "edits": tuple(zip(texts, replacements, strict=True)), "rule": rule}
        )
    return out


def planted_test_files(path: str) -> list[str]:
    """The test files run on a bug planted in ``path``: PLANTED_TESTS, then its module's fast tests."""
    prefixes = [p for p in PLANTED_TEST_FILES if path.startswith(p)]
    own = PLANTED_TEST_FILES[max(prefixes, key=len)] if prefixes else _READER_TESTS
    return list(dict.fromkeys([PLANTED_TESTS, *own]))


def planted_source(bug: dict) -> str:
    """The file's source with the bug's edits made; exits naming the file when a text does not
    stand exactly once (the code was rewritten: the entry of PLANTED must follow it)."""
    source = (ROOT / bug["path"]).read_text()
    for old, new in bug["edits"]:
        if source.count(old) != 1:
            raise SystemExit(f"{bug['path']}: {old!r} is not in the source exactly once ({bug['rule'] or 'no rule'})")
        source = source.replace(old, new)
    return source


def run_planted(only: list[str], json_path: Path | None) -> int:
    """Plant each bug of ``PLANTED`` (whose rule or file contains one of ``only``, when given) in
    memory, run its fast test files with ``-x`` and name the first failing test; 1 when any bug
    fails no test."""
    bugs = [b for b in planted_bugs() if not only or any(o in b["rule"] or o in b["path"] for o in only)]
    if not bugs:
        raise SystemExit("no planted bug matches --only")
    sources = [planted_source(bug) for bug in bugs]  # every text checked before the first run
    started = time.monotonic()
    results = []
    for bug, source in zip(bugs, sources, strict=True):
        path, module = bug["path"], bug["module"]
        code = compile(source, str(ROOT / path), "exec")
        tests = planted_test_files(path)
        out_file = Path(tempfile.mkstemp(suffix=".json", prefix="planted-")[1])

        def child(module=module, path=path, code=code, out_file=out_file, tests=tests):
            import pytest

            sys.meta_path.insert(0, _MutantFinder(module, ROOT / path, code))
            recorder = _Recorder(None)
            status = 0
            for test_file in tests:  # one file at a time: most bugs fail the first, collected alone
                status = int(pytest.main([*PYTEST_ARGS, *_STATIC_TESTS, test_file], plugins=[recorder]))
                if status not in (0, 5):  # 5: every test of the file deselected (all slow)
                    break
            out_file.write_text(json.dumps(list(dict.fromkeys(n.split("[")[0] for n in recorder.failed))))
            return 0 if status == 5 else status

        try:
            status, seconds = _run_child(child, timeout=600)
            failed = json.loads(out_file.read_text() or "[]")
        finally:
            out_file.unlink(missing_ok=True)
        if status == "killed" and not failed:
            failed = ["(the test run itself failed: collection or import error)"]
        results.append({"rule": bug["rule"], "path": path, "status": status, "seconds": round(seconds, 1),
                        "failed": failed, "test_files": tests})  # fmt: skip
        first = bug["edits"][0][0].strip().splitlines()[-1][:50]
        caught = ", ".join(n.split("::", 1)[-1] for n in failed) or "NO TEST FAILS"
        print(f"{bug['rule'] or '-':28} {path}: {first!r} -> {status} in {seconds:.0f} s: {caught}", flush=True)
        if json_path:
            _write_json_list(json_path, results)
    missed = [r for r in results if not r["failed"]]
    elapsed = time.monotonic() - started
    print(f"\n{len(results) - len(missed)} of {len(results)} planted bugs fail a fast test; run time {elapsed:.0f} s")
    for r in missed:
        print(f"  no test fails on {r['rule'] or '-'} ({r['path']})")
    return 1 if missed else 0


def _write_json_list(path: Path, items: list) -> None:
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(items, indent=1))
    os.replace(partial, path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", action="append", default=[], help="mutate only targets whose path contains this")
    parser.add_argument("-j", "--jobs", type=int, default=1, help="mutants run at once (default 1)")
    parser.add_argument("--line", type=int, action="append", help="only mutants on this line (with --only; repeatable)")
    parser.add_argument("--json", type=Path, help="write every mutant and its fate here")
    parser.add_argument("--sample", type=int, help="run only this many mutants of each file, drawn at random")
    parser.add_argument("--seed", type=int, default=0, help="the random draw of --sample (default 0)")
    parser.add_argument("--rerun", type=Path, help="run only the survivors recorded in this --json file")
    parser.add_argument(
        "--planted", action="store_true", help="plant the known bugs of PLANTED and name the tests that fail on each"
    )
    args = parser.parse_args(argv)
    # The files named on the command line are read and checked before the run (and before the
    # working folder changes to the repository): a bad one fails at once, not after the coverage run.
    earlier = _read_record(args.rerun) if args.rerun else None
    if args.json:
        args.json = args.json.resolve()
        if not args.json.parent.is_dir():
            raise SystemExit(f"--json {args.json}: the folder {args.json.parent} does not exist")

    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT / "tests"))
    for name in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE"):
        os.environ[name] = "1"
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["sarchat"]["mutation"]
    targets: dict[str, str] = {
        p: m for p, m in config["targets"].items() if not args.only or any(o in p for o in args.only)
    }
    tests: list[str] = config["tests"]
    PYTEST_ARGS.extend(f"--deselect={nodeid}" for nodeid in config.get("deselect", []))
    if args.planted:  # --only then picks planted bugs by rule id or file
        _preload()
        signal.signal(signal.SIGTERM, signal.default_int_handler)
        return run_planted(args.only, args.json)
    if not targets:
        raise SystemExit("no target matches --only")
    _preload()
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # `kill PID`: stop and report like Ctrl-C

    started = time.monotonic()
    cov = coverage_map(targets, tests)
    what = "coverage run" if HAVE_COVERAGE else "test run (no coverage installed: every mutant runs every test)"
    print(f"{what}: {cov['seconds']:.0f} s over {len(cov['durations'])} tests", flush=True)
    mutants = [m for path in targets for m in mutants_of(ROOT / path)]
    if args.line:
        mutants = [m for m in mutants if m.line in args.line]
    if earlier is not None:  # the survivors of an earlier run (its --json), e.g. after adding tests
        mutants = survivors_again(earlier, mutants)
    elif args.sample:  # a fixed random sample of each file's mutants: an estimate in a fraction of the time
        rng = random.Random(args.seed)
        by_path = {p: [m for m in mutants if m.path == p] for p in targets}
        mutants = [m for p in targets for m in sorted(rng.sample(by_path[p], min(args.sample, len(by_path[p]))),
                                                      key=lambda m: (m.line, m.site, m.choice))]  # fmt: skip
    print(f"{len(mutants)} mutants in {len(targets)} files", flush=True)

    durations = cov["durations"]
    order = {nodeid: i for i, nodeid in enumerate(durations)}

    def tests_for(m: Mutant) -> list[str]:
        lines = cov["lines"][m.path]
        contexts = lines.get(str(m.line)) or lines.get(str(m.statement_line), [])
        if "" in contexts or not HAVE_COVERAGE:  # run at import time: every test may depend on it
            return list(tests)
        return sorted({c for c in contexts if c}, key=lambda n: (durations.get(n, 0.0), order.get(n, 0)))

    running: dict[int, tuple[Mutant, float, float]] = {}  # pid -> mutant, start, timeout
    done = 0

    def reap(block: bool) -> None:
        nonlocal done
        while running and (block or len(running) >= args.jobs):
            for pid, (m, start, timeout) in list(running.items()):
                status = _poll(pid, start, timeout)
                if status is not None:
                    m.status, m.seconds = status, time.monotonic() - start
                    del running[pid]
                    done += 1
                    if status == "survived":
                        print(f"  survived: {m.path}:{m.line}: {m.description}    | {m.source_line}", flush=True)
                    if args.json:
                        _write_json(args.json, mutants)
                    if done % 25 == 0:
                        k = sum(x.status in ("killed", "timeout") for x in mutants)
                        print(
                            f"  {done}/{len(mutants)} run, {k} killed, {time.monotonic() - started:.0f} s", flush=True
                        )
            time.sleep(0.02)

    try:
        for m in mutants:
            selected = tests_for(m)
            if not selected:
                m.status, m.tests = "survived", 0  # no test runs this line
                done += 1
                continue
            seconds = cov["seconds"] if selected == tests else sum(durations.get(n, 0.0) for n in selected)
            reap(block=False)
            running[start_mutant(m, targets[m.path], selected)] = (m, time.monotonic(), max(30.0, 4 * seconds + 15))
        reap(block=True)
    except KeyboardInterrupt:
        print("\ninterrupted: the figures below count the mutants run so far", flush=True)
    finally:
        for pid in running:
            _kill(pid)

    mutants = [m for m in mutants if m.status != "pending"]
    total = len(mutants)
    killed = sum(m.status in ("killed", "timeout") for m in mutants)
    survivors = [m for m in mutants if m.status == "survived"]
    elapsed = time.monotonic() - started
    print(f"\nrun time: {elapsed:.0f} s")
    for path in targets:
        mine = [m for m in mutants if m.path == path]
        k = sum(m.status in ("killed", "timeout") for m in mine)
        print(f"  {path}: {k}/{len(mine)} killed")
    print(f"\nsurvivors ({len(survivors)}):")
    for m in survivors:
        note = "" if m.tests else "  [no test runs this line]"
        print(f"  {m.path}:{m.line}: {m.description}    | {m.source_line}{note}")
    score = 100.0 * killed / total if total else 100.0
    print(f"\nmutation score: {score:.1f} % ({killed} / {total})")
    if args.json:
        _write_json(args.json, mutants)
    return 0


if __name__ == "__main__":
    sys.exit(main())
