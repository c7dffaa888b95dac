"""``sarchat finetune``: LoRA fine-tuning with transformers' ``Trainer`` and peft on ``sarchat train-data`` files.

The paper fine-tuned every model with ms-swift (LoRA, 1 epoch, lr 1e-4, rank 8), and
docs/FINETUNE.md gives that ``swift sft`` command for GPUs. This command is the same recipe on the
library ms-swift itself builds on (transformers ``Trainer`` + peft), for a machine where ms-swift is
not wanted and for the offline test on a tiny model. Batching with padding, gradient checkpointing,
mixed precision, periodic checkpoints, ``--resume`` and several processes (``accelerate launch``,
with DeepSpeed or FSDP configs) come from ``Trainer``; this module only turns records into model
inputs, chooses the defaults and checks what goes in and comes out.

Defaults are ms-swift's where the paper is silent (ms-swift 4.6 ``TunerArguments`` and
``TrainingArguments``): alpha 32, dropout 0.05, every linear layer of the language model
(``all-linear``) with the vision tower frozen (``freeze_vit``), AdamW with weight decay 0.1 and
gradient clipping at 1.0, a cosine schedule, batch 1 per device with gradient accumulation up to an
effective batch of 16 records, gradient checkpointing on, bf16 on a GPU that has it, a checkpoint
every 500 steps, the system prompt "You are a helpful assistant." (the paper's command line, and
lmms-eval's ``qwen2_vl`` default), and the loss on the answer tokens only.

Writes into ``OUT``: ``checkpoints/checkpoint-N/`` (Trainer's: adapter, optimizer, scheduler, RNG
states; what ``--resume`` continues from), ``finetune_options.json`` (the run's options, checked by
``--resume``), and at the end ``adapter/`` (the LoRA weights, peft format), ``merged/`` (the base
model with the adapter merged in, plus its processor: a checkpoint any lmms-eval backend of the
family loads with ``pretrained=OUT/merged``), ``train_log.jsonl`` (one line per optimizer step:
step, loss, learning rate) and ``finetune.json`` (the options and the losses).

Any model that ``AutoModelForImageTextToText`` and ``AutoProcessor`` load and whose chat template
renders a prompt that is a prefix of prompt + answer works (Qwen2-VL, Qwen2.5-VL, ...).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sarchat_tasks.errors import SarchatError

__all__ = ["FinetuneError", "FinetuneOptions", "finetune", "register", "run"]

SYSTEM_PROMPT = "You are a helpful assistant."
IGNORE_INDEX = -100
EFFECTIVE_BATCH = 16  # ms-swift: gradient_accumulation_steps = ceil(16 / per-device batch / processes)
OPTIONS_FILE = "finetune_options.json"
CHECKPOINTS = "checkpoints"
DEVICES = ("auto", "cpu", "cuda")
PRECISIONS = ("auto", "bf16", "fp16", "fp32")
# Options that may differ between a run and its --resume: they do not change what is trained.
RESUME_FREE = ("resume", "save_total_limit", "workers")


class FinetuneError(SarchatError):
    """Missing training dependencies, unreadable data, bad options, or a run that cannot train."""


@dataclass
class FinetuneOptions:
    """Everything ``sarchat finetune`` is told; ``finetune_options.json`` holds it."""

    rank: int = 8
    alpha: float = 32.0
    dropout: float = 0.05
    lr: float = 1e-4
    epochs: float = 1.0
    max_steps: int | None = None
    batch_size: int = 1
    grad_accum: int | None = None  # None: ceil(16 / batch_size / processes), as ms-swift
    weight_decay: float = 0.1
    max_grad_norm: float = 1.0
    warmup_ratio: float = 0.0
    schedule: str = "cosine"
    seed: int = 0
    device: str = "auto"
    precision: str = "auto"
    gradient_checkpointing: bool = True
    save_steps: int = 500
    save_total_limit: int | None = 3
    min_pixels: int | None = None
    max_pixels: int | None = None
    max_length: int = 4096
    system: str | None = SYSTEM_PROMPT
    merge: bool = True
    workers: int = 0
    resume: bool = False

    def check(self) -> None:
        """Raise FinetuneError on a value no run can use (before anything is loaded or written)."""

        def bad(name: str, why: str) -> FinetuneError:
            return FinetuneError(f"--{name.replace('_', '-')} {why}, got {getattr(self, name)!r}")

        finite = lambda v: isinstance(v, (int, float)) and math.isfinite(v)  # noqa: E731
        if not finite(self.lr) or self.lr <= 0:
            raise bad("lr", "must be a finite number above 0")
        if not finite(self.epochs) or self.epochs <= 0:
            raise bad("epochs", "must be a finite number above 0")
        for name in ("rank", "batch_size", "save_steps", "max_length"):
            if getattr(self, name) < 1:
                raise bad(name, "must be 1 or more")
        for name in ("grad_accum", "max_steps", "save_total_limit"):
            if getattr(self, name) is not None and getattr(self, name) < 1:
                raise bad(name, "must be 1 or more")
        if not finite(self.alpha) or self.alpha <= 0:
            raise bad("alpha", "must be a finite number above 0")
        if not finite(self.dropout) or not 0 <= self.dropout < 1:
            raise bad("dropout", "must be in [0, 1)")
        if not finite(self.warmup_ratio) or not 0 <= self.warmup_ratio < 1:
            raise bad("warmup_ratio", "must be in [0, 1)")
        if not finite(self.weight_decay) or self.weight_decay < 0:
            raise bad("weight_decay", "must be a finite number of 0 or more")
        if not finite(self.max_grad_norm) or self.max_grad_norm < 0:
            raise bad("max_grad_norm", "must be a finite number of 0 or more (0: no clipping)")
        if self.workers < 0:
            raise bad("workers", "must be 0 or more")
        for name in ("min_pixels", "max_pixels"):
            if getattr(self, name) is not None and getattr(self, name) < 1:
                raise bad(name, "must be 1 or more")
        if self.schedule not in ("cosine", "constant"):
            raise bad("schedule", "must be cosine or constant")
        if self.device not in DEVICES:
            raise bad("device", f"must be one of {', '.join(DEVICES)}")
        if self.precision not in PRECISIONS:
            raise bad("precision", f"must be one of {', '.join(PRECISIONS)}")


def _imports():
    try:
        import peft
        import torch
        import transformers
    except ImportError as exc:
        raise FinetuneError(f"sarchat finetune needs peft ({exc}): pip install 'sarchat-bench[train]'") from exc
    return torch, transformers, peft


def read_plain(path: Path) -> list[dict[str, str]]:
    """The records of a ``plain/*.jsonl`` file of ``sarchat train-data``."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise FinetuneError(f"cannot read {path}: {exc} (write it with sarchat train-data --formats plain)") from exc
    records = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError as exc:
            raise FinetuneError(f"{path} line {n}: not JSON ({exc})") from exc
        if not all(isinstance(record.get(k), str) for k in ("image", "question", "answer")):
            raise FinetuneError(f"{path} line {n}: expected string fields image, question, answer")
        records.append(record)
    if not records:
        raise FinetuneError(f"{path} holds no record")
    return records


def language_linear_layers(model, torch) -> list[str]:
    """The names of every linear layer outside the vision tower and the output head: ms-swift's
    ``all-linear`` with ``freeze_vit``."""
    skip = ("visual", "vision", "lm_head", "multi_modal_projector", "mlp1", "merger")
    return sorted(
        name
        for name, module in model.named_modules()
        if isinstance(module, torch.nn.Linear) and not any(part in name.split(".") for part in skip)
    )


class RecordEncoder:
    """Turns a ``plain`` record into model inputs with labels on the answer (and its end-of-turn
    token) only, and measures a record's length without running the image processor per record."""

    def __init__(self, processor, system: str | None):
        self.processor = processor
        self.tokenizer = getattr(processor, "tokenizer", processor)
        self.system = system
        self._image_tokens: dict[tuple[int, int], int] = {}  # image size -> tokens

    def texts(self, record: dict[str, str]) -> tuple[str, str]:
        user = {"role": "user", "content": [{"type": "image"}, {"type": "text", "text": record["question"]}]}
        answer = {"role": "assistant", "content": [{"type": "text", "text": record["answer"]}]}
        head = [{"role": "system", "content": [{"type": "text", "text": self.system}]}] if self.system else []
        render = self.processor.apply_chat_template
        prompt = render([*head, user], tokenize=False, add_generation_prompt=True)
        full = render([*head, user, answer], tokenize=False)
        if not full.startswith(prompt):
            raise FinetuneError("the model's chat template does not render the prompt as a prefix of prompt + answer")
        return prompt, full

    def _ids(self, text: str) -> list[int]:
        return self.tokenizer(text)["input_ids"]

    def answer_tokens(self, prompt: str, full: str) -> int:
        """How many tokens of ``full`` follow ``prompt``; the tokenizer must split them apart."""
        head, whole = self._ids(prompt), self._ids(full)
        if whole[: len(head)] != head:
            raise FinetuneError("the tokenizer joins the prompt's last token with the answer's first")
        return len(whole) - len(head)

    def image(self, path: str):
        from sarchat_tasks.images import load_display_rgb

        try:
            return load_display_rgb(path)  # the pixels a model is evaluated on (the display rule)
        except (OSError, ValueError) as exc:
            raise FinetuneError(f"cannot open image {path}: {exc} (see sarchat train-data --image-root)") from exc

    def image_tokens(self, path: str, prompt: str) -> int:
        """The tokens the processor adds for this image beyond the text's. They depend on the image's
        size only (resizing, tiling and patching are functions of it), so the processor runs once per
        size, on the first image of that size; the rest cost a read of the file's header."""
        from PIL import Image

        try:
            with Image.open(path) as pil:
                size = pil.size
        except OSError as exc:
            raise FinetuneError(f"cannot open image {path}: {exc} (see sarchat train-data --image-root)") from exc
        if size not in self._image_tokens:
            expanded = self.processor(text=[prompt], images=[self.image(path)], return_tensors="pt")
            self._image_tokens[size] = expanded["input_ids"].shape[1] - len(self._ids(prompt))
        return self._image_tokens[size]

    def length(self, record: dict[str, str]) -> int:
        prompt, full = self.texts(record)
        return len(self._ids(full)) + self.image_tokens(record["image"], prompt)

    def encode(self, record: dict[str, str]) -> dict[str, Any]:
        prompt, full = self.texts(record)
        inputs = dict(self.processor(text=[full], images=[self.image(record["image"])], return_tensors="pt"))
        labels = inputs["input_ids"].clone()
        labels[:, : labels.shape[1] - self.answer_tokens(prompt, full)] = IGNORE_INDEX
        inputs["labels"] = labels
        return inputs


class RecordDataset:
    """The records a run trains on, encoded when the data loader asks for them."""

    def __init__(self, records: list[dict[str, str]], encoder: RecordEncoder):
        self.records, self.encoder = records, encoder

    def __len__(self) -> int:
        return len(self.records)

    def __getitem__(self, index: int) -> dict[str, Any]:
        return self.encoder.encode(self.records[index])


def collate(pad_id: int):
    """Right-pad the per-token rows (ids, attention, labels, token types: every (1, length) tensor)
    to the longest of the batch (ids with the pad token, labels with -100, the rest with 0), and
    join the image tensors along their first axis (Qwen2-VL's patches and grids, LLaVA's images)."""
    import torch

    fills = {"input_ids": pad_id, "labels": IGNORE_INDEX}

    def join(batch: list[dict[str, Any]]) -> dict[str, Any]:
        longest = max(b["input_ids"].shape[1] for b in batch)
        out: dict[str, Any] = {}
        for key, value in batch[0].items():
            if not isinstance(value, torch.Tensor):
                continue
            per_token = all(b[key].dim() == 2 and b[key].shape == b["input_ids"].shape for b in batch)
            if per_token:
                pad = fills.get(key, 0)
                rows = [torch.nn.functional.pad(b[key][0], (0, longest - b[key].shape[1]), value=pad) for b in batch]
                out[key] = torch.stack(rows)
            else:
                out[key] = torch.cat([b[key] for b in batch])
        return out

    return join


def _dtype(torch, precision: str):
    return {"bf16": torch.bfloat16, "fp16": torch.float16, "fp32": torch.float32}[precision]


def _resolve_device(torch, options: FinetuneOptions) -> tuple[str, str]:
    """(device kind, precision) the run uses: a GPU when one is present, unless --device cpu."""
    has_gpu = torch.cuda.is_available()
    if options.device == "cuda" and not has_gpu:
        raise FinetuneError("--device cuda: no CUDA GPU is visible to torch (torch.cuda.is_available() is False)")
    kind = "cuda" if options.device in ("auto", "cuda") and has_gpu else "cpu"
    precision = options.precision
    if precision == "auto":
        precision = "bf16" if kind == "cuda" and torch.cuda.is_bf16_supported() else "fp32"
    if precision == "fp16" and kind == "cpu":
        raise FinetuneError("--precision fp16 needs a GPU (use bf16 or fp32 on the CPU)")
    return kind, precision


def _prepare_out(out: Path, options: FinetuneOptions) -> bool:
    """Check ``out`` before anything is loaded; returns whether it already held a run to resume."""
    if out.exists() and not out.is_dir():
        raise FinetuneError(f"--out {out} is a file: name a new or empty folder")
    held = out.is_dir() and any(out.iterdir())
    if not held:
        if options.resume:
            raise FinetuneError(f"--resume: {out} holds no run of sarchat finetune to continue")
        return False
    if not options.resume:
        raise FinetuneError(f"{out} is not empty: pass --resume to continue the run it holds, or choose another --out")
    try:
        before = json.loads((out / OPTIONS_FILE).read_text(encoding="utf-8"))["options"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise FinetuneError(
            f"--resume: {out} holds no readable {OPTIONS_FILE} ({exc}): not a sarchat finetune run"
        ) from exc
    if (out / "finetune.json").is_file():
        raise FinetuneError(f"--resume: the run in {out} is finished (finetune.json written)")
    now = _comparable(asdict(options))
    changed = sorted(k for k in set(now) | set(before) if k not in RESUME_FREE and now.get(k) != before.get(k))
    if changed:
        detail = ", ".join(f"{k} {before.get(k)!r} -> {now.get(k)!r}" for k in changed)
        raise FinetuneError(f"--resume: options differ from the run in {out} ({detail}); resume with the same ones")
    return True


def _check_launch(env) -> None:
    """``accelerate launch --num_processes N`` on a machine without GPU starts one process (its
    simple launcher sets MASTER_ADDR and no WORLD_SIZE): say so rather than train alone unasked."""
    mpi = ("OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "MV2_COMM_WORLD_SIZE")
    if (
        "ACCELERATE_USE_CPU" in env
        and "MASTER_ADDR" in env
        and "WORLD_SIZE" not in env
        and not any(k in env for k in mpi)
    ):
        raise FinetuneError(
            "accelerate launch started a single process although several were asked for: without a GPU, add "
            "--multi_gpu (it starts the processes with torchrun; on the CPU they talk over gloo)"
        )


def _write_options(out: Path, options: FinetuneOptions, val_loss_before: float | None) -> None:
    record = {"options": asdict(options), "val_loss_before": val_loss_before}
    (out / OPTIONS_FILE).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")


def _comparable(options: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(options))


def _checkpoints(folder: Path) -> list[Path]:
    found = [p for p in folder.glob("checkpoint-*") if p.is_dir() and p.name.split("-")[-1].isdigit()]
    return sorted(found, key=lambda p: int(p.name.split("-")[-1]))


def finetune(
    model_path: str,
    data: Path | str,
    out: Path | str,
    options: FinetuneOptions | None = None,
    *,
    log=lambda message: None,
) -> dict[str, Any]:
    """Train a LoRA adapter on ``data/plain/train.jsonl``; returns what ``finetune.json`` holds
    (on the main process; other processes of an ``accelerate launch`` return an empty dict)."""
    from sarchat_tasks.outputs import check_folder_path, check_not_input

    data, out = Path(data), Path(out)
    try:  # before the (slow) imports: never a file, the data itself or a folder around it
        check_folder_path(out)
        check_not_input(out, [data])
    except ValueError as exc:
        raise FinetuneError(str(exc)) from exc
    options = options or FinetuneOptions()
    options.check()
    torch, transformers, peft = _imports()
    kind, precision = _resolve_device(torch, options)
    _check_launch(os.environ)
    main_process = int(os.environ.get("RANK", "0")) == 0
    resuming = _prepare_out(out, options) if main_process else options.resume
    records = read_plain(data / "plain" / "train.jsonl")
    val_path = data / "plain" / "val.jsonl"
    val_records = read_plain(val_path) if val_path.is_file() and val_path.stat().st_size else []

    pixel_kwargs = {k: v for k, v in (("min_pixels", options.min_pixels), ("max_pixels", options.max_pixels)) if v}
    transformers.set_seed(options.seed)
    try:
        processor = transformers.AutoProcessor.from_pretrained(model_path, **pixel_kwargs)
        model = transformers.AutoModelForImageTextToText.from_pretrained(model_path, dtype=_dtype(torch, precision))
    except (OSError, ValueError) as exc:
        raise FinetuneError(f"cannot load {model_path}: {exc}") from exc
    encoder = RecordEncoder(processor, options.system)

    # Records over --max-length are left out before training (ms-swift's truncation_strategy delete).
    lengths = [encoder.length(r) for r in records]
    train = [r for r, n in zip(records, lengths) if n <= options.max_length]
    val = [r for r in val_records if encoder.length(r) <= options.max_length]
    over = len(records) - len(train)
    if not train:
        raise FinetuneError(
            f"no record of {data / 'plain' / 'train.jsonl'} fits --max-length {options.max_length} tokens "
            f"(all {len(records)} are longer; the shortest is {min(lengths)}, the longest {max(lengths)}): "
            "raise --max-length or lower --max-pixels"
        )
    if over and main_process:
        log(f"{over} of {len(records)} train records are over --max-length {options.max_length} tokens: left out")

    world = int(os.environ.get("WORLD_SIZE", "1"))
    grad_accum = options.grad_accum or max(1, math.ceil(EFFECTIVE_BATCH / options.batch_size / world))
    targets = language_linear_layers(model, torch)
    config = peft.LoraConfig(
        r=options.rank, lora_alpha=options.alpha, lora_dropout=options.dropout, target_modules=targets
    )
    model = peft.get_peft_model(model, config)
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    total = sum(p.numel() for p in model.parameters())
    if main_process:
        log(f"LoRA rank {options.rank} on {len(targets)} linear layers: {trainable:,} of {total:,} parameters trained")

    arguments = transformers.TrainingArguments(
        output_dir=str(out / CHECKPOINTS),
        per_device_train_batch_size=options.batch_size,
        per_device_eval_batch_size=options.batch_size,
        gradient_accumulation_steps=grad_accum,
        learning_rate=options.lr,
        weight_decay=options.weight_decay,
        max_grad_norm=options.max_grad_norm,
        lr_scheduler_type="cosine" if options.schedule == "cosine" else "constant_with_warmup",
        warmup_steps=options.warmup_ratio,
        num_train_epochs=options.epochs,
        max_steps=options.max_steps or -1,
        optim="adamw_torch",
        seed=options.seed,
        bf16=precision == "bf16",
        fp16=precision == "fp16",
        use_cpu=kind == "cpu",
        **_checkpointing_arguments(transformers, options.gradient_checkpointing),
        save_strategy="steps",
        save_steps=options.save_steps,
        save_total_limit=options.save_total_limit,
        logging_steps=1,
        logging_nan_inf_filter=False,  # a non-finite loss must reach the check, not be averaged away
        remove_unused_columns=False,
        dataloader_num_workers=options.workers,
        ddp_find_unused_parameters=False,
        report_to="none",
        disable_tqdm=True,
    )
    trainer = _make_trainer(
        model=model,
        args=arguments,
        data_collator=collate(_pad_id(encoder.tokenizer)),
        train_dataset=RecordDataset(train, encoder),
        eval_dataset=RecordDataset(val, encoder) if val else None,
        callbacks=[_progress_callback(log if main_process else lambda m: None)],
    )
    trainer.remove_callback(
        transformers.trainer_callback.PrinterCallback
    )  # the progress callback prints one line a step
    device = arguments.device
    if main_process:
        name = f" ({torch.cuda.get_device_name(device)})" if device.type == "cuda" else ""
        log(f"device: {device}{name}, {world} process(es), precision {precision}, batch {options.batch_size} x "
            f"{grad_accum} accumulated x {world} = {options.batch_size * grad_accum * world} records per step")  # fmt: skip
        if not resuming:
            out.mkdir(parents=True, exist_ok=True)
            _write_options(out, options, None)
    existing = set(_checkpoints(out / CHECKPOINTS))
    resume_from = str(_checkpoints(out / CHECKPOINTS)[-1]) if resuming and existing else None
    if resuming:
        log(f"resuming from {resume_from}" if resume_from else "no checkpoint yet: starting from step 0")

    started = time.perf_counter()
    try:
        val_before = trainer.evaluate()["eval_loss"] if val and not resume_from else None
        if val_before is not None and main_process:
            log(f"validation loss before training {val_before:.4f} on {len(val)} records")
            _write_options(out, options, val_before)
        trainer.train(resume_from_checkpoint=resume_from)
        val_loss = trainer.evaluate()["eval_loss"] if val else None
    except FinetuneError:
        if main_process:  # nothing of a failed run is left as a checkpoint to resume from or to score
            for checkpoint in set(_checkpoints(out / CHECKPOINTS)) - existing:
                shutil.rmtree(checkpoint, ignore_errors=True)
            if not resuming:
                shutil.rmtree(out / CHECKPOINTS, ignore_errors=True)
                (out / OPTIONS_FILE).unlink(missing_ok=True)
                if out.is_dir() and not any(out.iterdir()):
                    out.rmdir()
        raise
    seconds = time.perf_counter() - started
    if not trainer.is_world_process_zero():
        return {}
    history = [
        {"step": e["step"], "loss": e["loss"], "lr": e["learning_rate"]}
        for e in trainer.state.log_history
        if "loss" in e and "learning_rate" in e
    ]
    if val_loss is not None:
        log(f"validation loss after training {val_loss:.4f}")
    if resume_from:  # the loss before training was measured by the run that started it
        val_before = json.loads((out / OPTIONS_FILE).read_text(encoding="utf-8")).get("val_loss_before")
    written = _write_results(out, trainer.model, processor, options)
    summary = {
        "base_model": model_path,
        "data": str(data.resolve()),
        "train_records": len(train),
        "val_records": len(val),
        "records_over_max_length": over,
        "lora": {"rank": options.rank, "alpha": options.alpha, "dropout": options.dropout, "target_modules": targets},
        "trainable_parameters": trainable,
        "optimizer": {
            "name": "adamw",
            "lr": options.lr,
            "weight_decay": options.weight_decay,
            "max_grad_norm": options.max_grad_norm,
            "schedule": options.schedule,
            "warmup_ratio": options.warmup_ratio,
            "batch_size": options.batch_size,
            "grad_accum": grad_accum,
            "processes": world,
        },
        "options": asdict(options),
        "device": str(device),
        "precision": precision,
        "steps": trainer.state.global_step,
        "resumed_from": resume_from,
        "seed": options.seed,
        "system_prompt": options.system,
        "pixels": pixel_kwargs,
        "max_length": options.max_length,
        "losses": [h["loss"] for h in history],
        "val_loss_before": val_before,
        "val_loss": val_loss,
        "seconds": round(seconds, 1),
        "merged": str((out / "merged").resolve()) if written.get("merged") else None,
    }
    with open(out / "train_log.jsonl", "w", encoding="utf-8") as handle:
        handle.writelines(json.dumps(h) + "\n" for h in history)
    (out / "finetune.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return summary


def _checkpointing_arguments(transformers, enabled: bool) -> dict[str, Any]:
    """Gradient checkpointing, non-reentrant (frozen embeddings need no input gradients); named
    ``activation_checkpointing`` from transformers 5.2x on, ``gradient_checkpointing`` before."""
    import inspect

    known = inspect.signature(transformers.TrainingArguments).parameters
    name = "activation_checkpointing" if "activation_checkpointing" in known else "gradient_checkpointing"
    return {name: enabled, f"{name}_kwargs": {"use_reentrant": False} if enabled else None}


def _pad_id(tokenizer) -> int:
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    if pad is None:
        raise FinetuneError("the tokenizer has no pad or end-of-sequence token to pad batches with")
    return pad


def _write_results(out: Path, model, processor, options: FinetuneOptions) -> dict[str, bool]:
    """The adapter and merged checkpoint, each written aside and moved in whole."""
    partial = out / f".partial-finetune-{os.urandom(6).hex()}"
    partial.mkdir()
    try:
        model.save_pretrained(partial / "adapter")
        if options.merge:
            merged = model.merge_and_unload()
            merged.save_pretrained(partial / "merged")
            processor.save_pretrained(partial / "merged")
        names = ["adapter", "merged"] if options.merge else ["adapter"]
        for name in names:
            os.replace(partial / name, out / name)
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return {"merged": options.merge}


def _trainer_classes():
    import torch
    import transformers

    class FinetuneTrainer(transformers.Trainer):
        """Trainer that stops on the first non-finite loss, before the optimizer step and any save."""

        def training_step(self, model, inputs, num_items_in_batch=None):
            loss = super().training_step(model, inputs, num_items_in_batch)
            if not torch.isfinite(loss).all():
                raise FinetuneError(
                    f"the training loss is {float(loss):g} at step {self.state.global_step + 1}: "
                    f"lower --lr ({self.args.learning_rate:g}) or check the data; no checkpoint of this run is kept"
                )
            return loss

    class Progress(transformers.TrainerCallback):
        def __init__(self, log):
            self.log = log

        def on_log(self, args, state, control, logs=None, **kwargs):
            if logs and "loss" in logs:
                self.log(
                    f"step {state.global_step}/{state.max_steps}: loss {logs['loss']:.4f} "
                    f"lr {logs.get('learning_rate', 0):.2e}"
                )

        def on_save(self, args, state, control, **kwargs):
            self.log(f"saved checkpoint-{state.global_step}")

    return FinetuneTrainer, Progress


def _make_trainer(**kwargs):  # the classes are made on first use: transformers is imported late
    return _trainer_classes()[0](**kwargs)


def _progress_callback(log):
    return _trainer_classes()[1](log)


def register(parser: argparse.ArgumentParser) -> None:
    d = FinetuneOptions()
    parser.add_argument("--model", required=True, help="base model: a folder or a hub id already in the local cache")
    parser.add_argument("--data", required=True, type=Path, help="a folder written by sarchat train-data")
    parser.add_argument("--out", required=True, type=Path, help="a new or empty folder (or the run to --resume)")
    parser.add_argument("--resume", action="store_true",
                        help="continue the run in --out from its last checkpoint (same options)")  # fmt: skip
    parser.add_argument("--rank", type=int, default=d.rank, help="LoRA rank (default 8, the paper's)")
    parser.add_argument("--alpha", type=float, default=d.alpha, help="LoRA alpha (default 32, ms-swift's)")
    parser.add_argument("--dropout", type=float, default=d.dropout, help="LoRA dropout (default 0.05, ms-swift's)")
    parser.add_argument("--lr", type=float, default=d.lr, help="learning rate (default 1e-4, the paper's)")
    parser.add_argument("--epochs", type=float, default=d.epochs, help="passes over the data (default 1, the paper's)")
    parser.add_argument("--max-steps", type=int, default=None, help="stop after N optimizer steps instead")
    parser.add_argument("--batch-size", type=int, default=d.batch_size,
                        help="records per forward pass on each device, padded to the longest (default 1, ms-swift's)")  # fmt: skip
    parser.add_argument("--grad-accum", type=int, default=None,
                        help="forward passes per optimizer step (default: 16 records per step in all, "
                             "ceil(16 / batch size / processes), as ms-swift)")  # fmt: skip
    parser.add_argument("--weight-decay", type=float, default=d.weight_decay, help="AdamW weight decay (default 0.1)")
    parser.add_argument("--max-grad-norm", type=float, default=d.max_grad_norm, help="gradient clipping (default 1.0)")
    parser.add_argument(
        "--warmup-ratio", type=float, default=d.warmup_ratio, help="share of steps warming up (default 0)"
    )
    parser.add_argument("--schedule", choices=("cosine", "constant"), default=d.schedule, help="default cosine")
    parser.add_argument("--seed", type=int, default=d.seed)
    parser.add_argument("--device", default=d.device,
                        help="auto (default: a GPU when torch sees one, else the CPU), cpu or cuda")  # fmt: skip
    parser.add_argument("--precision", default=d.precision,
                        help="auto (default: bf16 on a GPU that has it, else fp32), bf16, fp16 or fp32")  # fmt: skip
    parser.add_argument("--gradient-checkpointing", action=argparse.BooleanOptionalAction, default=True,
                        help="recompute activations in the backward pass to save memory (default on, ms-swift's)")  # fmt: skip
    parser.add_argument("--save-steps", type=int, default=d.save_steps,
                        help="write a checkpoint every N optimizer steps (default 500, ms-swift's)")  # fmt: skip
    parser.add_argument("--save-total-limit", type=int, default=d.save_total_limit,
                        help="keep the last N checkpoints (default 3)")  # fmt: skip
    parser.add_argument("--workers", type=int, default=0, help="data loader processes (default 0: in the trainer's)")
    parser.add_argument("--min-pixels", type=int, default=None, help="image processor min_pixels (Qwen2-VL family)")
    parser.add_argument("--max-pixels", type=int, default=None, help="image processor max_pixels (Qwen2-VL family)")
    parser.add_argument("--max-length", type=int, default=d.max_length,
                        help="leave out records longer than this, in tokens (default 4096)")  # fmt: skip
    parser.add_argument(
        "--system", default=SYSTEM_PROMPT, help=f"system prompt (default {SYSTEM_PROMPT!r}; '' for none)"
    )
    parser.add_argument("--no-merge", action="store_true", help="write the adapter only, not the merged checkpoint")


def run(args: argparse.Namespace) -> int:
    options = FinetuneOptions(
        rank=args.rank,
        alpha=args.alpha,
        dropout=args.dropout,
        lr=args.lr,
        epochs=args.epochs,
        max_steps=args.max_steps,
        batch_size=args.batch_size,
        grad_accum=args.grad_accum,
        weight_decay=args.weight_decay,
        max_grad_norm=args.max_grad_norm,
        warmup_ratio=args.warmup_ratio,
        schedule=args.schedule,
        seed=args.seed,
        device=args.device,
        precision=args.precision,
        gradient_checkpointing=args.gradient_checkpointing,
        save_steps=args.save_steps,
        save_total_limit=args.save_total_limit,
        min_pixels=args.min_pixels,
        max_pixels=args.max_pixels,
        max_length=args.max_length,
        system=args.system or None,
        merge=not args.no_merge,
        workers=args.workers,
        resume=args.resume,
    )
    summary = finetune(
        args.model, args.data, args.out, options, log=lambda message: print(message, file=sys.stderr, flush=True)
    )
    if not summary:  # another process of a multi-process run: the main one reports
        return 0
    losses = summary["losses"]
    print(f"{summary['steps']} steps in {summary['seconds']} s: loss {losses[0]:.4f} -> {losses[-1]:.4f}")
    if summary["val_loss"] is not None and summary["val_loss_before"] is not None:
        print(
            f"validation loss {summary['val_loss_before']:.4f} -> {summary['val_loss']:.4f} "
            f"on {summary['val_records']} records"
        )
    print(f"adapter: {Path(args.out) / 'adapter'}")
    if summary["merged"]:
        print(f"merged checkpoint: {summary['merged']} (sarchat eval --model_args pretrained=...)")
    return 0
