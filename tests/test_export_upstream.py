"""``sarchat export-upstream``: the exported lmms-eval task folder passes lmms-eval's own conventions
(registration, YAML integrity, lint, frozen prompts) and scores exactly as the package does.

Regenerate the prompt snapshot after an intended prompt change with
``SARCHAT_UPDATE_SNAPSHOTS=1 pytest tests/test_export_upstream.py``."""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from official_fixture import RECORDS

from sarchat_tasks import hooks
from sarchat_tasks.export.hub import export_hub
from sarchat_tasks.export.upstream import AUTHORS, ExportError, export
from sarchat_tasks.hooks import process_results
from sarchat_tasks.registry import TASKS
from sarchat_tasks.task_folder import bundled_sample, packaged_task_folder

HUB_ID = "sarchat-bench/SARChat-Bench"
SNAPSHOT = Path(__file__).parent / "snapshots" / "upstream_prompts.json"
TASK_NAMES = [f"sarchat_{t}" for t in TASKS] + [f"sarchat_{t}_lite" for t in TASKS]


@pytest.fixture(scope="module")
def hub_folder(tmp_path_factory) -> Path:
    """The bundled sample as ``sarchat export-hub`` writes it: the export reads its tasks and budgets."""
    folder = tmp_path_factory.mktemp("hub") / "SARChat-Bench"
    export_hub(bundled_sample(), folder, images_origin="synthetic")
    return folder


