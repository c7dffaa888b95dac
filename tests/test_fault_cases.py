"""Expected failures that used to end in a Python traceback, through the CLI in child processes:
each is now one line naming the file, argument or record, with exit status 2 (130 for Ctrl-C).
docs/RUNNING.md's fault table lists them."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from test_writers import _one_line_error

from sarchat_tasks.task_folder import bundled_sample

SAMPLE = bundled_sample()


@pytest.mark.parametrize("count", ["99999999999999999999", "0", "-3", "two"])
def test_a_shard_count_out_of_range_is_an_argument_error(count, tmp_path, sarchat_command):
    done = sarchat_command("eval", "--model", "sarchat_cfar", "--shards", count, "--output_path", tmp_path / "run")
    _one_line_error(done, "--shards")
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("spec", ["0/99999999999999999999", "0/0", "x"])
def test_a_shard_spec_out_of_range_is_an_argument_error(spec, tmp_path, sarchat_command):
    done = sarchat_command("eval", "--model", "sarchat_cfar", "--shard", spec, "--output_path", tmp_path / "run")
    _one_line_error(done, "--shard")
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("flag", ["--max-shard-mb", "--max-decoded-mb"])
@pytest.mark.parametrize("value", ["nan", "inf", "-1", "0"])
def test_a_shard_size_that_is_not_a_finite_positive_number(flag, value, tmp_path, sarchat_command):
    done = sarchat_command("export-hub", SAMPLE, "--out", tmp_path / "hub", flag, value)
    _one_line_error(done, flag, value)
    assert not (tmp_path / "hub").exists()


@pytest.mark.parametrize(("response", "said"), [(None, "is null"), (3, "is a number"), (["a"], "is a list")])
def test_a_response_that_is_not_text_is_reported_as_what_it_is(response, said, tmp_path, sarchat_command):
    from PIL import Image

    Image.new("L", (16, 16)).save(tmp_path / "a.png")
    record = {
        "messages": [
            {"role": "user", "content": "<image>\n[count] Count the ship in this satellite image."},
            {"role": "assistant", "content": "There is 1 instance. {<2><2><6><6>}"},
        ],
        "images": ["a.png"],
        "response": response,
    }
    path = tmp_path / "SARChat_classify_count_test.json"
    path.write_text(json.dumps([record]), encoding="utf-8")
    _one_line_error(sarchat_command("score", path), f"{path} record 0: its 'response' {said}")
    del record["response"]
    path.write_text(json.dumps([record]), encoding="utf-8")
    _one_line_error(sarchat_command("score", path), "no 'response' field")


def _read_only_folder(tmp_path: Path) -> Path:
    """A folder the test's user cannot write into: a chmod-ed one, or for root a sysfs folder."""
    if os.geteuid() != 0:
        folder = tmp_path / "read_only"
        folder.mkdir()
        folder.chmod(0o555)
        return folder
    folder = Path("/sys/kernel")
    try:
        with tempfile.NamedTemporaryFile(dir=folder):
            pass
    except OSError:
        return folder
    pytest.skip("running as root without a read-only folder to write into")


@pytest.mark.parametrize("sharded", [False, True])
def test_an_output_folder_that_cannot_be_written_stops_before_generation(sharded, tmp_path, sarchat_command):
    shards = ("--shards", "2") if sharded else ()
    folder = _read_only_folder(tmp_path)
    done = sarchat_command("eval", "--model", "sarchat_cfar", *shards, "--output_path", folder)
    _one_line_error(done, f"--output_path {folder}: cannot write there")
    (tmp_path / "file").write_text("x")
    done = sarchat_command("eval", "--model", "sarchat_cfar", *shards, "--output_path", tmp_path / "file" / "run")
    _one_line_error(done, "--output_path")


def test_a_disk_without_room_stops_before_generation(tmp_path, monkeypatch, capsys):
    import shutil

    from sarchat_tasks.cli import main

    usage = shutil.disk_usage(tmp_path)
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage._replace(free=10 * 2**20))
    assert main(["eval", "--model", "sarchat_cfar", "--output_path", str(tmp_path / "run")]) == 2
    assert "only 10.0 MB free on its disk" in capsys.readouterr().err
    assert not list((tmp_path / "run").iterdir())


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


@pytest.mark.slow
def test_ctrl_c_of_eval_stops_lmms_eval_and_exits_130_with_one_line(tmp_path):
    from lmms_runs import OFFLINE_ENV

    command = [sys.executable, "-m", "sarchat_tasks.cli", "eval", "--model", "sarchat_cfar",
               "--output_path", str(tmp_path / "run")]  # fmt: skip
    parent = subprocess.Popen(command, env=OFFLINE_ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    children: list[int] = []
    while time.time() < deadline and not children:
        children = _children(parent.pid)
        time.sleep(0.1)
    assert children, "lmms-eval never started"
    time.sleep(3)  # lmms-eval under way
    parent.send_signal(signal.SIGINT)  # to sarchat alone, as `kill -INT` does: it must stop its child
    _, stderr = parent.communicate(timeout=90)
    assert parent.returncode == 130, stderr[-3000:]
    ours = [line for line in stderr.splitlines() if line.startswith("sarchat ")]
    assert ours == ["sarchat eval: interrupted"], stderr[-3000:]
    assert "Traceback" not in stderr.split("sarchat eval: interrupted")[0][-200:]
    for child in children:
        assert not Path(f"/proc/{child}").exists() or "Z" in Path(f"/proc/{child}/stat").read_text().split()[2]


def test_a_cut_sample_log_is_never_kept(tmp_path):
    """A disk that fills while lmms-eval writes leaves a whole results file beside a cut log: the
    launcher checks every log against n-samples before keeping the run."""
    from sarchat_tasks.run.launcher import LaunchError, check_logs_whole

    results = {"n-samples": {"sarchat_counting": {"original": 3, "effective": 3}}}
    log = tmp_path / "x_samples_sarchat_counting.jsonl"
    log.write_text('{"doc_id": 0}\n{"doc_id": 1}\n{"doc_id": 2}\n')
    check_logs_whole(results, {"sarchat_counting": log})  # whole: kept
    log.write_text('{"doc_id": 0}\n{"doc_id": 1}\n{"doc_')
    with pytest.raises(LaunchError, match=r"holds 3 of 3 samples, its last line cut; the run is not kept"):
        check_logs_whole(results, {"sarchat_counting": log})
    log.write_text('{"doc_id": 0}\n')
    with pytest.raises(LaunchError, match=r"holds 1 of 3 samples; the run is not kept \(a full disk\?\)"):
        check_logs_whole(results, {"sarchat_counting": log})
    with pytest.raises(LaunchError, match="wrote no sample log for sarchat_counting"):
        check_logs_whole(results, {})
