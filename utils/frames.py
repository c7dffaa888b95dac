"""The image frames models answer in: what a backend does to the image size before the model sees
it, so that a box stated in the model's frame can be mapped back to the original image. Standard
library only; nothing here imports lmms-eval, transformers or qwen_vl_utils.

Qwen2.5-VL states boxes in absolute pixels of its *resized* input (QwenLM/Qwen3-VL issue 676). The
resize is Qwen's ``smart_resize`` (``qwen_vl_utils.vision_process.smart_resize`` and
``transformers.models.qwen2_vl.image_processing_qwen2_vl.smart_resize``, the same rule):

1. each side is rounded to the nearest multiple of ``factor`` (28 = patch 14 x merge 2), at least
   ``factor``: ``h = max(factor, round(H / factor) * factor)``, likewise ``w``;
2. if ``h * w > max_pixels``: ``beta = sqrt(H * W / max_pixels)``, and each side becomes
   ``floor(side / beta / factor) * factor`` (at least ``factor``);
3. else if ``h * w < min_pixels``: ``beta = sqrt(min_pixels / (H * W))``, and each side becomes
   ``ceil(side * beta / factor) * factor``.

Python's ``round`` rounds halves to even, as the references do. (The two references differ only on
degenerate sizes: transformers does not floor step 1 at ``factor``, so a side under 14 px rounds to 0
there; qwen_vl_utils does not floor step 2 at ``factor``. This follows qwen_vl_utils in step 1 and
transformers in step 2, which never crashes.) lmms-eval 0.7.3's ``qwen2_5_vl``
backend takes ``min_pixels`` (default 256*28*28 = 200704) and ``max_pixels`` (default 1605632 =
2048*28*28) from ``--model_args``. Its default (chat) class does not pass them with the image: the
image is first resized by qwen_vl_utils' own defaults (min 4*28*28 = 3136, max 16384*28*28 =
12845056), then the processor, built with the model_args values, applies the rule again to that
result (``qwen25_lmms_eval_size``). With ``--force_simple`` the backend passes them with the image:
one resize (``qwen25_resized_size``). The two agree on square images and on 800x600 (812x588 either
way) but not on many others: 1920x1080 is 1680x952 (chat) or 1680x924 (simple); 384x512, upscaled to
reach min_pixels, is 420x532 or 392x532, because the chat path computes the upscale factor from the
already-rounded 392x504.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

QWEN25_FACTOR = 28
# lmms-eval 0.7.3 models/simple/qwen2_5_vl.py, Qwen2_5_VL.__init__ defaults
QWEN25_MIN_PIXELS = 256 * 28 * 28
QWEN25_MAX_PIXELS = 1605632
# qwen_vl_utils (0.0.14) vision_process: IMAGE_MIN_TOKEN_NUM, IMAGE_MAX_TOKEN_NUM, used when an image
# carries no min_pixels/max_pixels of its own; the pixel bounds are these times factor**2
QWEN_VL_UTILS_MIN_TOKENS = 4
QWEN_VL_UTILS_MAX_TOKENS = 16384


def _smart_resize(height: int, width: int, factor: int, min_pixels: int, max_pixels: int) -> tuple[int, int]:
    """(height, width) after Qwen's smart_resize; the float operations mirror the reference."""
    if height <= 0 or width <= 0:
        raise ValueError(f"image size must be positive, got {width}x{height}")
    if max_pixels < min_pixels:
        raise ValueError(f"max_pixels {max_pixels} is below min_pixels {min_pixels}")
    h_bar = max(factor, round(height / factor) * factor)
    w_bar = max(factor, round(width / factor) * factor)
    if h_bar * w_bar > max_pixels:
        beta = math.sqrt((height * width) / max_pixels)
        h_bar = max(factor, math.floor(height / beta / factor) * factor)
        w_bar = max(factor, math.floor(width / beta / factor) * factor)
    elif h_bar * w_bar < min_pixels:
        beta = math.sqrt(min_pixels / (height * width))
        h_bar = math.ceil(height * beta / factor) * factor
        w_bar = math.ceil(width * beta / factor) * factor
    return h_bar, w_bar


def qwen25_resized_size(
    width: int,
    height: int,
    min_pixels: int = QWEN25_MIN_PIXELS,
    max_pixels: int = QWEN25_MAX_PIXELS,
    factor: int = QWEN25_FACTOR,
) -> tuple[int, int]:
    """(width, height) of the image after one Qwen ``smart_resize`` (rule in the module docstring).

    >>> qwen25_resized_size(800, 600)  # lmms-eval's qwen2_5_vl defaults
    (812, 588)
    """
    h, w = _smart_resize(height, width, factor, min_pixels, max_pixels)
    return w, h


