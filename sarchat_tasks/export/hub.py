"""``sarchat export-hub PREPARED_DIR --out HUB_DIR``: a prepared set as a Hugging Face dataset repository.

The folder is ready to upload (``hf upload ORG/NAME HUB_DIR --repo-type dataset``) and
loads offline as it is, with ``datasets.load_dataset(HUB_DIR, name=CONFIG, split="test")``::

    HUB_DIR/README.md                                dataset card: ``configs:`` front matter, licence,
                                                     citation, how the set was built, the columns
    HUB_DIR/<config>/test-00000-of-0000N.parquet     one config per task and per lite task
    HUB_DIR/sarchat_export.json                      what was exported from where, sizes (this command's mark)

Each row is a prepared row (``sarchat_tasks.prepared.ROW_COLUMNS``) with ``image`` turned into a
``datasets`` ``Image`` feature (the JPEG or PNG bytes as stored, never re-encoded; ``path`` is the
image's path under the set's images folder). Identification asks about seven records per object,
so one image serves dozens of records: each shard is written as one Parquet row group with the
image bytes dictionary-encoded, which stores every image once per shard, not once per record
(docs/PERFORMANCE.md has the sizes). Shards split between records once the distinct images of a
shard reach ``--max-shard-mb`` (the file), or the shard's images counted once per record reach
``--max-decoded-mb``: ``datasets`` reads a row group whole and expands it, and Arrow cannot read a
nested column of 2 GB or more, so a shard must stay well under that once decoded.

The export is written to a staging folder inside HUB_DIR (``.partial-hub-*``) and moved into place
entry by entry, its mark last (``sarchat_tasks.outputs.commit``), so an interrupted export leaves
the old export or the new one; a rerun removes the staging folders of interrupted runs. Only
entries an earlier export wrote (those its mark lists) are replaced: anything else in HUB_DIR (a
``.git`` folder, ``.gitattributes``, notes) is kept, and a foreign entry with a name the export
writes is refused, ``--force`` included. A non-empty folder that is not an export is written into
only with ``--force``. ``--out`` may not be, lie inside, or hold the prepared set.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import time
from pathlib import Path
from typing import Any

from sarchat_tasks import __version__
from sarchat_tasks.errors import SarchatError
from sarchat_tasks.export.upstream import ARXIV, AUTHOR_LINE, CITATION, PAPER, upload_command
from sarchat_tasks.outputs import FolderBusy, writer_lock
from sarchat_tasks.prepared import IMAGES_DIR, MANIFEST, ROW_COLUMNS, ROWS_DIR, PreparedSet

MARK = "sarchat_export.json"
MARK_FORMAT = "sarchat-hub"
MARK_VERSION = 1
SPLIT = "test"
DEFAULT_MAX_SHARD_MB = 256
DEFAULT_MAX_DECODED_MB = 256
BUILD_REPORT = "build_report.json"  # written by `sarchat build` beside the manifest
PARTIAL_PREFIX = ".partial-hub-"
TASK_TITLES = {
    "counting": "instance counting",
    "grounding": "spatial grounding",
    "identification": "cross-modal identification",
    "referring": "referring",
    "description": "fine-grained description",
    "classification": "classification",
}
SARDET_SOURCES = "AIR_SARShip 1.0/2.0, HRSID, MSAR, SADD, SAR-AIRcraft-1.0, ShipDataset, SSDD, OGSOD, SIVED"
COLUMN_MEANINGS = {
    "id": "record id: `<official file stem>:<index in that file>`, unique within the config",
    "task": "task name (`counting`, `grounding`, `identification`, `referring`, `description`, `classification`)",
    "subset": "`multi` or `single` for grounding, identification and referring (from the official file); empty otherwise",
    "question": "the user turn as published, without the `<image>` placeholder (question tags such as `[refer]` kept)",
    "answer": "the reference answer as published (boxes `{<x1><y1><x2><y2>}` in pixels of the original image)",
    "image": "the SAR image (`Image` feature: the original file's bytes; `path` is its path under the source tree)",
    "width": "image width in pixels (boxes are read against it)",
    "height": "image height in pixels",
    "category": "the record's main category (`ship`, `aircraft`, `car`, `tank`, `bridge`, `harbor`), for per-category scores",
    "reference": "the reference answer parsed once at preparation (JSON: boxes, counts, cells, attributes); scoring compares against it",
}


_DTYPES = {"image": "image", "width": "int64", "height": "int64"}  # the card's dtype of each column; others string


class HubExportError(SarchatError):
    """The prepared set cannot be exported, or the output folder is not ours to replace."""


# ---------------------------------------------------------------------------------------------
# Configs and shards
# ---------------------------------------------------------------------------------------------


def configs_of(prepared: PreparedSet) -> dict[str, Path]:
    """Config name -> rows file: one per task and one per lite task, as the manifest lists them."""
    configs: dict[str, Path] = {}
    for task, info in prepared.manifest.get("tasks", {}).items():
        for key, name in (("file", task), ("lite_file", f"{task}_lite")):
            if info.get(key):
                path = prepared.root / info[key]
                if not path.is_file():
                    raise HubExportError(f"{path}: rows file listed in the manifest is missing")
                configs[name] = path
    if not configs:
        raise HubExportError(f"{prepared.root}: the manifest lists no tasks")
    return configs


def features():
    """The ``datasets`` features of every config: the prepared row columns, ``image`` an Image."""
    from datasets import Features, Image, Value

    return Features({name: Image() if name == "image" else Value(_DTYPES.get(name, "string")) for name in ROW_COLUMNS})


def shard_rows(images: list[str], sizes: dict[str, int], max_bytes: int, max_decoded: int) -> list[range]:
    """Consecutive row ranges, each holding at least one row, whose distinct images add up to at most
    ``max_bytes`` (the file) and whose images counted once per record add up to at most
    ``max_decoded`` (the row group as ``datasets`` reads it: whole, one copy per record, and Arrow
    cannot read a nested column of 2 GB or more). Rows keep their order, so lmms-eval's ``doc_id``
    and ``--limit`` pick the same records as in the prepared set."""
    shards: list[range] = []
    start, seen, distinct, decoded = 0, set(), 0, 0
    for index, image in enumerate(images):
        extra = 0 if image in seen else sizes[image]
        if index > start and (distinct + extra > max_bytes or decoded + sizes[image] > max_decoded):
            shards.append(range(start, index))
            start, seen, distinct, decoded, extra = index, set(), 0, 0, sizes[image]
        seen.add(image)
        distinct += extra
        decoded += sizes[image]
    if start < len(images) or not shards:
        shards.append(range(start, len(images)))
    return shards


def _write_shard(path: Path, columns: dict[str, list], rows: range, prepared: PreparedSet, hf_features) -> int:
    """Write one shard; returns its size as a plain Arrow table, what ``datasets`` caches on loading.

    The image bytes column is built as an Arrow dictionary array (each distinct image read and held
    once) and written as one row group, so Parquet stores every image's bytes once in the shard's
    dictionary page and a small index per record. The file's schema is the Image feature's plain
    storage type (``store_schema=False`` keeps Arrow's dictionary type out of it); the ``datasets``
    features go in the ``huggingface`` key, as ``datasets`` itself writes them.
    """
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    images = columns["image"][rows.start : rows.stop]
    distinct = list(dict.fromkeys(images))
    position = {image: index for index, image in enumerate(distinct)}
    dictionary = pa.array([prepared.image_path({"image": image}).read_bytes() for image in distinct], pa.binary())
    image_bytes = pa.DictionaryArray.from_arrays(pa.array([position[i] for i in images], pa.int32()), dictionary)
    image_paths = pa.array([_image_name(image) for image in images], pa.string())
    storage = hf_features.arrow_schema
    arrays = [
        pa.StructArray.from_arrays([image_bytes, image_paths], names=["bytes", "path"])
        if name == "image"
        else pa.array(columns[name][rows.start : rows.stop], storage.field(name).type)
        for name in ROW_COLUMNS
    ]
    schema = pa.schema([pa.field(name, array.type) for name, array in zip(ROW_COLUMNS, arrays)])
    table = pa.Table.from_arrays(arrays, schema=schema)
    with pq.ParquetWriter(
        path,
        schema,
        store_schema=False,
        use_dictionary=True,
        dictionary_pagesize_limit=dictionary.nbytes + (1 << 20),
        compression="snappy",
    ) as writer:
        writer.write_table(table, row_group_size=max(len(rows), 1))
        writer.add_key_value_metadata({"huggingface": storage.metadata[b"huggingface"].decode("utf-8")})
    # as datasets holds it: the image bytes once per record, with 32-bit offsets
    lengths = pc.binary_length(dictionary).to_pylist()
    return table.nbytes - image_bytes.nbytes + sum(lengths[position[i]] for i in images) + 4 * (len(images) + 1)


def _image_name(image: str) -> str:
    """A prepared row's image path (``images/JPEGImages/test/x.jpg``) as the source tree names it."""
    prefix = f"{IMAGES_DIR}/"
    return image[len(prefix) :] if image.startswith(prefix) else image


def _read_rows(path: Path) -> dict[str, list]:
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    missing = [c for c in ROW_COLUMNS if c not in table.column_names]
    if missing:
        raise HubExportError(f"{path}: rows file lacks columns {', '.join(missing)}; prepare the set again")
    return table.select(list(ROW_COLUMNS)).to_pydict()


def manifest_text(prepared: PreparedSet) -> bytes:
    return (prepared.root / MANIFEST).read_bytes()


def _folder_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.is_dir() else 0


# ---------------------------------------------------------------------------------------------
# Dataset card
# ---------------------------------------------------------------------------------------------


def _size_category(rows: int) -> str:
    for limit, name in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M")):
        if rows < limit:
            return name
    return "1M<n<10M"


OTHER_LICENSE_NAME = "sardet-100k-source-datasets"
OTHER_LICENSE_LINK = "https://github.com/zcablii/SARDet_100K"


def _front_matter(mark: dict[str, Any], license_id: str, pretty_name: str) -> str:
    import yaml

    configs = mark["configs"]
    total = max(c["rows"] for c in configs.values())
    card: dict[str, Any] = {"license": license_id}
    if license_id == "other":
        # the Hub asks an `other` licence to be named and linked: the images keep their ten sources'
        # terms, which SARDet-100K's repository lists
        card.update(license_name=OTHER_LICENSE_NAME, license_link=OTHER_LICENSE_LINK)
    card |= {
        "pretty_name": pretty_name,
        "language": ["en"],
        "task_categories": ["image-text-to-text", "visual-question-answering"],
        "tags": ["sar", "synthetic-aperture-radar", "remote-sensing", "benchmark", "lmms-eval"],
        "size_categories": [_size_category(total)],
        "configs": [
            {"config_name": name, "data_files": [{"split": SPLIT, "path": f"{name}/{SPLIT}-*.parquet"}]}
            for name in configs
        ],
        "dataset_info": [
            {
                "config_name": name,
                "features": [{"name": column, "dtype": _DTYPES.get(column, "string")} for column in ROW_COLUMNS],
                "splits": [{"name": SPLIT, "num_bytes": info["arrow_bytes"], "num_examples": info["rows"]}],
                "download_size": info["bytes"],
                "dataset_size": info["arrow_bytes"],
            }
            for name, info in configs.items()
        ],
    }
    return "---\n" + yaml.safe_dump(card, sort_keys=False, allow_unicode=True, width=200) + "---\n"


def _mb(size: int) -> str:
    return f"{size / 1e6:,.1f} MB"


def dataset_card(mark: dict[str, Any], *, hub_id: str, license_id: str, images_origin: str) -> str:
    """README.md of the hub folder."""
    source = mark["source"]
    configs = mark["configs"]
    pretty_name = "SARChat-Bench (test, synthetic sample)" if images_origin == "synthetic" else "SARChat-Bench (test)"
    rows_table = "\n".join(
        f"| `{name}` | {TASK_TITLES.get(name.removesuffix('_lite'), name)}{' (lite)' if name.endswith('_lite') else ''} "
        f"| {info['rows']:,} | {info['images']:,} | {info['shards']} | {_mb(info['bytes'])} |"
        for name, info in configs.items()
    )
    columns = "\n".join(f"| `{name}` | {COLUMN_MEANINGS[name]} |" for name in ROW_COLUMNS)
    build = source.get("build")
    if images_origin == "synthetic":
        origin = (
            "The images are procedural SAR-like scenes from `sarchat synth` (no real radar data): this is a\n"
            "pipeline sample, not SARChat-Bench results material."
        )
        licence = (
            f"`{license_id}`. Images, questions and answers were all generated by sarchat-bench (MIT licence)\n"
            "from synthetic scenes; nothing here comes from a third-party dataset."
        )
    else:
        origin = (
            "The images are SARDet-100K test images (COCO annotations, six categories), themselves merged\n"
            f"from ten public SAR detection sets ({SARDET_SOURCES})."
        )
        licence = (
            f"`{license_id}`. The questions and answers follow the rules of the SARChat-Bench paper as\n"
            "implemented by sarchat-bench (MIT licence). The images are redistributed from SARDet-100K, whose\n"
            f"ten source datasets ({SARDET_SOURCES}) each keep their own terms: check them, and set the\n"
            "card's `license` (`sarchat export-hub --license`), before publishing this folder."
        )
    if build:
        how = (
            f"Rebuilt with `sarchat build` (sarchat-bench, seed {build.get('seed')}, question templates "
            f"sha256 `{str(build.get('templates_sha256'))[:16]}...`) as the nine official test files, then prepared\n"
            "(`sarchat prepare`): every reference answer parsed, image sizes read, images checked and stored once."
        )
    elif images_origin == "synthetic":
        how = (
            "Scenes drawn by `sarchat synth`, written as the nine official test files by `sarchat build`, then\n"
            "prepared (`sarchat prepare`): every reference answer parsed, image sizes read, images checked."
        )
    else:
        how = (
            "Prepared with `sarchat prepare` from the nine official test files (every reference answer\n"
            "parsed, image sizes read, images checked and stored once)."
        )
    sources = ", ".join(f"`{s}`" for s in source.get("sources", []))
    sizes = mark["sizes"]
    return f"""{_front_matter(mark, license_id, pretty_name)}
# {pretty_name}

The test set of SARChat-Bench, a benchmark of vision-language models on synthetic aperture radar
(SAR) images: six tasks over ships, aircraft, cars, tanks, bridges and harbours, as defined in

> {AUTHOR_LINE}. {PAPER}. arXiv:{ARXIV}, 2025. <https://arxiv.org/abs/{ARXIV}>

{origin}

The scoring that goes with it is the `sarchat` task group of lmms-eval (or the sarchat-bench
package, which ships the same tasks as an lmms-eval plugin); it reads the `reference` column.

## Configs

One config per task and one per lite task (a fixed, stratified 5 % subset of the same records, the
same on every machine); each has a single split, `{SPLIT}`.

| config | task | records | images | shards | size |
|---|---|---|---|---|---|
{rows_table}

```python
from datasets import load_dataset

ds = load_dataset("{hub_id}", name="referring", split="{SPLIT}")   # or a local copy of this folder
```

With the tasks in lmms-eval (`lmms_eval/tasks/sarchat`, written by `sarchat export-upstream`):

```bash
lmms-eval --tasks sarchat --model qwen2_vl --model_args pretrained=Qwen/Qwen2-VL-2B-Instruct --output_path runs/
```

## Columns

| column | meaning |
|---|---|
{columns}

Every image is stored once per Parquet shard however many records ask about it (dictionary
encoding of the image bytes, one row group per shard): {_mb(sizes["hub_bytes"])} in all, against
{_mb(sizes["prepared_bytes"])} for the prepared set it was exported from and
{_mb(sizes["one_image_per_record_bytes"])} of image bytes if every record carried its own copy.
`datasets` expands the bytes per record in its local Arrow cache when it loads a config.

## How it was built

{how}
Then exported with `sarchat export-hub` (sarchat-bench {mark["created_by"].split()[-1]}).

- Source: {source.get("records", "?"):,} records over {source.get("images", "?"):,} images, prepared
  by {source.get("created_by", "?")} (prepared-set format {source.get("format_version", "?")}).
- Official files: {sources}.
- Lite subsets: chosen from record ids alone (sarchat-bench `lite.py`), so they are reproducible.

The SARChat-Bench authors have not published their data files (the release's links return 404)
nor their scoring code; sarchat-bench rebuilds the test set from SARDet-100K by the rules the paper
states and implements the metrics rule by rule (its docs/DATASET.md and docs/METRICS.md say which
details the paper leaves open and what was chosen).

## Licence

{licence}

## Citation

{CITATION}
"""


# ---------------------------------------------------------------------------------------------
# Export
# ---------------------------------------------------------------------------------------------


def is_hub_export(folder: Path) -> bool:
    """Whether ``folder`` is this command's output (it holds our mark)."""
    try:
        mark = json.loads((Path(folder) / MARK).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return False
    return isinstance(mark, dict) and mark.get("format") == MARK_FORMAT


def read_mark(folder: Path) -> dict[str, Any]:
    """The mark of an exported hub folder; raises if ``folder`` is not one."""
    folder = Path(folder)
    if not is_hub_export(folder):
        raise HubExportError(f"{folder} is not a folder written by `sarchat export-hub` (no {MARK})")
    return json.loads((folder / MARK).read_text(encoding="utf-8"))


def _own_names(out: Path) -> set[str]:
    """The entries of ``out`` an earlier export wrote (its mark lists its configs), or of an
    interrupted commit (its marker lists what it was replacing); empty for a foreign folder."""
    from sarchat_tasks.outputs import COMMIT_MARKER

    own: set[str] = set()
    if is_hub_export(out):
        mark = json.loads((out / MARK).read_text(encoding="utf-8"))
        own |= {MARK, "README.md", *(mark.get("configs") or {})}
    try:
        interrupted = json.loads((out / COMMIT_MARKER).read_text(encoding="utf-8"))
        own |= {MARK, "README.md", *interrupted.get("replacing", []), *interrupted.get("writing", [])}
    except (OSError, ValueError, AttributeError):
        pass
    return own


def _check_destination(out: Path, writes: list[str], force: bool) -> list[str]:
    """The entries of ``out`` the export replaces: only ones an earlier export wrote. A foreign
    entry with a name the export writes is refused, ``--force`` included; a folder that is not an
    export and not empty is written into only with ``--force``, its files kept."""
    from sarchat_tasks.outputs import COMMIT_MARKER, LOCK_NAME, PARTIAL_PREFIX, REPLACED_PREFIX, check_folder_path

    try:
        check_folder_path(out)
    except ValueError as exc:
        raise HubExportError(str(exc)) from exc
    if out.is_symlink():
        raise HubExportError(f"{out} is a symbolic link; give the folder itself")
    if not out.is_dir():
        return []
    own = _own_names(out)
    present = {
        p.name
        for p in out.iterdir()
        if not p.name.startswith((COMMIT_MARKER, LOCK_NAME, PARTIAL_PREFIX, REPLACED_PREFIX))
    }
    foreign = sorted(name for name in writes if name in present and name not in own)
    if foreign:
        raise HubExportError(
            f"{out} holds {', '.join(foreign)}, not written by `sarchat export-hub`; sarchat never replaces files it "
            "did not write (--force included): move them or choose another --out"
        )
    if present and not own and not force:
        raise HubExportError(
            f"{out} is not empty and was not written by `sarchat export-hub`; pass --force to write the export "
            "beside its files (they are kept), or choose another --out"
        )
    return sorted(name for name in own if name in present)


def export_hub(
    prepared_dir: Path | str,
    out: Path | str,
    *,
    hub_id: str = "ORG/SARChat-Bench",
    license_id: str | None = None,
    images_origin: str = "sardet100k",
    max_shard_mb: float = DEFAULT_MAX_SHARD_MB,
    max_decoded_mb: float = DEFAULT_MAX_DECODED_MB,
    force: bool = False,
    log=None,
) -> dict[str, Any]:
    """Write the hub folder for ``prepared_dir`` at ``out``; returns its mark (configs, sizes)."""
    from sarchat_tasks.export.upstream import HUB_ID_RE

    if not HUB_ID_RE.match(hub_id):
        raise HubExportError(f"--hub-id must look like ORG/NAME, got {hub_id!r}")
    from sarchat_tasks.outputs import check_not_input

    prepared = PreparedSet(prepared_dir)
    out = Path(out).absolute()
    try:
        check_not_input(out, [prepared.root])
    except ValueError as exc:
        raise HubExportError(f"{exc} (the prepared set)") from exc
    if not (math.isfinite(max_shard_mb) and max_shard_mb > 0) or not 0 < max_decoded_mb < 2000:
        raise HubExportError(
            f"--max-shard-mb must be positive and --max-decoded-mb within (0, 2000), got {max_shard_mb}, {max_decoded_mb}"
        )
    if images_origin not in ("sardet100k", "synthetic"):
        raise HubExportError(f"images origin must be sardet100k or synthetic, got {images_origin!r}")
    license_id = license_id or ("mit" if images_origin == "synthetic" else "other")
    manifest = prepared.manifest
    configs = configs_of(prepared)
    replace = _check_destination(out, [*configs, "README.md", MARK], force)
    started = time.perf_counter()
    prepared.validate()  # every reference readable, every image present and whole
    try:
        out.mkdir(parents=True, exist_ok=True)
        with writer_lock(out):
            return _export_into(prepared, manifest, configs, out, replace, started, hub_id, license_id,
                                images_origin, (int(max_shard_mb * 1e6), int(max_decoded_mb * 1e6)), log)  # fmt: skip
    except FolderBusy as exc:
        raise HubExportError(str(exc)) from exc
    except OSError as exc:  # a read-only or full disk: nothing of this export is left behind
        raise HubExportError(f"cannot write the export into {out}: {exc}") from exc


def _export_into(prepared, manifest, configs, out, replace, started, hub_id, license_id, images_origin, limits, log):
    from sarchat_tasks.outputs import commit, remove_leftovers

    remove_leftovers(out, PARTIAL_PREFIX)  # staging folders of interrupted exports
    for legacy in out.parent.glob(f"{PARTIAL_PREFIX}{out.name}-*"):  # where earlier versions staged, by name
        if legacy.is_dir() and not legacy.is_symlink():
            shutil.rmtree(legacy, ignore_errors=True)
    token = f"{os.getpid()}-{time.time_ns()}"
    partial = out / f"{PARTIAL_PREFIX}{token}"
    partial.mkdir()
    try:
        mark = _write(prepared, manifest, configs, partial, limits, log)
        mark["sizes"]["prepared_bytes"] = (
            _folder_bytes(prepared.root / ROWS_DIR)
            + _folder_bytes(prepared.root / IMAGES_DIR)
            + len(manifest_text(prepared))
        )
        mark["seconds"] = round(time.perf_counter() - started, 2)
        card = dataset_card(mark, hub_id=hub_id, license_id=license_id, images_origin=images_origin)
        (partial / "README.md").write_text(card, encoding="utf-8")
        (partial / MARK).write_text(json.dumps(mark, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        commit(partial, out, replace, token, last=MARK)  # the old mark first out, the new one last in
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return mark


def _write(
    prepared: PreparedSet, manifest: dict, configs: dict[str, Path], partial: Path, limits: tuple[int, int], log
) -> dict:
    hf_features = features()
    summary: dict[str, Any] = {}
    hub_bytes = per_record_bytes = 0
    for name, rows_file in configs.items():
        columns = _read_rows(rows_file)
        images = columns["image"]
        # sizes from the files: the bytes themselves are read shard by shard, never all at once
        sizes = {image: prepared.image_path({"image": image}).stat().st_size for image in dict.fromkeys(images)}
        shards = shard_rows(images, sizes, *limits)
        folder = partial / name
        folder.mkdir()
        files = []
        arrow_bytes = 0
        for index, rows in enumerate(shards):
            path = folder / f"{SPLIT}-{index:05d}-of-{len(shards):05d}.parquet"
            arrow_bytes += _write_shard(path, columns, rows, prepared, hf_features)
            files.append(path)
        written = sum(p.stat().st_size for p in files)
        hub_bytes += written
        per_record_bytes += sum(sizes[i] for i in images)
        summary[name] = {
            "rows": len(images),
            "images": len(sizes),
            "shards": len(shards),
            "bytes": written,
            "arrow_bytes": arrow_bytes,
            "files": [p.relative_to(partial).as_posix() for p in files],
        }
        if log:
            log(f"{name}: {len(images):,} records, {len(sizes):,} images, {len(shards)} shard(s), {_mb(written)}")
    build = None
    report_path = prepared.root / BUILD_REPORT
    if report_path.is_file():
        try:
            report = json.loads(report_path.read_text(encoding="utf-8"))
            build = {"seed": report.get("seed"), "templates_sha256": (report.get("templates") or {}).get("sha256")}
        except (OSError, json.JSONDecodeError):
            build = None
    return {
        "format": MARK_FORMAT,
        "format_version": MARK_VERSION,
        "created_by": f"sarchat-bench {__version__}",
        "split": SPLIT,
        "source": {
            "prepared_set": prepared.root.name,  # the name only: the mark is published with the data
            "format_version": manifest.get("format_version"),
            "created_by": manifest.get("created_by"),
            "records": manifest.get("records"),
            "images": manifest.get("images"),
            "sources": manifest.get("sources", []),
            "max_new_tokens": {t: i.get("max_new_tokens") for t, i in manifest.get("tasks", {}).items()},
            "longest_reference_tokens": {
                t: i.get("longest_reference_tokens") for t, i in manifest.get("tasks", {}).items()
            },
            "build": build,
        },
        "configs": summary,
        "sizes": {"hub_bytes": hub_bytes, "one_image_per_record_bytes": per_record_bytes},
    }


# ---------------------------------------------------------------------------------------------
# Command
# ---------------------------------------------------------------------------------------------


def _megabytes(text: str) -> float:
    """A finite, positive size in MB (argparse reports anything else, ``nan`` and ``inf`` included)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of MB, got {text!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a finite number above 0, got {text}")
    return value


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("prepared", type=Path, metavar="PREPARED_DIR", help="a prepared set (sarchat prepare or build)")
    parser.add_argument(
        "--out", required=True, type=Path, metavar="HUB_DIR", help="the dataset repository folder to write"
    )
    parser.add_argument("--hub-id", default="ORG/SARChat-Bench", help="the dataset's hub id, for the card's examples")
    parser.add_argument(
        "--license", dest="license_id", help="the card's licence id (default: other; mit for synthetic)"
    )
    parser.add_argument(
        "--images-origin", choices=("sardet100k", "synthetic"), default="sardet100k",
        help="where the set's images come from, for the card's provenance and licence text (default sardet100k)",
    )  # fmt: skip
    parser.add_argument("--max-shard-mb", type=_megabytes, default=DEFAULT_MAX_SHARD_MB,
                        help=f"distinct image bytes per Parquet shard (default {DEFAULT_MAX_SHARD_MB})")  # fmt: skip
    parser.add_argument("--max-decoded-mb", type=_megabytes, default=DEFAULT_MAX_DECODED_MB,
                        help="image bytes per shard counted once per record, as datasets reads a shard "
                             f"(default {DEFAULT_MAX_DECODED_MB}; under 2000)")  # fmt: skip
    parser.add_argument("--force", action="store_true",
                        help="write into a non-empty folder not written by this command (its files are kept)")  # fmt: skip


def run(args: argparse.Namespace) -> int:
    mark = export_hub(
        args.prepared,
        args.out,
        hub_id=args.hub_id,
        license_id=args.license_id,
        images_origin=args.images_origin,
        max_shard_mb=args.max_shard_mb,
        max_decoded_mb=args.max_decoded_mb,
        force=args.force,
        log=print,
    )
    sizes = mark["sizes"]
    print(
        f"{len(mark['configs'])} configs, {_mb(sizes['hub_bytes'])} (prepared set {_mb(sizes['prepared_bytes'])}) "
        f"-> {Path(args.out).resolve()} in {mark['seconds']} s"
    )
    print(f"upload: {upload_command(args.hub_id, Path(args.out).resolve())}")
    return 0
