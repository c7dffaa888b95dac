"""The paper's two figures for the models of a report: a radar chart of the six task scores and
the average score against parameter count, each written as PNG and SVG.

matplotlib is an optional extra (``pip install 'sarchat-bench[plots]'``): the tables of a report
never need it, so it is imported only here, and its absence is reported as ``PlotsUnavailable``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from sarchat_tasks.errors import SarchatError
from sarchat_tasks.registry import TASKS

MISSING_MESSAGE = "plots need matplotlib, which is not installed: pip install 'sarchat-bench[plots]'"


class PlotsUnavailable(SarchatError):
    """matplotlib is missing; the message says how to install it."""


@dataclass(frozen=True)
class PlotModel:
    """One model as the figures draw it: task scores a_t, avg_score, size, and whether its numbers
    are the paper's (drawn thin and grey) or this run's."""

    name: str
    task_scores: Mapping[str, float | None]
    avg_score: float | None
    params_b: float | None
    paper: bool


def _pyplot():
    try:
        import matplotlib
    except ImportError as exc:
        raise PlotsUnavailable(MISSING_MESSAGE) from exc
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def _save(fig, stem: Path) -> list[Path]:
    paths = []
    for suffix in (".png", ".svg"):
        path = stem.with_suffix(suffix)
        fig.savefig(path, dpi=150, bbox_inches="tight", metadata={"Date": None} if suffix == ".svg" else None)
        paths.append(path)
    return paths


def radar_chart(models: Sequence[PlotModel], stem: Path) -> list[Path]:
    """The six task scores of every model on one radar (the paper's Figure 4 layout). Paper
    models are thin grey lines; a task a model did not run is drawn at the centre and named in
    the legend. Returns the files written."""
    plt = _pyplot()
    angles = [2 * math.pi * i / len(TASKS) for i in range(len(TASKS))]
    fig, ax = plt.subplots(figsize=(7.5, 7.5), subplot_kw={"projection": "polar"})
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    ours = [m for m in models if not m.paper]
    paper_labelled = False
    for model in [m for m in models if m.paper]:
        values = [model.task_scores.get(t) or 0.0 for t in TASKS]
        label = "paper-reported (Table 3)" if not paper_labelled else None
        paper_labelled = True
        ax.plot([*angles, angles[0]], [*values, values[0]], color="0.6", linewidth=0.8, alpha=0.6, label=label)
    for i, model in enumerate(ours):
        values = [model.task_scores.get(t) for t in TASKS]
        missing = [t for t, v in zip(TASKS, values) if v is None]
        values = [v or 0.0 for v in values]
        label = model.name + (f" (no {', '.join(missing)})" if missing else "")
        colour = colours[i % len(colours)]
        ax.plot([*angles, angles[0]], [*values, values[0]], color=colour, linewidth=2.2, label=label)
        ax.fill([*angles, angles[0]], [*values, values[0]], color=colour, alpha=0.12)
    ax.set_xticks(angles)
    ax.set_xticklabels([spec.paper_group for spec in TASKS.values()])
    ax.set_ylim(0, 100)
    ax.set_yticks([20, 40, 60, 80, 100])
    ax.set_title("SARChat-Bench task scores (a_t, %)", pad=24)
    ax.legend(loc="upper right", bbox_to_anchor=(1.35, 1.12), fontsize=8)
    paths = _save(fig, stem)
    plt.close(fig)
    return paths


def score_vs_size(models: Sequence[PlotModel], stem: Path) -> tuple[list[Path], list[str]]:
    """avg_score against parameter count (billions, log scale) for every model whose size is
    known. Returns the files written and the models left out for lack of a size or a score."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7.5, 5))
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    left_out = []
    paper_labelled = False
    colour_index = 0
    for model in models:
        if model.params_b is None or model.avg_score is None:
            left_out.append(model.name)
            continue
        if model.paper:
            label = "paper-reported (Table 3)" if not paper_labelled else None
            paper_labelled = True
            ax.scatter(model.params_b, model.avg_score, color="0.55", s=28, label=label, zorder=2)
            ax.annotate(model.name, (model.params_b, model.avg_score), fontsize=6, color="0.4",
                        xytext=(3, 2), textcoords="offset points")  # fmt: skip
        else:
            colour = colours[colour_index % len(colours)]
            colour_index += 1
            ax.scatter(model.params_b, model.avg_score, color=colour, s=70, marker="*", label=model.name, zorder=3)
    ax.set_xscale("log")
    sizes = sorted({m.params_b for m in models if m.params_b is not None and m.avg_score is not None})
    if sizes:
        from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter

        nice = [0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 32, 72, 128, 256]
        ticks = [v for v in nice if sizes[0] / 1.5 <= v <= sizes[-1] * 1.5] or sizes
        ax.xaxis.set_major_locator(FixedLocator(ticks))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
        ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("parameters (billions, log scale)")
    ax.set_ylabel("avg_score (%)")
    ax.set_title("SARChat-Bench average score against model size")
    ax.grid(True, which="both", alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8, loc="lower right")
    paths = _save(fig, stem)
    plt.close(fig)
    return paths, left_out
