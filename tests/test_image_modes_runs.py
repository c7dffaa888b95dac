"""Every image mode through ``sarchat prepare`` and the real lmms-eval: the pixels the model
receives are the display rule's (``sarchat_tasks.images``, docs/DATASET.md), for the
``sarchat_cfar`` baseline and for lmms-eval's ``qwen2_vl`` backend on a tiny random Qwen2-VL.

lmms-eval runs in a child process through a small driver that records what reaches the model (the
visuals the baseline gets from ``doc_to_visual``; the images the Qwen2-VL processor is called
with) and then starts lmms-eval's own CLI."""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from test_images import amplitude_image

from sarchat_tasks.images import load_display_rgb

pytestmark = pytest.mark.slow  # runs lmms-eval and builds a model

SIZE = 56  # a multiple of Qwen2-VL's 28-pixel patch, within min/max pixels below: never resized

DRIVER = r"""
import os, runpy, sys
import numpy as np

DUMP = os.environ["SARCHAT_TEST_DUMP"]
count = [0]

def save(image):
    count[0] += 1
    np.save(os.path.join(DUMP, f"{os.getpid()}-{count[0]}.npy"), np.asarray(image))

from sarchat_tasks.baselines import models

_answer = models.SARChatCFAR._answer

def recording_answer(self, context, doc_to_visual, doc_id, task, split):
    def recorded(doc):
        visuals = doc_to_visual(doc)
        for visual in visuals:
            save(visual)
        return visuals
    return _answer(self, context, recorded, doc_id, task, split)

models.SARChatCFAR._answer = recording_answer

from transformers.models.qwen2_vl import processing_qwen2_vl

_call = processing_qwen2_vl.Qwen2VLProcessor.__call__

def recording_call(self, *args, **kwargs):
    for image in kwargs.get("images") or []:
        save(image)
    return _call(self, *args, **kwargs)

processing_qwen2_vl.Qwen2VLProcessor.__call__ = recording_call
sys.argv = ["lmms_eval", *sys.argv[1:]]
runpy.run_module("lmms_eval", run_name="__main__")
"""


def _scene() -> np.ndarray:
    """An 8-bit SAR-like scene: gamma clutter with one bright target."""
    rng = np.random.default_rng(7)
    pixels = rng.gamma(4.0, 12.0, size=(SIZE, SIZE))
    pixels[20:30, 24:40] = 230
    return np.clip(pixels, 0, 255).astype(np.uint8)


