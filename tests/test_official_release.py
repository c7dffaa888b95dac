"""The official SARChat release as it is: its nine test file names, the files its inference script
writes, and the paper's example records under those names.

Every expectation here is copied from ../shared/reference/SARCHAT.md (the VERBATIM list of the
official inference script's input files, its output layout, and the examples of the paper's
figures), never derived from this package's registry: a test built from the registry cannot catch
a wrong registry.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from sarchat_tasks.official import OFFICIAL_FILES, task_of_file

# SARCHAT.md, VERBATIM: "the official repository's inference script lists exactly these nine input
# files, in this order".
VERBATIM_TEST_FILES = [
    "SARChat_classify_count_test.json",
    "SARChat_classify_grounding_multi_test.json",
    "SARChat_classify_grounding_single_test.json",
    "SARChat_classify_identify_multi_test.json",
    "SARChat_classify_identify_single_test.json",
    "SARChat_classify_refer_multi_test.json",
    "SARChat_classify_refer_single_test.json",
    "SARChat_classify_test.json",
    "SARChat_describe_test.json",
]
# SARCHAT.md, "The six tasks and the nine test files": the task of each file (and its subset, for
# the tasks split into multi and single).
TASK_OF_VERBATIM_FILE = {
    "SARChat_classify_count_test.json": ("counting", ""),
    "SARChat_classify_grounding_multi_test.json": ("grounding", "multi"),
    "SARChat_classify_grounding_single_test.json": ("grounding", "single"),
    "SARChat_classify_identify_multi_test.json": ("identification", "multi"),
    "SARChat_classify_identify_single_test.json": ("identification", "single"),
    "SARChat_classify_refer_multi_test.json": ("referring", "multi"),
    "SARChat_classify_refer_single_test.json": ("referring", "single"),
    "SARChat_classify_test.json": ("classification", ""),
    "SARChat_describe_test.json": ("description", ""),
}
# SARCHAT.md, VERBATIM: chunks of 10,000 records, `chunk_N.jsonl` -> `chunk_N_results.jsonl` under a
# folder named after the input's stem, merged into `<stem>_final_results.jsonl` (one JSON array,
# json.dump with indent 2, despite the suffix).
FINAL_SUFFIX = "_final_results.jsonl"


def test_the_registry_names_exactly_the_nine_official_files():
    assert sorted(OFFICIAL_FILES) == sorted(VERBATIM_TEST_FILES)


@pytest.mark.parametrize("name", VERBATIM_TEST_FILES)
def test_each_official_name_reads_as_its_task(name):
    assert task_of_file(name) == TASK_OF_VERBATIM_FILE[name]


@pytest.mark.parametrize("name", VERBATIM_TEST_FILES)
def test_merged_results_file_reads_as_its_task(name):
    # classify_refer_multi: "refer" names one task, "classify" five; the specific word wins
    stem = name.removesuffix(".json")
    task, subset = TASK_OF_VERBATIM_FILE[name]
    assert task_of_file(f"out/{stem}{FINAL_SUFFIX}")[0] == task
    assert task_of_file(f"out/{stem}{FINAL_SUFFIX}")[1] in ({subset} if subset else {None})


@pytest.mark.parametrize("name", VERBATIM_TEST_FILES)
def test_chunk_files_read_as_their_folder(name):
    stem = name.removesuffix(".json")
    task, subset = TASK_OF_VERBATIM_FILE[name]
    for chunk in ("chunk_0_results.jsonl", "chunk_12_results.jsonl"):
        assert task_of_file(Path("out") / stem / chunk)[0] == task
        assert task_of_file(Path("out") / stem / chunk)[1] in ({subset} if subset else {None})


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        # the names this suite wrote before it followed the release, still read
        ("SARChat_refer_multi_test.json", ("referring", "multi")),
        ("SARChat_grounding_single_test.json", ("grounding", "single")),
        ("SARChat_identify_multi_test.json", ("identification", "multi")),
        # whole words only: "account" holds "count", "prefer" holds "refer"
        ("account_prefer.json", (None, None)),
        # two tasks named equally specifically: the question tags decide, record by record
        ("count_and_refer.json", (None, None)),
        # the task spelled out
        ("gpt-4o_referring_single.jsonl", ("referring", "single")),
        ("internvl_classification.json", ("classification", None)),
    ],
)
def test_other_names(name, expected):
    assert task_of_file(name) == expected


# --- the paper's example records under the official names --------------------------------------

SHIPS = [(294, 358, 329, 427), (61, 448, 122, 503), (27, 199, 78, 261), (193, 157, 245, 306)]
AIRCRAFT = (393, 426, 470, 494)


def _box(b) -> str:
    return "{" + "".join(f"<{v}>" for v in b) + "}"


# (image, question, reference answer, response). Questions and references are SARCHAT.md's
# examples; the grounding single reference follows the multi example's form (the paper prints
# none). The responses are chosen so that each column's value can be worked out by hand.
FIGURE_RECORDS: dict[str, list[tuple[str, str, str, str]]] = {
    "SARChat_classify_test.json": [
        (
            "airport.png",
            "Based on these category options (aircraft, bridge, car, harbor, ship, tank), what's visible in this scene?",
            "It is aircraft",
            "It is aircraft",
        ),
    ],
    "SARChat_describe_test.json": [
        (
            "harbour.png",
            "What do you observe in this satellite imagery?",
            "In this satellite image, we can observe the following: A small ship is visible in the bottom left "
            "portion of the image There is one more small ship on the left side of the image Also, we can observe "
            "another small ship in the central region of the image.",
            "In this satellite image, we can observe the following: A small ship is visible in the bottom left "
            "portion of the image There is one more small ship on the left side of the image Also, we can observe "
            "another small ship in the central region of the image.",
        ),
    ],
    "SARChat_classify_count_test.json": [
        (
            "harbour.png",
            "[count] Count the ship in this satellite image.",
            "There are 4 instances. " + "".join(map(_box, SHIPS)),
            "There are 3 instances. " + "".join(map(_box, SHIPS[:3])),  # one ship missed
        ),
    ],
    "SARChat_classify_grounding_multi_test.json": [
        (
            "harbour.png",
            "[grounding] What objects can you identify in this SAR image and where are they located?",
            "In this SAR image, I can identify several objects and their locations: There are 4 ships: one in the "
            f"bottom center portion {_box(SHIPS[0])}, one in the bottom left portion {_box(SHIPS[1])}, one in the "
            f"middle left portion {_box(SHIPS[2])}, one in the middle center portion {_box(SHIPS[3])}.",
            "In this SAR image, I can identify several objects and their locations: There are 4 ships: one in the "
            f"bottom center portion {_box(SHIPS[0])}, one in the bottom left portion {_box(SHIPS[1])}, one in the "
            f"middle left portion {_box(SHIPS[2])}, one in the middle center portion {_box(SHIPS[3])}.",
        ),
    ],
    "SARChat_classify_grounding_single_test.json": [
        (
            "airport.png",
            "[grounding] What objects can you identify in this SAR image and where are they located?",
            "In this SAR image, I can identify several objects and their locations: There is 1 aircraft: one in the "
            f"bottom right portion {_box(AIRCRAFT)}.",
            "I cannot find any object.",
        ),
    ],
    "SARChat_classify_identify_multi_test.json": [
        (
            "harbour.png",
            f"[identify] What can you identify within these coordinates: {_box(SHIPS[0])}?",
            "Examining the bottom center area reveals a very small ship.",
            "Examining the bottom center area reveals a very small ship.",
        ),
    ],
    "SARChat_classify_identify_single_test.json": [
        (
            "airport.png",
            "[identify] Could you specify what appears at {<251><265><323><342>}?",
            "Present in the middle center area is a very small aircraft.",
            "Present in the middle center area is a very small ship.",  # the wrong category
        ),
    ],
    "SARChat_classify_refer_multi_test.json": [
        (
            "harbour.png",
            "[refer] Identify 4 ship.",
            "{<294><358><329><427>} (bottom center){<61><448><122><503>} (bottom left)"
            "{<27><199><78><261>} (middle left){<193><157><245><306>} (middle center)",
            # three right, the fourth box far from every ship
            "{<294><358><329><427>} (bottom center){<61><448><122><503>} (bottom left)"
            "{<27><199><78><261>} (middle left){<400><20><440><60>} (top right)",
        ),
    ],
    "SARChat_classify_refer_single_test.json": [
        (
            "airport.png",
            "[refer] Locate 1 aircraft.",
            "{<393><426><470><494>} (bottom right)",
            "{<393><426><470><494>}",
        ),
    ],
}

# Worked out by hand from the responses above.
EXPECTED = {
    "classification": {"classification": 100.0},
    "description": {"description": 100.0},
    # 3 stated against 4: the count is wrong; boxes 3 found, 1 missed: 3 / (3 + 0 + 1)
    "counting": {"counting_only": 0.0, "counting_iou25": 75.0, "counting_iou50": 75.0, "avg_score": 50.0},
    # no reference states a relation, so abstract position has no sample and the task score is
    # the mean of the other two columns
    "grounding": {
        "grounding_abstract_position": None,
        "grounding_multi": 100.0,
        "grounding_single": 0.0,
        "avg_score": 50.0,
    },
    "identification": {"identification_multi": 100.0, "identification_single": 0.0, "avg_score": 50.0},
    # multi: 3 matched, 1 false, 1 missed: 3 / 5; single: the one box exact
    "referring": {
        "referring_multi_iou25": 60.0,
        "referring_multi_iou50": 60.0,
        "referring_single_iou25": 100.0,
        "referring_single_iou50": 100.0,
        "avg_score": 80.0,
    },
}


def _write_images(root: Path) -> None:
    rng = np.random.default_rng(0)
    for name, boxes in (("harbour.png", SHIPS), ("airport.png", [AIRCRAFT, (251, 265, 323, 342)])):
        pixels = rng.gamma(4.0, 12.0, size=(512, 512))
        for x1, y1, x2, y2 in boxes:
            pixels[y1:y2, x1:x2] = 230
        Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), mode="L").save(root / name)


def _swift_record(image: Path, question: str, answer: str, response: str) -> dict:
    # what `swift infer` writes per sample: the conversation, the images, response and labels
    return {
        "messages": [{"role": "user", "content": f"<image>\n{question}"}, {"role": "assistant", "content": answer}],
        "images": [str(image)],
        "response": response,
        "labels": answer,
    }


def _records(name: str, images: Path) -> list[dict]:
    return [_swift_record(images / image, q, a, r) for image, q, a, r in FIGURE_RECORDS[name]]


# paper equation 4, task scores weighted by samples: (50 x 1 + 50 x 2 + 50 x 2 + 80 x 2 + 100 + 100) / 9
EXPECTED_AVG_SCORE = 610 / 9


def _assert_expected(metrics: dict) -> None:
    for task, columns in EXPECTED.items():
        for column, value in columns.items():
            assert metrics[task][column] == (None if value is None else pytest.approx(value)), (task, column)
    assert metrics["avg_score"] == pytest.approx(EXPECTED_AVG_SCORE)


@pytest.fixture
def images(tmp_path) -> Path:
    root = tmp_path / "images"
    root.mkdir()
    _write_images(root)
    return root


def test_paper_examples_under_the_official_names(tmp_path, images, sarchat_command):
    folder = tmp_path / "predictions"
    folder.mkdir()
    for name in VERBATIM_TEST_FILES:
        (folder / name).write_text(json.dumps(_records(name, images)), encoding="utf-8")
    done = sarchat_command("score", *sorted(folder.iterdir()))
    assert done.returncode == 0, done.stderr
    _assert_expected(json.loads(done.stdout))


def test_swift_output_folder_of_merged_files(tmp_path, images, sarchat_command):
    # what the official script leaves: <stem>_final_results.jsonl (a JSON array, indent 2) and the
    # per-input chunk folders it merged them from
    out = tmp_path / "swift-out"
    out.mkdir()
    for name in VERBATIM_TEST_FILES:
        stem = name.removesuffix(".json")
        records = _records(name, images)
        (out / f"{stem}{FINAL_SUFFIX}").write_text(json.dumps(records, indent=2), encoding="utf-8")
        (out / stem).mkdir()
        (out / stem / "chunk_0.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
        (out / stem / "chunk_0_results.jsonl").write_text(
            "".join(json.dumps(r) + "\n" for r in records), encoding="utf-8"
        )
    done = sarchat_command("score", out)
    assert done.returncode == 0, done.stderr
    metrics = json.loads(done.stdout)
    _assert_expected(metrics)
    # each record scored once: the merged files, not their chunks as well
    assert metrics["counting"]["samples"] == 1 and metrics["referring"]["samples"] == 2


def test_swift_output_folder_cut_short(tmp_path, images, sarchat_command):
    # no merged file yet: the chunks' results are read from the per-input folders (JSON lines)
    out = tmp_path / "swift-out"
    out.mkdir()
    for name in VERBATIM_TEST_FILES:
        stem = name.removesuffix(".json")
        (out / stem).mkdir()
        lines = "".join(json.dumps(r) + "\n" for r in _records(name, images))
        (out / stem / "chunk_0.jsonl").write_text(lines, encoding="utf-8")
        (out / stem / "chunk_0_results.jsonl").write_text(lines, encoding="utf-8")
    done = sarchat_command("score", out)
    assert done.returncode == 0, done.stderr
    _assert_expected(json.loads(done.stdout))

    # a chunk whose results never came: refused, naming it, unless --partial
    refer = out / "SARChat_classify_refer_multi_test"
    (refer / "chunk_1.jsonl").write_text((refer / "chunk_0.jsonl").read_text(encoding="utf-8"), encoding="utf-8")
    done = sarchat_command("score", out)
    assert done.returncode == 2
    assert f"{refer}: the run was cut short: no chunk_1_results.jsonl" in done.stderr
    assert "Traceback" not in done.stderr
    done = sarchat_command("score", out, "--partial")
    assert done.returncode == 0, done.stderr
    metrics = json.loads(done.stdout)
    assert metrics["missing_chunks"] == {str(refer): [1]}
    assert "chunks 1 have no results" in done.stderr
    _assert_expected(metrics)


def test_a_file_is_never_scored_twice(tmp_path, images, sarchat_command):
    out = tmp_path / "swift-out"
    (out / "SARChat_classify_test").mkdir(parents=True)
    records = _records("SARChat_classify_test.json", images)
    merged = out / f"SARChat_classify_test{FINAL_SUFFIX}"
    merged.write_text(json.dumps(records, indent=2), encoding="utf-8")
    chunk = out / "SARChat_classify_test" / "chunk_0_results.jsonl"
    chunk.write_text(json.dumps(records[0]) + "\n", encoding="utf-8")
    # the same file named twice, or through its folder as well: scored once
    done = sarchat_command("score", out, merged, merged)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["classification"]["samples"] == 1
    # the merged file and one of its own chunks: refused
    done = sarchat_command("score", merged, chunk)
    assert done.returncode == 2 and "both hold predictions for SARChat_classify_test" in done.stderr
    # two different files answering one input
    plain = tmp_path / "SARChat_classify_test.json"
    plain.write_text(json.dumps(records), encoding="utf-8")
    done = sarchat_command("score", merged, plain)
    assert done.returncode == 2 and "both hold predictions for SARChat_classify_test" in done.stderr


def test_chunk_records_have_ids_of_their_input():
    from sarchat_tasks.prepare import record_id

    # every input's chunks are named chunk_N_results: the folder (the input's stem) tells them apart
    first = record_id(Path("out/SARChat_classify_count_test/chunk_0_results.jsonl"), 0)
    other = record_id(Path("out/SARChat_describe_test/chunk_0_results.jsonl"), 0)
    assert first == "SARChat_classify_count_test/chunk_0_results:0" and first != other
    assert record_id(Path("SARChat_classify_test.json"), 3) == "SARChat_classify_test:3"
