"""Bad input ends with exit status 2 and a message naming the file and the record, never a
traceback, and leaves nothing partial; ``sarchat score`` finds images where swift says they are."""

from __future__ import annotations

import json
from pathlib import Path

from official_fixture import oracle_predictions

from sarchat_tasks.cli import main
from sarchat_tasks.prepared import PreparedSet


def _classify(files: list[Path]) -> Path:
    return next(f for f in files if f.name == "SARChat_classify_test.json")


def _score(capsys, *args) -> tuple[int, dict | str]:
    code = main(["score", *map(str, args)])
    captured = capsys.readouterr()
    return code, (json.loads(captured.out) if code == 0 else captured.err)


def test_score_uses_absolute_image_paths_that_exist_from_any_folder(official_set, tmp_path, capsys, monkeypatch):
    files, root = official_set
    (pred,) = oracle_predictions([_classify(files)], tmp_path / "preds")
    records = json.loads(pred.read_text())
    for record in records:  # swift writes absolute paths
        record["images"] = [str(root / record["images"][0])]
    pred.write_text(json.dumps(records))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    code, metrics = _score(capsys, pred)  # no --images, run from another folder
    assert code == 0 and metrics["classification"]["classification"] == 100.0
    code, metrics = _score(capsys, pred, "--images", tmp_path / "elsewhere")  # --images does not hide them
    assert code == 0 and metrics["classification"]["classification"] == 100.0


def test_score_finds_relative_paths_under_images_then_beside_the_file(official_set, tmp_path, capsys, monkeypatch):
    files, root = official_set
    (pred,) = oracle_predictions([_classify(files)], root / "preds")  # names images/<name>, under root
    monkeypatch.chdir(tmp_path)
    code, metrics = _score(capsys, pred, "--images", root)
    assert code == 0 and metrics["classification"]["classification"] == 100.0
    moved = root / "beside.json"
    moved.write_text(pred.read_text())  # relative image paths resolve beside the predictions file
    code, metrics = _score(capsys, moved)
    assert code == 0 and metrics["classification"]["classification"] == 100.0
    code, err = _score(capsys, pred)  # preds/images/... does not exist, nor ./images/...
    assert code == 2 and "record 0: image 'images/airport.png' found under none of" in err


def test_a_nul_byte_in_an_image_path_names_the_record(official_set, tmp_path, capsys):
    files, root = official_set
    source = _classify(files)
    records = json.loads(source.read_text())
    records[1]["images"] = ["images/air\x00port.png"]
    bad = tmp_path / source.name
    bad.write_text(json.dumps(records))
    out = tmp_path / "out"
    assert main(["prepare", str(bad), "--images", str(root), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"{bad} record 1: image path 'images/air\\x00port.png' holds a NUL byte" in err
    assert not out.exists() or not any(out.iterdir())


def test_a_json_object_is_named_as_such_not_record_0(official_set, tmp_path, capsys):
    _, root = official_set
    for text in ('{"data": [], "version": 1}', json.dumps({"data": [1, 2]}, indent=2)):
        bad = tmp_path / "SARChat_classify_test.json"
        bad.write_text(text)
        assert main(["prepare", str(bad), "--images", str(root), "--out", str(tmp_path / "out")]) == 2
        err = capsys.readouterr().err
        assert "a JSON object (keys 'data'" in err and "not a JSON array of records or JSON lines" in err
        assert "record 0" not in err


def test_a_symlinked_image_is_stored_by_its_target(official_set, tmp_path):
    files, root = official_set
    tree = tmp_path / "tree"
    (tree / "images").mkdir(parents=True)
    (tree / "store").mkdir()
    for image in (root / "images").iterdir():
        (tree / "store" / image.name).write_bytes(image.read_bytes())
        (tree / "images" / image.name).symlink_to(Path("..") / "store" / image.name)  # relative link
    out = tmp_path / "out"
    main(["prepare", str(_classify(files)), "--images", str(tree), "--out", str(out)])
    stored = out / "images" / "images" / "airport.png"
    assert not stored.is_symlink() and stored.is_file()
    assert stored.read_bytes() == (root / "images" / "airport.png").read_bytes()
    PreparedSet(out).validate()  # every image present and whole


def test_an_image_that_is_a_symlink_loop_names_the_record(official_set, tmp_path, capsys):
    files, _ = official_set
    tree = tmp_path / "tree"
    (tree / "images").mkdir(parents=True)
    (tree / "images" / "airport.png").symlink_to("loop.png")
    (tree / "images" / "loop.png").symlink_to("airport.png")
    assert main(["prepare", str(_classify(files)), "--images", str(tree), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "SARChat_classify_test.json record 0: image" in err and "Too many levels of symbolic links" in err
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_include_path_never_follows_a_tasks_symlink(prepared_set, tmp_path, capsys):
    import shutil

    data = tmp_path / "set"
    shutil.copytree(prepared_set, data)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "precious.yaml").write_text("# Generated by `sarchat prepare` look-alike, but not ours\n")
    shutil.rmtree(data / "tasks")
    (data / "tasks").symlink_to(outside)
    assert main(["include-path", "--data", str(data)]) == 2
    assert "is not a folder of the set (a link or a file)" in capsys.readouterr().err
    assert (outside / "precious.yaml").exists()


def test_a_symlink_loop_in_the_sardet_tree_names_the_folder(tmp_path, capsys):
    import shutil

    from test_build import write_sardet

    root = write_sardet(tmp_path / "sardet")
    shutil.rmtree(root / "JPEGImages")
    (root / "JPEGImages").symlink_to("JPEGImages")  # a link to itself
    out = tmp_path / "out"
    assert main(["build", str(root), "--out", str(out), "--splits", "test"]) == 2
    err = capsys.readouterr().err
    assert f"cannot list the image folder {root / 'JPEGImages' / 'test'}: Too many levels of symbolic links" in err
    assert not out.exists()


def test_an_image_loop_in_a_build_names_the_record(tmp_path, capsys):
    from test_build import write_sardet

    root = write_sardet(tmp_path / "sardet")
    image = sorted(root.rglob("*.jpg"))[0]
    image.unlink()
    image.symlink_to(image.name + ".x")
    image.with_name(image.name + ".x").symlink_to(image.name)
    out = tmp_path / "out"
    assert main(["build", str(root), "--out", str(out), "--splits", "test"]) == 2
    err = capsys.readouterr().err
    assert "record 0: image" in err and "Too many levels of symbolic links" in err
    assert not out.exists()
