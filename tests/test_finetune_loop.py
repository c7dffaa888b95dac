"""The fine-tuning loop of docs/FINETUNE.md, offline on CPU, as a user runs it: a synthetic
SARDet-100K tree, ``sarchat build``, ``sarchat train-data``, a tiny random Qwen2-VL written by
``sarchat tiny-model`` and scored as it is (the "before" run), a few LoRA steps of ``sarchat
finetune`` on it (the training loss falls), the merged checkpoint scored by lmms-eval's ``qwen2_vl``
backend through ``sarchat eval --profile sarchat`` (every metric of the suite present), and both
checkpoints as rows of one ``sarchat report`` beside the paper's."""

from __future__ import annotations

import csv
import json

import pytest

from sarchat_tasks.registry import TASKS

pytestmark = pytest.mark.slow
pytest.importorskip("peft", reason="sarchat finetune needs peft: pip install -e '.[test]' (or '.[train]')")

MODEL_NAME = "tiny-qwen2vl-sarchat-lora"
BASE_NAME = "tiny-qwen2vl-base"


def _ok(done) -> str:
    assert done.returncode == 0, f"exit {done.returncode}\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    return done.stdout


@pytest.fixture(scope="module")
def loop(tmp_path_factory, sarchat_command) -> dict:
    base = tmp_path_factory.mktemp("finetune")
    _ok(sarchat_command("synth", "--out", base / "sardet", "--images", "8", "--seed", "0",
                        "--splits", "train:3,test:1", "--max-size", "400"))  # fmt: skip
    _ok(sarchat_command("build", base / "sardet", "--out", base / "build", "--splits", "train,test"))
    _ok(sarchat_command("train-data", base / "build", "--out", base / "data", "--val-images", "1",
                        "--identification-share", "0.17"))  # fmt: skip
    model = base / "tiny_qwen2vl"
    _ok(sarchat_command("tiny-model", "--family", "qwen2_vl", "--out", model))
    # before: the base model through the same evaluation
    _ok(sarchat_command("eval", "--data", base / "build", "--model", "qwen2_vl",
                        "--model_args", f"pretrained={model},device=cpu,device_map=cpu,max_pixels=12544",
                        "--profile", "sarchat", "--gen_kwargs", "max_new_tokens=8", "--allow-short-budget",
                        "--output_path", base / "run-base", "--log_samples"))  # fmt: skip
    # A few steps at a high rate: the random model must visibly learn in seconds.
    _ok(sarchat_command("finetune", "--model", model, "--data", base / "data", "--out", base / "ft",
                        "--max-steps", "6", "--grad-accum", "4", "--lr", "2e-2", "--schedule", "constant",
                        "--max-pixels", "12544", "--max-length", "1024"))  # fmt: skip
    _ok(sarchat_command("eval", "--data", base / "build", "--model", "qwen2_vl",
                        "--model_args", f"pretrained={base / 'ft' / 'merged'},device=cpu,device_map=cpu,max_pixels=12544",
                        "--profile", "sarchat", "--gen_kwargs", "max_new_tokens=8", "--allow-short-budget",
                        "--output_path", base / "run", "--log_samples"))  # fmt: skip
    _ok(sarchat_command("report", f"{BASE_NAME}={base / 'run-base'}", f"{MODEL_NAME}={base / 'run'}",
                        "--out", base / "report",
                        "--no-plots", "--bootstrap", "20"))  # fmt: skip
    return {"base": base, "model": model}


def test_training_data_is_capped_and_split_by_image(loop):
    manifest = json.loads((loop["base"] / "data" / "train_data.json").read_text())
    train, val = manifest["splits"]["train"], manifest["splits"]["val"]
    assert val["images"] == 1 and train["images"] == 5
    assert train["tasks"]["identification"] <= 0.17 * train["records"]
    assert all(n > 0 for n in train["tasks"].values())  # all six tasks are trained


def test_training_loss_falls(loop):
    summary = json.loads((loop["base"] / "ft" / "finetune.json").read_text())
    losses = summary["losses"]
    assert len(losses) == 6 and summary["lora"]["rank"] == 8
    # Each step sees other records, so single steps are noisy; the trend and the held-out loss
    # (the same records before and after) are not.
    assert losses[-1] < losses[0] - 0.05
    assert sum(losses[3:]) < sum(losses[:3])
    assert summary["val_loss"] < summary["val_loss_before"] - 0.05
    log = [json.loads(line) for line in (loop["base"] / "ft" / "train_log.jsonl").read_text().splitlines()]
    assert [entry["loss"] for entry in log] == losses
    assert (loop["base"] / "ft" / "adapter" / "adapter_config.json").is_file()


def test_merged_checkpoint_differs_from_the_base(loop):
    from safetensors.torch import load_file

    base = load_file(str(loop["model"] / "model.safetensors"))
    merged = load_file(str(loop["base"] / "ft" / "merged" / "model.safetensors"))
    assert base.keys() == merged.keys()
    changed = [name for name in base if not (base[name] == merged[name]).all()]
    assert changed and all("visual" not in name for name in changed)  # the vision tower stays frozen


def test_the_suite_scores_the_checkpoint(loop):
    (results_path,) = (loop["base"] / "run").rglob("*_results.json")
    results = json.loads(results_path.read_text())
    for task in TASKS:
        metrics = results["results"][f"sarchat_{task}"]
        for column in TASKS[task].columns:
            assert f"{column.name},none" in metrics, (task, column.name)
    assert 0 <= results["results"]["sarchat"]["avg_score,none"] <= 100
    assert "merged" in results["config"]["model_args"]


def test_base_and_fine_tuned_are_rows_of_one_report(loop):
    with open(loop["base"] / "report" / "table3.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    for name in (BASE_NAME, MODEL_NAME):
        ours = [row for row in rows if row["model"] == name]
        assert len(ours) == 1 and ours[0]["source"] == "ours" and ours[0]["avg_score"] != "", name
    assert any(row["model"] == "Qwen2-VL-2B" and row["source"] == "paper-reported" for row in rows)
