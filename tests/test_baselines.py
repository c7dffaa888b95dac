"""The two baselines: task detection, answer formats the scorer reads back, the blind model's
blindness, lmms-eval plumbing and entry-point registration."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image

from sarchat_tasks.baselines import BLIND_CLASS, CFAR_CLASS, answers, blind_manifest, cfar_manifest
from sarchat_tasks.baselines.models import SARChatBlind, SARChatCFAR
from sarchat_tasks.build import synth
from sarchat_tasks.official import task_of_question
from sarchat_tasks.utils.boxes import parse_boxes
from sarchat_tasks.utils.vocabulary import (
    CATEGORIES,
    CELLS,
    box_area_ratio,
    find_categories,
    find_cells,
    find_shapes,
    find_sizes,
    grid_cell,
    size_word,
)

# Questions as the paper prints them, plus phrasings from the project's template bank.
QUESTIONS = {
    "classification": [
        "Based on these category options (aircraft, bridge, car, harbor, ship, tank), what's visible in this scene?",
        "Using the categories (aircraft, bridge, car, harbor, ship, tank), tell me what appears in this image.",
    ],
    "counting": [
        "[count] Count the ship in this satellite image.",
        "[count] How many tanks are there in this SAR image?",
    ],
    "grounding": ["[grounding] What objects can you identify in this SAR image and where are they located?"],
    "identification": [
        "[identify] What can you identify within these coordinates: {<94><158><129><227>}?",
        "[identify] Could you specify what appears at {<51><65><123><142>}?",
    ],
    "referring": [
        "[refer] Identify 4 ship.",
        "[refer] Locate 1 aircraft.",
        "[refer] Where are the 3 car in this SAR image?",
    ],
    "description": [
        "What do you observe in this satellite imagery?",
        "Describe what you see in this SAR image.",
        "Walk me through what this SAR image shows.",
    ],
}
ALL_QUESTIONS = [(task, q) for task, qs in QUESTIONS.items() for q in qs]


# ---------------------------------------------------------------------------------------------
# Questions.
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("task", "question"), ALL_QUESTIONS)
def test_task_detection(task, question):
    assert task_of_question(question) == task
    assert task_of_question(question.upper() if "[" in question else question) == task


def test_question_parsing():
    q = answers.parse_question("[refer] Identify 4 ship.")
    assert (q.task, q.category, q.number) == ("referring", "ship", 4)
    assert answers.parse_question("[refer] Locate two bridges.").number == 2
    q = answers.parse_question("[count] How many tanks are there in this SAR image?")
    assert (q.task, q.category) == ("counting", "tank")
    q = answers.parse_question("[identify] What can you identify within these coordinates: {<294><358><329><427>}?")
    assert q.box == (294, 358, 329, 427)
    q = answers.parse_question(QUESTIONS["classification"][0])
    assert set(q.options) == set(CATEGORIES)


# ---------------------------------------------------------------------------------------------
# Writers read back by the scorer's readers.
# ---------------------------------------------------------------------------------------------

W, H = 480, 360
OBJECTS = [("ship", (10, 10, 60, 40)), ("ship", (200, 150, 260, 200)), ("harbor", (300, 250, 470, 350))]


def test_description_phrases_read_back_to_their_cells():
    places = answers.bank().places
    for cell in CELLS:
        assert [m.value for m in find_cells(places[cell][0])] == [cell]
    assert set(places) == set(CELLS)


def test_counting_writer():
    text = answers.write_counting([b for _, b in OBJECTS])
    assert text.startswith("There are 3 instances.")
    assert [p.coords for p in parse_boxes(text, W, H)] == [b for _, b in OBJECTS]
    assert answers.write_counting([(1, 2, 3, 4)]) == "There is 1 instance. {<1><2><3><4>}"
    assert answers.write_counting([]) == "There are 0 instances."


def test_grounding_writer_puts_each_category_before_its_boxes():
    text = answers.write_grounding(OBJECTS, W, H)
    boxes = parse_boxes(text, W, H)
    assert [p.coords for p in boxes] == [b for _, b in OBJECTS]
    mentions = find_categories(text)
    for (category, box), parsed in zip(OBJECTS, boxes, strict=True):
        before = [m.value for m in mentions if m.end <= parsed.start]
        assert before[-1] == category
        cells_before = [m.value for m in find_cells(text[: parsed.start])]
        assert cells_before[-1] == grid_cell(box, W, H)
    assert "There are 2 ships:" in text and "There is 1 harbor:" in text
    assert text.endswith("The ship is far from the harbor.")
    single = answers.write_grounding(OBJECTS[:1], W, H)
    assert single.startswith("In this SAR image, I can identify one object and its location: There is 1 ship:")


def test_identification_writer():
    box = (294, 358, 329, 427)
    text = answers.write_identification(box, "ship", 512, 512)
    assert text == "Examining the bottom center area reveals a very small ship."
    assert [m.value for m in find_sizes(text)] == [size_word(box_area_ratio(box, 512, 512))]
    shaped = answers.write_identification(box, "ship", 512, 512, shape=True)
    assert [m.value for m in find_shapes(shaped)] == ["tall"]
    assert [m.value for m in find_cells(shaped)] == ["bottom center"]


def test_referring_writer():
    text = answers.write_referring([b for _, b in OBJECTS[:2]], W, H)
    assert text == "{<10><10><60><40>} (top left){<200><150><260><200>} (middle center)"


def test_description_writer():
    text = answers.write_description(OBJECTS, W, H)
    assert text.startswith("In this satellite image, we can observe the following: A small ship is visible")
    assert text.endswith(".") and ". " not in text.split(":", 1)[1]
    assert [m.value for m in find_cells(text)] == [grid_cell(b, W, H) for _, b in OBJECTS]
    assert [m.value for m in find_categories(text)] == [c for c, _ in OBJECTS]
    assert [m.value for m in find_sizes(text)] == ["small", "small", "medium"]


def test_classification_writer_and_vote():
    assert answers.write_classification("ship") == "It is ship"
    assert answers.write_classification(["harbor", "ship"]) == "It is ship and harbor"
    assert answers.write_classification(["bridge", "harbor", "ship"]) == "It is ship, bridge and harbor"
    question = QUESTIONS["classification"][0]
    # one stray car among many ships does not add a category; a real share does
    objects = [("ship", (0, 0, 5, 5))] * 9 + [("car", (0, 0, 5, 5))]
    assert answers.answer(question, objects, W, H) == "It is ship"
    objects = [("ship", (0, 0, 5, 5))] * 6 + [("harbor", (0, 0, 5, 5))] * 3
    assert answers.answer(question, objects, W, H) == "It is ship and harbor"
    assert answers.answer(question, [], W, H) == "It is ship"


def test_counting_and_referring_keep_the_asked_category():
    counted = answers.answer("[count] Count the harbor in this satellite image.", OBJECTS, W, H)
    assert counted == "There is 1 instance. {<300><250><470><350>}"
    referred = answers.answer("[refer] Identify 1 ship.", OBJECTS, W, H)
    assert referred == "{<10><10><60><40>} (top left)"
    # the question asserts the category is there: with none of it detected, all objects stand in
    fallback = answers.answer("[count] Count the tank in this satellite image.", OBJECTS, W, H)
    assert fallback.startswith("There are 3 instances.")


# ---------------------------------------------------------------------------------------------
# Priors.
# ---------------------------------------------------------------------------------------------


def test_default_priors_and_boxes():
    priors = answers.DEFAULT_PRIORS
    assert priors.most_frequent() == "ship"
    assert priors.most_frequent(["car", "tank"]) == "tank"
    assert priors.cell_order()[0] == "middle center"
    boxes = priors.boxes("ship", 12, 512, 512)
    assert len(boxes) == 12 and len(set(boxes)) == 12
    assert all(0 <= b[0] < b[2] <= 512 and 0 <= b[1] < b[3] <= 512 for b in boxes)
    assert grid_cell(boxes[0], 512, 512) == "middle center"


def test_priors_from_coco_and_json_round_trip(tmp_path):
    coco = {
        "images": [{"id": 1, "width": 100, "height": 100}, {"id": 2, "width": 100, "height": 100}],
        "categories": [{"id": i + 1, "name": c} for i, c in enumerate(CATEGORIES)],
        "annotations": [
            {"image_id": 1, "category_id": 3, "bbox": [0, 0, 10, 10]},
            {"image_id": 1, "category_id": 3, "bbox": [80, 80, 10, 10]},
            {"image_id": 2, "category_id": 3, "bbox": [70, 0, 20, 10]},
            {"image_id": 2, "category_id": 3, "bbox": [0, 70, 10, 20]},
            {"image_id": 2, "category_id": 1, "bbox": [45, 45, 10, 10]},
        ],
    }
    priors = answers.compute_priors(coco)
    assert priors.most_frequent() == "car"
    assert priors.count_for("car") == 2 and priors.count_for("ship") == 1
    assert priors.typical_box["car"] == (0.1, 0.1)
    assert priors.image_size == (100, 100)
    path = tmp_path / "priors.json"
    path.write_text(json.dumps(priors.to_json()))
    assert answers.load_priors(path) == answers.Priors.from_json(priors.to_json())
    coco_path = tmp_path / "train.json"
    coco_path.write_text(json.dumps(coco))
    assert answers.load_priors(coco_path).most_frequent() == "car"


# ---------------------------------------------------------------------------------------------
# The models, driven the way lmms-eval drives a simple model.
# ---------------------------------------------------------------------------------------------


class _Docs(list):
    """Documents that record which keys were read."""

    def __init__(self, docs):
        super().__init__(docs)
        self.read: set[str] = set()

    def __getitem__(self, index):
        doc = super().__getitem__(index)
        outer = self

        class _Doc(dict):
            def __getitem__(self, key):
                outer.read.add(key)
                return dict.__getitem__(self, key)

            def get(self, key, default=None):
                outer.read.add(key)
                return dict.get(self, key, default)

            def __contains__(self, key):
                return dict.__contains__(self, key)

        return _Doc(doc)


def _requests(questions, doc_to_visual, task="sarchat_test", n_docs=1):
    return [
        SimpleNamespace(args=(q, {"until": ["\n\n"]}, doc_to_visual, i % n_docs, task, "test"))
        for i, q in enumerate(questions)
    ]


@pytest.fixture(scope="module")
def scenes():
    """Six synthetic images, one per scene kind, as PIL images (what doc_to_visual returns)."""
    return [synth.generate_image(8, i) for i in range(6)]


def _check_parseable(task: str, text: str, width: int, height: int) -> None:
    """Every answer reads back with the scorer's readers, as its task requires."""
    assert isinstance(text, str) and text
    boxes = parse_boxes(text, width, height)
    assert all(b.valid and b.syntax == "native" for b in boxes)
    if task == "classification":
        assert text.startswith("It is ") and find_categories(text)
    elif task == "counting":
        from sarchat_tasks.utils.answers import stated_count

        assert stated_count(text) == len(boxes)
    elif task == "grounding":
        mentions = find_categories(text)
        for box in boxes:
            assert any(m.end <= box.start for m in mentions)
    elif task == "identification":
        assert find_cells(text) and find_sizes(text) and find_categories(text) and not boxes
    elif task == "referring":
        assert len(find_cells(text)) == len(boxes)
    else:
        assert text.startswith("In this satellite image, we can observe the following:")
        if "no distinct objects" not in text:
            assert len(find_cells(text)) == len(find_categories(text)) == len(find_sizes(text)) >= 1


