"""The frames models answer in (utils/frames.py): hand-computed Qwen smart_resize cases, the same rule
checked against its two reference implementations (qwen_vl_utils and transformers), and the two
resizes of lmms-eval's qwen2_5_vl chat backend checked against the processing it runs."""

from __future__ import annotations

import itertools

import pytest

from sarchat_tasks.utils.frames import (
    QWEN25_MAX_PIXELS,
    QWEN25_MIN_PIXELS,
    center_square,
    padded_square,
    qwen25_lmms_eval_size,
    qwen25_resized_size,
    rescale_box,
)


def test_backend_defaults_are_lmms_eval_s():
    import inspect

    from lmms_eval.models.simple.qwen2_5_vl import Qwen2_5_VL

    params = inspect.signature(Qwen2_5_VL.__init__).parameters
    assert params["min_pixels"].default == QWEN25_MIN_PIXELS == 200704
    assert params["max_pixels"].default == QWEN25_MAX_PIXELS == 1605632


@pytest.mark.parametrize(
    ("size", "bounds", "expected"),
    [
        # round(800/28 = 28.57) = 29 -> 812, round(600/28 = 21.43) = 21 -> 588; 477,456 px within the bounds
        ((800, 600), (QWEN25_MIN_PIXELS, QWEN25_MAX_PIXELS), (812, 588)),
        # 1988 x 1988 = 3,952,144 > max: beta = sqrt(4e6 / 1605632) = 1.5784; 2000 / beta = 1267.1 -> 45 * 28
        ((2000, 2000), (QWEN25_MIN_PIXELS, QWEN25_MAX_PIXELS), (1260, 1260)),
        # 252 x 252 = 63,504 < min: beta = sqrt(200704 / 65536) = 1.75 exactly; 256 * 1.75 = 448 = 16 * 28
        ((256, 256), (QWEN25_MIN_PIXELS, QWEN25_MAX_PIXELS), (448, 448)),
        # 504 x 392 = 197,568 < min: beta = sqrt(200704 / 196608) = 1.01036; 517.3 -> 19 * 28, 388.0 -> 14 * 28
        ((512, 384), (QWEN25_MIN_PIXELS, QWEN25_MAX_PIXELS), (532, 392)),
        # beta = sqrt(2073600 / 1605632) = 1.13642; 1920 / beta = 1689.5 -> 60 * 28, 1080 / beta = 950.3 -> 33 * 28
        ((1920, 1080), (QWEN25_MIN_PIXELS, QWEN25_MAX_PIXELS), (1680, 924)),
        # the tests' tiny run (max_pixels 12544): beta = sqrt(480000 / 12544) = 6.186; 129.3 -> 112, 97.0 -> 84
        ((800, 600), (3136, 12544), (112, 84)),
    ],
)
def test_hand_computed_sizes(size, bounds, expected):
    assert qwen25_resized_size(*size, *bounds) == expected


def test_chat_backend_resizes_twice():
    # qwen_vl_utils' defaults first: 1920 -> 69 * 28 = 1932, 1080 -> 39 * 28 = 1092 (2,109,744 px, within);
    # then the processor's max: beta = sqrt(2109744 / 1605632) = 1.14628; 1685.5 -> 1680, 952.6 -> 34 * 28 = 952
    assert qwen25_lmms_eval_size(1920, 1080) == (1680, 952)
    assert qwen25_lmms_eval_size(1920, 1080, force_simple=True) == (1680, 924)
    assert qwen25_lmms_eval_size(800, 600) == qwen25_lmms_eval_size(800, 600, force_simple=True) == (812, 588)
    # small non-square images, upscaled to min_pixels, differ too. 384 x 512 (a bundled sample size):
    # simple: 392 x 504 = 197,568 < min, beta = sqrt(200704 / 196608) = 1.01036: 388.0 -> 14 * 28, 517.3 -> 19 * 28.
    # chat: qwen_vl_utils gives 392 x 504 first; beta = sqrt(200704 / 197568) = 1.00791 from that size:
    # 392 * beta = 395.1 -> 15 * 28 = 420, 504 * beta = 508.0 -> 19 * 28 = 532
    assert qwen25_lmms_eval_size(384, 512, force_simple=True) == (392, 532)
    assert qwen25_lmms_eval_size(384, 512) == (420, 532)


