"""``sarchat report`` on results of real lmms-eval runs (dummy backend, official fixture).

Every number of the report is checked against the results JSON it came from; the avg_score
formula and the fixture's counting and classification scores are checked by hand.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
from test_report_runs import real_runs, results

from sarchat_tasks import cli
from sarchat_tasks.registry import TABLE3_COLUMNS, TASKS
from sarchat_tasks.report.table3 import (
    REPORT_COLUMNS,
    build_report,
    find_paper_row,
    paper_rows,
    size_from_name,
    write_report,
)
from sarchat_tasks.results.run_logs import load_runs

pytestmark = pytest.mark.slow  # every test here runs lmms-eval or builds a model

N_FIXTURE = {"counting": 3, "grounding": 3, "identification": 4, "referring": 4, "description": 1, "classification": 2}


@pytest.fixture(scope="module")
def runs(prepared_set, tmp_path_factory) -> dict[str, Path]:
    return real_runs(prepared_set, tmp_path_factory.getbasetemp() / "lmms_runs")


def _csv_rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def _value(results_json: dict, task: str, metric: str):
    return results_json["results"][f"sarchat_{task}"][f"{metric},none"]


def test_the_paper_table_ships_with_the_package():
    rows = paper_rows()
    assert len(rows) == 16
    first = rows[0]
    assert first["model"] == "InternVL2.5-8B" and first["avg_score"] == 92.79 and first["classification"] == 97.25
    reference = Path(__file__).resolve().parents[1] / "sarchat_tasks" / "data" / "paper_table3.csv"
    assert reference.read_text(encoding="utf-8").splitlines()[0].split(",")[4:] == list(TABLE3_COLUMNS)
    assert find_paper_row("internvl2.5 8b", rows)["model"] == "InternVL2.5-8B"
    assert size_from_name("Qwen2-VL-7B-Instruct") == 7.0 and size_from_name("dummy") is None


def test_every_number_comes_from_the_results_json(runs, tmp_path):
    raw = results(runs["full"])
    # Naming the run after a paper model adds a delta row.
    report = build_report(load_runs([f"InternVL2.5-8B={runs['full_dir']}"]), iterations=200)
    written = write_report(report, tmp_path, plots=False)
    rows = _csv_rows(written["table3.csv"])
    ours = next(r for r in rows if r["source"] == "ours")
    assert ours["model"] == "InternVL2.5-8B"
    for column in TABLE3_COLUMNS:
        task = next(t for t in TASKS if column.startswith(t))
        assert float(ours[column]) == pytest.approx(_value(raw, task, column), abs=1e-12), column
    # avg_score by hand: a_t is the mean of the task's Table 3 columns (eq. 5), S the mean of a_t
    # weighted by the documents evaluated (eq. 4).
    a = {t: _value(raw, t, "avg_score") for t in TASKS}
    for task in TASKS:
        columns = [c for c in TABLE3_COLUMNS if c.startswith(task) and _value(raw, task, c) is not None]
        assert a[task] == pytest.approx(sum(_value(raw, task, c) for c in columns) / len(columns))
    n = {t: raw["n-samples"][f"sarchat_{t}"]["effective"] for t in TASKS}
    assert n == N_FIXTURE
    by_hand = sum(a[t] * n[t] for t in TASKS) / 17
    assert float(ours["avg_score"]) == pytest.approx(by_hand, abs=1e-9)
    assert float(ours["avg_score"]) == pytest.approx(raw["results"]["sarchat"]["avg_score,none"], abs=1e-9)
    # The fixture by hand. Counting: the harbour's 3 ships are answered exactly (count right, 3 TP);
    # the depot (2 tanks) and the airport (1 aircraft) get 3 wrong boxes each: 3 FP + 2 FN, 3 FP + 1 FN.
    assert float(ours["counting_only"]) == pytest.approx(100 / 3)
    assert float(ours["counting_iou25"]) == pytest.approx(100 * 3 / 12)
    # Classification: "ship" for the airport (FP ship, FN aircraft) and the harbour (TP ship, FN harbor).
    assert float(ours["classification"]) == pytest.approx(25.0)
    # The delta row and the paper's rows beside ours.
    delta = next(r for r in rows if r["source"] == "delta")
    paper = next(r for r in rows if r["source"] == "paper-reported" and r["model"] == "InternVL2.5-8B")
    assert float(delta["counting_iou25"]) == pytest.approx(25.0 - 61.37)
    assert float(delta["avg_score"]) == pytest.approx(by_hand - 92.79)
    assert float(paper["avg_score"]) == 92.79
    assert sum(r["source"] == "paper-reported" for r in rows) == 16
    # Intervals present for every column and containing the value; no notes for a clean run.
    for column in REPORT_COLUMNS:
        low, high = float(ours[f"{column}_ci95_low"]), float(ours[f"{column}_ci95_high"])
        assert low <= float(ours[column]) + 1e-9 and float(ours[column]) <= high + 1e-9, column
    assert ours["notes"] == ""
    # Per-category numbers are the results' category_<name> metrics.
    for row in _csv_rows(written["categories.csv"]):
        expected = _value(raw, row["task"], f"category_{row['category']}")
        assert (row["score"] == "" and expected is None) or float(row["score"]) == pytest.approx(expected)
    # Markdown and LaTeX show the same numbers at two decimals.
    markdown = written["table3.md"].read_text(encoding="utf-8")
    assert f"| InternVL2.5-8B | ours | 8.0 | {by_hand:.2f} | 33.33 | 25.00 | 25.00 |" in markdown
    assert "| Δ InternVL2.5-8B − paper | delta |" in markdown
    latex = written["table3.tex"].read_text(encoding="utf-8")
    assert latex.count(r"\begin{tabular}") == 1 and r"\multicolumn{3}{c}{Counting}" in latex
    body = [line for line in latex.splitlines() if line.endswith(r"\\") and "multicolumn" not in line]
    assert {line.count("&") for line in body} == {len(REPORT_COLUMNS)}
    data = json.loads(written["report.json"].read_text(encoding="utf-8"))
    assert data["models"][0]["sources"]["counting"]["results"] == str(runs["full"])


def test_later_runs_replace_earlier_ones_and_partial_runs_are_flagged(runs, tmp_path):
    full, partial = results(runs["full"]), results(runs["partial"])
    assert partial["n-samples"]["sarchat_counting"] == {"original": 3, "effective": 1}
    report = build_report(load_runs([str(runs["partial_dir"]), str(runs["full_dir"])]), iterations=200)
    (model,) = report.models
    assert model.name == "dummy"
    for task in TASKS:
        expected = runs["partial"] if task in ("counting", "classification") else runs["full"]
        assert model.tasks[task].run.path == expected, task
    assert [r.run.path for r in model.replaced["counting"]] == [runs["full"]]
    # By hand: RESPONSE_PARTIAL on the harbour says 1 instance (3 ships) with one box far from them,
    # and names the airport's aircraft: counting a_t = 0, classification a_t = 100.
    assert model.task_scores["counting"] == 0.0 and model.task_scores["classification"] == 100.0
    n = dict(N_FIXTURE, counting=1, classification=1)
    a = {t: _value(partial if t in ("counting", "classification") else full, t, "avg_score") for t in TASKS}
    assert model.avg_score == pytest.approx(sum(a[t] * n[t] for t in TASKS) / sum(n.values()))
    assert model.partial
    assert any("counting: partial run, 1 of 3 documents" in note for note in model.notes)
    written = write_report(report, tmp_path, plots=False)
    markdown = written["report.md"].read_text(encoding="utf-8")
    assert f"| dummy | ours | — | {model.avg_score:.2f}†" in markdown
    assert str(runs["full"]) in markdown and str(runs["partial"]) in markdown  # the sources table


def test_missing_tasks_leave_the_average_blank(runs, tmp_path):
    report = build_report(load_runs([str(runs["partial"])]), iterations=100)
    (model,) = report.models
    assert model.missing_tasks == ["grounding", "identification", "referring", "description"]
    assert model.avg_score is None
    assert model.avg_over_present == pytest.approx((0.0 * 1 + 100.0 * 1) / 2)
    assert any("missing tasks: grounding, identification, referring, description" in n for n in model.notes)
    ours = next(
        r for r in _csv_rows(write_report(report, tmp_path, plots=False)["table3.csv"]) if r["source"] == "ours"
    )
    assert ours["avg_score"] == "" and ours["grounding_multi"] == ""


def test_without_sample_logs_the_report_says_so_instead_of_inventing_intervals(runs, tmp_path):
    alone = tmp_path / "alone"
    alone.mkdir()
    shutil.copy(runs["full"], alone / runs["full"].name)
    report = build_report(load_runs([str(alone)]), iterations=100)
    (model,) = report.models
    assert model.intervals is None and model.avg_score is not None
    written = write_report(report, tmp_path / "out", plots=False)
    ours = next(r for r in _csv_rows(written["table3.csv"]) if r["source"] == "ours")
    assert all(ours[f"{c}_ci95_low"] == "" for c in REPORT_COLUMNS)
    assert "no sample logs: not available" in written["table3.md"].read_text(encoding="utf-8")
    assert "intervals: not available (no sample logs)" in written["table3.tex"].read_text(encoding="utf-8")


def test_mixed_metric_versions_are_reported(runs, tmp_path):
    changed = results(runs["full"])
    changed["versions"]["sarchat_counting"] = 99.0
    changed["model_name"] = "other"
    path = tmp_path / "20990101_000000_results.json"
    path.write_text(json.dumps(changed), encoding="utf-8")
    report = build_report(load_runs([str(runs["full"]), str(path)]), iterations=100)
    other = next(m for m in report.models if m.name == "other")
    assert other.mixed_versions
    assert any("counting 99.0" in note and "different metric versions" in note for note in other.notes)
    assert any("installed 2.0" in note for note in other.notes)
    assert any(note.startswith("counting: models were scored by different metric versions") for note in report.notes)
    markdown = write_report(report, tmp_path / "out", plots=False)["table3.md"].read_text(encoding="utf-8")
    assert "‡" in markdown.split("| other | ours |")[1].split("\n")[0]


def test_a_stale_sample_log_is_reported(runs, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(runs["full_dir"], copy)
    results_path = next(copy.rglob("*_results.json"))
    raw = results(results_path)
    raw["results"]["sarchat_counting"]["counting_only,none"] = 99.0
    results_path.write_text(json.dumps(raw), encoding="utf-8")
    (model,) = build_report(load_runs([str(copy)]), iterations=50).models
    assert any("counting_only" in n and "does not belong to these results" in n for n in model.notes)


def _image_stats(path: Path) -> tuple[tuple[int, int], float, int]:
    from PIL import Image

    with Image.open(path) as image:
        pixels = np.asarray(image.convert("RGB"), dtype=float)
        return image.size, float(pixels.std()), len(np.unique(pixels.reshape(-1, 3), axis=0))


def test_plots_are_written_and_not_blank(runs, tmp_path):
    pytest.importorskip("matplotlib")
    report = build_report(load_runs([f"Qwen2-VL-7B={runs['full_dir']}"]), iterations=100)
    written = write_report(report, tmp_path, plots=True)
    names = sorted(p.name for p in written["plots"])
    assert names == ["avg_vs_params.png", "avg_vs_params.svg", "radar.png", "radar.svg"]
    for png in ("radar.png", "avg_vs_params.png"):
        size, spread, colours = _image_stats(tmp_path / png)
        assert size[0] > 600 and size[1] > 400, (png, size)
        assert spread > 10 and colours > 50, (png, spread, colours)
    for svg in ("radar.svg", "avg_vs_params.svg"):
        text = (tmp_path / svg).read_text(encoding="utf-8")
        assert "<svg" in text and len(text) > 10_000
    assert written["plot_message"] is None  # the paper model's size was taken from the paper
    assert "![radar](radar.png)" in written["report.md"].read_text(encoding="utf-8")


def test_without_matplotlib_the_tables_are_written_with_a_clear_message(runs, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    report = build_report(load_runs([str(runs["full"])]), iterations=50)
    written = write_report(report, tmp_path, plots=True)
    assert written["plots"] == []
    assert "pip install matplotlib" in written["plot_message"]
    assert "pip install matplotlib" in written["report.md"].read_text(encoding="utf-8")
    assert written["table3.csv"].exists()


def test_the_command_line(runs, tmp_path, capsys):
    code = cli.main(["report", str(runs["full_dir"]), "--out", str(tmp_path), "--no-plots", "--bootstrap", "100"])
    assert code == 0
    assert "| dummy | ours |" in capsys.readouterr().out
    assert (tmp_path / "report.md").exists() and not (tmp_path / "radar.png").exists()
    assert cli.main(["report", str(tmp_path / "nothing"), "--out", str(tmp_path / "x")]) == 2


def _paper_and_ours():
    from sarchat_tasks.report.plots import PlotModel
    from sarchat_tasks.report.table3 import paper_rows, paper_task_scores

    scores = dict.fromkeys(
        ("counting", "grounding", "identification", "referring", "description", "classification"), 3.0
    )
    ours = [
        PlotModel("sarchat_cfar", scores, 23.88, None, False),  # a baseline: no parameter count
        PlotModel("sarchat_blind", scores, 3.74, None, False),
        PlotModel("runs/ckpt-a/merged", scores, 2.1, 2.2, False),  # low: squeezes the paper's rows together
    ]
    return ours + [
        PlotModel(p["model"], paper_task_scores(p), p["avg_score"], p["params_b"], True) for p in paper_rows()
    ]


def test_size_plot_names_every_model_without_overlapping_labels():
    pytest.importorskip("matplotlib")
    from sarchat_tasks.report.plots import score_vs_size_figure

    models = _paper_and_ours()
    fig, left_out = score_vs_size_figure(models)
    renderer = fig.canvas.get_renderer()
    ax = fig.axes[0]
    texts = [t for t in ax.texts]
    assert sorted(t.get_text() for t in texts) == sorted(m.name for m in models)  # baselines included
    assert left_out == []
    # the text boxes alone (an annotation's extent also spans its leader line)
    boxes = [matplotlib_text_box(t, renderer) for t in texts]
    overlapping = [
        (texts[i].get_text(), texts[j].get_text())
        for i in range(len(boxes))
        for j in range(i + 1, len(boxes))
        if boxes[i].x0 < boxes[j].x1
        and boxes[j].x0 < boxes[i].x1
        and boxes[i].y0 < boxes[j].y1
        and boxes[j].y0 < boxes[i].y1
    ]
    assert overlapping == []
    top = ax.get_window_extent(renderer).y1
    assert all(box.y1 <= top + 0.5 for box in boxes)  # no name runs into the title
    assert "size\nunknown" in [label.get_text() for label in ax.get_xticklabels()]


def matplotlib_text_box(annotation, renderer):
    """The box of an annotation's text, without its leader line."""
    from matplotlib.text import Text

    return Text.get_window_extent(annotation, renderer)


