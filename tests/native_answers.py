"""Realistic native grounding answers of each model family, for the scoring tests: what a stock model
of the family says when asked to locate the ships of one non-square image, in its own box syntax and
coordinate frame, written from the family's public documentation and issues (not from a random model).
docs/MODELS.md cites the sources.

The image is ``IMAGE_SIZE`` = 800 x 600 (width x height) and holds the two ships of ``SHIPS``, in
pixels of the original image, ``(x1, y1, x2, y2)``:

- A = (200, 150, 400, 450), tall (200 x 300 px)
- B = (480, 330, 640, 420), wide (160 x 90 px)

``NATIVE_ANSWERS[family]`` is a list of ``(answer text, boxes)``: ``boxes`` are the pixel boxes of
the original image that the answer states once read in the family's frame, computed by hand below;
they equal ``SHIPS`` where the family's numbers are exact and are within a few pixels otherwise
(IoU with ``SHIPS`` >= 0.95). Families whose tags are special tokens appear twice: as the model emits
them and as lmms-eval 0.7.3 delivers them, since every backend here decodes with
``skip_special_tokens=True`` (which deletes the tags).

Hand computation, per frame (W = 800, H = 600):

- 0-1000 of the whole image (Qwen2-VL, Qwen3-VL, InternVL): x = v * W / 1000 = v * 0.8,
  y = v * H / 1000 = v * 0.6. A = (250, 250, 500, 750) -> (200, 150, 400, 450);
  B = (600, 550, 800, 700) -> (480, 330, 640, 420).
- Qwen2.5-VL, pixels of the resized input: lmms-eval's ``qwen2_5_vl`` defaults (min_pixels 200704,
  max_pixels 1605632) resize 800 x 600 to 812 x 588 (utils/frames.py: 800 / 28 = 28.57 -> 29 * 28,
  600 / 28 = 21.43 -> 21 * 28). x = v * 800 / 812, y = v * 600 / 588.
  A in that frame: (200 * 812/800, 150 * 588/600, 400 * 1.015, 450 * 0.98) = (203, 147, 406, 441), exact.
  B: (487.2, 323.4, 649.6, 411.6), said as (487, 323, 650, 412) ->
  (487 / 1.015, 323 / 0.98, 650 / 1.015, 412 / 0.98) = (479.803, 329.592, 640.394, 420.408).
- Gemma 3, Gemini's ``box_2d`` convention ``[y1, x1, y2, x2]`` on 0-1000 (Gemma 3 documents no
  grounding format; this is the one Google documents for Gemini): A = [250, 250, 750, 500],
  B = [550, 600, 700, 800]; the same scaling as the first frame after swapping the axes back.
- LLaVA-1.5 through lmms-eval's ``llava_hf``: fractions 0-1 of what the model sees, which is the
  central 600 x 600 square (CLIPImageProcessor: short side to 336, centre crop 336; x0 = 100, y0 = 0):
  x = 100 + f * 600, y = f * 600, printed with two decimals as LLaVA's training data does.
  A: ((200-100)/600 = 0.1667 -> 0.17, 150/600 = 0.25, 300/600 = 0.5, 450/600 = 0.75) ->
  (100 + 102, 150, 400, 450) = (202, 150, 400, 450).
  B: (380/600 = 0.6333 -> 0.63, 0.55, 540/600 = 0.9, 0.7) -> (478, 330, 640, 420).
- LLaVA-1.5 as its own code runs it (``expand2square``: padded to an 800 x 800 square, 100 px above
  and below; x0 = 0, y0 = -100): x = f * 800, y = f * 800 - 100.
  A: (0.25, 250/800 = 0.3125 -> 0.31, 0.5, 550/800 = 0.6875 -> 0.69) -> (200, 148, 400, 452).
  B: (0.6, 430/800 = 0.5375 -> 0.54, 0.8, 520/800 = 0.65) -> (480, 332, 640, 420).
"""

from __future__ import annotations

Box = tuple[float, float, float, float]

IMAGE_SIZE = (800, 600)
SHIPS: list[Box] = [(200, 150, 400, 450), (480, 330, 640, 420)]
A, B = SHIPS

QWEN25_B: Box = (487 * 800 / 812, 323 * 600 / 588, 650 * 800 / 812, 412 * 600 / 588)
LLAVA_HF_A: Box = (202, 150, 400, 450)
LLAVA_HF_B: Box = (478, 330, 640, 420)
LLAVA_PAD_A: Box = (200, 148, 400, 452)
LLAVA_PAD_B: Box = (480, 332, 640, 420)