# Sides of 28 px and more. On degenerate sizes the references differ (utils/frames.py): below 14 px
# transformers rounds a side to 0; a side that shrinks under 28 px qwen_vl_utils floors to 0.
SIZES = [28, 50, 99, 224, 255, 256, 300, 333, 384, 416, 448, 480, 512, 600, 640, 799, 800, 1023, 1333, 2000, 4001]
BOUNDS = [(QWEN25_MIN_PIXELS, QWEN25_MAX_PIXELS), (3136, 12845056), (3136, 12544), (256 * 28 * 28, 256 * 28 * 28)]


def test_matches_qwen_vl_utils_smart_resize():
    from qwen_vl_utils.vision_process import smart_resize

    for (w, h), (lo, hi) in itertools.product(itertools.product(SIZES, SIZES), BOUNDS):
        if max(w, h) / min(w, h) > 200:  # the reference refuses these
            continue
        ref_h, ref_w = smart_resize(h, w, factor=28, min_pixels=lo, max_pixels=hi)
        if 0 in (ref_h, ref_w):
            continue
        assert qwen25_resized_size(w, h, lo, hi) == (ref_w, ref_h), (w, h, lo, hi)


def test_matches_transformers_smart_resize():
    from transformers.models.qwen2_vl.image_processing_qwen2_vl import smart_resize

    for (w, h), (lo, hi) in itertools.product(itertools.product(SIZES, SIZES), BOUNDS):
        if max(w, h) / min(w, h) > 200:
            continue
        ref_h, ref_w = smart_resize(h, w, factor=28, min_pixels=lo, max_pixels=hi)
        if 0 in (ref_h, ref_w):
            continue
        assert qwen25_resized_size(w, h, lo, hi) == (ref_w, ref_h), (w, h, lo, hi)


@pytest.mark.parametrize(
    "size", [(800, 600), (1920, 1080), (256, 256), (3000, 1000), (100, 50), (384, 512), (500, 353), (200, 212)]
)
def test_chat_backend_size_is_what_its_processing_produces(size):
    """The steps of lmms-eval 0.7.3's chat ``qwen2_5_vl.generate_until``: the image goes to
    ``process_vision_info`` with no pixel bounds, then to the processor built with the model_args."""
    from PIL import Image
    from qwen_vl_utils import process_vision_info
    from transformers import Qwen2VLImageProcessor

    image = Image.new("RGB", size)
    messages = [[{"role": "user", "content": [{"type": "image", "image": image}, {"type": "text", "text": "x"}]}]]
    images, _ = process_vision_info(messages)
    processor = Qwen2VLImageProcessor(min_pixels=QWEN25_MIN_PIXELS, max_pixels=QWEN25_MAX_PIXELS)
    _, grid_h, grid_w = processor(images=images, return_tensors="pt")["image_grid_thw"][0].tolist()
    assert qwen25_lmms_eval_size(*size) == (grid_w * 14, grid_h * 14)


def test_rescale_box_maps_the_resized_frame_back():
    # 812 / 800 = 1.015, 588 / 600 = 0.98: (203, 147) * (800 / 812, 600 / 588) = (200, 150)
    assert rescale_box((203, 147, 406, 294), (812, 588), (800, 600)) == pytest.approx((200, 150, 400, 300))


def test_llava_squares():
    # 800 x 600: the centre crop keeps x 100..700; the pad adds 100 rows above and below
    assert center_square(800, 600) == (100.0, 0.0, 600)
    assert center_square(600, 800) == (0.0, 100.0, 600)
    assert padded_square(800, 600) == (0.0, -100.0, 800)
    assert padded_square(512, 512) == (0.0, 0.0, 512)