def test_radar_has_a_legend_entry_for_every_line():
    pytest.importorskip("matplotlib")
    from sarchat_tasks.report.plots import radar_figure

    fig = radar_figure(_paper_and_ours())
    entries = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert entries == [
        "paper-reported range (16 models, Table 3)", "paper-reported mean",
        "sarchat_cfar", "sarchat_blind", "runs/ckpt-a/merged",
    ]  # fmt: skip
    assert len(fig.axes[0].lines) == 4  # the mean and one line per model of ours, no unlabelled line


@pytest.mark.parametrize(
    ("name", "written"),
    [
        # each of LaTeX's ten special characters, escaped by hand
        (r"a\b", r"a\textbackslash{}b"),
        ("R&D", r"R\&D"),
        ("50%", r"50\%"),
        ("$5", r"\$5"),
        ("#1", r"\#1"),
        ("qwen_vl", r"qwen\_vl"),
        ("{x}", r"\{x\}"),
        ("~/ckpt", r"\textasciitilde{}/ckpt"),
        ("x^2", r"x\textasciicircum{}2"),
        (r"~/a_b{c}$^\&", r"\textasciitilde{}/a\_b\{c\}\$\textasciicircum{}\textbackslash{}\&"),
    ],
)
def test_latex_escapes_every_special_character(name, written):
    from sarchat_tasks.report.table3 import _tex

    assert _tex(name) == written
