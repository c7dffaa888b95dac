"""``sarchat finetune`` on transformers' ``Trainer``, offline on CPU with a tiny random Qwen2-VL
(``sarchat tiny-model``): records become inputs with labels on the answer only and batch with
padding to the loss one record at a time gives; a run killed after a checkpoint and continued with
``--resume`` ends with the same weights as an uninterrupted run; every bad value, a data set no
record of which fits, and a diverging loss stop with exit 2, a message, and no checkpoint."""

from __future__ import annotations

import json
import math
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sarchat_tasks.cli import main

pytest.importorskip("peft", reason="sarchat finetune needs peft: pip install -e '.[test]' (or '.[train]')")

SMALL = ["--max-pixels", "3136", "--max-length", "1024"]  # 56 x 56 pixels: 4 image tokens, fast on CPU


@pytest.fixture(scope="module")
def setup(tmp_path_factory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("trainer")
    assert main(["synth", "--out", str(base / "sardet"), "--images", "6", "--seed", "1",
                 "--splits", "train:3,test:1", "--max-size", "300"]) == 0  # fmt: skip
    assert main(["build", str(base / "sardet"), "--out", str(base / "build"), "--splits", "train,test"]) == 0
    assert main(["train-data", str(base / "build"), "--out", str(base / "data"), "--val-images", "1",
                 "--identification-share", "0.17"]) == 0  # fmt: skip
    assert main(["tiny-model", "--out", str(base / "tiny")]) == 0
    return {"base": base, "data": base / "data", "model": base / "tiny"}


def _finetune(setup, out: Path, *extra: str) -> int:
    return main(["finetune", "--model", str(setup["model"]), "--data", str(setup["data"]), "--out", str(out),
                 *SMALL, *extra])  # fmt: skip


def _encoder(setup):
    import transformers

    from sarchat_tasks.train.loop import SYSTEM_PROMPT, RecordEncoder, read_plain

    processor = transformers.AutoProcessor.from_pretrained(setup["model"], max_pixels=3136)
    records = read_plain(setup["data"] / "plain" / "train.jsonl")
    return RecordEncoder(processor, SYSTEM_PROMPT), records, processor


def test_labels_cover_the_answer_and_its_end_of_turn_only(setup):
    encoder, records, processor = _encoder(setup)
    for record in records[:5]:
        inputs = encoder.encode(record)
        labels = inputs["labels"][0]
        trained = processor.tokenizer.decode(labels[labels != -100])
        assert trained == record["answer"] + "<|im_end|>\n"
        assert (labels[: labels.tolist().index(next(t for t in labels.tolist() if t != -100))] == -100).all()
        assert encoder.length(record) == inputs["input_ids"].shape[1]  # the pre-pass measures what trains


def test_the_length_pass_counts_image_tokens_by_size(setup, tmp_path):
    """Two files of one size share one measurement; another size is measured again; every length
    equals the encoded one (Qwen2-VL: 112 x 112 at max_pixels 3136 is resized to 56 x 56, 4 tokens)."""
    from PIL import Image

    encoder, records, _ = _encoder(setup)
    for name, size in (("a.png", (112, 112)), ("b.png", (112, 112)), ("c.png", (224, 112))):
        Image.new("RGB", size, (40, 40, 40)).save(tmp_path / name)
    made = [{**records[0], "image": str(tmp_path / name)} for name in ("a.png", "b.png", "c.png")]
    lengths = [encoder.length(r) for r in made]
    assert lengths == [encoder.encode(r)["input_ids"].shape[1] for r in made]
    assert lengths[0] == lengths[1] and set(encoder._image_tokens) >= {(112, 112), (224, 112)}
    assert encoder._image_tokens[(112, 112)] == 4 - 1  # four image tokens in place of one placeholder


def test_a_padded_batch_has_the_loss_of_its_records_one_by_one(setup):
    """Padding is invisible to the loss: the batch's mean over answer tokens equals the mean of
    the single records' losses weighted by their answer tokens."""
    import torch
    import transformers

    from sarchat_tasks.train.loop import collate

    encoder, records, processor = _encoder(setup)
    model = transformers.AutoModelForImageTextToText.from_pretrained(setup["model"]).eval()
    singles = [encoder.encode(r) for r in records[:4]]
    batch = collate(processor.tokenizer.pad_token_id)(singles)
    lengths = [s["input_ids"].shape[1] for s in singles]
    assert batch["input_ids"].shape == (4, max(lengths)) and len(set(lengths)) > 1  # padding happened
    assert int(batch["attention_mask"].sum()) == sum(lengths)
    with torch.no_grad():
        together = float(model(**batch).loss)
        ones = [(float(model(**s).loss), int((s["labels"][0, 1:] != -100).sum())) for s in singles]
    assert together == pytest.approx(sum(loss * n for loss, n in ones) / sum(n for _, n in ones), rel=1e-5)


BAD = [
    (["--lr", "nan"], "--lr must be a finite number above 0"),
    (["--lr", "0"], "--lr must be a finite number above 0"),
    (["--lr=-1e-4"], "--lr must be a finite number above 0"),
    (["--grad-accum", "0"], "--grad-accum must be 1 or more"),
    (["--max-steps", "0"], "--max-steps must be 1 or more"),
    (["--rank", "0"], "--rank must be 1 or more"),
    (["--dropout", "1.5"], "--dropout must be in [0, 1)"),
    (["--dropout", "1"], "--dropout must be in [0, 1)"),
    (["--batch-size", "0"], "--batch-size must be 1 or more"),
    (["--save-steps", "0"], "--save-steps must be 1 or more"),
    (["--epochs", "inf"], "--epochs must be a finite number above 0"),
    (["--device", "tpu"], "--device must be one of auto, cpu, cuda"),
    (["--precision", "fp8"], "--precision must be one of auto, bf16, fp16, fp32"),
    (["--precision", "fp16", "--device", "cpu"], "--precision fp16 needs a GPU"),
    (["--warmup-ratio", "1"], "--warmup-ratio must be in [0, 1)"),
]


@pytest.mark.parametrize(("extra", "message"), BAD, ids=[" ".join(e) for e, _ in BAD])
def test_a_bad_value_exits_2_and_writes_nothing(setup, tmp_path, capsys, extra, message):
    assert _finetune(setup, tmp_path / "ft", *extra) == 2
    err = capsys.readouterr().err
    assert err.startswith("sarchat finetune: error: ") and message in err and err.count("\n") == 1
    assert not (tmp_path / "ft").exists()


def test_cuda_without_a_gpu_exits_2(setup, tmp_path, capsys, monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert _finetune(setup, tmp_path / "ft", "--device", "cuda") == 2
    assert "--device cuda: no CUDA GPU is visible" in capsys.readouterr().err
    assert not (tmp_path / "ft").exists()


def test_out_a_file_or_a_foreign_folder_exits_2(setup, tmp_path, capsys):
    (tmp_path / "file").write_text("mine")
    assert _finetune(setup, tmp_path / "file") == 2
    assert "is a file" in capsys.readouterr().err
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("mine")
    assert _finetune(setup, tmp_path / "busy") == 2
    assert "is not empty: pass --resume" in capsys.readouterr().err
    assert _finetune(setup, tmp_path / "busy", "--resume") == 2
    assert "holds no readable finetune_options.json" in capsys.readouterr().err
    assert _finetune(setup, tmp_path / "new", "--resume") == 2
    assert "holds no run of sarchat finetune to continue" in capsys.readouterr().err
    assert (tmp_path / "file").read_text() == "mine" and os.listdir(tmp_path / "busy") == ["notes.txt"]


def test_no_record_under_max_length_exits_2_without_a_checkpoint(setup, tmp_path, capsys):
    out = tmp_path / "ft"
    assert main(["finetune", "--model", str(setup["model"]), "--data", str(setup["data"]), "--out", str(out),
                 "--max-pixels", "3136", "--max-length", "40", "--max-steps", "2"]) == 2  # fmt: skip
    err = capsys.readouterr().err
    assert "fits --max-length 40 tokens" in err and "raise --max-length or lower --max-pixels" in err
    assert not out.exists()


def test_a_diverging_loss_exits_2_and_keeps_no_checkpoint(setup, tmp_path, capsys):
    out = tmp_path / "ft"
    code = _finetune(setup, out, "--lr", "1e12", "--max-grad-norm", "0", "--max-steps", "4", "--grad-accum", "1",
                     "--save-steps", "1", "--schedule", "constant")  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2, err[-2000:]
    assert "sarchat finetune: error: the training loss is" in err and "lower --lr" in err
    assert "saved checkpoint-1" in err  # a checkpoint was written before the loss diverged, then removed
    assert not out.exists()


def test_the_device_is_chosen_and_printed(setup, tmp_path, capsys):
    import torch

    out = tmp_path / "ft"
    # --workers: records encoded in data loader processes, as on a GPU machine
    assert _finetune(setup, out, "--max-steps", "1", "--grad-accum", "1", "--no-merge", "--workers", "2") == 0
    err = capsys.readouterr().err
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert f"device: {expected}" in err
    summary = json.loads((out / "finetune.json").read_text())
    assert summary["device"].startswith(expected) and summary["steps"] == 1
    assert summary["precision"] == ("bf16" if expected == "cuda" and torch.cuda.is_bf16_supported() else "fp32")
    assert (out / "adapter" / "adapter_config.json").is_file() and not (out / "merged").exists()
    # a finished run is not resumed, and its options cannot be changed under it
    assert _finetune(setup, out, "--max-steps", "1", "--grad-accum", "1", "--no-merge", "--resume") == 2
    assert "is finished" in capsys.readouterr().err


RESUMABLE = ["--max-steps", "5", "--batch-size", "2", "--grad-accum", "1", "--save-steps", "2", "--lr", "5e-3",
             "--seed", "3", "--no-merge"]  # fmt: skip


def _adapter(out: Path) -> dict:
    from safetensors.torch import load_file

    return load_file(str(out / "adapter" / "adapter_model.safetensors"))


@pytest.mark.slow
def test_a_killed_run_resumes_to_the_weights_of_an_uninterrupted_one(setup, tmp_path, capsys):
    """The real CLI, killed (SIGKILL) once it has written a checkpoint, then continued with --resume:
    same seed, cosine schedule, LoRA dropout on, batches of 2 with padding: the final adapter and
    the losses of the steps after the checkpoint equal those of a run that was never stopped."""
    whole = tmp_path / "whole"
    assert _finetune(setup, whole, *RESUMABLE) == 0
    capsys.readouterr()

    killed = tmp_path / "killed"
    command = [sys.executable, "-m", "sarchat_tasks.cli", "finetune", "--model", str(setup["model"]),
               "--data", str(setup["data"]), "--out", str(killed), *SMALL, *RESUMABLE]  # fmt: skip
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    seen, deadline = b"", time.monotonic() + 600
    try:
        while b"saved checkpoint-2" not in seen and time.monotonic() < deadline:
            if not select.select([process.stderr], [], [], 5.0)[0]:
                continue
            chunk = os.read(process.stderr.fileno(), 65536)
            if not chunk:
                break
            seen += chunk
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
    assert b"saved checkpoint-2" in seen, seen[-2000:]
    assert process.returncode == -signal.SIGKILL and not (killed / "finetune.json").exists()
    assert not (killed / "adapter").exists() and (killed / "checkpoints" / "checkpoint-2").is_dir()

    assert _finetune(setup, killed, *RESUMABLE, "--resume") == 0
    err = capsys.readouterr().err
    assert "resuming from" in err and "checkpoint-" in err
    one, two = _adapter(whole), _adapter(killed)
    assert one.keys() == two.keys() and all((one[k] == two[k]).all() for k in one), "resumed weights differ"
    first, second = (json.loads((run / "finetune.json").read_text()) for run in (whole, killed))
    assert second["resumed_from"] and first["resumed_from"] is None
    assert second["losses"] == first["losses"] and len(first["losses"]) == 5
    assert all(math.isfinite(x) for x in first["losses"])
    assert second["val_loss"] == first["val_loss"] and second["val_loss_before"] == first["val_loss_before"]


def test_resume_refuses_other_options(setup, tmp_path, capsys):
    out = tmp_path / "ft"
    out.mkdir()
    options = {"options": {"rank": 4}, "val_loss_before": None}
    (out / "finetune_options.json").write_text(json.dumps(options))
    assert _finetune(setup, out, "--resume") == 2
    assert "options differ from the run" in capsys.readouterr().err


@pytest.mark.slow
def test_two_processes_of_accelerate_launch_train_on_cpu(setup, tmp_path):
    """``accelerate launch --multi_gpu --num_processes 2`` (torchrun; gloo on the CPU): both
    processes load the model and train, the main one writes the adapter, and the step count is
    that of 16 records per step split over 2 processes."""
    out = tmp_path / "ft"
    command = [sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", "2",
               "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no",
               "--main_process_port", str(29500 + os.getpid() % 1000),
               "-m", "sarchat_tasks.cli", "finetune", "--model", str(setup["model"]), "--data", str(setup["data"]),
               "--out", str(out), *SMALL, "--max-steps", "3", "--batch-size", "2", "--lr", "5e-3", "--no-merge"]  # fmt: skip
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stderr.count("Loading weights: 100%") >= 2  # two processes loaded the model
    assert "2 process(es)" in done.stderr and "batch 2 x 4 accumulated x 2 = 16 records per step" in done.stderr
    summary = json.loads((out / "finetune.json").read_text())
    assert summary["optimizer"]["processes"] == 2 and summary["steps"] == 3
    assert summary["losses"][-1] < summary["losses"][0] and summary["val_loss"] < summary["val_loss_before"]
    assert (out / "adapter" / "adapter_model.safetensors").is_file()


def test_a_single_process_where_several_were_asked_for_exits_2(setup, tmp_path, capsys, monkeypatch):
    """What ``accelerate launch --num_processes 2`` without --multi_gpu gives on a CPU machine."""
    monkeypatch.setenv("ACCELERATE_USE_CPU", "False")
    monkeypatch.setenv("MASTER_ADDR", "127.0.0.1")
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    assert _finetune(setup, tmp_path / "ft", "--max-steps", "1") == 2
    assert "add --multi_gpu" in capsys.readouterr().err
    assert not (tmp_path / "ft").exists()


def test_tiny_model_command_writes_a_trainable_checkpoint_and_refuses_a_used_folder(setup, tmp_path, capsys):
    """``sarchat tiny-model`` ships in the package: the fixture's model came from it; it names the
    lmms-eval backend and arguments, and never writes into a folder that holds something."""
    import transformers

    meta = json.loads((setup["model"] / "tiny_model.json").read_text())
    assert meta["family"] == "qwen2_vl" and meta["parameters"] > 0
    config = transformers.AutoConfig.from_pretrained(setup["model"])
    assert config.model_type == "qwen2_vl"
    out = tmp_path / "llava"
    assert main(["tiny-model", "--family", "llava_hf", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert f"--model llava_hf --model_args pretrained={out},device=cpu,device_map=cpu" in printed
    assert transformers.AutoConfig.from_pretrained(out).model_type == "llava"
    assert main(["tiny-model", "--out", str(out)]) == 2
    assert "not empty" in capsys.readouterr().err
