"""``sarchat tiny-model``: tiny, randomly initialised checkpoints of the vision-language families
that transformers implements natively and lmms-eval 0.7.3 has a backend for, built from configs
(nothing is downloaded). Each is saved to a folder with its model, a byte-level BPE tokenizer holding
the family's special tokens and chat template, and the family's processor classes, so the real
lmms-eval backend loads it with ``pretrained=FOLDER`` and ``sarchat finetune`` trains it. Their
answers are noise: they are for checking that every stage of a run works, offline, on a CPU, in
seconds (docs/FINETUNE.md's smoke run; the test suite).

``FAMILIES`` maps a family to its builder and to the lmms-eval backend that serves it, with the model
arguments a CPU run needs. Output embeddings are untied everywhere: random tied weights tend to
repeat the last prompt token forever.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

# ---------------------------------------------------------------------------------------------------
# tokenizer


def byte_level_tokenizer(special_tokens: list[str], chat_template: str, extra: dict | None = None, **roles):
    """A fast tokenizer whose vocabulary is the 256 byte symbols plus ``special_tokens``; ``roles`` names
    eos/pad/bos tokens, ``extra`` the named extra special tokens a processor reads (``image_token``...)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    # Byte-level BPE with no merges: every byte is a token, so any text round-trips.
    alphabet = pre_tokenizers.ByteLevel.alphabet()
    vocab = {ch: i for i, ch in enumerate(sorted(alphabet))}
    core = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    core.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    core.decoder = decoders.ByteLevel()
    kwargs = dict(roles)
    if extra:
        kwargs["extra_special_tokens"] = extra
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=core, **kwargs)
    tokenizer.add_special_tokens({"additional_special_tokens": special_tokens})
    tokenizer.chat_template = chat_template
    return tokenizer


def _ids(tokenizer, tokens: list[str]) -> dict[str, int]:
    return {token: tokenizer.convert_tokens_to_ids(token) for token in tokens}


def _finish(path: Path, model, processor, family: str, seed: int) -> Path:
    model.save_pretrained(path)
    processor.save_pretrained(path)
    meta = {"family": family, "seed": seed, "parameters": model.num_parameters()}
    (path / "tiny_model.json").write_text(json.dumps(meta))
    return path


# ---------------------------------------------------------------------------------------------------
# Qwen2-VL and Qwen2.5-VL: same tokens and template, patch 14, merge 2 (factor 28)

QWEN_SPECIAL_TOKENS = [
    "<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|object_ref_start|>", "<|object_ref_end|>", "<|box_start|>",
    "<|box_end|>", "<|quad_start|>", "<|quad_end|>", "<|vision_start|>", "<|vision_end|>", "<|vision_pad|>",
    "<|image_pad|>", "<|video_pad|>",
]  # fmt: skip
QWEN_CHAT_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n"
    "{% if message['content'] is string %}{{ message['content'] }}"
    "{% else %}{% for content in message['content'] %}"
    "{% if content['type'] == 'image' or 'image' in content %}<|vision_start|><|image_pad|><|vision_end|>"
    "{% elif content['type'] == 'video' or 'video' in content %}<|vision_start|><|video_pad|><|vision_end|>"
    "{% elif 'text' in content %}{{ content['text'] }}{% endif %}{% endfor %}{% endif %}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
# kept for the tests written against tiny_qwen2vl.py
SPECIAL_TOKENS = QWEN_SPECIAL_TOKENS
CHAT_TEMPLATE = QWEN_CHAT_TEMPLATE


def _qwen_tokenizer():
    return byte_level_tokenizer(
        QWEN_SPECIAL_TOKENS, QWEN_CHAT_TEMPLATE, eos_token="<|im_end|>", pad_token="<|endoftext|>"
    )


def _qwen_text_config(tokenizer, ids: dict[str, int], **extra) -> dict:
    return {
        "vocab_size": len(tokenizer),
        "hidden_size": 32,
        "intermediate_size": 64,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "max_position_embeddings": 4096,
        "bos_token_id": ids["<|endoftext|>"],
        "eos_token_id": ids["<|im_end|>"],
        "pad_token_id": ids["<|endoftext|>"],
        "tie_word_embeddings": False,
        **extra,
    }


