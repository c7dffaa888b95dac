"""Mutation score of the scoring code: plant one small bug at a time, run the fast tests, count the kills.

    python benchmarks/mutation_score.py                      # every target in pyproject.toml
    python benchmarks/mutation_score.py --only boxes -j 2    # targets whose path contains "boxes", 2 workers
    python benchmarks/mutation_score.py --json mutation.json # also write every mutant and its fate

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


# Known bugs, planted by ``--planted``: (file, module, text, replacement). Each must fail a
# test of tests/test_planted_bugs.py (docs/TESTING.md lists which).
PLANTED: tuple[tuple[str, str, str, str], ...] = (
    ("utils/matching.py", "sarchat_tasks.utils.matching", "keep = sub_ok[r, c]", "keep = np.ones(len(r), dtype=bool)"),
    ("utils/boxes.py", "sarchat_tasks.utils.boxes", "max(abs(x1), abs(x2), abs(y1), abs(y2))", "max(x1, x2, y1, y2)"),
    ("utils/boxes.py", "sarchat_tasks.utils.boxes", "MAX_NUMBER_CHARS = 24", "MAX_NUMBER_CHARS = 25"),
    ("sarchat_tasks/metrics.py", "sarchat_tasks.metrics", "response[:MAX_RESPONSE_CHARS] if", "response if"),
    (
        "utils/answers.py",
        "sarchat_tasks.utils.answers",
        "        number = _number_or_hedge(tokens, i)\n        if number is not None:",
        '        number = _number_or_hedge(tokens, i)\n        if number is not None and token != "no":',
    ),
    (
        "utils/answers.py",
        "sarchat_tasks.utils.answers",
        "len(token) <= MAX_COUNT_DIGITS",
        "len(token) < MAX_COUNT_DIGITS",
    ),
    ("utils/answers.py", "sarchat_tasks.utils.answers", '{"instance", "instances",', '{"instances",'),
    (
        "sarchat_tasks/scoring.py",
        "sarchat_tasks.scoring",
        "count = stated if stated is not None else len(boxes)",
        "count = stated or len(boxes)",
    ),
    (
        "utils/vocabulary.py",
        "sarchat_tasks.utils.vocabulary",
        "math.floor(3.0 * cy / height)",
        "math.floor(3.0 * cy / width)",
    ),
    (
        "utils/vocabulary.py",
        "sarchat_tasks.utils.vocabulary",
        'rel.startswith(("far", "distant"))',
        'rel.startswith("far")',
    ),
    (
        "sarchat_tasks/metrics.py",
        "sarchat_tasks.metrics",
        "scores = [s for s in scores if s is not None]",
        "scores = [s or 0.0 for s in scores]",
    ),
    (
        "sarchat_tasks/metrics.py",
        "sarchat_tasks.metrics",
        "for name in TASKS[task].table_column_names}",
        "for name in TASKS[task].column_names}",
    ),
    (
        "sarchat_tasks/scoring.py",
        "sarchat_tasks.scoring",
        "if item.category is None or not item.box.valid:\n            unmatched += 1",
        "if item.category is None:\n            pass\n        elif not item.box.valid:\n            unmatched += 1",
    ),
    (
        "sarchat_tasks/scoring.py",
        "sarchat_tasks.scoring",
        "named = {m.value for m in find_affirmed_categories(text)}",
        "named = [m.value for m in find_affirmed_categories(text)]",
    ),
)
PLANTED_TESTS = "tests/test_planted_bugs.py"


def run_planted() -> int:
    """Plant each bug of ``PLANTED`` in memory and list the tests of PLANTED_TESTS that fail."""
    missed = 0
    for path, module, old, new in PLANTED:
        source = (ROOT / path).read_text()
        if source.count(old) != 1:
            raise SystemExit(f"{path}: {old!r} is not in the source exactly once")
        code = compile(source.replace(old, new), str(ROOT / path), "exec")
        out_file = Path(tempfile.mkstemp(suffix=".json", prefix="planted-")[1])

        def child(module=module, path=path, code=code, out_file=out_file):
            import pytest

            sys.meta_path.insert(0, _MutantFinder(module, ROOT / path, code))
            recorder = _Recorder(None)
            code = pytest.main([*PYTEST_ARGS[1:], PLANTED_TESTS], plugins=[recorder])
            out_file.write_text(json.dumps(sorted({n.split("[")[0] for n in recorder.failed})))
            return int(code)

        try:
            status, _ = _run_child(child, timeout=300)
            failed = json.loads(out_file.read_text() or "[]")
        finally:
            out_file.unlink(missing_ok=True)
        missed += not failed
        first = old.strip().splitlines()[-1][:60]
        print(f"{path}: {first!r} -> {status}: {', '.join(n.split('::')[-1] for n in failed) or 'NO TEST FAILS'}")
    return 1 if missed else 0


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
    if not targets:
        raise SystemExit("no target matches --only")
    _preload()
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # `kill PID`: stop and report like Ctrl-C
    if args.planted:
        return run_planted()

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