NATIVE_ANSWERS: dict[str, list[tuple[str, list[Box]]]] = {
    # Qwen2-VL: <|object_ref_start|>..<|object_ref_end|><|box_start|>(x1,y1),(x2,y2)<|box_end|>, 0-1000
    # (QwenLM/Qwen3-VL issues 866, 733; ms-swift's Qwen2-VL grounding format); one box block per object
    "qwen2_vl": [
        ("<|object_ref_start|>the ship<|object_ref_end|><|box_start|>(250,250),(500,750)<|box_end|>", [A]),
        (
            "<|object_ref_start|>ship<|object_ref_end|><|box_start|>(250,250),(500,750)<|box_end|>"
            "<|box_start|>(600,550),(800,700)<|box_end|>",
            [A, B],
        ),
        # the same answer as lmms-eval's qwen2_vl backend returns it: the tags are special tokens
        ("ship(250,250),(500,750)(600,550),(800,700)", [A, B]),
        ("There are two ships: ship(250,250),(500,750) and ship(600,550),(800,700)", [A, B]),
    ],
    # Qwen2.5-VL: JSON bbox_2d in pixels of the resized input (QwenLM/Qwen3-VL issue 676; the
    # spatial_understanding cookbook's fenced JSON list); no special tokens
    "qwen2_5_vl": [
        ('```json\n[\n\t{"bbox_2d": [203, 147, 406, 441], "label": "ship"}\n]\n```', [A]),
        (
            '```json\n[\n\t{"bbox_2d": [203, 147, 406, 441], "label": "ship"},\n'
            '\t{"bbox_2d": [487, 323, 650, 412], "label": "ship"}\n]\n```',
            [A, QWEN25_B],
        ),
        ('{"bbox_2d": [203, 147, 406, 441], "label": "ship"}', [A]),
    ],
    # Qwen3-VL: the same JSON on 0-1000 of the image (QwenLM/Qwen3-VL issues 1427, 2102; 2d_grounding cookbook)
    "qwen3_vl": [
        (
            '```json\n[\n\t{"bbox_2d": [250, 250, 500, 750], "label": "ship"},\n'
            '\t{"bbox_2d": [600, 550, 800, 700], "label": "ship"}\n]\n```',
            [A, B],
        ),
        ('[{"bbox_2d": [250, 250, 500, 750], "label": "ship"}]', [A]),
    ],
    # InternVL2.5/3: <ref>obj</ref><box>[[x1, y1, x2, y2], ...]</box> on 0-1000 (OpenGVLab/InternVL issues
    # 227, 285, 844; ms-swift's InternVL2.5 grounding format)
    "internvl_hf": [
        ("<ref>ship</ref><box>[[250, 250, 500, 750]]</box>", [A]),
        ("<ref>ship</ref><box>[[250, 250, 500, 750], [600, 550, 800, 700]]</box>", [A, B]),
        # as lmms-eval's internvl_hf returns it when the checkpoint's tokenizer marks the tags special
        ("ship[[250, 250, 500, 750], [600, 550, 800, 700]]", [A, B]),
    ],
    # LLaVA-1.5 through llava_hf: [x1, y1, x2, y2] as 0-1 fractions (haotian-liu/LLaVA issue 606) of the
    # centre-cropped square the CLIP processor keeps
    "llava_hf": [
        ("[0.17, 0.25, 0.5, 0.75]", [LLAVA_HF_A]),
        ("[0.17, 0.25, 0.5, 0.75], [0.63, 0.55, 0.9, 0.7]", [LLAVA_HF_A, LLAVA_HF_B]),
    ],
    # LLaVA-1.5 run by its own code (image padded to a square): the frame its training data used
    "llava_1_5_padded": [
        ("[0.25, 0.31, 0.5, 0.69]", [LLAVA_PAD_A]),
        ("[0.25, 0.31, 0.5, 0.69], [0.6, 0.54, 0.8, 0.65]", [LLAVA_PAD_A, LLAVA_PAD_B]),
    ],
    # Gemma 3: no documented grounding format; Gemini's box_2d [y1, x1, y2, x2] on 0-1000 is what it is
    # usually prompted for
    "gemma3": [
        (
            '```json\n[\n  {"box_2d": [250, 250, 750, 500], "label": "ship"},\n'
            '  {"box_2d": [550, 600, 700, 800], "label": "ship"}\n]\n```',
            [A, B],
        ),
    ],
}
