"""``sarchat inspect``: the scorers' reading agrees with their scores, the viewer folder, and the page
itself in a real headless Chromium (Debian's ``chromium`` and ``chromium-driver``, driven by Selenium)."""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

from sarchat_tasks.cli import main
from sarchat_tasks.metrics import row_metrics, score_sample
from sarchat_tasks.registry import TASKS
from sarchat_tasks.report.inspect import read_sample
from sarchat_tasks.utils.boxes import BoxConventions

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
SCREENSHOT = ROOT / "docs" / "img" / "inspect.png"


def _synthetic_rows(n: int):
    spec = importlib.util.spec_from_file_location("synthetic_responses", ROOT / "benchmarks" / "synthetic_responses.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for task in TASKS:
        yield from module.records(task, n, seed=7)


# ---------------------------------------------------------------------------------------------
# One function scores and explains: the columns returned with the reading are score_sample's
# ---------------------------------------------------------------------------------------------


def test_reading_never_changes_the_scores_and_agrees_with_them():
    rows = list(_synthetic_rows(150))
    assert {row["task"] for row in rows} == set(TASKS)
    for row in rows:
        reference = json.loads(row["reference"])
        args = (row["task"], row["subset"], row["response"], reference, row["width"], row["height"])
        reading: dict = {}
        with_reading = score_sample(*args, reading=reading)
        assert with_reading == score_sample(*args), row["id"]
        # what inspect shows is what the hook logs
        shown = read_sample(row["task"], row["subset"], row["category"], row["response"], reference, row["width"],
                            row["height"], None)  # fmt: skip
        logged = row_metrics(row, row["response"])
        assert shown["columns"] == {k: logged[k] for k in shown["columns"]}, row["id"]
        assert shown["parse_failure"] == bool(logged["parse_failure_rate"])
        assert reading["reason"]
        columns = with_reading[0]
        # the pairs drawn are the true positives counted
        pooled = {"counting": "counting_iou50", "referring": f"referring_{row['subset']}_iou50",
                  "grounding": f"grounding_{row['subset']}"}.get(row["task"])  # fmt: skip
        if pooled and columns.get(pooled) is not None:
            tp, fp, fn = columns[pooled]
            assert len(reading["matches"]["0.5"]) == tp
            assert f"TP {tp}, FP {fp}, FN {fn} at IoU 0.5" in reading["reason"]
            assert len(reading["boxes"]) >= tp + 0 and len(reading["reference_boxes"]) == tp + fn


def test_reading_of_a_referring_answer_in_a_models_convention():
    """Boxes are read into image pixels after the convention: a 0-1000 list on a 1000x500 image
    halves the y values. Hand-computed: reference [100, 100, 300, 200]; the first prediction
    [100, 200, 300, 400] / 1000 -> [100, 100, 300, 200] (IoU 1), the second [600, 600, 700, 800]
    -> [600, 300, 700, 400], unmatched."""
    conventions = BoxConventions({"list": "norm1000"})
    reference = {"boxes": [[100.0, 100.0, 300.0, 200.0]], "category": "ship"}
    reading: dict = {}
    columns, failure = score_sample("referring", "multi", "[100, 200, 300, 400] and [600, 600, 700, 800]",
                                    reference, 1000, 500, conventions, reading=reading)  # fmt: skip
    assert columns["referring_multi_iou50"] == [1, 1, 0] and not failure
    assert [b["box"] for b in reading["boxes"]] == [[100.0, 100.0, 300.0, 200.0], [600.0, 300.0, 700.0, 400.0]]
    assert reading["matches"]["0.5"] == [[0, 0, 1.0]]
    assert reading["reason"] == "TP 1, FP 1, FN 0 at IoU 0.5"


def test_reading_of_counting_identification_description_classification():
    reading: dict = {}
    ref = {"count": 2, "boxes": [[0.0, 0.0, 10.0, 10.0], [20.0, 20.0, 30.0, 30.0]], "category": "ship"}
    score_sample("counting", "", "There are 3 ships. {<0><0><10><10>}", ref, 100, 100, reading=reading)
    assert (reading["count"], reading["count_source"], reading["reference_count"]) == (3, "stated", 2)
    assert reading["reason"] == "count 3 (stated) vs 2; TP 1, FP 0, FN 1 at IoU 0.5"

    reading = {}
    ref = {"cell": "top left", "size": "small", "category": "ship", "shape": None}
    columns, _ = score_sample("identification", "single", "A small ship in the top right.", ref, 100, 100,
                              reading=reading)  # fmt: skip
    assert columns["identification_single"] == 0
    assert reading["attributes"]["cell"] == ["top right"]
    assert reading["reason"] == "cell: said top right, reference top left"

    reading = {}
    score_sample("classification", "", "It is ship and car", {"categories": ["ship"]}, 100, 100, reading=reading)
    assert reading["categories"] == ["car", "ship"] and reading["reason"] == "TP 1, FP 1, FN 0 (categories named)"


def test_a_scorer_that_raises_is_explained_as_an_empty_answer(monkeypatch):
    spec = TASKS["classification"]
    original = spec.score

    def broken(text, *args, **kwargs):
        if text:
            raise RuntimeError("reader bug")
        return original(text, *args, **kwargs)

    monkeypatch.setitem(TASKS, "classification", dataclasses.replace(spec, score=broken))
    reading: dict = {}
    columns, failure = score_sample(
        "classification", "", "It is ship", {"categories": ["ship"]}, 10, 10, reading=reading
    )
    assert columns == {"classification": [0, 0, 1]} and failure
    assert reading["scoring_error"].startswith("the response could not be read")


# ---------------------------------------------------------------------------------------------
# The viewer folder from sarchat score's output
# ---------------------------------------------------------------------------------------------


def _shift(answer: str, by: int = 8) -> str:
    return re.sub(r"\{<(\d+)><(\d+)><(\d+)><(\d+)>\}",
                  lambda m: "{" + "".join(f"<{int(v) + by}>" for v in m.groups()) + "}", answer)  # fmt: skip


@pytest.fixture(scope="module")
def scored_run(official_set, tmp_path_factory) -> tuple[Path, Path]:
    """``sarchat score`` of the fixture's answers with every box shifted by 8 pixels: (its JSON, images root)."""
    from official_fixture import oracle_predictions

    files, root = official_set
    base = tmp_path_factory.mktemp("scored")
    predictions = oracle_predictions(files, base / "predictions", _shift)
    import contextlib
    import io

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        assert main(["score", str(base / "predictions"), "--images", str(root)]) == 0
    out = base / "score.json"
    out.write_text(buffer.getvalue(), encoding="utf-8")
    assert len(predictions) == 9
    return out, root


def page_data(page: Path) -> dict:
    text = page.read_text(encoding="utf-8")
    payload = re.search(r'<script type="application/json" id="sarchat-data">(.*?)</script>', text, re.S).group(1)
    return json.loads(payload.replace("<\\/", "</"))


def _depot_grounding(data: dict) -> dict:
    return next(c for c in data["cards"] if c["task"] == "grounding" and c["image_name"].endswith("depot.png"))


def test_inspect_a_score_writes_the_viewer(scored_run, tmp_path, capsys):
    score, root = scored_run
    out = tmp_path / "viewer"
    assert main(["inspect", str(score), "--images", str(root), "--out", str(out)]) == 0
    assert "17 cards" in capsys.readouterr().out
    assert sorted(p.name for p in out.iterdir()) == ["img", "index.html", "manifest.json"]
    data = page_data(out / "index.html")
    header = data["runs"][0]
    assert header["kind"] == "score" and header["reading"]["profile"] == "sarchat"
    assert {t: v["records"] for t, v in header["totals"].items()} == {
        "classification": 2, "counting": 3, "description": 1, "grounding": 3, "identification": 4, "referring": 4}  # fmt: skip
    card = _depot_grounding(data)
    reading = card["runs"][0]["reading"]
    # fixture: tank (20, 30, 60, 70), tank (200, 150, 240, 190), car (150, 20, 170, 34), each answered 8 px off
    assert [b["box"] for b in reading["reference_boxes"]] == [
        [20, 30, 60, 70],
        [200, 150, 240, 190],
        [150, 20, 170, 34],
    ]
    assert [b["box"] for b in reading["boxes"]] == [[28, 38, 68, 78], [208, 158, 248, 198], [158, 28, 178, 42]]
    # 32x32 overlap over 2 * 1600 - 1024: IoU 0.4706, matched at 0.25 but not at 0.5
    assert reading["matches"] == {"0.25": [[0, 0, 0.4706], [1, 1, 0.4706]], "0.5": []}
    assert card["grid"] and card["runs"][0]["score"] == 0
    thumbs = sorted(p.name for p in (out / "img").iterdir())
    assert len(thumbs) == 6 and all(name.endswith(".jpg") for name in thumbs)
    # a second run replaces the tool's own folder; a foreign folder is refused
    assert main(["inspect", str(score), "--images", str(root), "--out", str(out), "--task", "counting"]) == 0
    assert {c["task"] for c in page_data(out / "index.html")["cards"]} == {"counting"}
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "index.html").write_text("mine", encoding="utf-8")
    assert main(["inspect", str(score), "--images", str(root), "--out", str(foreign)]) == 2
    assert (foreign / "index.html").read_text(encoding="utf-8") == "mine"


