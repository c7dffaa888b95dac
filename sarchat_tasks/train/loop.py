"""``sarchat finetune``: LoRA fine-tuning with transformers + peft on ``sarchat train-data`` files.

The paper fine-tuned every model with ms-swift (LoRA, 1 epoch, lr 1e-4, rank 8), and
docs/FINETUNE.md gives that ``swift sft`` command for GPUs. This loop is the same recipe without
ms-swift, for a machine where it is not installed and for the offline test on a tiny model. It
takes ms-swift's LoRA defaults where the paper is silent (ms-swift 4.6 ``TunerArguments`` and
``TrainingArguments``): alpha 32, dropout 0.05, every linear layer of the language model
(``all-linear``) with the vision tower frozen (``freeze_vit``), AdamW with weight decay 0.1, a
cosine schedule, an effective batch of 16 records (here: one record per forward pass and 16
accumulated; ``--grad-accum``), the system prompt "You are a helpful assistant." (the paper's
command line, and lmms-eval's ``qwen2_vl`` default), and the loss on the answer tokens only.

Writes into ``OUT``: ``adapter/`` (the LoRA weights, peft format), ``merged/`` (the base model with
the adapter merged in, plus its processor: a checkpoint any lmms-eval backend of the family loads
with ``pretrained=OUT/merged``), ``train_log.jsonl`` (one line per optimizer step: step, loss,
learning rate) and ``finetune.json`` (the options and the losses).

Any model that ``AutoModelForImageTextToText`` and ``AutoProcessor`` load and whose chat template
renders a prompt that is a prefix of prompt + answer works (Qwen2-VL, Qwen2.5-VL, ...).
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
from pathlib import Path
from typing import Any

from sarchat_tasks.errors import SarchatError

__all__ = ["FinetuneError", "finetune", "register", "run"]

SYSTEM_PROMPT = "You are a helpful assistant."
IGNORE_INDEX = -100


class FinetuneError(SarchatError):
    """Missing training dependencies, unreadable data, or a model the loop cannot train."""


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


def encode(processor, record: dict[str, str], system: str | None, max_length: int) -> dict[str, Any] | None:
    """One record as model inputs with labels on the answer (and its end-of-turn token) only; None
    when it is longer than ``max_length`` tokens (ms-swift's ``truncation_strategy delete``)."""
    from sarchat_tasks.images import load_display_rgb

    user = {"role": "user", "content": [{"type": "image"}, {"type": "text", "text": record["question"]}]}
    answer = {"role": "assistant", "content": [{"type": "text", "text": record["answer"]}]}
    head = [{"role": "system", "content": [{"type": "text", "text": system}]}] if system else []
    prompt = processor.apply_chat_template([*head, user], tokenize=False, add_generation_prompt=True)
    full = processor.apply_chat_template([*head, user, answer], tokenize=False)
    if not full.startswith(prompt):
        raise FinetuneError("the model's chat template does not render the prompt as a prefix of prompt + answer")
    try:
        image = load_display_rgb(record["image"])  # the pixels a model is evaluated on
    except (OSError, ValueError) as exc:
        raise FinetuneError(
            f"cannot open image {record['image']}: {exc} (see sarchat train-data --image-root)"
        ) from exc
    inputs = processor(text=[full], images=[image], return_tensors="pt")
    prompt_length = processor(text=[prompt], images=[image], return_tensors="pt")["input_ids"].shape[1]
    labels = inputs["input_ids"].clone()
    labels[:, :prompt_length] = IGNORE_INDEX
    if inputs["input_ids"].shape[1] > max_length:
        return None
    inputs["labels"] = labels
    return dict(inputs)


def finetune(
    model_path: str,
    data: Path | str,
    out: Path | str,
    *,
    rank: int = 8,
    alpha: float = 32.0,
    dropout: float = 0.05,
    lr: float = 1e-4,
    epochs: float = 1.0,
    max_steps: int | None = None,
    grad_accum: int = 16,
    weight_decay: float = 0.1,
    warmup_ratio: float = 0.0,
    schedule: str = "cosine",
    seed: int = 0,
    device: str = "cpu",
    min_pixels: int | None = None,
    max_pixels: int | None = None,
    max_length: int = 4096,
    system: str | None = SYSTEM_PROMPT,
    merge: bool = True,
    log=lambda message: None,
) -> dict[str, Any]:
    """Train a LoRA adapter on ``data/plain/train.jsonl``; returns what ``finetune.json`` holds."""
    from sarchat_tasks.outputs import check_folder_path, check_not_input

    data, out = Path(data), Path(out)
    try:  # before the (slow) imports
        check_folder_path(out)
        check_not_input(out, [data])
    except ValueError as exc:
        raise FinetuneError(str(exc)) from exc
    if out.exists() and any(out.iterdir()):
        raise FinetuneError(f"{out} is not empty: choose another --out")
    torch, transformers, peft = _imports()
    records = read_plain(data / "plain" / "train.jsonl")
    val_path = data / "plain" / "val.jsonl"
    val_records = read_plain(val_path) if val_path.is_file() and val_path.stat().st_size else []

    random.seed(seed)
    torch.manual_seed(seed)
    pixel_kwargs = {k: v for k, v in (("min_pixels", min_pixels), ("max_pixels", max_pixels)) if v is not None}
    dtype = torch.float32 if device == "cpu" else torch.bfloat16
    try:
        processor = transformers.AutoProcessor.from_pretrained(model_path, **pixel_kwargs)
        model = transformers.AutoModelForImageTextToText.from_pretrained(model_path, dtype=dtype)
    except (OSError, ValueError) as exc:
        raise FinetuneError(f"cannot load {model_path}: {exc}") from exc
    model.to(device)
    targets = language_linear_layers(model, torch)
    config = peft.LoraConfig(r=rank, lora_alpha=alpha, lora_dropout=dropout, target_modules=targets)
    model = peft.get_peft_model(model, config)
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    total = sum(p.numel() for p in model.parameters())
    log(f"LoRA rank {rank} on {len(targets)} linear layers: {trainable:,} of {total:,} parameters trained")

    steps_per_epoch = max(1, math.ceil(len(records) / grad_accum))
    steps = max_steps if max_steps is not None else max(1, math.ceil(epochs * steps_per_epoch))
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=lr, weight_decay=weight_decay)
    warmup = int(warmup_ratio * steps)
    if schedule == "cosine":
        scheduler = transformers.get_cosine_schedule_with_warmup(optimizer, warmup, steps)
    else:
        scheduler = transformers.get_constant_schedule_with_warmup(optimizer, warmup)

    skipped = [0]  # records over max_length, left out as ms-swift does
    order: list[int] = []
    rng = random.Random(f"sarchat-finetune:{seed}")

    def next_record() -> dict[str, str]:
        if not order:  # a new pass over the data, in a new seeded order
            order.extend(rng.sample(range(len(records)), len(records)))
        return records[order.pop()]

    def batch_loss(batch: list[dict[str, str]], train: bool) -> float:
        # Mean over answer tokens of the whole batch, as one large batch would give.
        encoded = [e for e in (encode(processor, r, system, max_length) for r in batch) if e is not None]
        skipped[0] += len(batch) - len(encoded)
        tokens = sum(int((e["labels"] != IGNORE_INDEX).sum()) for e in encoded)
        total_loss = 0.0
        for e in encoded:
            n = int((e["labels"] != IGNORE_INDEX).sum())
            inputs = {k: v.to(device) for k, v in e.items()}
            loss = model(**inputs).loss * (n / max(tokens, 1))
            if train:
                loss.backward()
            total_loss += float(loss.detach())
        return total_loss

    def validation_loss() -> float | None:
        if not val_records:
            return None
        model.eval()
        with torch.no_grad():
            loss = batch_loss(val_records, train=False)
        model.train()
        return loss

    val_before = validation_loss()
    if val_before is not None:
        log(f"validation loss before training {val_before:.4f} on {len(val_records)} records")
    out.mkdir(parents=True, exist_ok=True)
    history: list[dict[str, float]] = []
    started = time.perf_counter()
    model.train()
    with open(out / "train_log.jsonl", "w", encoding="utf-8") as handle:
        for step in range(1, steps + 1):
            loss = batch_loss([next_record() for _ in range(grad_accum)], train=True)
            rate = scheduler.get_last_lr()[0]
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad()
            entry = {"step": step, "loss": round(loss, 6), "lr": rate}
            history.append(entry)
            handle.write(json.dumps(entry) + "\n")
            handle.flush()
            log(f"step {step}/{steps}: loss {loss:.4f} lr {rate:.2e}")
    seconds = time.perf_counter() - started
    val_loss = validation_loss()
    if val_loss is not None:
        log(f"validation loss after training {val_loss:.4f}")
    model.save_pretrained(out / "adapter")
    if merge:
        merged = model.merge_and_unload()
        merged.save_pretrained(out / "merged")
        processor.save_pretrained(out / "merged")
    summary = {
        "base_model": model_path,
        "data": str(data.resolve()),
        "train_records": len(records),
        "val_records": len(val_records),
        "lora": {"rank": rank, "alpha": alpha, "dropout": dropout, "target_modules": targets},
        "trainable_parameters": trainable,
        "optimizer": {
            "name": "adamw",
            "lr": lr,
            "weight_decay": weight_decay,
            "schedule": schedule,
            "warmup_steps": warmup,
            "grad_accum": grad_accum,
        },
        "steps": steps,
        "seed": seed,
        "system_prompt": system,
        "pixels": pixel_kwargs,
        "max_length": max_length,
        "records_over_max_length": skipped[0],
        "losses": [h["loss"] for h in history],
        "val_loss_before": val_before,
        "val_loss": val_loss,
        "seconds": round(seconds, 1),
        "merged": str((out / "merged").resolve()) if merge else None,
    }
    (out / "finetune.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return summary


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", required=True, help="base model: a folder or a hub id already in the local cache")
    parser.add_argument("--data", required=True, type=Path, help="a folder written by sarchat train-data")
    parser.add_argument("--out", required=True, type=Path, help="an empty or new folder")
    parser.add_argument("--rank", type=int, default=8, help="LoRA rank (default 8, the paper's)")
    parser.add_argument("--alpha", type=float, default=32.0, help="LoRA alpha (default 32, ms-swift's)")
    parser.add_argument("--dropout", type=float, default=0.05, help="LoRA dropout (default 0.05, ms-swift's)")
    parser.add_argument("--lr", type=float, default=1e-4, help="learning rate (default 1e-4, the paper's)")
    parser.add_argument("--epochs", type=float, default=1.0, help="passes over the data (default 1, the paper's)")
    parser.add_argument("--max-steps", type=int, default=None, help="stop after N optimizer steps instead")
    parser.add_argument("--grad-accum", type=int, default=16,
                        help="records per optimizer step (default 16, ms-swift's effective batch)")  # fmt: skip
    parser.add_argument("--weight-decay", type=float, default=0.1, help="AdamW weight decay (default 0.1, ms-swift's)")
    parser.add_argument("--warmup-ratio", type=float, default=0.0, help="share of steps warming up (default 0)")
    parser.add_argument("--schedule", choices=("cosine", "constant"), default="cosine", help="default cosine")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="cpu", help="torch device (default cpu; e.g. cuda)")
    parser.add_argument("--min-pixels", type=int, default=None, help="image processor min_pixels (Qwen2-VL family)")
    parser.add_argument("--max-pixels", type=int, default=None, help="image processor max_pixels (Qwen2-VL family)")
    parser.add_argument(
        "--max-length", type=int, default=4096, help="leave out records longer than this, in tokens (default 4096)"
    )
    parser.add_argument(
        "--system", default=SYSTEM_PROMPT, help=f"system prompt (default {SYSTEM_PROMPT!r}; '' for none)"
    )
    parser.add_argument("--no-merge", action="store_true", help="write the adapter only, not the merged checkpoint")


