"""The CA-CFAR detector: hand-checkable targets, false-alarm rate, clutter model, real-image inputs."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest
from PIL import Image
from scipy import ndimage, stats

from sarchat_tasks.baselines import cfar
from sarchat_tasks.build import synth
from sarchat_tasks.utils.matching import match_boxes


def _clutter(shape: tuple[int, int], looks: int, seed: int, sigma: float = 0.01) -> np.ndarray:
    """Gamma speckle of ``looks`` looks on a flat reflectivity, as 8-bit amplitude (like synth)."""
    rng = np.random.default_rng(seed)
    return sigma * rng.gamma(looks, 1.0 / looks, size=shape)


def _to_8bit(intensity: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(np.sqrt(intensity) * 255.0), 0, 255).astype(np.uint8)


def _assert_box_close(found, expected, tol: int = 2) -> None:
    assert all(abs(a - b) <= tol for a, b in zip(found, expected, strict=True)), (found, expected)


@pytest.mark.parametrize("looks", [1, 2, 4])
def test_single_bright_square_is_found_with_its_box(looks):
    intensity = _clutter((256, 256), looks, seed=looks)
    intensity[100:112, 60:72] = 1.0  # 20 dB above the clutter
    detections = cfar.detect(_to_8bit(intensity))
    assert len(detections) == 1
    _assert_box_close(detections[0].box, (60, 100, 72, 112))


def test_speckled_rectangle_target_is_found_with_its_box():
    intensity = _clutter((300, 260), 3, seed=7)
    rng = np.random.default_rng(8)
    intensity[40:48, 150:180] = 0.5 * rng.gamma(3, 1 / 3, size=(8, 30))  # a speckled ship-like return
    detections = cfar.detect(_to_8bit(intensity))
    assert len(detections) == 1
    _assert_box_close(detections[0].box, (150, 40, 180, 48))
    assert detections[0].elongation > 2.5


def test_two_targets_close_together_are_both_found():
    """Each target lies in the other's training ring; censoring keeps the threshold down."""
    intensity = _clutter((256, 256), 2, seed=3)
    intensity[120:128, 100:108] = 0.3
    intensity[120:128, 125:133] = 2.0  # much brighter neighbour 17 px away
    detections = cfar.detect(_to_8bit(intensity))
    boxes = sorted(d.box for d in detections)
    assert len(boxes) == 2
    _assert_box_close(boxes[0], (100, 120, 108, 128))
    _assert_box_close(boxes[1], (125, 120, 133, 128))