def test_inspect_refuses_a_changed_prediction_file(scored_run, tmp_path, capsys):
    score, root = scored_run
    record = json.loads(score.read_text(encoding="utf-8"))["sarchat_provenance"]
    original = Path(next(iter(record["data"]["files_sha256"])))
    copy = tmp_path / "predictions"
    shutil.copytree(original.parent, copy)
    raw = json.loads(score.read_text(encoding="utf-8"))
    raw["sarchat_provenance"]["data"]["files_sha256"] = {
        str(copy / Path(name).name): digest for name, digest in record["data"]["files_sha256"].items()
    }
    edited = tmp_path / "score.json"
    edited.write_text(json.dumps(raw), encoding="utf-8")
    (copy / original.name).write_text("[]", encoding="utf-8")
    assert main(["inspect", str(edited), "--images", str(root), "--out", str(tmp_path / "v")]) == 2
    assert "changed since it was scored" in capsys.readouterr().err


def test_sampling_keeps_the_same_records_per_task(scored_run, tmp_path):
    score, root = scored_run
    out = tmp_path / "v"
    assert main(["inspect", str(score), "--images", str(root), "--out", str(out), "--per-task", "1"]) == 0
    data = page_data(out / "index.html")
    assert sorted(c["task"] for c in data["cards"]) == sorted(TASKS)
    assert data["runs"][0]["totals"]["referring"]["records"] == 4  # the header counts every record
    from sarchat_tasks.report.inspect import sample_rank

    kept = next(c for c in data["cards"] if c["task"] == "referring")["id"]
    ids = [f"SARChat_classify_refer_{s}_test:{i}" for s, n in (("multi", 2), ("single", 2)) for i in range(n)]
    assert kept == min(ids, key=lambda i: sample_rank("referring", i))


