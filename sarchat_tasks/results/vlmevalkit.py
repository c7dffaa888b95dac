"""Reading VLMEvalKit's files, so that ``sarchat score`` scores predictions made with VLMEvalKit.

VLMEvalKit (the other harness remote-sensing VLMs report in) keeps a dataset as a TSV with one row
per question: ``index``, ``image`` (the picture as base64) or ``image_path``, ``question`` and
``answer``; its prediction files (``{model}_{dataset}.xlsx``, or ``.tsv``) are those rows with the
model's ``prediction`` added and the ``image`` column dropped (VLMEvalKit's inference removes the
pictures before writing), so a row's image size comes from its ``image_path`` or, by ``index``,
from the dataset TSV given with ``--vlmeval-dataset``. The column names are those of VLMEvalKit's
``ImageBaseDataset`` (``vlmeval/dataset/image_base.py``) and its inference (``vlmeval/inference.py``). Each row becomes the record the official-format reader would
give (``prepare.ReadRecord``), so both formats are scored by the same code: the task comes from
the file name (``Qwen2-VL-2B_SARChat_classify_refer_multi_test.xlsx`` is referring, multi) or the
question's tag, the image size from the decoded picture or the file ``image_path`` names.
"""

from __future__ import annotations

import base64
import binascii
import io
import math
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from sarchat_tasks.official import OfficialRecord, task_of_file, task_of_question
from sarchat_tasks.prepare import PrepareError, ReadRecord, checked_record, image_size

SUFFIXES = (".tsv", ".xlsx")
REQUIRED = ("index", "question", "answer")


def is_vlmevalkit_file(path: Path) -> bool:
    return Path(path).suffix.lower() in SUFFIXES


def _table(path: Path, *, pictures: bool = True):
    """The file as a table of strings; an empty cell is an empty string (pandas would read NaN).
    A dataset table (``pictures``) must hold ``image`` or ``image_path``."""
    import pandas as pd

    try:
        if path.suffix.lower() == ".xlsx":
            table = pd.read_excel(path, dtype=str, keep_default_na=False)
        else:
            table = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False, quoting=3)
    except (OSError, ValueError, ImportError) as exc:
        raise PrepareError(f"{path}: cannot read as a VLMEvalKit {path.suffix} file: {exc}") from exc
    missing = [c for c in REQUIRED if c not in table.columns]
    if pictures and "image" not in table.columns and "image_path" not in table.columns:
        missing.append("image or image_path")
    if missing:
        raise PrepareError(f"{path}: not a VLMEvalKit table: no column {', '.join(missing)}")
    return table


def _cell(row: dict[str, Any], key: str) -> str:
    value = row.get(key, "")
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def _image_size(data: str, where: str) -> tuple[int, int]:
    from PIL import Image, UnidentifiedImageError

    try:
        raw = base64.b64decode(data, validate=True)
        with Image.open(io.BytesIO(raw)) as image:
            return image.size
    except (binascii.Error, ValueError, OSError, UnidentifiedImageError) as exc:
        raise PrepareError(f"{where}: the image column is not a base64 picture ({exc})") from exc


def _row_image(row: dict[str, Any], path: Path, where: str, resolve, sizes: dict[str, tuple[int, int]]):
    """(image reference, width, height) of a row: its base64 picture, the file its image_path
    names, else the picture of the same index in the dataset tables (``sizes``)."""
    image_path = _cell(row, "image_path").strip()
    if _cell(row, "image").strip():
        width, height = _image_size(_cell(row, "image").strip(), where)
        return (Path(image_path) if image_path else path), width, height
    if image_path:
        try:
            image = resolve(image_path, path)
            return (image, *image_size(image, shown=False))
        except PrepareError as exc:
            raise PrepareError(f"{where}: {exc}") from exc
    index = _cell(row, "index").strip()
    if index in sizes:
        return (path, *sizes[index])
    raise PrepareError(
        f"{where}: no image and no image_path (VLMEvalKit drops the pictures from its prediction files): "
        "pass the dataset TSV they came from, named as in VLMEvalKit ({model}_{dataset}.xlsx answers {dataset}.tsv), with --vlmeval-dataset"
    )


def dataset_image_sizes(
    paths: list[Path], resolve: Callable[[str, Path], Path]
) -> dict[str, dict[str, tuple[int, int]]]:
    """Image size by ``index``, per dataset name (the TSV's stem), from VLMEvalKit dataset tables."""
    datasets: dict[str, dict[str, tuple[int, int]]] = {}
    for path in map(Path, paths):
        sizes = datasets.setdefault(path.stem, {})
        for position, row in enumerate(_table(path).to_dict("records")):
            where = f"{path} row {position + 2} (index {_cell(row, 'index')})"
            _, width, height = _row_image(row, path, where, resolve, {})
            index = _cell(row, "index").strip()
            if sizes.get(index, (width, height)) != (width, height):
                raise PrepareError(f"{where}: index {index} is given another image earlier in dataset {path.stem}")
            sizes[index] = (width, height)
    return datasets


def sizes_for(path: Path, datasets: dict[str, dict[str, tuple[int, int]]]) -> dict[str, tuple[int, int]]:
    """The image sizes of the dataset a prediction file answers: VLMEvalKit names it
    ``{model}_{dataset}.xlsx``, so the dataset is the longest dataset name that ends its stem."""
    stem = Path(path).stem
    names = [name for name in datasets if stem == name or stem.endswith("_" + name)]
    return datasets[max(names, key=len)] if names else {}


def read_vlmevalkit(
    path: Path, resolve: Callable[[str, Path], Path], sizes: dict[str, tuple[int, int]] | None = None
) -> Iterator[ReadRecord]:
    """Every row of a VLMEvalKit prediction table as a checked record; ``resolve(image_path, file)``
    finds the file an ``image_path`` names, ``sizes`` (``dataset_image_sizes``) the size of a row
    that carries neither picture nor path."""
    path = Path(path)
    table = _table(path, pictures=False)
    if "prediction" not in table.columns:
        raise PrepareError(f"{path}: no 'prediction' column (a VLMEvalKit dataset, not its predictions)")
    file_task, file_subset = task_of_file(path)
    for position, row in enumerate(table.to_dict("records")):
        where = f"{path} row {position + 2} (index {_cell(row, 'index')})"  # row 1 is the header
        question, answer = _cell(row, "question").strip(), _cell(row, "answer").strip()
        image, width, height = _row_image(row, path, where, resolve, sizes or {})
        task = file_task or task_of_question(question)
        record = OfficialRecord(position, question, answer, str(image), _cell(row, "prediction"))
        yield checked_record(path, record, task, file_subset, image, width, height, where)