def test_cfar_model_answers_every_task_in_format(scenes):
    model = SARChatCFAR(batch_size=1, device="cpu")
    docs = [{"image": Image.fromarray(s.pixels, mode="L"), "width": s.pixels.shape[1], "height": s.pixels.shape[0]}
            for s in scenes]  # fmt: skip
    model.task_dict = {"sarchat_test": {"test": docs}}
    calls = []

    def doc_to_visual(doc):
        calls.append(1)
        return [doc["image"]]

    questions = [q for _, q in ALL_QUESTIONS]
    requests = [
        SimpleNamespace(args=(q, {}, doc_to_visual, d, "sarchat_test", "test"))
        for d in range(len(docs))
        for q in questions
    ]
    start = time.perf_counter()
    responses = model.generate_until(requests)
    elapsed = time.perf_counter() - start
    assert len(responses) == len(requests) and len(calls) == len(requests)
    assert elapsed < 30, elapsed  # 6 images x 14 questions; each image is analysed once
    for request, text in zip(requests, responses, strict=True):
        question, doc_id = request.args[0], request.args[3]
        height, width = scenes[doc_id].pixels.shape
        _check_parseable(task_of_question(question), text, width, height)
    # deterministic: a fresh model (empty cache) gives the same answers
    fresh = SARChatCFAR()
    fresh.task_dict = model.task_dict
    assert fresh.generate_until(requests) == responses