def mode_images(folder: Path) -> dict[str, Path]:
    """One file per mode (name -> path), all of the same scene."""
    scene = _scene()
    grey = Image.fromarray(scene, mode="L")
    rgb = Image.merge("RGB", (grey, grey, grey))
    alpha = np.full(scene.shape, 255, dtype=np.uint8)
    alpha[:, :8] = 0  # a no-data strip
    images = {
        "1": grey.point(lambda v: 255 if v > 100 else 0).convert("1"),
        "L": grey,
        "P": rgb.convert("P", palette=Image.Palette.ADAPTIVE, colors=64),
        "RGB": rgb,
        "RGBA": Image.merge("RGBA", (grey, grey, grey, Image.fromarray(alpha, mode="L"))),
        "CMYK": rgb.convert("CMYK"),
        "I;16": amplitude_image(scene.astype(np.float64) * 257, "I;16"),  # the full 16-bit range
        "I;16B": amplitude_image(scene.astype(np.float64) * 64 + 1000, "I;16B"),
        "I": amplitude_image(scene.astype(np.float64) * 1000 - 50000, "I"),
        "F": amplitude_image(scene.astype(np.float64) ** 2 / 255.0, "F"),  # intensity-like float
    }
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, image in images.items():
        paths[name] = folder / f"mode_{name.replace(';', '')}.tif"
        image.save(paths[name])
    pages = folder / "mode_pages.tif"
    grey.save(pages, save_all=True, append_images=[grey.resize((SIZE // 2, SIZE // 2))])
    paths["multi-page"] = pages
    return paths


def _digest(array: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(array, dtype=np.uint8).tobytes() + str(array.shape).encode()).hexdigest()


@pytest.fixture(scope="module")
def mode_set(tmp_path_factory, sarchat_command) -> tuple[Path, dict[str, Path]]:
    base = tmp_path_factory.mktemp("modes")
    paths = mode_images(base / "images")
    records = [
        {
            "messages": [
                {"role": "user", "content": "<image>\n[count] Count the ship in this satellite image."},
                {"role": "assistant", "content": "There is 1 instance. {<24><20><40><30>}"},
            ],
            "images": [f"images/{path.name}"],
        }
        for path in paths.values()
    ]
    official = base / "SARChat_classify_count_test.json"
    official.write_text(json.dumps(records), encoding="utf-8")
    done = sarchat_command("prepare", official, "--images", base, "--out", base / "set")
    assert done.returncode == 0, done.stderr
    manifest = json.loads((base / "set" / "manifest.json").read_text())
    assert manifest["image_rule"]["name"] == "sarchat-display-1"
    assert (manifest["image_rule"]["low_percentile"], manifest["image_rule"]["high_percentile"]) == (2.0, 98.0)
    return base / "set", paths


def _received(dump: Path) -> list[np.ndarray]:
    return [np.load(path) for path in sorted(dump.glob("*.npy"))]


def _check_received(received: list[np.ndarray], paths: dict[str, Path], transport=lambda picture: picture) -> None:
    """Each received image is the rule's picture of one file (after ``transport``: what the backend
    does to a picture on its way to the processor), each file's exactly once."""
    # modes made from one scene by a linear map give the same picture: compare as multisets
    expected = {name: _digest(np.asarray(transport(load_display_rgb(path)))) for name, path in paths.items()}
    got = sorted(_digest(array) for array in received)
    assert len(received) == len(paths)
    assert all(array.shape == (SIZE, SIZE, 3) for array in received)
    names = {digest: name for name, digest in expected.items()}
    assert got == sorted(expected.values()), [names.get(d, "unexpected picture") for d in got]


def _dump_command(tmp_path: Path) -> tuple[list[str], dict[str, str]]:
    from lmms_runs import OFFLINE_ENV

    driver = tmp_path / "record_visuals.py"
    driver.write_text(DRIVER, encoding="utf-8")
    dump = tmp_path / "received"
    dump.mkdir()
    return [sys.executable, str(driver)], {**OFFLINE_ENV, "SARCHAT_TEST_DUMP": str(dump)}


def test_the_baseline_receives_the_rule_s_pixels_for_every_mode(mode_set, tmp_path, lmms_eval):
    prepared, paths = mode_set
    command, env = _dump_command(tmp_path)
    run = lmms_eval(
        "--model", "sarchat_cfar", "--tasks", "sarchat_counting", "--include_path", prepared / "tasks",
        "--batch_size", "1", output_path=tmp_path / "out", env=env, command=command,
    )  # fmt: skip
    assert len(run.samples("sarchat_counting")) == len(paths)
    received = _received(tmp_path / "received")
    _check_received(received, paths)
    # the reported bug: a 16-bit scene reached the model nearly white (convert("RGB") clips)
    with Image.open(paths["I;16"]) as image:
        assert np.asarray(image.convert("RGB")).mean() > 250
    sixteen_bit = np.asarray(load_display_rgb(paths["I;16"]))
    assert 30 < sixteen_bit.mean() < 120


def test_a_vlm_receives_the_rule_s_pixels_for_every_mode(mode_set, tmp_path, lmms_eval):
    from tiny_qwen2vl import build_tiny_qwen2vl

    prepared, paths = mode_set
    model = build_tiny_qwen2vl(tmp_path / "tiny_qwen2vl")
    command, env = _dump_command(tmp_path)
    lmms_eval(
        "--model", "qwen2_vl",
        "--model_args", f"pretrained={model},device=cpu,device_map=cpu,min_pixels={SIZE * SIZE},max_pixels=12544",
        "--tasks", "sarchat_counting", "--include_path", prepared / "tasks", "--batch_size", "1",
        output_path=tmp_path / "out", env=env, command=command,
    )  # fmt: skip
    _check_received(_received(tmp_path / "received"), paths, _as_qwen2_vl_sends)


def _as_qwen2_vl_sends(picture: Image.Image) -> Image.Image:
    """lmms-eval's qwen2_vl backend hands a PIL visual to qwen_vl_utils as a JPEG (quality 85) data
    URL, which is decoded again; at this size and pixel budget it is not resized."""
    import base64
    import io

    from lmms_eval.models.model_utils.media_encoder import encode_image_to_data_url

    url = encode_image_to_data_url(picture, image_format="JPEG", mime_type="image/jpeg", convert_rgb=True, quality=85)
    with Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))) as decoded:
        return decoded.convert("RGB")