def test_side_by_side_pairs_the_same_records(scored_run, official_set, tmp_path, capsys):
    from official_fixture import oracle_predictions

    score, root = scored_run
    files, _ = official_set
    assert len(oracle_predictions(files, tmp_path / "exact")) == 9
    import contextlib
    import io

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        assert main(["score", str(tmp_path / "exact"), "--images", str(root)]) == 0
    (tmp_path / "exact.json").write_text(buffer.getvalue(), encoding="utf-8")
    out = tmp_path / "v"
    assert main(["inspect", str(score), "--compare", str(tmp_path / "exact.json"), "--images", str(root),
                 "--out", str(out)]) == 0  # fmt: skip
    data = page_data(out / "index.html")
    assert [r["label"] for r in data["runs"]] == ["predictions", "exact"]
    assert len(data["cards"]) == 17
    card = _depot_grounding(data)
    assert [side["score"] for side in card["runs"]] == [0, 100]


# ---------------------------------------------------------------------------------------------
# The page in a real browser
# ---------------------------------------------------------------------------------------------


def chromium_driver():
    """A headless Chromium driven by Selenium, or a skip saying what is missing (CI installs both)."""
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    if importlib.util.find_spec("selenium") is None:
        missing.append("the selenium package (pip install -e '.[test]')")
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the browser test; missing {', '.join(missing)}")
        pytest.skip(
            f"no headless browser here: missing {', '.join(missing)} (apt-get install chromium chromium-driver)"
        )
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    profile = tempfile.mkdtemp(prefix="sarchat-chromium-")
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 f"--user-data-dir={profile}", "--window-size=1400,1000"):  # fmt: skip
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.sarchat_profile = profile
    return driver


def _visible_cards(driver) -> int:
    return len(driver.find_elements("css selector", "#cards .card"))


