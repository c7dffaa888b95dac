"""``pip install .``: the wheel carries the task YAMLs, the bundled sample and the package data,
under the ``sarchat_tasks`` namespace only, and registers the command and the baseline models."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_wheel_contents(tmp_path: Path):
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    (wheel,) = tmp_path.glob("sarchat_bench-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert {n.split("/")[0] for n in names} == {"sarchat_tasks", wheel.name.split("-py")[0] + ".dist-info"}
    yamls = {p.name for p in (ROOT / "task_yamls").glob("*.yaml")} | {"_default_template_yaml"}
    assert {f"sarchat_tasks/tasks/{name}" for name in yamls} <= set(names)
    sample = {
        p.relative_to(ROOT / "task_yamls").as_posix()
        for p in (ROOT / "task_yamls" / "sample").rglob("*")
        if p.is_file()
    }
    assert {f"sarchat_tasks/tasks/{name}" for name in sample} <= set(names)
    assert {
        "sarchat_tasks/utils/boxes.py",
        "sarchat_tasks/data/paper_table3.csv",
        "sarchat_tasks/data/templates.yaml",
        "sarchat_tasks/train/data.py",
        "sarchat_tasks/train/loop.py",
        "sarchat_tasks/train/near_duplicates.py",
        "sarchat_tasks/train/tiny_models.py",  # sarchat tiny-model: the smoke run needs no tests/ folder
    } <= set(names)
    entry_points = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith("entry_points.txt"))).decode()
    assert "sarchat = sarchat_tasks.cli:main" in entry_points
    assert "[lmms_eval.models]" in entry_points and "sarchat_cfar" in entry_points and "sarchat_blind" in entry_points
