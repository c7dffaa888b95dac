"""How an image file becomes the picture a model sees: one rule for every image mode PIL opens.

SAR users hold 8-bit JPEGs and PNGs, but also 16-bit and floating-point amplitude GeoTIFFs;
``PIL.Image.convert("RGB")`` clips those (a 16-bit amplitude image turns nearly white). Every
stage that shows an image (prepare's check, ``doc_to_visual``, the baselines, the fine-tuning
loop, the exported lmms-eval tasks) goes through ``display_rgb``, so a model sees the same
pixels wherever it runs. The rule (docs/DATASET.md argues the choices):

* 8-bit modes (``1``, ``L``, ``P``, ``RGB``, ``RGBX``, ``CMYK``, ``YCbCr``): PIL's own conversion
  to RGB, unchanged;
* modes with transparency (``RGBA``, ``RGBa``, ``LA``, ``La``, ``PA``, ``P`` with a transparent
  colour): composited over black, so a no-data mask shows as zero return;
* high-bit-depth and floating-point amplitude (``I;16``, ``I;16L``, ``I;16B``, ``I;16N``, ``I``,
  ``F``): a linear stretch of the 2nd to 98th percentile of the finite pixels onto 0..255
  (``value = floor((x - p2) / (p98 - p2) * 255 + 0.5)``, clipped), grey in R, G and B; when the
  two percentiles are equal the minimum and maximum are used instead; non-finite pixels (NaN,
  infinities) are black;
* a multi-page file shows its first page; further pages must be reduced-resolution overviews
  (smaller than the first): pages of the same size are bands of one scene (polarisations, dates)
  that one picture cannot show, and such a file is refused;
* any other mode (``LAB``, ``HSV``, ...) is refused.

Images over ``max_pixels`` (default: PIL's own decompression-bomb limit) are refused from their
header, before any pixel is decoded; ``sarchat prepare --max-image-pixels`` raises the limit and
records it with the rule in the set's manifest.

Only numpy and PIL are used here: ``sarchat export-upstream`` pastes this module into the
exported tasks' ``utils.py``.
"""

import warnings

import numpy as np
from PIL import Image

DISPLAY_RULE = "sarchat-display-1"
LOW_PERCENTILE = 2.0
HIGH_PERCENTILE = 98.0
DEFAULT_MAX_PIXELS = 2 * 89_478_485  # PIL's DecompressionBombError threshold (2 x MAX_IMAGE_PIXELS)
EIGHT_BIT_MODES = ("1", "L", "P", "RGB", "RGBX", "CMYK", "YCbCr")
ALPHA_MODES = ("RGBA", "RGBa", "LA", "La", "PA")
AMPLITUDE_MODES = ("I;16", "I;16L", "I;16B", "I;16N", "I", "F")


class ImageRefused(ValueError):
    """An image the rule cannot show faithfully, or one over the pixel limit; the message says why."""


def display_rule(max_pixels: int = DEFAULT_MAX_PIXELS) -> dict:
    """The rule and its parameters, as a prepared set's manifest records them."""
    return {
        "name": DISPLAY_RULE,
        "eight_bit": "PIL convert('RGB')",
        "alpha": "composited over black",
        "amplitude_modes": list(AMPLITUDE_MODES),
        "amplitude_stretch": "linear",
        "low_percentile": LOW_PERCENTILE,
        "high_percentile": HIGH_PERCENTILE,
        "non_finite": "black",
        "pages": "first page; further pages must be smaller overviews",
        "max_pixels": int(max_pixels),
    }


def _allow(max_pixels: int) -> None:
    """Let PIL open images up to ``max_pixels``: PIL raises above twice its MAX_IMAGE_PIXELS."""
    current = Image.MAX_IMAGE_PIXELS
    if current is not None and max_pixels > 2 * current:
        Image.MAX_IMAGE_PIXELS = max_pixels // 2 + 1


def open_image(path, max_pixels: int = DEFAULT_MAX_PIXELS):
    """``PIL.Image.open(path)`` (no pixel decoded), refused with ``ImageRefused`` over ``max_pixels``.
    Raises ``OSError`` / ``PIL.UnidentifiedImageError`` as PIL does for a missing or unreadable file."""
    _allow(max_pixels)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            image = Image.open(path)
        except Image.DecompressionBombError as exc:
            raise ImageRefused(f"over the limit of {max_pixels:,} pixels ({exc}); {_RAISE}") from exc
    width, height = image.size
    if width * height > max_pixels:
        image.close()
        raise ImageRefused(f"{width}x{height} = {width * height:,} pixels, over the limit of {max_pixels:,}; {_RAISE}")
    return image


_RAISE = "pass --max-image-pixels N to accept larger images (a guard against decompression bombs)"


def display_problem(image) -> str | None:
    """Why an opened image cannot be shown by the rule, from its header only (mode and pages), or None."""
    mode = image.mode
    if mode not in EIGHT_BIT_MODES + ALPHA_MODES + AMPLITUDE_MODES:
        return f"in mode {mode}, which the display rule does not show (docs/DATASET.md)"
    pages = getattr(image, "n_frames", 1)
    if pages > 1:
        first = image.size
        try:
            for page in range(1, pages):
                image.seek(page)
                if image.size[0] >= first[0] and image.size[1] >= first[1]:
                    return (
                        f"a {pages}-page file whose page {page + 1} is as large as the first ({image.size[0]}x"
                        f"{image.size[1]}): bands of one scene cannot be shown as one picture; save one band per file"
                    )
        finally:
            image.seek(0)
    return None


def stretch_amplitude(values: np.ndarray) -> np.ndarray:
    """The rule's stretch of a 2-D amplitude array onto uint8 (see the module docstring)."""
    values = np.asarray(values, dtype=np.float64)
    finite = np.isfinite(values)
    out = np.zeros(values.shape, dtype=np.uint8)
    if not finite.any():
        return out
    kept = values[finite]
    low, high = np.percentile(kept, [LOW_PERCENTILE, HIGH_PERCENTILE])
    if not high > low:
        low, high = float(kept.min()), float(kept.max())
    if not high > low:
        return out
    scaled = np.floor((kept - low) / (high - low) * 255.0 + 0.5)
    out[finite] = np.clip(scaled, 0, 255).astype(np.uint8)
    return out


def display_rgb(image):
    """The RGB picture the rule makes of an opened PIL image (first page); raises ``ImageRefused``
    for an image the rule refuses."""
    problem = display_problem(image)
    if problem is not None:
        raise ImageRefused(problem)
    mode = image.mode
    if mode == "P" and "transparency" in image.info:
        image, mode = image.convert("RGBA"), "RGBA"
    if mode in AMPLITUDE_MODES:
        grey = stretch_amplitude(np.asarray(image))
        return Image.fromarray(np.repeat(grey[:, :, None], 3, axis=2), mode="RGB")
    if mode in ALPHA_MODES:
        rgba = np.asarray(image.convert("RGBA"), dtype=np.uint16)
        # premultiplied modes (RGBa, La) already hold colour x alpha: convert("RGBA") undoes it
        composite = (rgba[:, :, :3] * rgba[:, :, 3:4] + 127) // 255
        return Image.fromarray(composite.astype(np.uint8), mode="RGB")
    return image.convert("RGB")


def load_display_rgb(path, max_pixels: int = DEFAULT_MAX_PIXELS):
    """Open ``path`` and return the rule's RGB picture of it (decoded now)."""
    with open_image(path, max_pixels) as image:
        return display_rgb(image)