def test_page_in_a_headless_browser(scored_run, tmp_path):
    score, root = scored_run
    out = tmp_path / "viewer"
    assert main(["inspect", str(score), "--images", str(root), "--out", str(out)]) == 0
    driver = chromium_driver()
    try:
        driver.get((out / "index.html").as_uri())
        assert driver.find_element("tag name", "body").get_attribute("data-ready") == "1"
        assert _visible_cards(driver) == 17
        data = page_data(out / "index.html")
        card_id = _depot_grounding(data)["id"]
        card = driver.find_element("css selector", f'.card[data-id="{card_id}"]')
        image = card.find_element("css selector", ".figure img").rect
        assert driver.execute_script("return arguments[0].complete && arguments[0].naturalWidth", card.find_element("css selector", ".figure img"))  # fmt: skip
        scale = image["width"] / 320  # depot.png is 320x256, drawn 256 CSS pixels wide
        expected = {"ref": [(20, 30, 60, 70), (200, 150, 240, 190), (150, 20, 170, 34)],
                    "pred": [(28, 38, 68, 78), (208, 158, 248, 198), (158, 28, 178, 42)]}  # fmt: skip
        for kind, boxes in expected.items():
            rects = card.find_elements("css selector", f"rect.{kind}")
            assert len(rects) == len(boxes)
            for rect, (x1, y1, x2, y2) in zip(rects, boxes):
                # an SVG element's client rectangle is its geometry, the stroke left out
                r = driver.execute_script("return arguments[0].getBoundingClientRect().toJSON()", rect)
                assert r["left"] - image["x"] == pytest.approx(x1 * scale, abs=0.5)
                assert r["top"] - image["y"] == pytest.approx(y1 * scale, abs=0.5)
                assert r["width"] == pytest.approx((x2 - x1) * scale, abs=0.5)
                assert r["height"] == pytest.approx((y2 - y1) * scale, abs=0.5)
        assert len(card.find_elements("css selector", "rect.pred.unmatched")) == 3
        # filters change the visible cards
        from selenium.webdriver.support.ui import Select

        Select(driver.find_element("id", "f-task")).select_by_value("counting")
        assert _visible_cards(driver) == 3
        Select(driver.find_element("id", "f-score")).select_by_value("full")
        assert _visible_cards(driver) == sum(
            1 for c in data["cards"] if c["task"] == "counting" and c["runs"][0]["score"] == 100
        )
        Select(driver.find_element("id", "f-task")).select_by_value("")
        Select(driver.find_element("id", "f-score")).select_by_value("zero")
        zeros = [c for c in data["cards"] if c["runs"][0]["score"] == 0]
        assert _visible_cards(driver) == len(zeros) > 0
        driver.find_element("id", "f-parse").click()
        assert _visible_cards(driver) == 0
        driver.find_element("id", "f-parse").click()
        Select(driver.find_element("id", "f-score")).select_by_value("")
        Select(driver.find_element("id", "f-task")).select_by_value("grounding")
        assert driver.find_element("css selector", "#cards .card").get_attribute("data-id") == card_id  # zeros first
        # the grid cells named: identification of the harbour's first ship, "bottom center" on both sides
        Select(driver.find_element("id", "f-task")).select_by_value("identification")
        ship = driver.find_element("css selector", '.card[data-id="SARChat_classify_identify_multi_test:0"]')
        assert [r.get_attribute("data-cell") for r in ship.find_elements("css selector", "rect.cell-ref")] == [
            "bottom center"
        ]
        assert [r.get_attribute("data-cell") for r in ship.find_elements("css selector", "rect.cell-pred")] == [
            "bottom center"
        ]
        Select(driver.find_element("id", "f-task")).select_by_value("grounding")
        shot = tmp_path / "inspect.png"
        driver.save_screenshot(str(shot))
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000
        if os.environ.get("SARCHAT_UPDATE_SCREENSHOT") == "1":  # docs/INSPECT.md's picture
            shutil.copyfile(shot, SCREENSHOT)
    finally:
        driver.quit()
        shutil.rmtree(driver.sarchat_profile, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# A real lmms-eval run
# ---------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_inspect_a_real_lmms_eval_run(prepared_set, tmp_path_factory, tmp_path, capsys):
    sys.path.insert(0, str(Path(__file__).parent))
    from test_report_runs import real_runs

    runs = real_runs(prepared_set, tmp_path_factory.getbasetemp() / "lmms_runs")
    assert main(["inspect", str(runs["full"])]) == 0
    page = runs["full"].parent / "inspect" / "index.html"
    data = page_data(page)
    assert len(data["cards"]) == 17
    assert data["runs"][0]["kind"] == "eval" and data["runs"][0]["provenance"]["profile"]
    # the log's values are what the scorer reads now
    assert not any(side["logged_differs"] for card in data["cards"] for side in card["runs"])
    counting = next(c for c in data["cards"] if c["task"] == "counting" and c["image_name"].endswith("harbour.png"))
    assert counting["runs"][0]["reading"]["count"] == 3 and counting["runs"][0]["score"] == 100
    # side by side with the later, partial run: the records both answered
    out = tmp_path / "ab"
    assert main(["inspect", str(runs["full"]), str(runs["partial"]), "--out", str(out)]) == 0
    both = page_data(out / "index.html")
    assert sorted(c["task"] for c in both["cards"]) == ["classification", "counting"]
    assert all(len(c["runs"]) == 2 for c in both["cards"])


def test_the_report_links_each_runs_viewer(scored_run, tmp_path):
    from sarchat_tasks.report.table3 import viewer_link

    score, root = scored_run
    results = tmp_path / "run" / "score.json"
    results.parent.mkdir()
    shutil.copyfile(score, results)
    assert viewer_link(results) == f"sarchat inspect {results}"
    assert main(["inspect", str(results), "--images", str(root)]) == 0
    assert viewer_link(results) == (tmp_path / "run" / "inspect" / "index.html").resolve().as_uri()
    # a viewer of another run in the same folder is not this run's
    other = tmp_path / "run" / "other.json"
    shutil.copyfile(score, other)
    assert viewer_link(other) == f"sarchat inspect {other}"
