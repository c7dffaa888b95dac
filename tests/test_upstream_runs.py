"""The upstream port run end to end, offline, through plain lmms-eval:

* the bundled sample exported by ``sarchat export-hub``, the tasks by ``sarchat export-upstream
  --dataset-path``, run with ``lmms-eval --include_path EXPORT --tasks sarchat_lite``, give the same
  metrics and the same per-sample log (responses included) as the package's own run (``sarchat eval``,
  the packaged tasks on the same prepared set), with ``sarchat_blind`` and with a tiny random Qwen2-VL;
* ``upstream/lmms-eval-plugin-tasks.patch``, applied to a copy of the installed lmms-eval (never the
  installed one), makes ``LMMS_EVAL_PLUGINS=sarchat_tasks lmms-eval --tasks sarchat_referring --model
  qwen2_vl`` find the suite's tasks, which the unpatched lmms-eval does not.

lmms-eval's CLI exits 0 after many errors, so these tests read the results files. ``lmms-eval`` is the
environment's console script when it lies beside this interpreter, else the same entry point
(``lmms_eval.cli.dispatch:main``) run by this interpreter.
"""

from __future__ import annotations

import difflib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from tiny_qwen2vl import build_tiny_qwen2vl

from sarchat_tasks.export.hub import export_hub
from sarchat_tasks.export.upstream import export
from sarchat_tasks.registry import profile_for_model
from sarchat_tasks.task_folder import bundled_sample, packaged_task_folder

ROOT = Path(__file__).resolve().parents[1]
PATCH = ROOT / "upstream" / "lmms-eval-plugin-tasks.patch"
REGRESSION_TEST = ROOT / "upstream" / "test_plugin_tasks.py"  # for lmms-eval's test/eval/
ENV = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
ENV.pop("LMMS_EVAL_PLUGINS", None)
LAUNCHER = "import sys; from lmms_eval.cli.dispatch import main; sys.argv[0] = 'lmms-eval'; sys.exit(main())"
# The tiny model's random answers run to the generation budget: both sides of a comparison get the
# same cap and the same --limit, so the comparison stays exact while the test stays short.
QWEN_CAPS = ["--limit", "4", "--gen_kwargs", "max_new_tokens=48"]


def lmms_eval() -> list[str]:
    script = Path(sys.executable).with_name("lmms-eval")
    return [str(script)] if script.is_file() else [sys.executable, "-c", LAUNCHER]