def test_cfar_model_sees_the_targets(scenes):
    model = SARChatCFAR()
    sea = scenes[0]
    text = model.answer_image("[count] Count the ship in this satellite image.", Image.fromarray(sea.pixels))
    height, width = sea.pixels.shape
    found = [b.coords for b in parse_boxes(text, width, height)]
    from sarchat_tasks.utils.matching import match_boxes

    assert match_boxes(found, [b for _, b in sea.objects], 0.5).tp >= 1


def test_cfar_model_on_an_rgb_jpeg_path(tmp_path, scenes):
    path = tmp_path / "x.jpg"
    Image.fromarray(np.stack([scenes[3].pixels] * 3, axis=2)).save(path, quality=85)
    text = SARChatCFAR().answer_image("[grounding] What objects can you identify?", str(path))
    assert text.startswith("In this SAR image")


def test_blind_model_never_calls_doc_to_visual_nor_reads_the_image(scenes):
    model = SARChatBlind()
    docs = _Docs([{"image": object(), "width": 400, "height": 300} for _ in range(3)])
    model.task_dict = {"sarchat_test": {"test": docs}}

    def sentinel(doc):
        raise AssertionError("the blind baseline called doc_to_visual")

    questions = [q for _, q in ALL_QUESTIONS]
    responses = model.generate_until(_requests(questions, sentinel, n_docs=3))
    assert "image" not in docs.read
    for question, text in zip(questions, responses, strict=True):
        task = task_of_question(question)
        _check_parseable(task, text, 400, 300)
        for box in parse_boxes(text, 400, 300):
            x1, y1, x2, y2 = box.coords
            if task != "identification":
                assert 0 <= x1 < x2 <= 400 and 0 <= y1 < y2 <= 300  # the document's size was used
    assert model.generate_until(_requests(questions, sentinel, n_docs=3)) == responses