def qwen25_lmms_eval_size(
    width: int,
    height: int,
    min_pixels: int = QWEN25_MIN_PIXELS,
    max_pixels: int = QWEN25_MAX_PIXELS,
    force_simple: bool = False,
) -> tuple[int, int]:
    """(width, height) of the frame Qwen2.5-VL sees through lmms-eval 0.7.3's ``qwen2_5_vl`` backend
    with ``min_pixels``/``max_pixels`` from its model_args: the default chat class resizes twice
    (qwen_vl_utils' defaults, then the processor's bounds), ``--force_simple`` once.

    >>> qwen25_lmms_eval_size(1920, 1080), qwen25_lmms_eval_size(1920, 1080, force_simple=True)
    ((1680, 952), (1680, 924))
    """
    if force_simple:
        return qwen25_resized_size(width, height, min_pixels, max_pixels)
    f = QWEN25_FACTOR
    first = qwen25_resized_size(width, height, QWEN_VL_UTILS_MIN_TOKENS * f * f, QWEN_VL_UTILS_MAX_TOKENS * f * f)
    return qwen25_resized_size(*first, min_pixels, max_pixels)


def rescale_box(
    box: tuple[float, float, float, float], frame: tuple[int, int], image: tuple[int, int]
) -> tuple[float, float, float, float]:
    """A box ``(x1, y1, x2, y2)`` in pixels of a resized ``frame`` (width, height), in pixels of the
    original ``image`` (width, height): the resize stretches the whole image, so each axis scales.

    >>> rescale_box((203, 147, 406, 294), (812, 588), (800, 600))
    (200.0, 150.0, 400.0, 300.0)
    """
    sx, sy = image[0] / frame[0], image[1] / frame[1]
    x1, y1, x2, y2 = box
    return (x1 * sx, y1 * sy, x2 * sx, y2 * sy)


def center_square(width: int, height: int) -> tuple[float, float, float]:
    """``(x0, y0, side)`` of the central square of an image, in its pixels: the part LLaVA-1.5 sees
    through transformers' ``CLIPImageProcessor`` (shortest edge resized to 336, then a 336x336 centre
    crop, as llava-hf/llava-1.5-7b-hf ships it and lmms-eval's ``llava_hf`` uses it), to within one
    pixel of the 336 frame. A fraction ``(fx, fy)`` of that square is ``(x0 + fx*side, y0 + fy*side)``.

    >>> center_square(800, 600)
    (100.0, 0.0, 600)
    """
    side = min(width, height)
    return ((width - side) / 2, (height - side) / 2, side)


def padded_square(width: int, height: int) -> tuple[float, float, float]:
    """``(x0, y0, side)`` of the square the original LLaVA-1.5 code pads an image to
    (``expand2square``, ``image_aspect_ratio: pad``), in the image's pixels: x0/y0 are negative on the
    padded axis. A fraction ``(fx, fy)`` of that square is ``(x0 + fx*side, y0 + fy*side)``.

    >>> padded_square(800, 600)
    (0.0, -100.0, 800)
    """
    side = max(width, height)
    return ((width - side) / 2, (height - side) / 2, side)


FRAMES: tuple[str, ...] = ("image", "qwen25", "center_square", "padded_square")


@dataclass(frozen=True)
class Frame:
    """The frame a model's box coordinates are in, relative to the original image.

    ``image``: the original image. ``qwen25``: Qwen2.5-VL's resized input through lmms-eval's
    ``qwen2_5_vl`` backend (``qwen25_lmms_eval_size`` with ``min_pixels``, ``max_pixels`` and
    ``force_simple`` as in its model_args). ``center_square`` / ``padded_square``: the square
    LLaVA-1.5 sees through ``llava_hf`` (a centre crop) or its original code (padding).
    """

    kind: str = "image"
    min_pixels: int = QWEN25_MIN_PIXELS
    max_pixels: int = QWEN25_MAX_PIXELS
    force_simple: bool = False

    def __post_init__(self) -> None:
        if self.kind not in FRAMES:
            raise ValueError(f"unknown frame {self.kind!r}; known: {', '.join(FRAMES)}")
        if not 0 < self.min_pixels <= self.max_pixels:
            raise ValueError(f"need 0 < min_pixels <= max_pixels, got {self.min_pixels}, {self.max_pixels}")

    def geometry(self, width: float, height: float) -> tuple[float, float, float, float, float, float]:
        """``(x0, y0, frame_width, frame_height, sx, sy)``: the frame's pixel ``(u, v)`` is the
        original image's ``(x0 + u * sx, y0 + v * sy)``."""
        if self.kind == "qwen25" and width >= 1 and height >= 1:
            fw, fh = qwen25_lmms_eval_size(int(width), int(height), self.min_pixels, self.max_pixels, self.force_simple)
            return 0.0, 0.0, float(fw), float(fh), width / fw, height / fh
        if self.kind in ("center_square", "padded_square"):
            x0, y0, side = (center_square if self.kind == "center_square" else padded_square)(width, height)
            return x0, y0, float(side), float(side), 1.0, 1.0
        return 0.0, 0.0, float(width), float(height), 1.0, 1.0


IMAGE_FRAME = Frame()
