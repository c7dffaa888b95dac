"""``sarchat score`` on VLMEvalKit's files, written as VLMEvalKit writes them: a dataset TSV per
dataset with ``index``, ``image`` (base64) or ``image_path``, ``question``, ``answer``
(vlmeval/dataset/image_base.py), and the prediction file ``{model}_{dataset}.xlsx`` (or ``.tsv``):
the dataset's rows with ``prediction`` added and the ``image`` column popped (vlmeval/inference.py),
through pandas (``to_excel``, ``to_csv(sep='\\t')``)."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path

import pandas as pd
import pytest
from official_fixture import RECORDS, oracle_predictions
from PIL import Image

from sarchat_tasks.registry import TABLE3_COLUMNS, TASKS

MODEL = "Qwen2-VL-2B-Instruct"


def _base64_jpeg(path: Path) -> str:
    buffer = io.BytesIO()
    Image.open(path).convert("RGB").save(buffer, format="JPEG")
    return base64.b64encode(buffer.getvalue()).decode()


def _dataset(root: Path, name: str, *, inline: bool = True) -> pd.DataFrame:
    rows = []
    for index, (image, question, reference) in enumerate(RECORDS[name]):
        row = {"index": index, "question": question, "answer": reference}
        row |= {"image": _base64_jpeg(root / image)} if inline else {"image_path": image}
        rows.append(row)
    return pd.DataFrame(rows)


def _predictions(dataset: pd.DataFrame, answer=lambda reference: reference) -> pd.DataFrame:
    data = dataset.copy()
    data["prediction"] = [answer(reference) for reference in data["answer"]]
    if "image" in data:
        data.pop("image")
    return data


def _write(root: Path, out: Path, suffix: str, *, inline: bool = True, answer=lambda r: r):
    """The nine datasets (TSV) and the model's prediction files; returns (datasets, predictions)."""
    out.mkdir(parents=True, exist_ok=True)
    datasets, predictions = [], []
    for name in RECORDS:
        dataset_name = name.removesuffix(".json")
        data = _dataset(root, name, inline=inline)
        data.to_csv(out / f"{dataset_name}.tsv", sep="\t", index=False)
        datasets.append(out / f"{dataset_name}.tsv")
        path = out / f"{MODEL}_{dataset_name}{suffix}"
        table = _predictions(data, answer)
        table.to_excel(path, index=False) if suffix == ".xlsx" else table.to_csv(path, sep="\t", index=False)
        predictions.append(path)
    return datasets, predictions


def _score(sarchat_command, *args) -> dict:
    done = sarchat_command("score", *args)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _with_datasets(datasets: list[Path]) -> list[str]:
    return [arg for path in datasets for arg in ("--vlmeval-dataset", str(path))]


def test_xlsx_predictions_score_like_the_json_ones(official_set, tmp_path, sarchat_command):
    files, root = official_set
    drop_a_box = lambda answer: answer.replace("{<61><448><122><503>}", "")  # noqa: E731
    datasets, xlsx = _write(root, tmp_path / "vlmeval", ".xlsx", answer=drop_a_box)
    ours = _score(sarchat_command, *xlsx, *_with_datasets(datasets))
    theirs = _score(sarchat_command, *oracle_predictions(files, tmp_path / "swift", drop_a_box), "--images", root)
    for task in TASKS:
        if task in ours:
            got = {k: v for k, v in ours[task].items() if k in TABLE3_COLUMNS}
            assert got == {k: v for k, v in theirs[task].items() if k in TABLE3_COLUMNS}, task
    # the dropped ship: counting 5 of 6 boxes, referring multi 4 of 5
    assert ours["counting"]["counting_iou50"] == pytest.approx(500 / 6)
    assert ours["referring"]["referring_multi_iou50"] == pytest.approx(80.0)


def test_tsv_predictions_with_image_paths(official_set, tmp_path, sarchat_command):
    _, root = official_set
    _, tsv = _write(root, tmp_path / "vlmeval", ".tsv", inline=False)
    metrics = _score(sarchat_command, *tsv, "--images", root)
    assert metrics["avg_score"] == 100.0
    assert sum(metrics[t]["samples"] for t in TASKS if t in metrics) == 17


def test_an_empty_prediction_is_an_empty_answer(official_set, tmp_path, sarchat_command):
    _, root = official_set
    datasets, xlsx = _write(root, tmp_path / "vlmeval", ".xlsx", answer=lambda reference: "")
    classify = next(p for p in xlsx if p.name.endswith("_SARChat_classify_test.xlsx"))
    metrics = _score(sarchat_command, classify, *_with_datasets(datasets))
    assert metrics["classification"]["classification"] == 0.0
    assert metrics["classification"]["parse_failure_rate"] == 100.0


def test_predictions_without_their_dataset_are_refused(official_set, tmp_path, sarchat_command):
    _, root = official_set
    _, xlsx = _write(root, tmp_path / "vlmeval", ".xlsx")
    done = sarchat_command("score", xlsx[0])
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "row 2 (index 0): no image and no image_path" in done.stderr and "--vlmeval-dataset" in done.stderr


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda t: t.drop(columns=["prediction"]), "no 'prediction' column"),
        (lambda t: t.drop(columns=["answer"]), "not a VLMEvalKit table: no column answer"),
        (
            lambda t: t.assign(image=["not base64!"] * len(t)),
            "row 2 (index 0): the image column is not a base64 picture",
        ),
    ],
)
def test_bad_tables_are_named(official_set, tmp_path, sarchat_command, edit, message):
    _, root = official_set
    path = tmp_path / f"{MODEL}_SARChat_classify_test.tsv"
    data = _dataset(root, "SARChat_classify_test.json")
    edit(data.assign(prediction=data["answer"])).to_csv(path, sep="\t", index=False)
    done = sarchat_command("score", path)
    assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr
