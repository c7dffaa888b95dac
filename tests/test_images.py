"""The display rule (``sarchat_tasks.images``): what every image mode becomes, by hand-computed
pixels, and the images it refuses. The end-to-end runs through lmms-eval are in
tests/test_image_modes_runs.py."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from sarchat_tasks.images import (
    DEFAULT_MAX_PIXELS,
    ImageRefused,
    display_problem,
    display_rgb,
    display_rule,
    load_display_rgb,
    open_image,
    stretch_amplitude,
)

# 0, 100, ..., 9900 on a 10 x 10 grid: the 2nd percentile (linear interpolation, position
# 0.02 * 99 = 1.98) is 198 and the 98th (position 97.02) is 9702, so the stretch is
# floor((x - 198) / 9504 * 255 + 0.5): 5000 -> floor(129.34) = 129, 300 -> floor(3.24) = 3,
# 200 -> floor(0.55) = 0, 0 -> 0 (clipped), 9900 -> 255 (clipped).
RAMP = (np.arange(100, dtype=np.int64) * 100).reshape(10, 10)
RAMP_EXPECTED = {0: 0, 200: 0, 300: 3, 5000: 129, 9900: 255}


def amplitude_image(values: np.ndarray, mode: str) -> Image.Image:
    """An amplitude image of ``mode`` (I;16 little-endian, I;16B big-endian, I 32-bit, F float) holding ``values``."""
    dtype = {"I;16": "<u2", "I;16B": ">u2", "I": "=i4", "F": "=f4"}[mode]
    height, width = values.shape
    return Image.frombytes(mode, (width, height), np.ascontiguousarray(values, dtype=dtype).tobytes())


def _grey(picture: Image.Image) -> np.ndarray:
    assert picture.mode == "RGB"
    array = np.asarray(picture)
    assert (array[:, :, 0] == array[:, :, 1]).all() and (array[:, :, 1] == array[:, :, 2]).all()
    return array[:, :, 0]


def _check_ramp(picture: Image.Image) -> None:
    grey = _grey(picture)
    for value, expected in RAMP_EXPECTED.items():
        index = int(value / 100)
        assert grey.flat[index] == expected, (value, grey.flat[index])


@pytest.mark.parametrize("mode", ["I;16", "I;16B", "I"])
def test_integer_amplitude_is_stretched_between_the_2nd_and_98th_percentiles(mode, tmp_path):
    image = amplitude_image(RAMP, mode)
    assert image.mode == mode
    path = tmp_path / "ramp.tif"
    image.save(path)
    with Image.open(path) as reopened:
        assert reopened.mode == mode
        _check_ramp(display_rgb(reopened))
    _check_ramp(load_display_rgb(path))


def test_float_amplitude_is_stretched_and_non_finite_pixels_are_black(tmp_path):
    values = RAMP.astype(np.float32) / 100  # 0.0 .. 99.0: the same ramp, so the same picture
    path = tmp_path / "ramp_float.tif"
    amplitude_image(values, "F").save(path)
    _check_ramp(load_display_rgb(path))
    # NaN and infinities are left out of the percentiles and shown black
    with_gaps = np.full((10, 11), np.nan, dtype=np.float32)
    with_gaps[:, :10] = values
    with_gaps[0, 10] = np.inf
    picture = _grey(display_rgb(amplitude_image(with_gaps, "F")))
    assert (picture[:, 10] == 0).all()
    assert picture[5, 0] == 129 and picture[9, 9] == 255 and picture[0, 3] == 3


def test_flat_percentiles_fall_back_to_minimum_and_maximum():
    # 99 zero pixels (no-data fill) and one target of 1000: both percentiles are 0, so the
    # stretch is min-max: the target is white, the rest black (a percentile cut would hide it)
    values = np.zeros((10, 10), dtype=np.float32)
    values[4, 4] = 1000
    assert stretch_amplitude(values)[4, 4] == 255 and stretch_amplitude(values).sum() == 255
    assert stretch_amplitude(np.full((3, 3), 7.0)).max() == 0  # nothing to show: black
    assert stretch_amplitude(np.full((3, 3), np.nan)).max() == 0


def test_eight_bit_modes_keep_their_pixels():
    grey = np.array([[0, 46, 255]], dtype=np.uint8)
    assert (_grey(display_rgb(Image.fromarray(grey, mode="L"))) == grey).all()
    bilevel = Image.fromarray(np.array([[0, 255]], dtype=np.uint8), mode="L").convert("1")
    assert (_grey(display_rgb(bilevel)) == [[0, 255]]).all()
    palette = Image.new("P", (2, 1))
    palette.putpalette([10, 20, 30, 200, 100, 50] + [0] * 762)
    palette.putpixel((1, 0), 1)
    assert np.asarray(display_rgb(palette)).tolist() == [[[10, 20, 30], [200, 100, 50]]]
    cmyk = Image.new("CMYK", (2, 1))
    cmyk.putpixel((1, 0), (0, 0, 0, 255))  # no ink is white, full black ink is black
    assert np.asarray(display_rgb(cmyk)).tolist() == [[[255, 255, 255], [0, 0, 0]]]


def test_transparency_is_composited_over_black():
    rgba = Image.new("RGBA", (2, 1))
    rgba.putpixel((0, 0), (200, 100, 50, 128))  # (c * 128 + 127) // 255: 100, 50, 25
    rgba.putpixel((1, 0), (200, 100, 50, 255))
    assert np.asarray(display_rgb(rgba)).tolist() == [[[100, 50, 25], [200, 100, 50]]]
    la = Image.new("LA", (1, 1), (90, 0))  # fully transparent: no data, black
    assert np.asarray(display_rgb(la)).tolist() == [[[0, 0, 0]]]
    palette = Image.new("P", (2, 1))
    palette.putpalette([10, 20, 30, 200, 100, 50] + [0] * 762)
    palette.putpixel((1, 0), 1)
    palette.info["transparency"] = 0
    assert np.asarray(display_rgb(palette)).tolist() == [[[0, 0, 0], [200, 100, 50]]]


def test_multi_page_files_show_the_first_page_or_are_refused(tmp_path):
    first = Image.fromarray(np.full((8, 8), 40, dtype=np.uint8), mode="L")
    overview = Image.fromarray(np.full((4, 4), 200, dtype=np.uint8), mode="L")
    pyramid = tmp_path / "pyramid.tif"
    first.save(pyramid, save_all=True, append_images=[overview])
    assert (_grey(load_display_rgb(pyramid)) == 40).all()
    bands = tmp_path / "bands.tif"
    first.save(bands, save_all=True, append_images=[overview.resize((8, 8))])
    with Image.open(bands) as image:
        assert "2-page file whose page 2 is as large as the first" in display_problem(image)
    with pytest.raises(ImageRefused, match="bands of one scene"):
        load_display_rgb(bands)


def test_other_modes_are_refused():
    with pytest.raises(ImageRefused, match="mode LAB"):
        display_rgb(Image.new("LAB", (2, 2)))


def forged_png(path: Path, width: int, height: int) -> Path:
    """A PNG whose header claims ``width`` x ``height`` grey pixels (with valid chunk CRCs) and
    whose data is a few bytes: a decompression bomb's header, without the memory."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    body = zlib.compress(b"\x00" * 64)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b""))
    return path


def test_images_over_the_pixel_limit_are_refused_from_the_header(tmp_path):
    bomb = forged_png(tmp_path / "bomb.png", 20000, 20000)
    with pytest.raises(ImageRefused, match=f"over the limit of {DEFAULT_MAX_PIXELS:,}.*--max-image-pixels"):
        open_image(bomb)
    with open_image(bomb, 400_000_000) as image:  # the limit raised: the header opens
        assert image.size == (20000, 20000)
    small = tmp_path / "small.png"
    Image.new("L", (20, 20)).save(small)
    with pytest.raises(ImageRefused, match="20x20 = 400 pixels, over the limit of 399"):
        open_image(small, 399)


def test_the_rule_record_names_its_parameters():
    rule = display_rule(1234)
    assert rule["name"] == "sarchat-display-1"
    assert (rule["low_percentile"], rule["high_percentile"], rule["max_pixels"]) == (2.0, 98.0, 1234)
