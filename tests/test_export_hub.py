"""``sarchat export-hub``: a prepared set as a Hugging Face dataset repository folder that loads
offline with ``datasets.load_dataset(HUB_DIR, name=CONFIG, split="test")``, stores each image once
per shard, carries a dataset card, and is never left half-written; and ``sarchat export-upstream
--dataset-path`` pointing the exported tasks at such a folder."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml

from sarchat_tasks.cli import main
from sarchat_tasks.export import hub
from sarchat_tasks.export.hub import MARK, HubExportError, export_hub, shard_rows
from sarchat_tasks.export.upstream import ExportError, export
from sarchat_tasks.prepared import ROW_COLUMNS
from sarchat_tasks.task_folder import bundled_sample

SAMPLE = bundled_sample()
CONFIGS = [f"{t}{s}" for t in ("counting", "grounding", "identification", "referring", "description", "classification")
           for s in ("", "_lite")]  # fmt: skip


@pytest.fixture(scope="module")
def hub_folder(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("hub") / "SARChat-Bench"
    export_hub(SAMPLE, out, hub_id="sarchat-bench/SARChat-Bench-sample", images_origin="synthetic")
    return out


def _card(folder: Path) -> tuple[dict, str]:
    text = (folder / "README.md").read_text(encoding="utf-8")
    _, front, body = text.split("---\n", 2)
    return yaml.safe_load(front), body


def test_layout_and_card(hub_folder: Path):
    front, body = _card(hub_folder)
    assert [c["config_name"] for c in front["configs"]] == list(json.loads((hub_folder / MARK).read_text())["configs"])
    assert sorted(c["config_name"] for c in front["configs"]) == sorted(CONFIGS)
    for config in front["configs"]:
        (split,) = config["data_files"]
        assert split["split"] == "test" and split["path"] == f"{config['config_name']}/test-*.parquet"
        assert list((hub_folder / config["config_name"]).glob("test-*.parquet"))
    assert front["license"] == "mit" and "visual-question-answering" in front["task_categories"]
    for needle in ("arXiv:2502.08168", "@article{ma2025sarchat", "## Licence", "## How it was built", "## Columns"):
        assert needle in body, needle
    for column in ROW_COLUMNS:
        assert f"| `{column}` |" in body, column


@pytest.mark.parametrize("config", CONFIGS)
def test_loads_offline_with_the_prepared_rows_and_images(hub_folder: Path, config: str, tmp_path: Path):
    import datasets

    ds = datasets.load_dataset(str(hub_folder), name=config, split="test", cache_dir=str(tmp_path))
    rows = pq.read_table(SAMPLE / "rows" / f"{config}.parquet").to_pylist()
    assert ds.column_names == list(ROW_COLUMNS)
    assert isinstance(ds.features["image"], datasets.Image)
    assert ds.remove_columns("image").to_list() == [{k: v for k, v in r.items() if k != "image"} for r in rows]
    stored = ds.cast_column("image", datasets.Image(decode=False))["image"]
    for row, image in zip(rows, stored):
        assert image["bytes"] == (SAMPLE / row["image"]).read_bytes()  # the file as it was, not re-encoded
        assert image["path"] == row["image"].removeprefix("images/")
    first = ds[0]["image"]
    assert first.size == (rows[0]["width"], rows[0]["height"])


def test_each_image_is_stored_once_per_shard(hub_folder: Path):
    rows = pq.read_table(SAMPLE / "rows" / "identification.parquet", columns=["image"]).column("image").to_pylist()
    distinct = sum((SAMPLE / image).stat().st_size for image in set(rows))
    per_record = sum((SAMPLE / image).stat().st_size for image in rows)
    (shard,) = (hub_folder / "identification").glob("*.parquet")
    size = shard.stat().st_size
    assert len(rows) > 50 * len(set(rows))  # 1,827 records over 24 images
    assert distinct <= size < distinct * 1.05 + 200_000, (size, distinct)
    assert size < per_record / 50
    sizes = json.loads((hub_folder / MARK).read_text())["sizes"]
    assert sizes["one_image_per_record_bytes"] > 10 * sizes["hub_bytes"] > 0 and sizes["prepared_bytes"] > 0


def test_shards_split_between_records_by_distinct_and_decoded_image_bytes():
    sizes = {"a": 40, "b": 40, "c": 40}
    # distinct bytes: a a b is 80; c would make 120 > 100; then c a is 80
    assert shard_rows(["a", "a", "b", "c", "a"], sizes, 100, 1000) == [range(0, 3), range(3, 5)]
    assert shard_rows(["a", "b", "c"], sizes, 10, 1000) == [range(0, 1), range(1, 2), range(2, 3)]  # a record at least
    # decoded bytes, one copy per record: a a a is 120 > 100 although only 40 bytes are distinct
    assert shard_rows(["a", "a", "a", "a"], sizes, 1000, 100) == [range(0, 2), range(2, 4)]
    assert shard_rows([], sizes, 100, 100) == [range(0, 0)]


def test_several_shards_load_in_order(tmp_path: Path):
    import datasets

    out = tmp_path / "hub"
    mark = export_hub(SAMPLE, out, images_origin="synthetic", max_shard_mb=0.2, max_decoded_mb=20)
    assert mark["configs"]["identification"]["shards"] > 1
    assert mark["configs"]["counting"]["shards"] > 1
    files = sorted((out / "identification").glob("*.parquet"))
    assert len(files) == mark["configs"]["identification"]["shards"]
    ds = datasets.load_dataset(str(out), name="identification", split="test", cache_dir=str(tmp_path / "cache"))
    assert ds["id"] == pq.read_table(SAMPLE / "rows" / "identification.parquet").column("id").to_pylist()


def test_refuses_a_foreign_folder_and_replaces_only_its_own_entries(tmp_path: Path):
    out = tmp_path / "hub"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    with pytest.raises(HubExportError, match="--force"):
        export_hub(SAMPLE, out)
    assert (out / "notes.txt").read_text() == "mine"
    export_hub(SAMPLE, out, force=True)  # written beside the user's file, which is kept
    assert (out / "notes.txt").read_text() == "mine" and (out / MARK).exists()
    # what one does before an upload: git init, .gitattributes; a re-export keeps them
    (out / ".git").mkdir()
    (out / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (out / ".gitattributes").write_text("*.parquet filter=lfs\n")
    mark = json.loads((out / MARK).read_text())
    mark["configs"]["old_config"] = {}  # a config an earlier export wrote and this one does not
    (out / MARK).write_text(json.dumps(mark))
    (out / "old_config").mkdir()
    export_hub(SAMPLE, out)  # its own output: no --force needed
    assert (out / ".git" / "HEAD").exists() and (out / ".gitattributes").exists() and (out / "notes.txt").exists()
    assert not (out / "old_config").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hub"]  # nothing left beside it
    assert not [p.name for p in out.iterdir() if p.name.startswith((".partial", ".sarchat"))]


def test_a_foreign_entry_with_an_exported_name_is_never_replaced(tmp_path: Path):
    out = tmp_path / "hub"
    out.mkdir()
    (out / "README.md").write_text("my own card")
    for force in (False, True):
        with pytest.raises(HubExportError, match=r"README\.md, not written by `sarchat export-hub`"):
            export_hub(SAMPLE, out, force=force)
    assert (out / "README.md").read_text() == "my own card" and sorted(p.name for p in out.iterdir()) == ["README.md"]


def test_out_holding_or_inside_the_prepared_set_is_refused(tmp_path: Path):
    import shutil

    parent = tmp_path / "data"
    shutil.copytree(SAMPLE, parent / "set")
    for out in (parent, parent / "set", parent / "set" / "hub"):
        for force in (False, True):
            with pytest.raises(HubExportError, match="the prepared set"):
                export_hub(parent / "set", out, force=force)
    assert (parent / "set" / "manifest.json").exists() and sorted(p.name for p in parent.iterdir()) == ["set"]


def test_a_killed_export_s_staging_folders_are_removed_by_the_next_run(tmp_path: Path):
    out = tmp_path / "hub"
    export_hub(SAMPLE, out)
    (out / ".partial-hub-123-456" / "counting").mkdir(parents=True)  # as a killed run leaves it
    (tmp_path / ".partial-hub-hub-1-2").mkdir()  # where earlier versions staged, beside the output
    export_hub(SAMPLE, out)
    assert not (out / ".partial-hub-123-456").exists() and sorted(p.name for p in tmp_path.iterdir()) == ["hub"]


def test_an_interrupted_export_leaves_the_old_folder(tmp_path: Path, monkeypatch):
    out = tmp_path / "hub"
    export_hub(SAMPLE, out)
    before = sorted(p.relative_to(out) for p in out.rglob("*"))
    calls = []

    def failing(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
        return original(*args, **kwargs)

    original = hub._write_shard
    monkeypatch.setattr(hub, "_write_shard", failing)
    with pytest.raises(HubExportError, match=r"cannot write the export into .*No space left on device"):
        export_hub(SAMPLE, out)
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hub"]


def test_refuses_an_output_inside_the_set_a_broken_set_and_a_bad_hub_id(tmp_path: Path):
    with pytest.raises(HubExportError, match="inside"):
        export_hub(SAMPLE, SAMPLE / "hub")
    with pytest.raises(HubExportError, match="ORG/NAME"):
        export_hub(SAMPLE, tmp_path / "out", hub_id="no slash")
    broken = tmp_path / "set"
    broken.mkdir()
    (broken / "manifest.json").write_text("{}")
    with pytest.raises(Exception, match="not a SARChat prepared set"):
        export_hub(broken, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_command(tmp_path: Path, capsys):
    out = tmp_path / "hub"
    assert main(["export-hub", str(SAMPLE), "--out", str(out), "--images-origin", "synthetic"]) == 0
    assert "hf upload" in capsys.readouterr().out
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "x").write_text("x")
    assert main(["export-hub", str(SAMPLE), "--out", str(tmp_path / "other")]) == 2
    assert "--force" in capsys.readouterr().err


def test_sardet_card_asks_for_the_licence_check(tmp_path: Path):
    export_hub(SAMPLE, tmp_path / "hub")
    front, body = _card(tmp_path / "hub")
    assert front["license"] == "other"
    # the Hub's card spec: a licence `other` is named and linked (license_name, license_link)
    assert front["license_name"] == "sardet-100k-source-datasets"
    assert front["license_link"] == "https://github.com/zcablii/SARDet_100K"
    assert "SARDet-100K" in body and "HRSID" in body and "--license" in body


def test_upload_command_is_one_the_installed_huggingface_hub_has(tmp_path: Path, capsys):
    import shutil
    import subprocess
    import sys

    # huggingface_hub 1.x replaced `huggingface-cli` with `hf`; the printed command must run as it is
    assert main(["export-hub", str(SAMPLE), "--out", str(tmp_path / "hub"), "--images-origin", "synthetic"]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("upload: "))
    program, subcommand, *_ = line.removeprefix("upload: ").split()
    assert (program, subcommand) == ("hf", "upload")
    hf = shutil.which("hf", path=str(Path(sys.executable).parent)) or shutil.which("hf")
    assert hf, "huggingface_hub's hf command is not installed beside this Python"
    done = subprocess.run([hf, "upload", "--help"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "--repo-type" in done.stdout


# ---------------------------------------------------------------------------------------------
# export-upstream --dataset-path
# ---------------------------------------------------------------------------------------------


def test_export_upstream_reads_a_local_hub_folder(hub_folder: Path, tmp_path: Path):
    from lmms_eval.utils import load_yaml_config

    export(tmp_path / "tasks", dataset_path=hub_folder)
    config = load_yaml_config(str(tmp_path / "tasks" / "sarchat_referring_lite.yaml"))
    assert config["dataset_path"] == str(hub_folder.resolve())
    assert config["dataset_name"] == "referring_lite"


def test_export_upstream_refuses_a_folder_that_is_not_a_hub_export(hub_folder: Path, tmp_path: Path):
    with pytest.raises(ExportError, match="export-hub"):
        export(tmp_path / "tasks", dataset_path=tmp_path)
    with pytest.raises(ExportError, match="export-hub"):
        export(tmp_path / "tasks", "org/name", dataset_path=tmp_path)
    (tmp_path / "file").write_text("x")
    with pytest.raises(ExportError, match="is a file"):
        export(tmp_path / "file", dataset_path=hub_folder)


def test_export_upstream_refuses_a_hub_folder_without_budgets(hub_folder: Path, tmp_path: Path):
    import shutil

    partial = tmp_path / "partial"
    shutil.copytree(hub_folder, partial)
    mark = json.loads((partial / MARK).read_text())
    del mark["source"]["max_new_tokens"]["description"]
    (partial / MARK).write_text(json.dumps(mark))
    with pytest.raises(ExportError, match="no generation budget recorded for description"):
        export(tmp_path / "tasks", dataset_path=partial)


def test_export_upstream_exports_the_tasks_the_dataset_has(hub_folder: Path, tmp_path: Path, capsys):
    import shutil

    import yaml

    partial = tmp_path / "partial"
    shutil.copytree(hub_folder, partial)
    mark = json.loads((partial / MARK).read_text())
    del mark["configs"]["description"], mark["configs"]["description_lite"]
    (partial / MARK).write_text(json.dumps(mark))
    assert main(["export-upstream", str(tmp_path / "tasks"), "--dataset-path", str(partial)]) == 0
    assert "not exported: description (the dataset has no records for them)" in capsys.readouterr().out
    names = {p.name for p in (tmp_path / "tasks").glob("*.yaml")}
    assert "sarchat_description.yaml" not in names and "sarchat_description_lite.yaml" not in names
    group = yaml.safe_load((tmp_path / "tasks" / "sarchat.yaml").read_text())
    assert "sarchat_description" not in group["task"] and len(group["task"]) == 5
    assert group["metadata"]["missing_tasks"] == ["sarchat_description"]
    assert "has no records for `sarchat_description`" in (tmp_path / "tasks" / "README.md").read_text()


def test_export_upstream_command_needs_the_hub_folder(hub_folder: Path, tmp_path: Path, capsys):
    assert main(["export-upstream", str(tmp_path / "a"), "--dataset-path", str(hub_folder)]) == 0
    assert main(["export-upstream", str(tmp_path / "b"), "--dataset-path", str(hub_folder), "--hub-id", "a/b"]) == 0
    assert "dataset_path: a/b" in (tmp_path / "b" / "_default_template_yaml").read_text()
    with pytest.raises(SystemExit):
        main(["export-upstream", str(tmp_path / "c"), "--hub-id", "a/b"])
    capsys.readouterr()
    # --out, the name every sarchat command gives its output folder, is the same as the positional
    assert main(["export-upstream", "--out", str(tmp_path / "d"), "--dataset-path", str(hub_folder)]) == 0
    assert sorted(p.name for p in (tmp_path / "d").iterdir()) == sorted(p.name for p in (tmp_path / "a").iterdir())
    assert main(["export-upstream", "--dataset-path", str(hub_folder)]) == 2
    assert "--out DIR is required" in capsys.readouterr().err
    assert (
        main(["export-upstream", str(tmp_path / "e"), "--out", str(tmp_path / "f"), "--dataset-path", str(hub_folder)])
        == 2
    )
    assert "two output folders given" in capsys.readouterr().err
    assert not (tmp_path / "e").exists() and not (tmp_path / "f").exists()


def test_image_column_decodes_as_the_prepared_image(hub_folder: Path):
    from PIL import Image

    table = pq.read_table(next((hub_folder / "counting").glob("*.parquet")))
    image = table.column("image")[0].as_py()
    with Image.open(io.BytesIO(image["bytes"])) as decoded:
        with Image.open(SAMPLE / "images" / image["path"]) as original:
            assert decoded.tobytes() == original.tobytes()
