"""Near-duplicate pictures by perceptual hash, for keeping test pictures out of training data
beyond byte equality: a test picture saved again as JPEG at another quality, resized, or slightly
brightened has other bytes but nearly the same hash.

The hash is the DCT hash (pHash): the picture in grey levels, resized to 32 x 32, its 2-D DCT-II,
the 8 x 8 lowest frequencies, each bit set where the coefficient is above their median: 64 bits.
Two pictures are near-duplicates when their hashes differ in at most ``DEFAULT_DISTANCE`` bits
(docs/FINETUNE.md gives the measurements behind the threshold).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

__all__ = ["DEFAULT_DISTANCE", "hamming_to_nearest", "perceptual_hash"]

DEFAULT_DISTANCE = 8  # bits of 64
HASH_SIDE = 32
LOW_FREQUENCIES = 8


def perceptual_hash(path: Path | str) -> int:
    """The 64-bit DCT hash of the picture at ``path`` (raises OSError when it cannot be read)."""
    from PIL import Image
    from scipy.fft import dctn

    with Image.open(path) as image:
        grey = image.convert("L").resize((HASH_SIDE, HASH_SIDE), Image.Resampling.LANCZOS)
    pixels = np.asarray(grey, dtype=np.float64)
    low = dctn(pixels, type=2, norm="ortho")[:LOW_FREQUENCIES, :LOW_FREQUENCIES].ravel()
    bits = low > np.median(low)
    return int(np.packbits(bits).view(">u8")[0])


def hamming_to_nearest(hashes: Sequence[int], others: Sequence[int]) -> np.ndarray:
    """For each hash of ``hashes``, the fewest bits in which it differs from any of ``others``
    (65 when ``others`` is empty)."""
    if not len(others):
        return np.full(len(hashes), 65, dtype=np.int64)
    reference = np.array(others, dtype=np.uint64)
    result = np.empty(len(hashes), dtype=np.int64)
    for i, value in enumerate(hashes):
        result[i] = int(np.bitwise_count(reference ^ np.uint64(value)).min())
    return result