@pytest.mark.parametrize(("side", "size"), [(256, 40), (400, 77), (512, 60)])
def test_target_larger_than_the_guard_window_is_found(side, size):
    """The robust pre-screen keeps a large target out of its own training cells."""
    intensity = _clutter((side, side), 2, seed=side)
    intensity[30 : 30 + size, 50 : 50 + size // 2] = 0.6
    guard, _ = cfar.CFARConfig().windows(side, side)
    assert size > 2 * guard + 1
    (detection,) = cfar.detect(_to_8bit(intensity))
    _assert_box_close(detection.box, (50, 30, 50 + size // 2, 30 + size))


@pytest.mark.parametrize("looks", [1, 4])
def test_flat_clutter_false_alarm_rate_matches_pfa(looks):
    """Pixel exceedances on pure gamma clutter are close to the Pfa (8-bit rounding and the ENL
    estimate's small bias push it up a little), and no object survives at the default Pfa."""
    pfa = 1e-3
    exceed = 0
    pixels = 0
    for seed in range(3):
        image = _to_8bit(_clutter((320, 320), looks, seed=100 + seed, sigma=0.02))
        maps = cfar.cfar_maps(image, cfar.CFARConfig(pfa=pfa, censor=False))
        exceed += int(maps.detections.sum())
        pixels += image.size
        assert cfar.detect(image) == []
    rate = exceed / pixels
    assert 0.5 * pfa < rate < 2.5 * pfa, rate


def test_threshold_factor_is_the_f_quantile_and_tends_to_the_gamma_quantile():
    # one look, many training cells: exponential clutter, threshold = -ln(Pfa)
    assert cfar.threshold_factor(1e-5, 1.0, 10**7) == pytest.approx(-math.log(1e-5), rel=1e-3)
    assert cfar.threshold_factor(1e-4, 4.0, 10**7) == pytest.approx(stats.gamma.isf(1e-4, 4, scale=0.25), rel=1e-3)
    # a few training cells: the mean's own noise raises the threshold (classic CA-CFAR for L=1:
    # alpha = N (Pfa^(-1/N) - 1))
    n = 16
    assert cfar.threshold_factor(1e-4, 1.0, n) == pytest.approx(n * (1e-4 ** (-1 / n) - 1), rel=1e-6)
    with pytest.raises(ValueError):
        cfar.threshold_factor(0.0, 1.0, 10)


@pytest.mark.parametrize("looks", [1, 2, 4])
def test_enl_estimate(looks):
    intensity = _clutter((256, 256), looks, seed=looks + 20)
    assert cfar.estimate_enl(intensity, intensity > 0) == pytest.approx(looks, rel=0.12)


def test_no_data_border_raises_no_false_alarms():
    intensity = _clutter((320, 320), 2, seed=5, sigma=0.03)
    image = _to_8bit(intensity)
    image[:, :40] = 0  # black padding, as in rotated or cropped SAR products
    image[-30:, :] = 0
    assert cfar.detect(image) == []


def test_windows_follow_the_image_size():
    config = cfar.CFARConfig()
    assert config.windows(512, 512) == (20, 15)
    assert config.windows(800, 600) == (24, 18)
    assert config.windows(224, 224) == (9, 7)


@pytest.mark.parametrize(
    "convert",
    [
        lambda a: Image.fromarray(a, mode="L"),
        lambda a: Image.fromarray(np.stack([a] * 3, axis=2), mode="RGB"),
        lambda a: np.stack([a] * 3, axis=2),
        lambda a: a,
    ],
)
def test_one_or_three_channels_pil_or_array(convert):
    intensity = _clutter((224, 240), 2, seed=9)
    intensity[50:60, 50:62] = 1.0
    (detection,) = cfar.detect(convert(_to_8bit(intensity)))
    _assert_box_close(detection.box, (50, 50, 62, 60))


def test_jpeg_round_trip_and_large_image(tmp_path):
    intensity = _clutter((800, 800), 3, seed=11)
    intensity[600:640, 300:312] = 0.8
    path = tmp_path / "scene.jpg"
    Image.fromarray(_to_8bit(intensity), mode="L").save(path, quality=85)
    start = time.perf_counter()
    with Image.open(path) as pil:
        detections = cfar.detect(pil)
    assert time.perf_counter() - start < 5.0
    assert len(detections) == 1
    _assert_box_close(detections[0].box, (300, 600, 312, 640))


def test_detects_most_synthetic_ships_at_sea():
    found = expected = 0
    for index in (0, 6, 12, 18):  # sea scenes
        image = synth.generate_image(4, index)
        detections = cfar.detect(image.pixels)
        gt = [box for _, box in image.objects]
        found += match_boxes([d.box for d in detections], gt, 0.25).tp
        expected += len(gt)
        assert all(d.category in ("ship", "bridge", "car", "tank", "aircraft", "harbor") for d in detections)
    assert found >= 0.8 * expected, (found, expected)


def test_detection_is_deterministic():
    image = synth.generate_image(4, 3).pixels
    assert cfar.detect(image) == cfar.detect(image.copy())


def test_category_rules():
    W = H = 512
    # small target on dark water
    assert cfar.classify_region((100, 100, 130, 110), 3.0, 20.0, W, H) == "ship"
    # long thin target reaching land at its ends
    assert cfar.classify_region((100, 100, 200, 108), 12.0, 60.0, W, H, land_fraction=0.5) == "bridge"
    # the same shape in open water is a long ship
    assert cfar.classify_region((100, 100, 200, 108), 12.0, 20.0, W, H, land_fraction=0.05) == "ship"
    # a sparse cross longer than a tank
    assert cfar.classify_region((100, 100, 140, 140), 1.2, 25.0, W, H, compactness=0.3) == "aircraft"
    # land: by length
    assert cfar.classify_region((100, 100, 108, 104), 2.0, 80.0, W, H) == "car"
    assert cfar.classify_region((100, 100, 114, 108), 1.8, 80.0, W, H) == "tank"
    assert cfar.classify_region((100, 100, 140, 130), 1.3, 80.0, W, H) == "aircraft"
    # very large compact structure
    assert cfar.classify_region((100, 100, 260, 260), 1.5, 40.0, W, H) == "harbor"


def test_classify_box_prefers_an_overlapping_detection():
    intensity = _clutter((256, 256), 2, seed=2)
    intensity[100:110, 100:130] = 1.0
    image = _to_8bit(intensity)
    detections = cfar.detect(image)
    assert cfar.classify_box(image, (99, 99, 131, 111), detections) == detections[0].category
    # no detection there: the rules applied to the box itself (dark clutter all round: water)
    assert cfar.classify_box(image, (10, 10, 30, 20), detections) == "ship"


def test_integral_window_sums_equal_box_filters():
    values = np.random.default_rng(0).random((41, 57))
    table = cfar._integral(values, 9)
    for half in (0, 2, 9):
        expected = ndimage.uniform_filter(values, 2 * half + 1, mode="constant") * (2 * half + 1) ** 2
        np.testing.assert_allclose(cfar._window_sum(table, half, 9, values.shape), expected, atol=1e-9)