def _qwen_common(ids: dict[str, int]) -> dict:
    return {
        "image_token_id": ids["<|image_pad|>"],
        "video_token_id": ids["<|video_pad|>"],
        "vision_start_token_id": ids["<|vision_start|>"],
        "vision_end_token_id": ids["<|vision_end|>"],
        "tie_word_embeddings": False,
    }


def build_tiny_qwen2vl(path: Path, seed: int = 0) -> Path:
    """Write a tiny Qwen2-VL checkpoint (model, tokenizer, processor) to ``path``."""
    import torch
    from transformers import (
        Qwen2VLConfig,
        Qwen2VLForConditionalGeneration,
        Qwen2VLImageProcessor,
        Qwen2VLProcessor,
        Qwen2VLVideoProcessor,
    )

    path = Path(path)
    tokenizer = _qwen_tokenizer()
    ids = _ids(tokenizer, QWEN_SPECIAL_TOKENS)
    config = Qwen2VLConfig(
        text_config=_qwen_text_config(tokenizer, ids, rope_scaling={"type": "mrope", "mrope_section": [2, 1, 1]}),
        vision_config={
            "depth": 1,
            "embed_dim": 32,
            "hidden_size": 32,
            "num_heads": 2,
            "mlp_ratio": 2,
            "in_channels": 3,
            "patch_size": 14,
            "spatial_merge_size": 2,
            "temporal_patch_size": 2,
        },
        bos_token_id=ids["<|endoftext|>"],
        eos_token_id=ids["<|im_end|>"],
        pad_token_id=ids["<|endoftext|>"],
        **_qwen_common(ids),
    )
    torch.manual_seed(seed)
    model = Qwen2VLForConditionalGeneration(config).eval()
    model.generation_config.eos_token_id = ids["<|im_end|>"]
    model.generation_config.pad_token_id = ids["<|endoftext|>"]
    pixels = {"min_pixels": 56 * 56, "max_pixels": 112 * 112}
    processor = Qwen2VLProcessor(
        image_processor=Qwen2VLImageProcessor(**pixels),
        video_processor=Qwen2VLVideoProcessor(**pixels),
        tokenizer=tokenizer,
        chat_template=QWEN_CHAT_TEMPLATE,
    )
    path = _finish(path, model, processor, "qwen2_vl", seed)
    (path / "tiny_qwen2vl.json").write_text(json.dumps({"seed": seed, "parameters": model.num_parameters()}))
    return path


def build_tiny_qwen2_5_vl(path: Path, seed: int = 0) -> Path:
    """Write a tiny Qwen2.5-VL checkpoint to ``path``. The image processor keeps the real checkpoints'
    defaults (min_pixels 3136, max_pixels 12845056): lmms-eval's backend overrides them from model_args."""
    import torch
    from transformers import (
        Qwen2_5_VLConfig,
        Qwen2_5_VLForConditionalGeneration,
        Qwen2_5_VLProcessor,
        Qwen2VLImageProcessor,
        Qwen2VLVideoProcessor,
    )

    path = Path(path)
    tokenizer = _qwen_tokenizer()
    ids = _ids(tokenizer, QWEN_SPECIAL_TOKENS)
    config = Qwen2_5_VLConfig(
        text_config=_qwen_text_config(tokenizer, ids, rope_scaling={"type": "mrope", "mrope_section": [2, 1, 1]}),
        vision_config={
            "depth": 1,
            "hidden_size": 32,
            "intermediate_size": 64,
            "num_heads": 2,
            "in_channels": 3,
            "out_hidden_size": 32,
            "patch_size": 14,
            "spatial_merge_size": 2,
            "temporal_patch_size": 2,
            "window_size": 56,
            "fullatt_block_indexes": [0],
        },
        bos_token_id=ids["<|endoftext|>"],
        eos_token_id=ids["<|im_end|>"],
        pad_token_id=ids["<|endoftext|>"],
        **_qwen_common(ids),
    )
    torch.manual_seed(seed)
    model = Qwen2_5_VLForConditionalGeneration(config).eval()
    model.generation_config.eos_token_id = ids["<|im_end|>"]
    model.generation_config.pad_token_id = ids["<|endoftext|>"]
    pixels = {"min_pixels": 3136, "max_pixels": 12845056}
    processor = Qwen2_5_VLProcessor(
        image_processor=Qwen2VLImageProcessor(**pixels),
        video_processor=Qwen2VLVideoProcessor(**pixels),
        tokenizer=tokenizer,
        chat_template=QWEN_CHAT_TEMPLATE,
    )
    return _finish(path, model, processor, "qwen2_5_vl", seed)