@pytest.fixture(scope="module")
def exported(hub_folder: Path, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("lmms_eval_tasks") / "sarchat"
    export(folder, HUB_ID, dataset_path=hub_folder)
    return folder


@pytest.fixture(scope="module")
def utils_module(exported: Path):
    """The exported utils.py loaded the way lmms-eval loads a task's utils (a file, not a package)."""
    spec = importlib.util.spec_from_file_location("utils", exported / "utils.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_layout(exported: Path):
    names = {p.name for p in exported.iterdir()}
    assert {"_default_template_yaml", "utils.py", "README.md", "sarchat.yaml", "sarchat_lite.yaml"} <= names
    assert {f"{t}.yaml" for t in TASK_NAMES} <= names
    readme = (exported / "README.md").read_text()
    for needle in ("arXiv:2502.08168", "@article", HUB_ID, "TP / (TP + FP + FN)", *TASK_NAMES):
        assert needle in readme, needle


def test_depends_on_nothing_of_this_package(exported: Path):
    tree = ast.parse((exported / "utils.py").read_text())
    imported = {alias.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for alias in n.names}
    imported |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    standard = {
        "json",
        "math",
        "re",
        "os",
        "threading",
        "functools",
        "collections",
        "dataclasses",
        "typing",
        "warnings",
    }
    assert imported <= standard | {"numpy", "scipy", "PIL", "lmms_eval"}  # lmms-eval itself requires Pillow
    for path in exported.glob("*yaml"):
        assert "sarchat_tasks" not in path.read_text(), path.name


@pytest.mark.slow
def test_registers_with_lmms_eval(exported: Path):
    from lmms_eval.tasks import TaskManager

    manager = TaskManager(include_path=str(exported))
    assert set(TASK_NAMES) <= set(manager.all_tasks)
    assert {"sarchat", "sarchat_lite"} <= set(manager.all_groups)


@pytest.mark.slow
def test_yamls_load_with_the_hub_dataset(exported: Path):
    from lmms_eval.utils import load_yaml_config

    for task in TASK_NAMES:
        config = load_yaml_config(str(exported / f"{task}.yaml"))
        assert config["task"] == task
        assert config["dataset_path"] == HUB_ID
        assert config["dataset_name"] == task.removeprefix("sarchat_")
        assert "dataset_kwargs" not in config and "process_docs" not in config
        for hook in ("doc_to_visual", "doc_to_text", "doc_to_target", "process_results"):
            assert callable(config[hook]), (task, hook)
        assert all(callable(m["aggregation"]) for m in config["metric_list"])
        assert config["generation_kwargs"]["until"] and config["generation_kwargs"]["max_new_tokens"] > 0


def test_black_and_isort_clean(exported: Path):
    black = subprocess.run([sys.executable, "-m", "black", "--check", "--line-length", "240", str(exported)],
                           capture_output=True, text=True)  # fmt: skip
    assert black.returncode == 0, black.stderr
    isort = subprocess.run([sys.executable, "-m", "isort", "--check-only", "--profile", "black", "--line-length", "240",
                            str(exported)], capture_output=True, text=True)  # fmt: skip
    assert isort.returncode == 0, isort.stdout + isort.stderr


def test_doc_to_visual_reads_the_image_column(utils_module):
    from PIL import Image

    image = Image.new("L", (8, 4))
    (visual,) = utils_module.doc_to_visual({"image": image})
    assert visual.mode == "RGB" and visual.size == (8, 4)
    # a 16-bit amplitude image is stretched by the display rule, not clipped white by convert("RGB")
    sixteen_bit = Image.frombytes("I;16", (10, 10), bytes(np.arange(100, dtype="<u2") * 100))
    (visual,) = utils_module.doc_to_visual({"image": sixteen_bit})
    grey = np.asarray(visual)[:, :, 0].ravel()
    assert (grey[0], grey[3], grey[50], grey[99]) == (0, 3, 129, 255)  # hand-computed in tests/test_images.py


def _prompts(exported: Path, prepared: Path) -> dict[str, str]:
    from lmms_eval.utils import load_yaml_config

    prompts = {}
    for task in TASK_NAMES:
        config = load_yaml_config(str(exported / f"{task}.yaml"))
        doc = pq.read_table(prepared / "rows" / f"{config['dataset_name']}.parquet").to_pylist()[0]
        prompts[task] = config["doc_to_text"](doc, config["lmms_eval_specific_kwargs"]["default"])
    return prompts


def test_prompt_snapshot(exported: Path, prepared_set: Path):
    prompts = _prompts(exported, prepared_set)
    if os.environ.get("SARCHAT_UPDATE_SNAPSHOTS"):
        SNAPSHOT.parent.mkdir(exist_ok=True)
        SNAPSHOT.write_text(json.dumps(prompts, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    assert prompts == json.loads(SNAPSHOT.read_text(encoding="utf-8"))


def _responses(answer: str) -> list[str]:
    """The reference, damaged versions of it, other syntaxes and garbage."""
    return [answer, answer[: len(answer) // 2], answer.replace("1", "7"), "[10, 20, 110, 220] ship", "", "nothing here"]


def test_process_results_matches_the_package(utils_module, prepared_set: Path):
    answers = [answer for records in RECORDS.values() for _, _, answer in records]
    checked = 0
    for task in TASKS:
        for doc in pq.read_table(prepared_set / "rows" / f"{task}.parquet").to_pylist():
            for response in [*_responses(doc["answer"]), *answers[:3]]:
                assert utils_module.process_results(doc, [response]) == process_results(doc, [response])
                checked += 1
    assert checked >= 17 * 9
    aggregations = {
        "share_of_samples": [1, 0, None, 1],
        "pooled_accuracy": [[1, 0, 1], None, [0, 1, 0]],
        "task_score": [
            {"counting_only": 1, "counting_iou25": [1, 1, 0]},
            None,
            {"counting_only": 0, "counting_iou25": [2, 0, 1]},
        ],
    }
    for name, values in aggregations.items():
        assert getattr(utils_module, name)(values) == getattr(hooks, name)(values)


def test_box_convention_filter_is_exported(utils_module):
    doc = {"width": 200, "height": 100}
    out = utils_module.BoxConventionFilter(list="unit").apply([["[0.1, 0.2, 0.5, 0.6]"]], [doc])
    assert out == [["{<20><20><100><60>}"]]


def test_refuses_a_bad_hub_id_and_a_full_folder(hub_folder: Path, tmp_path: Path):
    with pytest.raises(ExportError):
        export(tmp_path / "a", "not-a-hub-id", dataset_path=hub_folder)
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "keep.txt").write_text("x")
    with pytest.raises(ExportError):
        export(tmp_path / "b", HUB_ID, dataset_path=hub_folder)
    export(tmp_path / "b", HUB_ID, dataset_path=hub_folder, force=True)
    assert (tmp_path / "b" / "keep.txt").exists() and (tmp_path / "b" / "utils.py").exists()


def test_packaged_yamls_are_all_exported(exported: Path):
    packaged = {p.name for p in packaged_task_folder().glob("*.yaml")}
    assert packaged <= {p.name for p in exported.glob("*.yaml")}


def test_budgets_are_the_datasets_own(exported: Path, hub_folder: Path):
    import yaml

    mark = json.loads((hub_folder / "sarchat_export.json").read_text())
    for task in TASKS:
        for name in (f"sarchat_{task}.yaml", f"sarchat_{task}_lite.yaml"):
            budget = yaml.safe_load((exported / name).read_text().replace("!function", ""))["generation_kwargs"]
            assert budget["max_new_tokens"] == mark["source"]["max_new_tokens"][task]
            assert budget["max_new_tokens"] >= mark["source"]["longest_reference_tokens"][task]


def test_no_suite_only_model_in_the_exported_yamls(exported: Path):
    # the baselines are lmms-eval models only where this package is installed
    for path in [*exported.glob("*.yaml"), exported / "_default_template_yaml", exported / "README.md"]:
        assert "sarchat_cfar" not in path.read_text() and "sarchat_blind" not in path.read_text(), path.name
    assert "qwen2_vl:" in (exported / "_default_template_yaml").read_text()


def test_readme_tells_how_to_choose_the_profile_and_cites_every_author(exported: Path):
    text = (exported / "README.md").read_text()
    assert "SARCHAT_PROFILE=sarchat lmms-eval --model qwen2_vl" in text
    # the paper's six authors (arXiv 2502.08168), in its order
    assert "Ma, Zhiming and Xiao, Xiayang and Dong, Sihao and Wang, Peidong and Wang, HaiPeng and Pan, Qingyun" in text
    assert AUTHORS == ("Zhiming Ma", "Xiayang Xiao", "Sihao Dong", "Peidong Wang", "HaiPeng Wang", "Qingyun Pan")
