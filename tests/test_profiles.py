"""Model profiles: each family's native answers read right under its own profile, its prompt frozen,
and the profile chosen by lmms-eval's --model name or by the user, never by the ground truth."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from native_answers import IMAGE_SIZE, NATIVE_ANSWERS, SHIPS
from PIL import Image

from sarchat_tasks import hooks
from sarchat_tasks.cli import main
from sarchat_tasks.metrics import sample_metrics
from sarchat_tasks.registry import MODEL_PROFILES, PROFILES, TASKS, parse_reference, profile_conventions
from sarchat_tasks.task_folder import bundled_sample, packaged_task_folder
from sarchat_tasks.utils.boxes import format_box

W, H = IMAGE_SIZE  # 800 x 600: not square, so a frame that swaps or squares axes shows
SNAPSHOT = Path(__file__).parent / "snapshots" / "profile_prompts.json"
A, B = SHIPS
TWO_SHIPS = format_box(A) + format_box(B)
REFERENCES = {
    "counting": parse_reference("counting", f"There are 2 instances. {TWO_SHIPS}", W, H, "[count] Count the ship."),
    "referring": parse_reference(
        "referring", f"{format_box(A)} (middle left){format_box(B)} (middle right)", W, H, "[refer] Identify 2 ship."
    ),
    "grounding": parse_reference("grounding", f"There are 2 ships: one {format_box(A)}, one {format_box(B)}.", W, H),
}
# Answers of the families with no lmms-eval backend, written from their public formats (docs/MODELS.md)
# for the same two ships: DeepSeek-VL2 on 0-999, GeoChat on 0-100, Florence-2 in 1000 bins.
OTHER_NATIVE = {
    "deepseek_vl2": [
        "<|ref|>ship<|/ref|><|det|>[[250, 250, 500, 750], [600, 550, 800, 700]]<|/det|>",
        "ship[[250, 250, 500, 750], [600, 550, 800, 700]]",  # the tags decoded away
    ],
    "geochat": [
        "There are 2 ships: {<25><25><50><75>|0}{<60><55><80><70>|0}",
        "ship {<25><25><50><75>}{<60><55><80><70>}",
    ],
    "florence2": ["ship<loc_250><loc_250><loc_500><loc_750>ship<loc_600><loc_550><loc_800><loc_700>"],
}
# family in native_answers.py -> its profile
FAMILY_PROFILE = {"qwen2_vl": "qwen2_vl", "qwen2_5_vl": "qwen2_5_vl", "qwen3_vl": "qwen3_vl",
                  "internvl_hf": "internvl2_5", "llava_hf": "llava_1_5"}  # fmt: skip
# Formats another profile reads in another frame or scale (so the wrong profile must lose); a
# distinctive syntax such as Qwen2-VL's (x1,y1),(x2,y2) pairs is read right by every profile.
WRONG_PROFILE = {"qwen2_5_vl": "qwen3_vl", "qwen3_vl": "qwen2_5_vl", "llava_1_5": "generic", "internvl2_5": "generic",
                 "deepseek_vl2": "generic", "geochat": "sarchat"}  # fmt: skip


def _cases():
    for family, answers in NATIVE_ANSWERS.items():
        if family in FAMILY_PROFILE:
            for text, boxes in answers:
                if len(boxes) == 2:
                    yield FAMILY_PROFILE[family], text
    for profile, answers in OTHER_NATIVE.items():
        for text in answers:
            yield profile, text


CASES = list(_cases())


def _scores(task: str, response: str, profile: str) -> dict:
    conventions = profile_conventions(profile)
    values = sample_metrics(task, "multi" if task != "counting" else "", "ship", response, REFERENCES[task], W, H,
                            conventions)  # fmt: skip
    return {k: v for k, v in values["avg_score"].items() if v is not None}


def _perfect(record: dict) -> bool:
    return all(v == 1 if isinstance(v, int) else (v[1] == 0 and v[2] == 0 and v[0] > 0) for v in record.values())


@pytest.mark.parametrize(("profile", "response"), CASES)
@pytest.mark.parametrize("task", ["counting", "referring", "grounding"])
def test_each_profile_reads_its_family_at_100_on_a_non_square_image(task, profile, response):
    if task == "grounding" and "ship" not in response:
        # grounding scores a box only with its category: a bare list of boxes names none
        response = f"The ships are at {response}."
    assert _perfect(_scores(task, response, profile)), (profile, response)


DISTINCTIVE = ("<box>", "<|det|>", "|0}", "<loc_")  # tagged forms every profile reads in their own scale


@pytest.mark.parametrize(
    ("profile", "response"), [c for c in CASES if c[0] in WRONG_PROFILE and not any(d in c[1] for d in DISTINCTIVE)]
)
def test_a_wrong_profile_does_not(profile, response):
    assert not _perfect(_scores("referring", response, WRONG_PROFILE[profile]))


def test_qwen25_frame_follows_the_backends_pixel_bounds():
    """With --model_args max_pixels=200704: 800x600 -> 812x588 (qwen_vl_utils' own bounds), then
    588*812 = 477,456 > 200,704, beta = sqrt(477456/200704) = 1.5424; height floor(588/1.5424/28) =
    13 -> 364, width floor(812/1.5424/28) = 18 -> 504. A = (200, 150, 400, 450) is said there as
    (200*504/800, 150*364/600, 400*504/800, 450*364/600) = (126, 91, 252, 273)."""
    from sarchat_tasks.utils.boxes import parse_boxes

    small = profile_conventions("qwen2_5_vl", 3136, 200704)
    assert small.frame.geometry(W, H)[2:4] == (504.0, 364.0)
    assert parse_boxes('{"bbox_2d": [126, 91, 252, 273]}', W, H, small)[0].coords == pytest.approx(A)
    default = profile_conventions("qwen2_5_vl")
    assert default.frame.geometry(W, H)[2:4] == (812.0, 588.0)
    assert parse_boxes('{"bbox_2d": [203, 147, 406, 441]}', W, H, default)[0].coords == pytest.approx(A)


# prompts ----------------------------------------------------------------------------------------


def _first_docs() -> dict[str, dict]:
    import pyarrow.parquet as pq

    rows = bundled_sample() / "rows"
    return {task: pq.read_table(rows / f"{task}.parquet").slice(0, 1).to_pylist()[0] for task in TASKS}


def test_prompt_snapshot_per_profile_and_task(monkeypatch):
    """Frozen prompts: a change shows in review. Regenerate with SARCHAT_UPDATE_SNAPSHOTS=1."""
    monkeypatch.delenv(hooks.PROFILE_ENV, raising=False)
    docs = _first_docs()
    prompts = {
        name: {task: hooks.doc_to_text(doc, {"profile": name}) for task, doc in docs.items()} for name in PROFILES
    }
    if os.environ.get("SARCHAT_UPDATE_SNAPSHOTS"):
        SNAPSHOT.write_text(json.dumps(prompts, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    assert prompts == json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    for task, doc in docs.items():
        assert prompts["sarchat"][task] == doc["question"]  # the paper's question verbatim
        for name in PROFILES:
            assert prompts[name][task].startswith(doc["question"])  # zero-shot prompts keep it


def test_the_profile_doc_to_text_chose_is_the_one_scoring_uses(monkeypatch):
    monkeypatch.delenv(hooks.PROFILE_ENV, raising=False)
    doc = dict(_first_docs()["referring"])
    reference = json.loads(doc["reference"])
    x1, y1, x2, y2 = reference["boxes"][0]
    width, height = doc["width"], doc["height"]
    # the reference's first box as fractions of the image: right only where lists are read as 0-1
    unit = f"[{x1 / width:.6f}, {y1 / height:.6f}, {x2 / width:.6f}, {y2 / height:.6f}]"
    hooks.doc_to_text(doc, {"profile": "generic"})
    as_generic = hooks.process_results(doc, [unit])
    frame = profile_conventions("llava_1_5").frame  # the centre square: only right on a square image
    assert width == height or frame.kind == "center_square"
    hooks.doc_to_text(doc, {"profile": "llava_1_5"})
    as_llava = hooks.process_results(doc, [unit])
    column = f"referring_{doc['subset']}_iou50"
    assert as_generic[column][0] == 0 and as_llava[column][0] == 1
    monkeypatch.setenv(hooks.PROFILE_ENV, "generic")  # sarchat eval --profile wins over the --model choice
    hooks.doc_to_text(doc, {"profile": "llava_1_5"})
    assert hooks.process_results(doc, [unit])[column][0] == 0


def test_unknown_profile_fails_before_generation(monkeypatch):
    monkeypatch.setenv(hooks.PROFILE_ENV, "no_such_profile")
    with pytest.raises(KeyError, match="unknown SARChat profile"):
        hooks.doc_to_text(_first_docs()["counting"], {})
    # process_results never raises: it falls back to the generic reading
    monkeypatch.delenv(hooks.PROFILE_ENV)
    assert "referring_single_iou50" in hooks.process_results(_first_docs()["referring"], ["[1, 2, 3, 4]"])


@pytest.mark.parametrize(("model", "profile"), [("qwen2_5_vl", "qwen2_5_vl"), ("internvl_hf", "internvl2_5"),
                                                ("sarchat_blind", "sarchat"), ("vllm", "generic"), ("llava_hf", "generic")])  # fmt: skip
def test_lmms_eval_gives_each_backend_its_profile(model, profile):
    from lmms_eval.tasks import TaskManager, get_task_dict

    manager = TaskManager("ERROR", include_path=str(packaged_task_folder()), model_name=model)
    task = get_task_dict(["sarchat_referring_lite"], manager)["sarchat_referring_lite"]
    assert task.lmms_eval_specific_kwargs["profile"] == profile
    assert MODEL_PROFILES.get(model, "generic") == profile
    doc = task.test_docs()[0]
    assert task.doc_to_text(doc) == hooks.doc_to_text(doc, {"profile": profile})


# sarchat score / profiles ----------------------------------------------------------------------


def test_sarchat_score_with_a_profile(tmp_path: Path, capsys):
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 255, (H, W), dtype=np.uint8), mode="L").save(tmp_path / "scene.png")
    answer = NATIVE_ANSWERS["qwen2_5_vl"][1][0]
    record = {
        "messages": [{"role": "user", "content": "<image>\n[refer] Identify 2 ship."},
                     {"role": "assistant", "content": f"{format_box(A)} (middle left){format_box(B)} (middle right)"}],
        "images": ["scene.png"],
        "response": answer,
    }  # fmt: skip
    preds = tmp_path / "qwen2.5-vl_SARChat_classify_refer_multi_test.json"
    preds.write_text(json.dumps([record]), encoding="utf-8")
    scores = {}
    for profile in ("qwen2_5_vl", "qwen3_vl"):
        assert main(["score", str(preds), "--images", str(tmp_path), "--profile", profile]) == 0
        scores[profile] = json.loads(capsys.readouterr().out)["referring"]["referring_multi_iou50"]
    assert scores == {"qwen2_5_vl": 100.0, "qwen3_vl": 0.0}
    assert main(["score", str(preds), "--images", str(tmp_path), "--profile", "nope"]) == 2
    assert "unknown profile 'nope'" in capsys.readouterr().err
    assert main(["score", str(preds), "--images", str(tmp_path), "--profile", "qwen2_5_vl", "--frame", "max=3"]) == 2
    assert "--frame: unknown option(s) max" in capsys.readouterr().err


def test_sarchat_profiles_lists_every_profile(capsys):
    assert main(["profiles", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [p["name"] for p in listed] == list(PROFILES)
    required = {"sarchat", "qwen2_vl", "qwen2_5_vl", "qwen3_vl", "internvl2_5", "llava_1_5", "deepseek_vl2", "geochat",
                "florence2", "generic"}  # fmt: skip
    assert required <= set(PROFILES)
    assert all(p["source"] for p in listed)


def test_models_doc_cites_each_profiles_source():
    """docs/MODELS.md's family table and `sarchat profiles` name the same public source per profile."""
    import re
    from pathlib import Path

    from sarchat_tasks.registry import PROFILES

    text = (Path(__file__).resolve().parents[1] / "docs" / "MODELS.md").read_text(encoding="utf-8")
    table = text[text.index("| family | profile |") :].split("\n\n", 1)[0]
    cited = {}
    for line in table.splitlines()[2:]:
        match = re.match(r"^\| [^|]+ \| `(\w+)` \|", line)
        if match and match.group(1) != "generic":
            cited[match.group(1)] = line.rstrip(" |").rsplit(" | ", 1)[1].replace("\\|", "|")
    assert set(cited) == set(PROFILES) - {"generic"}
    assert cited == {name: PROFILES[name].source for name in cited}