# ---------------------------------------------------------------------------------------------------
# Qwen3-VL: patch 16, merge 2 (factor 32), interleaved M-RoPE, deepstack

QWEN3_SPECIAL_TOKENS = [*QWEN_SPECIAL_TOKENS, "<think>", "</think>"]


def build_tiny_qwen3_vl(path: Path, seed: int = 0) -> Path:
    """Write a tiny Qwen3-VL checkpoint to ``path``."""
    import torch
    from transformers import (
        Qwen2VLImageProcessor,
        Qwen3VLConfig,
        Qwen3VLForConditionalGeneration,
        Qwen3VLProcessor,
        Qwen3VLVideoProcessor,
    )

    path = Path(path)
    tokenizer = byte_level_tokenizer(
        QWEN3_SPECIAL_TOKENS, QWEN_CHAT_TEMPLATE, eos_token="<|im_end|>", pad_token="<|endoftext|>"
    )
    ids = _ids(tokenizer, QWEN3_SPECIAL_TOKENS)
    rope = {"rope_type": "default", "rope_theta": 5000000.0, "mrope_section": [2, 1, 1], "mrope_interleaved": True}
    config = Qwen3VLConfig(
        text_config=_qwen_text_config(tokenizer, ids, head_dim=8, rope_parameters=rope),
        vision_config={
            "depth": 2,
            "hidden_size": 32,
            "intermediate_size": 64,
            "num_heads": 2,
            "in_channels": 3,
            "out_hidden_size": 32,
            "patch_size": 16,
            "spatial_merge_size": 2,
            "temporal_patch_size": 2,
            "num_position_embeddings": 16,
            "deepstack_visual_indexes": [0],
        },
        **_qwen_common(ids),
    )
    torch.manual_seed(seed)
    model = Qwen3VLForConditionalGeneration(config).eval()
    model.generation_config.eos_token_id = ids["<|im_end|>"]
    model.generation_config.pad_token_id = ids["<|endoftext|>"]
    size = {"shortest_edge": 4096, "longest_edge": 16777216}
    processor = Qwen3VLProcessor(
        image_processor=Qwen2VLImageProcessor(size=size, patch_size=16, merge_size=2),
        video_processor=Qwen3VLVideoProcessor(size=size, patch_size=16, merge_size=2),
        tokenizer=tokenizer,
        chat_template=QWEN_CHAT_TEMPLATE,
    )
    return _finish(path, model, processor, "qwen3_vl", seed)


# ---------------------------------------------------------------------------------------------------
# InternVL (transformers format, e.g. OpenGVLab/InternVL3-1B-hf): Qwen2 LLM, tiles of a fixed size