def run(args: argparse.Namespace) -> int:
    summary = finetune(
        args.model,
        args.data,
        args.out,
        rank=args.rank,
        alpha=args.alpha,
        dropout=args.dropout,
        lr=args.lr,
        epochs=args.epochs,
        max_steps=args.max_steps,
        grad_accum=args.grad_accum,
        weight_decay=args.weight_decay,
        warmup_ratio=args.warmup_ratio,
        schedule=args.schedule,
        seed=args.seed,
        device=args.device,
        min_pixels=args.min_pixels,
        max_pixels=args.max_pixels,
        max_length=args.max_length,
        system=args.system or None,
        merge=not args.no_merge,
        log=lambda message: print(message, file=sys.stderr, flush=True),
    )
    losses = summary["losses"]
    print(f"{summary['steps']} steps in {summary['seconds']} s: loss {losses[0]:.4f} -> {losses[-1]:.4f}")
    if summary["val_loss"] is not None:
        print(
            f"validation loss {summary['val_loss_before']:.4f} -> {summary['val_loss']:.4f} "
            f"on {summary['val_records']} records"
        )
    print(f"adapter: {Path(args.out) / 'adapter'}")
    if summary["merged"]:
        print(f"merged checkpoint: {summary['merged']} (sarchat eval --model_args pretrained=...)")
    return 0
