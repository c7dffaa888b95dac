"""Benchmark ``sarchat inspect``: generation time and folder size for the lite and the full synthetic
set, and how long the page takes to open in headless Chromium (docs/PERFORMANCE.md).

The synthetic run is ``synthetic_responses.full_test_set`` (226,636 records at ``--scale 1``, with
realistic responses); the lite set is each task's first ``lite.lite_size(n)`` records. Every record
is scored with its reading, as ``sarchat inspect`` does for a run, and the kept records (``--per-task``,
the viewer's sampling rule) get a synthetic SAR-like image at their size, so that the thumbnails cost
what a real run's do. Figures: scoring-with-reading time over every record, image and page writing
time, the folder's size, and the page's open time (navigation to the cards drawn) in Chromium.

    python benchmarks/bench_inspect.py                 # lite and full size
    python benchmarks/bench_inspect.py --scale 0.1     # a tenth of the full size
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synthetic_responses import full_test_set

from sarchat_tasks.images import DEFAULT_MAX_PIXELS
from sarchat_tasks.lite import lite_size
from sarchat_tasks.report.inspect import (
    DEFAULT_PER_TASK,
    Run,
    _empty_totals,
    _sampled,
    join_key,
    read_sample,
    sample_rank,
    write_inspection,
)

TARGET_OPEN_SECONDS = 3.0


def synthetic_run(data: dict, images: Path, per_task: int) -> tuple[Run, float]:
    """A ``Run`` of the synthetic records, built as ``load_lmms_run`` builds one; returns it and the
    seconds spent scoring every record with its reading."""
    run = Run(label="synthetic", path=images / "synthetic_results.json", kind="eval", provenance=None,
              reading={"profile": "sarchat", "frame": "native", "conventions": ""}, scores={}, totals={})  # fmt: skip
    rng = np.random.default_rng(0)
    seconds = 0.0
    for task, rows in data.items():
        started = time.perf_counter()
        chosen = []
        totals = run.totals.setdefault(task, _empty_totals())
        for row in rows:
            read = read_sample(task, row["subset"], row["category"], row["response"], json.loads(row["reference"]),
                               row["width"], row["height"], None)  # fmt: skip
            totals["records"] += 1
            totals["parse_failures"] += read["parse_failure"]
            chosen.append((sample_rank(task, row["id"]), row, read))
        kept = _sampled(chosen, per_task)
        seconds += time.perf_counter() - started
        for _, row, read in kept:
            image = images / f"{row['id'].replace(':', '_')}.png"
            pixels = rng.gamma(4.0, 12.0, size=(row["height"], row["width"]))
            Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), mode="L").save(image)
            key = image.stem
            run.images[key] = image
            run.samples.append({
                "id": row["id"], "task": task, "subset": row["subset"], "category": row["category"],
                "join": join_key(task, image.name, row["question"]), "image": key, "image_name": image.name,
                "width": row["width"], "height": row["height"], "question": row["question"], "answer": row["answer"],
                "response": row["response"], **read, "logged_differs": False,
            })  # fmt: skip
    return run, seconds


def folder_size(folder: Path) -> tuple[int, int]:
    page = (folder / "index.html").stat().st_size
    total = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    return page, total


def open_seconds(page: Path, repeat: int = 3) -> float | None:
    """Best of ``repeat`` page opens in headless Chromium: navigation start to the cards drawn."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        return None
    if not Path("/usr/bin/chromium").exists():
        return None
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 f"--user-data-dir={tempfile.mkdtemp()}", "--window-size=1400,1000"):  # fmt: skip
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    try:
        best = None
        for _ in range(repeat):
            driver.get("about:blank")
            driver.get(page.as_uri())
            ready = float(driver.find_element("tag name", "body").get_attribute("data-ready-ms"))
            best = ready if best is None else min(best, ready)
        return best / 1000.0
    finally:
        driver.quit()


def measure(name: str, data: dict, per_task: int, work: Path) -> dict:
    images = work / f"{name}-images"
    images.mkdir()
    n = sum(len(rows) for rows in data.values())
    run, t_read = synthetic_run(data, images, per_task)
    started = time.perf_counter()
    out = work / f"{name}-viewer"
    manifest = write_inspection([run], out, per_task, DEFAULT_MAX_PIXELS)
    t_write = time.perf_counter() - started
    page, total = folder_size(out)
    opened = open_seconds(out / "index.html")
    figures = {"records": n, "cards": manifest["cards"], "score_with_reading_seconds": round(t_read, 2),
               "write_seconds": round(t_write, 2), "page_bytes": page, "folder_bytes": total,
               "open_seconds": None if opened is None else round(opened, 3)}  # fmt: skip
    verdict = (
        ""
        if opened is None
        else f" [target < {TARGET_OPEN_SECONDS:.0f} s: {'met' if opened < TARGET_OPEN_SECONDS else 'MISSED'}]"
    )
    print(f"{name}: {n:,} records, {manifest['cards']:,} cards; scoring with reading {t_read:.1f} s, images and page "
          f"{t_write:.1f} s; page {page / 1e6:.2f} MB, folder {total / 1e6:.1f} MB; opens in "
          f"{'(no browser)' if opened is None else f'{opened:.2f} s'}{verdict}")  # fmt: skip
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the official sizes (default 1)")
    parser.add_argument("--per-task", type=int, default=DEFAULT_PER_TASK, help="the viewer's --per-task")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    full = full_test_set(args.scale)
    print(f"generated {sum(len(r) for r in full.values()):,} records in {time.perf_counter() - started:.1f} s")
    lite = {task: rows[: lite_size(len(rows))] for task, rows in full.items()}
    figures = {}
    with tempfile.TemporaryDirectory() as work:
        figures["lite"] = measure("lite", lite, args.per_task, Path(work))
        figures["full"] = measure("full", full, args.per_task, Path(work))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