INTERNVL_SPECIAL_TOKENS = [
    "<|endoftext|>", "<|im_start|>", "<|im_end|>", "<img>", "</img>", "<IMG_CONTEXT>", "<video>", "<quad>",
    "</quad>", "<ref>", "</ref>", "<box>", "</box>",
]  # fmt: skip
INTERNVL_CHAT_TEMPLATE = (
    "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\n' }}"
    "{% if message['content'] is string %}{{ message['content'] }}"
    "{% else %}{% for content in message['content'] %}"
    "{% if content['type'] == 'image' %}{{ '<IMG_CONTEXT>\n' }}"
    "{% elif content['type'] == 'video' %}{{ '<video>\n' }}"
    "{% elif content['type'] == 'text' %}{{ content['text'] }}{% endif %}{% endfor %}{% endif %}"
    "{{ '<|im_end|>\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)
INTERNVL_TILE = 28  # real checkpoints: 448


def build_tiny_internvl_hf(path: Path, seed: int = 0) -> Path:
    """Write a tiny InternVL checkpoint in the transformers format to ``path``."""
    import torch
    from transformers import (
        GotOcr2ImageProcessor,
        InternVLConfig,
        InternVLForConditionalGeneration,
        InternVLProcessor,
        InternVLVideoProcessor,
    )

    path = Path(path)
    extra = {
        "start_image_token": "<img>",
        "end_image_token": "</img>",
        "context_image_token": "<IMG_CONTEXT>",
        "video_token": "<video>",
    }
    tokenizer = byte_level_tokenizer(
        INTERNVL_SPECIAL_TOKENS, INTERNVL_CHAT_TEMPLATE, extra, eos_token="<|im_end|>", pad_token="<|endoftext|>"
    )
    ids = _ids(tokenizer, INTERNVL_SPECIAL_TOKENS)
    patch = 14
    tokens_per_tile = int((INTERNVL_TILE // patch) ** 2 * 0.5**2)
    config = InternVLConfig(
        vision_config={
            "hidden_size": 32,
            "num_hidden_layers": 1,
            "num_attention_heads": 2,
            "intermediate_size": 64,
            "image_size": [INTERNVL_TILE, INTERNVL_TILE],
            "patch_size": [patch, patch],
        },
        text_config={
            "model_type": "qwen2",
            "vocab_size": len(tokenizer),
            "hidden_size": 32,
            "intermediate_size": 64,
            "num_hidden_layers": 2,
            "num_attention_heads": 4,
            "num_key_value_heads": 2,
            "max_position_embeddings": 4096,
            "bos_token_id": ids["<|endoftext|>"],
            "eos_token_id": ids["<|im_end|>"],
            "pad_token_id": ids["<|endoftext|>"],
            "tie_word_embeddings": False,
        },
        image_token_id=ids["<IMG_CONTEXT>"],
        image_seq_length=tokens_per_tile,
        downsample_ratio=0.5,
        tie_word_embeddings=False,
    )
    torch.manual_seed(seed)
    model = InternVLForConditionalGeneration(config).eval()
    model.generation_config.eos_token_id = ids["<|im_end|>"]
    model.generation_config.pad_token_id = ids["<|endoftext|>"]
    tile = {"height": INTERNVL_TILE, "width": INTERNVL_TILE}
    norm = {"image_mean": [0.485, 0.456, 0.406], "image_std": [0.229, 0.224, 0.225]}
    processor = InternVLProcessor(
        image_processor=GotOcr2ImageProcessor(size=tile, crop_to_patches=True, max_patches=12, **norm),
        video_processor=InternVLVideoProcessor(size=tile, **norm),
        tokenizer=tokenizer,
        image_seq_length=tokens_per_tile,
        chat_template=INTERNVL_CHAT_TEMPLATE,
    )
    return _finish(path, model, processor, "internvl_hf", seed)


# ---------------------------------------------------------------------------------------------------
# LLaVA-1.5 (transformers format, e.g. llava-hf/llava-1.5-7b-hf): Llama LLM, CLIP vision tower

LLAVA_SPECIAL_TOKENS = ["<s>", "</s>", "<unk>", "<pad>", "<image>"]
# the chat template of llava-hf/llava-1.5-7b-hf: images first, then the text; "USER: ... ASSISTANT:"
LLAVA_CHAT_TEMPLATE = (
    "{% for message in messages %}{% if message['role'] != 'system' %}{{ message['role'].upper() + ': ' }}{% endif %}"
    "{% if message['content'] is string %}{{ message['content'] + ' ' }}{% else %}"
    "{% for content in message['content'] | selectattr('type', 'equalto', 'image') %}{{ '<image>\n' }}{% endfor %}"
    "{% for content in message['content'] | selectattr('type', 'equalto', 'text') %}{{ content['text'] + ' ' }}"
    "{% endfor %}{% endif %}{% endfor %}{% if add_generation_prompt %}{{ 'ASSISTANT:' }}{% endif %}"
)
LLAVA_IMAGE = 28  # real checkpoints: 336


def build_tiny_llava_hf(path: Path, seed: int = 0) -> Path:
    """Write a tiny LLaVA-1.5 checkpoint in the transformers format to ``path``: CLIPImageProcessor
    resizing the short side and centre-cropping, as llava-hf/llava-1.5-7b-hf ships it."""
    import torch
    from transformers import CLIPImageProcessor, LlavaConfig, LlavaForConditionalGeneration, LlavaProcessor

    path = Path(path)
    tokenizer = byte_level_tokenizer(
        LLAVA_SPECIAL_TOKENS, LLAVA_CHAT_TEMPLATE, bos_token="<s>", eos_token="</s>", unk_token="<unk>",
        pad_token="<pad>",
    )  # fmt: skip
    ids = _ids(tokenizer, LLAVA_SPECIAL_TOKENS)
    config = LlavaConfig(
        vision_config={
            "model_type": "clip_vision_model",
            "hidden_size": 32,
            "intermediate_size": 64,
            "num_hidden_layers": 2,
            "num_attention_heads": 2,
            "image_size": LLAVA_IMAGE,
            "patch_size": 14,
            "projection_dim": 32,
        },
        text_config={
            "model_type": "llama",
            "vocab_size": len(tokenizer),
            "hidden_size": 32,
            "intermediate_size": 64,
            "num_hidden_layers": 2,
            "num_attention_heads": 4,
            "num_key_value_heads": 2,
            "max_position_embeddings": 4096,
            "bos_token_id": ids["<s>"],
            "eos_token_id": ids["</s>"],
            "pad_token_id": ids["<pad>"],
            "tie_word_embeddings": False,
        },
        image_token_id=ids["<image>"],
        vision_feature_layer=-2,
        vision_feature_select_strategy="default",
        tie_word_embeddings=False,
    )
    torch.manual_seed(seed)
    model = LlavaForConditionalGeneration(config).eval()
    model.generation_config.eos_token_id = ids["</s>"]
    model.generation_config.pad_token_id = ids["<pad>"]
    image_processor = CLIPImageProcessor(
        size={"shortest_edge": LLAVA_IMAGE},
        crop_size={"height": LLAVA_IMAGE, "width": LLAVA_IMAGE},
        do_center_crop=True,
    )
    processor = LlavaProcessor(
        image_processor=image_processor,
        tokenizer=tokenizer,
        patch_size=14,
        vision_feature_select_strategy="default",
        num_additional_image_tokens=1,
        chat_template=LLAVA_CHAT_TEMPLATE,
    )
    return _finish(path, model, processor, "llava_hf", seed)


# ---------------------------------------------------------------------------------------------------
# Gemma 3: Gemma3 LLM, SigLIP vision tower, pooled soft tokens

GEMMA3_SPECIAL_TOKENS = [
    "<pad>", "<eos>", "<bos>", "<unk>", "<start_of_turn>", "<end_of_turn>", "<start_of_image>", "<end_of_image>",
    "<image_soft_token>",
]  # fmt: skip
# google/gemma-3-*-it's template, shortened: the system turn is folded into the first user turn
GEMMA3_CHAT_TEMPLATE = (
    "{{ bos_token }}{% if messages[0]['role'] == 'system' %}"
    "{% if messages[0]['content'] is string %}{% set first_user_prefix = messages[0]['content'] + '\n\n' %}"
    "{% else %}{% set first_user_prefix = messages[0]['content'][0]['text'] + '\n\n' %}{% endif %}"
    "{% set loop_messages = messages[1:] %}{% else %}{% set first_user_prefix = '' %}"
    "{% set loop_messages = messages %}{% endif %}"
    "{% for message in loop_messages %}{% set role = 'model' if message['role'] == 'assistant' else message['role'] %}"
    "{{ '<start_of_turn>' + role + '\n' + (first_user_prefix if loop.first else '') }}"
    "{% if message['content'] is string %}{{ message['content'] | trim }}{% else %}"
    "{% for item in message['content'] %}{% if item['type'] == 'image' %}{{ '<start_of_image>' }}"
    "{% elif item['type'] == 'text' %}{{ item['text'] | trim }}{% endif %}{% endfor %}{% endif %}"
    "{{ '<end_of_turn>\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<start_of_turn>model\n' }}{% endif %}"
)
GEMMA3_IMAGE = 56  # real checkpoints: 896


def build_tiny_gemma3(path: Path, seed: int = 0) -> Path:
    """Write a tiny Gemma 3 checkpoint to ``path``."""
    import torch
    from transformers import Gemma3Config, Gemma3ForConditionalGeneration, Gemma3ImageProcessor, Gemma3Processor

    path = Path(path)
    extra = {"image_token": "<image_soft_token>", "boi_token": "<start_of_image>", "eoi_token": "<end_of_image>"}
    tokenizer = byte_level_tokenizer(
        GEMMA3_SPECIAL_TOKENS, GEMMA3_CHAT_TEMPLATE, extra, bos_token="<bos>", eos_token="<eos>", unk_token="<unk>",
        pad_token="<pad>",
    )  # fmt: skip
    ids = _ids(tokenizer, GEMMA3_SPECIAL_TOKENS)
    tokens_per_image = 4
    config = Gemma3Config(
        text_config={
            "vocab_size": len(tokenizer),
            "hidden_size": 32,
            "intermediate_size": 64,
            "num_hidden_layers": 2,
            "num_attention_heads": 4,
            "num_key_value_heads": 2,
            "head_dim": 8,
            "query_pre_attn_scalar": 8,
            "sliding_window": 512,
            "layer_types": ["sliding_attention", "full_attention"],
            "max_position_embeddings": 4096,
            "bos_token_id": ids["<bos>"],
            "eos_token_id": ids["<eos>"],
            "pad_token_id": ids["<pad>"],
            "tie_word_embeddings": False,
        },
        vision_config={
            "hidden_size": 32,
            "intermediate_size": 64,
            "num_hidden_layers": 1,
            "num_attention_heads": 2,
            "image_size": GEMMA3_IMAGE,
            "patch_size": 14,
            "vision_use_head": False,
        },
        mm_tokens_per_image=tokens_per_image,
        boi_token_index=ids["<start_of_image>"],
        eoi_token_index=ids["<end_of_image>"],
        image_token_index=ids["<image_soft_token>"],
        tie_word_embeddings=False,
    )
    torch.manual_seed(seed)
    model = Gemma3ForConditionalGeneration(config).eval()
    model.generation_config.eos_token_id = [ids["<eos>"], ids["<end_of_turn>"]]
    model.generation_config.pad_token_id = ids["<pad>"]
    model.generation_config.bos_token_id = ids["<bos>"]
    image_processor = Gemma3ImageProcessor(
        size={"height": GEMMA3_IMAGE, "width": GEMMA3_IMAGE}, image_mean=[0.5] * 3, image_std=[0.5] * 3
    )
    processor = Gemma3Processor(
        image_processor=image_processor,
        tokenizer=tokenizer,
        image_seq_length=tokens_per_image,
        chat_template=GEMMA3_CHAT_TEMPLATE,
    )
    return _finish(path, model, processor, "gemma3", seed)


# ---------------------------------------------------------------------------------------------------
# registry


@dataclass(frozen=True)
class Family:
    name: str  # the family's key here and in docs/MODELS.md
    build: Callable[[Path, int], Path]
    backend: str  # lmms-eval's --model name
    model_args: str  # what a CPU run adds after pretrained=DIR


FAMILIES: dict[str, Family] = {
    f.name: f
    for f in [
        Family("qwen2_vl", build_tiny_qwen2vl, "qwen2_vl", "device=cpu,device_map=cpu,max_pixels=12544"),
        Family("qwen2_5_vl", build_tiny_qwen2_5_vl, "qwen2_5_vl", "device=cpu,device_map=cpu"),
        Family("qwen3_vl", build_tiny_qwen3_vl, "qwen3_vl", "device=cpu,device_map=cpu"),
        Family("internvl_hf", build_tiny_internvl_hf, "internvl_hf", "device=cpu,device_map=cpu"),
        Family("llava_hf", build_tiny_llava_hf, "llava_hf", "device=cpu,device_map=cpu"),
        Family("gemma3", build_tiny_gemma3, "gemma3", "device=cpu,device_map=cpu"),
    ]
}


def build(family: str, path: Path, seed: int = 0) -> Path:
    """Build the tiny checkpoint of ``family`` (a key of ``FAMILIES``) in ``path``."""
    return FAMILIES[family].build(Path(path), seed)


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--family", choices=sorted(FAMILIES), default="qwen2_vl", help="default qwen2_vl")
    parser.add_argument("--out", type=Path, required=True, metavar="DIR", help="a new or empty folder")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random weights (default 0)")


def run(args: argparse.Namespace) -> int:
    from sarchat_tasks.errors import SarchatError

    out = Path(args.out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise SarchatError(
            f"--out {out} is {'a file' if not out.is_dir() else 'not empty'}: name a new or empty folder"
        )
    family = FAMILIES[args.family]
    path = build(args.family, out, args.seed)
    meta = json.loads((path / "tiny_model.json").read_text())
    print(f"wrote a tiny random {args.family} checkpoint ({meta['parameters']:,} parameters) to {path}")
    print(f"lmms-eval: --model {family.backend} --model_args pretrained={path},{family.model_args}")
    return 0