def test_blind_model_answers_from_priors():
    model = SARChatBlind()
    assert model.answer_text(QUESTIONS["classification"][0]) == "It is ship"
    assert model.answer_text("[count] Count the tank in this satellite image.", 512, 512).startswith(
        "There is 1 instance. {"
    )
    assert len(parse_boxes(model.answer_text("[refer] Identify 4 ship.", 512, 512), 512, 512)) == 4
    identified = model.answer_text("[identify] What can you identify within these coordinates: {<294><358><329><427>}?")
    assert identified == "Examining the bottom center area reveals a very small ship."
    described = model.answer_text("What do you observe in this satellite imagery?", 512, 512)
    assert (
        described
        == "In this satellite image, we can observe the following: A small ship is visible in the central region of the image."
    )


def test_blind_model_reads_size_columns_of_a_datasets_table_without_decoding_images():
    datasets = pytest.importorskip("datasets")
    table = datasets.Dataset.from_dict({"image": ["not-an-image"] * 2, "width": [640, 300], "height": [480, 200]})
    model = SARChatBlind()
    model.task_dict = {"t": {"test": table}}
    assert model._image_size("t", "test", 1) == (300.0, 200.0)


def test_blind_model_with_priors_file(tmp_path):
    priors = answers.DEFAULT_PRIORS.to_json()
    priors["category_counts"]["aircraft"] = 10**6
    path = tmp_path / "priors.json"
    path.write_text(json.dumps(priors))
    model = SARChatBlind(priors=str(path))
    assert model.answer_text(QUESTIONS["classification"][0]) == "It is aircraft"


