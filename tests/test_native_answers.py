"""The hand computations of tests/native_answers.py, checked: the numbers of each answer, read in the
family's frame (utils/frames.py), are the expected pixel boxes, and those boxes are the ships."""

from __future__ import annotations

import re

import pytest
from native_answers import IMAGE_SIZE, NATIVE_ANSWERS, SHIPS

from sarchat_tasks.utils.frames import center_square, padded_square, qwen25_lmms_eval_size, rescale_box

W, H = IMAGE_SIZE


def _quads(text: str) -> list[tuple[float, ...]]:
    numbers = [float(n) for n in re.findall(r"(?<![\w.])\d+(?:\.\d+)?", text)]
    assert len(numbers) % 4 == 0, text
    return [tuple(numbers[i : i + 4]) for i in range(0, len(numbers), 4)]


def _per_mille(q):
    return (q[0] * W / 1000, q[1] * H / 1000, q[2] * W / 1000, q[3] * H / 1000)


def _square(q, frame):
    x0, y0, side = frame
    return (x0 + q[0] * side, y0 + q[1] * side, x0 + q[2] * side, y0 + q[3] * side)


READ = {
    "qwen2_vl": _per_mille,
    "qwen3_vl": _per_mille,
    "internvl_hf": _per_mille,
    "qwen2_5_vl": lambda q: rescale_box(q, qwen25_lmms_eval_size(W, H), IMAGE_SIZE),
    "gemma3": lambda q: _per_mille((q[1], q[0], q[3], q[2])),
    "llava_hf": lambda q: _square(q, center_square(W, H)),
    "llava_1_5_padded": lambda q: _square(q, padded_square(W, H)),
}


def _iou(a, b) -> float:
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = w * h
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def test_every_family_has_answers():
    assert set(NATIVE_ANSWERS) == set(READ)


@pytest.mark.parametrize("family", sorted(NATIVE_ANSWERS))
def test_answers_state_their_expected_boxes(family):
    for text, boxes in NATIVE_ANSWERS[family]:
        read = [READ[family](q) for q in _quads(text)]
        assert len(read) == len(boxes), text
        for got, want in zip(read, boxes):
            assert got == pytest.approx(want, abs=1e-6), (text, got, want)
        for box, ship in zip(boxes, SHIPS):
            assert _iou(box, ship) >= 0.95, (family, box, ship)
