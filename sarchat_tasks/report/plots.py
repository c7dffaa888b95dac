"""The paper's two figures for the models of a report: a radar chart of the six task scores and
the average score against parameter count, each written as PNG and SVG.

matplotlib is an optional extra (``pip install matplotlib``, or the ``plots`` extra): the tables of a report
never need it, so it is imported only here, and its absence is reported as ``PlotsUnavailable``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from sarchat_tasks.errors import SarchatError
from sarchat_tasks.registry import TASKS

MISSING_MESSAGE = "plots need matplotlib, which is not installed: pip install matplotlib"


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
    """The six task scores of every model on one radar (the paper's Figure 4 layout). The paper's
    models are drawn together, as the band between their lowest and highest score on each task
    and their mean, so that the report's own models stand out and every line has a legend entry;
    a task a model did not run is drawn at the centre and named in the legend. Returns the files
    written."""
    fig = radar_figure(models)
    paths = _save(fig, stem)
    _pyplot().close(fig)
    return paths


def radar_figure(models: Sequence[PlotModel]):
    plt = _pyplot()
    angles = [2 * math.pi * i / len(TASKS) for i in range(len(TASKS))]
    closed = [*angles, angles[0]]
    fig, ax = plt.subplots(figsize=(8, 7.5), subplot_kw={"projection": "polar"})
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    paper = [[m.task_scores.get(t) or 0.0 for t in TASKS] for m in models if m.paper]
    if paper:
        low = [min(column) for column in zip(*paper)]
        high = [max(column) for column in zip(*paper)]
        mean = [sum(column) / len(column) for column in zip(*paper)]
        ax.fill_between(closed, [*low, low[0]], [*high, high[0]], color="0.75", alpha=0.35,
                        label=f"paper-reported range ({len(paper)} models, Table 3)")  # fmt: skip
        ax.plot(closed, [*mean, mean[0]], color="0.45", linewidth=1.0, linestyle="--", label="paper-reported mean")
    for i, model in enumerate(m for m in models if not m.paper):
        values = [model.task_scores.get(t) for t in TASKS]
        missing = [t for t, v in zip(TASKS, values) if v is None]
        values = [v or 0.0 for v in values]
        label = model.name + (f" (no {', '.join(missing)})" if missing else "")
        colour = colours[i % len(colours)]
        ax.plot(closed, [*values, values[0]], color=colour, linewidth=2.2, label=label)
        ax.fill(closed, [*values, values[0]], color=colour, alpha=0.12)
    ax.set_xticks(angles)
    ax.set_xticklabels([spec.paper_group for spec in TASKS.values()])
    ax.tick_params(axis="x", pad=14)
    ax.set_ylim(0, 100)
    ax.set_yticks([20, 40, 60, 80, 100])
    # the radial tick labels half-way between two spokes, where no line runs through them
    ax.set_rlabel_position(math.degrees(angles[1]) / 2)
    ax.tick_params(axis="y", labelsize=7, labelcolor="0.35")
    ax.set_title("SARChat-Bench task scores (a_t, %)", pad=28)
    ax.legend(loc="upper left", bbox_to_anchor=(1.08, 1.0), fontsize=8, frameon=False)
    return fig


def _stack(centres: list[float], heights: list[float], gap: float, top: float | None = None) -> list[float]:
    """New centres for boxes on one line so that none overlaps the next, each group of boxes that
    would overlap stacked around the mean of its wanted centres (clusters merged while they still
    overlap), their order kept; then, from the highest down, none above ``top`` (the plot's upper
    edge: labels stay out of the title) and each below the one over it."""
    order = sorted(range(len(centres)), key=lambda i: (centres[i], i))
    clusters: list[list[int]] = []

    def span(cluster: list[int]) -> tuple[float, float]:
        height = sum(heights[i] for i in cluster) + gap * (len(cluster) - 1)
        bottom = sum(centres[i] for i in cluster) / len(cluster) - height / 2
        return bottom, bottom + height

    for index in order:
        clusters.append([index])
        while len(clusters) > 1 and span(clusters[-2])[1] + gap > span(clusters[-1])[0]:
            clusters[-2:] = [clusters[-2] + clusters[-1]]
    placed = [0.0] * len(centres)
    for cluster in clusters:
        bottom = span(cluster)[0]
        for i in cluster:
            placed[i] = bottom + heights[i] / 2
            bottom += heights[i] + gap
    ceiling = top
    for i in sorted(range(len(placed)), key=lambda i: (-placed[i], i)):
        if ceiling is not None and placed[i] + heights[i] / 2 > ceiling:
            placed[i] = ceiling - heights[i] / 2
        ceiling = placed[i] - heights[i] / 2 - gap
    return placed


def spread_labels(fig, labels: list, *, gap_px: float = 1.5) -> None:
    """Move annotation labels (offset in points from their point) up or down so that no two of
    their boxes overlap: labels whose horizontal extents overlap form a column, stacked around
    where they wanted to be. A leader line keeps each label tied to its point."""
    renderer = fig.canvas.get_renderer()
    boxes = [label.get_window_extent(renderer) for label in labels]
    ceiling = labels[0].axes.get_window_extent(renderer).y1 if labels else None
    # columns: labels connected by overlapping horizontal extents
    column = list(range(len(labels)))

    def root(i: int) -> int:
        while column[i] != i:
            column[i] = column[column[i]]
            i = column[i]
        return i

    for i in range(len(labels)):
        for j in range(i + 1, len(labels)):
            if boxes[i].x0 < boxes[j].x1 and boxes[j].x0 < boxes[i].x1:
                column[root(i)] = root(j)
    points_per_px = 72.0 / fig.dpi
    for first in sorted({root(i) for i in range(len(labels))}):
        members = [i for i in range(len(labels)) if root(i) == first]
        centres = [(boxes[i].y0 + boxes[i].y1) / 2 for i in members]
        placed = _stack(centres, [boxes[i].height for i in members], gap_px, ceiling)
        for i, old, new in zip(members, centres, placed):
            x, y = labels[i].get_position()
            labels[i].set_position((x, y + (new - old) * points_per_px))


def score_vs_size(models: Sequence[PlotModel], stem: Path) -> tuple[list[Path], list[str]]:
    """avg_score against parameter count (billions, log scale); models of unknown size (the
    baselines, a checkpoint given no ``--params``) in a column of their own at the right. Every
    point is named, the names moved apart until none overlaps another. Returns the files written
    and the models left out for lack of a score."""
    fig, left_out = score_vs_size_figure(models)
    paths = _save(fig, stem)
    _pyplot().close(fig)
    return paths, left_out


def score_vs_size_figure(models: Sequence[PlotModel]):
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(9, 6.5))
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    scored = [m for m in models if m.avg_score is not None]
    left_out = [m.name for m in models if m.avg_score is None]
    sizes = sorted({m.params_b for m in scored if m.params_b is not None})
    unknown_x = (sizes[-1] if sizes else 1.0) * 3  # the column of unknown sizes, right of every size
    labels = []
    paper_labelled = False
    colour_index = 0
    for model in scored:
        x = model.params_b if model.params_b is not None else unknown_x
        if model.paper:
            label = "paper-reported (Table 3)" if not paper_labelled else None
            paper_labelled = True
            ax.scatter(x, model.avg_score, color="0.55", s=28, label=label, zorder=2)
            style = {"fontsize": 6.5, "color": "0.35"}
        else:
            colour = colours[colour_index % len(colours)]
            colour_index += 1
            ax.scatter(x, model.avg_score, color=colour, s=80, marker="*", label=model.name, zorder=3)
            style = {"fontsize": 7.5, "color": colour, "fontweight": "bold"}
        leader = {"arrowstyle": "-", "color": "0.7", "linewidth": 0.5, "shrinkA": 0, "shrinkB": 3}
        point = (x, model.avg_score)
        labels.append(
            ax.annotate(model.name, point, xytext=(6, -3), textcoords="offset points", arrowprops=leader, **style)
        )
    ax.set_xscale("log")
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter

    nice = [0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 32, 72, 128, 256]
    ticks = ([v for v in nice if sizes[0] / 1.5 <= v <= sizes[-1] * 1.5] or sizes) if sizes else []
    if any(m.params_b is None for m in scored):
        ticks = [*ticks, unknown_x]
        ax.axvline(unknown_x / 1.7, color="0.6", linewidth=0.8, linestyle=":")
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_major_formatter(
        FuncFormatter(lambda value, _: "size\nunknown" if value == unknown_x else f"{value:g}")
    )
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlim((sizes[0] if sizes else unknown_x) / 1.6, unknown_x * 2.5)
    top = max((m.avg_score for m in scored), default=100.0)
    ax.set_ylim(0, min(100.0, top * 1.15 + 2))
    ax.set_xlabel("parameters (billions, log scale)")
    ax.set_ylabel("avg_score (%)")
    ax.set_title("SARChat-Bench average score against model size")
    ax.grid(True, which="both", alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False)
    fig.tight_layout()
    spread_labels(fig, labels)
    return fig, left_out