def test_models_reject_unknown_arguments_and_likelihoods():
    with pytest.raises(TypeError):
        SARChatCFAR(pfaa=1e-5)
    with pytest.raises(TypeError):
        SARChatBlind(pretrained="x")
    assert SARChatCFAR(pfa="1e-6", batch_size=4, max_batch_size=8, device="cpu").config.pfa == 1e-6
    with pytest.raises(NotImplementedError):
        SARChatBlind().loglikelihood([])


# ---------------------------------------------------------------------------------------------
# Registration with lmms-eval.
# ---------------------------------------------------------------------------------------------


def test_manifests_resolve_to_the_classes():
    from lmms_eval.models.registry_v2 import ModelRegistryV2

    registry = ModelRegistryV2()
    for manifest in (cfar_manifest(), blind_manifest()):
        registry.register_manifest(manifest)
    assert registry.get_model_class("sarchat_cfar") is SARChatCFAR
    assert registry.get_model_class("sarchat_blind") is SARChatBlind
    assert (CFAR_CLASS, BLIND_CLASS) == (
        "sarchat_tasks.baselines.models.SARChatCFAR",
        "sarchat_tasks.baselines.models.SARChatBlind",
    )


ENTRY_POINTS = """\
[lmms_eval.models]
sarchat_cfar = sarchat_tasks.baselines:cfar_manifest
sarchat_blind = sarchat_tasks.baselines:blind_manifest
"""


def _entry_point_dir(root: Path) -> Path:
    """A bare distribution carrying the entry points that pyproject.toml declares, so the real
    entry-point loading of lmms-eval is exercised whether or not the package was reinstalled."""
    info = root / "sarchat_baselines_probe-0.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: sarchat-baselines-probe\nVersion: 0.0\n")
    (info / "entry_points.txt").write_text(ENTRY_POINTS)
    return root


@pytest.mark.slow
def test_entry_points_register_both_models_even_when_models_is_imported_first(tmp_path):
    """lmms-eval loads entry points while ``lmms_eval.models`` is first imported; importing the
    baseline classes first must not leave the registry without them."""
    probe = _entry_point_dir(tmp_path / "ep")
    script = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {str(probe)!r})
        import sarchat_tasks.baselines.models  # before lmms_eval.models: the risky order
        from lmms_eval.models import get_model
        assert get_model("sarchat_cfar").__name__ == "SARChatCFAR"
        assert get_model("sarchat_blind").__name__ == "SARChatBlind"
        print("ok")
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and "ok" in done.stdout, done.stderr[-3000:]


@pytest.mark.slow
def test_lmms_eval_cli_runs_both_baselines_on_the_prepared_fixture(prepared_set, tmp_path, lmms_eval):
    """``python -m lmms_eval --model sarchat_cfar`` and ``sarchat_blind`` through the real CLI."""
    probe = _entry_point_dir(tmp_path / "ep")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(probe), env.get("PYTHONPATH", "")]))
    for model in ("sarchat_cfar", "sarchat_blind"):
        run = lmms_eval(
            "--model", model, "--tasks", "sarchat", "--include_path", prepared_set / "tasks",
            output_path=tmp_path / model, env=env, timeout=600,
        )  # fmt: skip
        results = run.results["results"]
        assert 0 <= results["sarchat"]["avg_score,none"] <= 100, (model, results["sarchat"])
        for name, metrics in results.items():
            if name != "sarchat":
                assert metrics.get("parse_failure_rate,none", 0) == 0, (model, name, metrics)