def _run(command: list[str], env: dict[str, str] | None = None, timeout: int = 900) -> subprocess.CompletedProcess:
    done = subprocess.run(command, env=env or ENV, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    return done


def _results(out: Path) -> dict:
    found = sorted(out.rglob("*_results.json"))
    assert len(found) == 1, f"expected one results file under {out}, found {found}"
    return json.loads(found[0].read_text())


# Keys of a sample log line that describe how the image is stored, not what reached the model: the
# hash of the document as loaded and ``input_media`` (lmms-eval lists an image column that holds a
# path; an Image feature is not listed).
STORAGE_KEYS = frozenset({"doc_hash", "input_media"})


def _samples(out: Path) -> dict[str, list[dict]]:
    """Per task, the sample log lines without the keys that depend on how images are stored."""
    logs = {}
    for path in sorted(out.rglob("*_samples_*.jsonl")):
        task = path.stem.split("_samples_", 1)[1]
        lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        logs[task] = [{k: v for k, v in line.items() if k not in STORAGE_KEYS} for line in lines]
    return logs


def _assert_same_run(exported: Path, packaged: Path) -> dict:
    ours, theirs = _results(packaged), _results(exported)
    assert theirs["results"] == ours["results"]
    assert theirs["n-samples"] == ours["n-samples"]
    assert theirs.get("groups") == ours.get("groups")
    ours_samples, theirs_samples = _samples(packaged), _samples(exported)
    assert sorted(theirs_samples) == sorted(ours_samples) and len(ours_samples) == 6
    for task, lines in ours_samples.items():
        if theirs_samples[task] != lines:
            diff = difflib.unified_diff(
                [json.dumps(x, sort_keys=True) for x in lines],
                [json.dumps(x, sort_keys=True) for x in theirs_samples[task]],
                lineterm="",
            )
            pytest.fail(f"{task}: sample logs differ\n" + "\n".join(list(diff)[:20]))
    return ours


@pytest.fixture(scope="module")
def exported_tasks(tmp_path_factory) -> Path:
    """The bundled sample as a hub folder, and the exported task folder reading it."""
    base = tmp_path_factory.mktemp("upstream")
    export_hub(bundled_sample(), base / "hub", images_origin="synthetic")
    export(base / "tasks", dataset_path=base / "hub")
    return base / "tasks"


@pytest.fixture(scope="module")
def tiny_qwen(tmp_path_factory) -> Path:
    return build_tiny_qwen2vl(tmp_path_factory.mktemp("tiny_qwen2vl"))


def exported_env(model: list[str]) -> dict[str, str]:
    """The environment of a plain lmms-eval run of the export: the profile sarchat eval would use."""
    return {**ENV, "SARCHAT_PROFILE": profile_for_model(model[model.index("--model") + 1])}


def _both_runs(exported_tasks: Path, tmp_path: Path, model: list[str]) -> tuple[Path, Path]:
    exported_out, packaged_out = tmp_path / "exported", tmp_path / "packaged"
    # the export knows nothing of this suite's baseline models: their profile is chosen the way its
    # README tells any user to, SARCHAT_PROFILE
    _run([*lmms_eval(), "--include_path", str(exported_tasks), "--tasks", "sarchat_lite", *model,
          "--output_path", str(exported_out), "--log_samples"], env=exported_env(model))  # fmt: skip
    # a capped budget is on purpose here: both sides get the same cap
    allow = ["--allow-short-budget"] if "--gen_kwargs" in model else []
    _run([sys.executable, "-m", "sarchat_tasks.cli", "eval", "--tasks", "sarchat_lite", *model, *allow,
          "--output_path", str(packaged_out), "--log_samples"])  # fmt: skip
    return exported_out, packaged_out


@pytest.mark.slow
def test_exported_tasks_give_the_packaged_numbers_with_the_blind_baseline(exported_tasks: Path, tmp_path: Path):
    exported_out, packaged_out = _both_runs(exported_tasks, tmp_path, ["--model", "sarchat_blind"])
    results = _assert_same_run(exported_out, packaged_out)
    # every lite record was scored, and the blind baseline scores above zero somewhere
    assert results["n-samples"]["sarchat_identification_lite"]["effective"] == 91
    assert results["results"]["sarchat_lite"]["avg_score,none"] > 0


@pytest.mark.slow
def test_exported_tasks_give_the_packaged_numbers_with_qwen2_vl(exported_tasks: Path, tiny_qwen: Path, tmp_path: Path):
    model = [
        "--model",
        "qwen2_vl",
        "--model_args",
        f"pretrained={tiny_qwen},device=cpu,device_map=cpu,max_pixels=12544",
    ]
    exported_out, packaged_out = _both_runs(exported_tasks, tmp_path, [*model, *QWEN_CAPS])
    _assert_same_run(exported_out, packaged_out)
    # the model saw images and answered: identical logs mean identical images and prompts reached it
    responses = [line["filtered_resps"] for lines in _samples(exported_out).values() for line in lines]
    assert len(responses) == 1 + 2 + 4 + 2 + 1 + 1 and any(responses)


# ---------------------------------------------------------------------------------------------
# The plugin path
# ---------------------------------------------------------------------------------------------


def test_the_package_exposes_what_lmms_eval_plugins_expects():
    spec = importlib.util.find_spec("sarchat_tasks.tasks")
    assert Path(spec.submodule_search_locations[0]).resolve() == packaged_task_folder().resolve()
    assert (packaged_task_folder() / "sarchat_referring.yaml").is_file()
    from sarchat_tasks import models

    assert models.AVAILABLE_MODELS == {}


def _patched_lmms_eval(target: Path) -> Path:
    """A copy of the installed lmms_eval package under ``target`` with the patch applied."""
    import lmms_eval

    installed = Path(lmms_eval.__file__).resolve().parent
    shutil.copytree(installed, target / "lmms_eval", symlinks=True)
    if shutil.which("patch"):
        command = ["patch", "-p1", "--batch", "--forward", "--fuzz=0", "-i", str(PATCH)]
    else:
        command = ["git", "apply", "-p1", str(PATCH)]
    done = subprocess.run(command, cwd=target, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    return target


def test_the_patch_applies_to_the_installed_lmms_eval(tmp_path: Path):
    site = _patched_lmms_eval(tmp_path)
    main = (site / "lmms_eval" / "__main__.py").read_text(encoding="utf-8")
    body = main[main.index("def cli_evaluate_single") :]
    assert body.count('os.environ.get("LMMS_EVAL_PLUGINS"') == 1
    assert body.index("LMMS_EVAL_PLUGINS") < body.index("task_manager = TaskManager(")


def _card_command(tiny_qwen: Path, out: Path) -> list[str]:
    # the card's command, plus a local checkpoint on CPU, two records and an output folder
    return [*lmms_eval(), "--tasks", "sarchat_referring", "--model", "qwen2_vl",
            "--model_args", f"pretrained={tiny_qwen},device=cpu,device_map=cpu,max_pixels=12544",
            "--limit", "2", "--gen_kwargs", "max_new_tokens=48", "--output_path", str(out)]  # fmt: skip


@pytest.mark.slow
def test_the_patched_plugin_path_runs_the_card_command(tiny_qwen: Path, tmp_path: Path):
    site = _patched_lmms_eval(tmp_path / "site")
    env = {**ENV, "LMMS_EVAL_PLUGINS": "sarchat_tasks", "PYTHONPATH": os.pathsep.join(filter(None, [str(site), ENV.get("PYTHONPATH")]))}  # fmt: skip
    done = _run(_card_command(tiny_qwen, tmp_path / "out"), env=env)
    metrics = _results(tmp_path / "out")["results"]["sarchat_referring"]
    for name in ("referring_multi_iou25", "referring_multi_iou50", "avg_score", "parse_failure_rate"):
        assert f"{name},none" in metrics, name
    assert str(packaged_task_folder()) in done.stdout + done.stderr  # the plugin's folder was included


@pytest.mark.slow
def test_the_unpatched_lmms_eval_does_not_find_the_plugin_tasks(tmp_path: Path):
    env = {**ENV, "LMMS_EVAL_PLUGINS": "sarchat_tasks"}
    # The installed lmms-eval fails on the task names before loading any model: a path that exists
    # is enough as the checkpoint.
    done = subprocess.run(_card_command(tmp_path, tmp_path / "out"), env=env, capture_output=True, text=True,
                          timeout=600)  # fmt: skip
    assert "Tasks not found: sarchat_referring" in done.stdout + done.stderr
    assert not list((tmp_path / "out").rglob("*_results.json"))


@pytest.mark.slow
def test_the_regression_test_for_lmms_eval_passes_on_the_patched_copy(tmp_path: Path):
    site = _patched_lmms_eval(tmp_path / "site")
    shutil.copy(REGRESSION_TEST, tmp_path / REGRESSION_TEST.name)
    env = {**ENV, "PYTHONPATH": os.pathsep.join(filter(None, [str(site), ENV.get("PYTHONPATH")]))}
    done = subprocess.run([sys.executable, "-m", "unittest", "-v", REGRESSION_TEST.stem], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=600)  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    assert "Ran 2 tests" in done.stderr


def test_upstream_files_follow_lmms_eval_style():
    black = subprocess.run([sys.executable, "-m", "black", "--check", "--line-length", "240", str(REGRESSION_TEST)],
                           capture_output=True, text=True)  # fmt: skip
    assert black.returncode == 0, black.stderr
    isort = subprocess.run([sys.executable, "-m", "isort", "--check-only", "--profile", "black", "--line-length", "240",
                            str(REGRESSION_TEST)], capture_output=True, text=True)  # fmt: skip
    assert isort.returncode == 0, isort.stdout + isort.stderr
    for patch in sorted((ROOT / "upstream").glob("*.patch")):
        text = patch.read_text(encoding="utf-8")
        assert text.startswith("--- a/lmms_eval/__main__.py\n+++ b/lmms_eval/__main__.py\n"), patch.name
        added = [line[1:] for line in text.splitlines() if line.startswith("+") and not line.startswith("+++")]
        removed = [line[1:] for line in text.splitlines() if line.startswith("-") and not line.startswith("---")]
        # the block moves unchanged; only a comment line is new
        assert sorted(line for line in added if not line.strip().startswith("#")) == sorted(removed), patch.name
