"""Procedural SAR-like scenes written as a SARDet-100K-style tree (``sarchat synth``).

Why: the real benchmark images (SARDet-100K) are large and the SARChat files are not downloadable,
so tests, the demo and the bundled sample need images that behave like SAR without shipping any.
The generator therefore reproduces the properties that matter to a detector or a VLM:

* **Multiplicative speckle.** Each pixel's intensity is its mean reflectivity times a unit-mean
  gamma variable with ``L`` looks (``L`` in 1..4 per image), the fully developed speckle model.
  The 8-bit value is the amplitude ``sqrt(I)`` on a linear stretch, as SAR detection sets store it.
* **Clutter.** Sea is dark with wind streaks (log-normal, low-frequency texture); land is brighter
  and textured (field parcels); concrete (aprons, parking lots) and water (rivers) are darker.
* **Targets of the six SARDet-100K categories with SAR-like signatures**: ships (hull plus bright
  superstructure scatterers, a dark turbulent wake with Kelvin arms when under way, sinc sidelobes
  along range and azimuth for strong returns), aircraft (a cross of discrete bright scatterers)
  parked along bright apron lines, cars in rows on parking lots, tanks (body, turret and barrel) on
  fields, bridges across rivers (bright deck, double-bounce edge, multipath ghost in the water) and
  harbours (piers, breakwater, quay blocks) on coastlines with ships moored alongside.
* **Distractors that are not annotated** (buildings), so that a detector meets false alarms.

Annotations match pixels by construction: every target is painted from explicit masks and its box
is the exact extent of those masks (corners as continuous coordinates, ``x2 = last column + 1``).

Output is deterministic: image ``i`` draws from ``SeedSequence([seed, i])``, JSON is written with
sorted keys and no timestamps, so the same arguments give byte-identical files.
"""

from __future__ import annotations

import argparse
import json
import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image
from scipy import ndimage

from sarchat_tasks.errors import SarchatError
from sarchat_tasks.utils.vocabulary import CATEGORIES

# Scene kinds, cycled by image index so that any sample of six or more images holds all six categories.
SCENES: tuple[str, ...] = ("sea", "coast", "river", "airport", "parking", "field")

# Mean reflectivity (linear sigma-nought) of the surfaces, from typical C/X-band values:
# calm sea about -20 dB, fields about -10 dB, smooth concrete and still water about -23 to -25 dB.
SEA_DB = -20.0
LAND_DB = -10.5
CONCRETE_DB = -23.0
RIVER_DB = -24.0
# The 8-bit stretch: amplitude sqrt(sigma) = 1 (a 0 dB target) maps to 255; brighter returns saturate.
AMPLITUDE_FULL_SCALE = 1.0


def _db(value: float) -> float:
    return 10.0 ** (value / 10.0)


@dataclass
class Target:
    """One annotated object: its category and the exact pixel extent of everything painted for it."""

    category: str
    x1: int = 10**9
    y1: int = 10**9
    x2: int = -1
    y2: int = -1

    def extend(self, ys: np.ndarray, xs: np.ndarray) -> None:
        if ys.size:
            self.x1 = min(self.x1, int(xs.min()))
            self.y1 = min(self.y1, int(ys.min()))
            self.x2 = max(self.x2, int(xs.max()) + 1)
            self.y2 = max(self.y2, int(ys.max()) + 1)

    @property
    def valid(self) -> bool:
        return self.x2 > self.x1 and self.y2 > self.y1

    @property
    def box(self) -> tuple[int, int, int, int]:
        return (self.x1, self.y1, self.x2, self.y2)


@dataclass
class Scene:
    """A reflectivity map under construction, with the boxes already taken (to keep objects apart)."""

    height: int
    width: int
    rng: np.random.Generator
    background: np.ndarray = field(init=False)
    returns: np.ndarray = field(init=False)
    taken: list[tuple[float, float, float, float]] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.background = np.full((self.height, self.width), _db(LAND_DB), dtype=np.float64)
        self.returns = np.zeros((self.height, self.width), dtype=np.float64)

    # -- geometry ---------------------------------------------------------------------------

    def _window(
        self, x_lo: float, y_lo: float, x_hi: float, y_hi: float
    ) -> tuple[int, int, np.ndarray, np.ndarray] | None:
        x0 = max(0, math.floor(x_lo))
        y0 = max(0, math.floor(y_lo))
        x1 = min(self.width, math.ceil(x_hi) + 1)
        y1 = min(self.height, math.ceil(y_hi) + 1)
        if x1 <= x0 or y1 <= y0:
            return None
        ys, xs = np.mgrid[y0:y1, x0:x1]
        return y0, x0, ys + 0.5, xs + 0.5  # pixel centres

    def paint(self, mask_fn: Callable, bounds: tuple[float, float, float, float], value, target: Target | None) -> None:
        """Add ``value`` (a number or a function of the window's coordinates) where ``mask_fn`` holds."""
        window = self._window(*bounds)
        if window is None:
            return
        y0, x0, ys, xs = window
        mask = mask_fn(xs, ys)
        if not mask.any():
            return
        add = value(xs, ys) if callable(value) else value
        region = self.returns[y0 : y0 + mask.shape[0], x0 : x0 + mask.shape[1]]
        region += np.where(mask, add, 0.0)
        if target is not None:
            my, mx = np.nonzero(mask)
            target.extend(my + y0, mx + x0)

    def disc(self, cx: float, cy: float, radius: float, value: float, target: Target | None) -> None:
        r2 = radius * radius
        self.paint(
            lambda x, y: (x - cx) ** 2 + (y - cy) ** 2 <= r2,
            (cx - radius, cy - radius, cx + radius, cy + radius),
            value,
            target,
        )

    def segment(
        self, xa: float, ya: float, xb: float, yb: float, half_width: float, value: float, target: Target | None
    ) -> None:
        dx, dy = xb - xa, yb - ya
        length2 = max(dx * dx + dy * dy, 1e-9)

        def mask(x: np.ndarray, y: np.ndarray) -> np.ndarray:
            t = np.clip(((x - xa) * dx + (y - ya) * dy) / length2, 0.0, 1.0)
            return (x - xa - t * dx) ** 2 + (y - ya - t * dy) ** 2 <= half_width * half_width

        pad = half_width + 1
        self.paint(mask, (min(xa, xb) - pad, min(ya, yb) - pad, max(xa, xb) + pad, max(ya, yb) + pad), value, target)

    def hull(
        self, cx: float, cy: float, length: float, beam: float, heading: float, value, target: Target | None
    ) -> None:
        """A ship-like superellipse, long axis along ``heading`` (radians)."""
        c, s = math.cos(heading), math.sin(heading)

        def mask(x: np.ndarray, y: np.ndarray) -> np.ndarray:
            u = (x - cx) * c + (y - cy) * s
            v = -(x - cx) * s + (y - cy) * c
            return np.abs(2 * u / length) ** 3 + np.abs(2 * v / beam) ** 2 <= 1.0

        r = length / 2 + 1
        self.paint(mask, (cx - r, cy - r, cx + r, cy + r), value, target)

    def rect(self, x1: float, y1: float, x2: float, y2: float, value, target: Target | None) -> None:
        self.paint(lambda x, y: (x >= x1) & (x < x2) & (y >= y1) & (y < y2), (x1, y1, x2, y2), value, target)

    # -- placement --------------------------------------------------------------------------

    def free(self, box: tuple[float, float, float, float], margin: float = 4.0) -> bool:
        """Inside the image (with a margin) and clear of every box already taken."""
        x1, y1, x2, y2 = box
        if x1 < margin or y1 < margin or x2 > self.width - margin or y2 > self.height - margin:
            return False
        return all(
            x1 - margin >= t[2] or x2 + margin <= t[0] or y1 - margin >= t[3] or y2 + margin <= t[1] for t in self.taken
        )

    def take(self, box: tuple[float, float, float, float]) -> None:
        self.taken.append(box)

    def add_target(self, target: Target) -> None:
        if target.valid:
            self.targets.append(target)
            self.take(target.box)

    def texture(self, scale: float, strength: float) -> np.ndarray:
        """Log-normal multiplicative texture with spatial correlation ``scale`` px (unit median)."""
        return np.exp(strength * _smooth_noise(self.rng, (self.height, self.width), (scale, scale)))


def _smooth_noise(rng: np.random.Generator, shape: tuple[int, int], sigma: tuple[float, float]) -> np.ndarray:
    """Gaussian-correlated noise with unit standard deviation. Broad correlations are drawn on a
    coarser grid and interpolated up (cheap: the filter cost grows with the kernel width)."""
    step = max(1, int(min(sigma) // 3))
    coarse = (-(-shape[0] // step) + 1, -(-shape[1] // step) + 1)
    noise = rng.standard_normal(coarse)
    smooth = ndimage.gaussian_filter(noise, (sigma[0] / step, sigma[1] / step), mode="wrap")
    if step > 1:
        smooth = ndimage.zoom(smooth, step, order=1, grid_mode=False)
    smooth = smooth[: shape[0], : shape[1]]
    return (smooth - smooth.mean()) / (smooth.std() + 1e-12)


# ---------------------------------------------------------------------------------------------
# Backgrounds.
# ---------------------------------------------------------------------------------------------


def _sea(scene: Scene, mask: np.ndarray | None = None) -> None:
    """Dark sea with wind streaks: anisotropic low-frequency modulation of about +-1 dB."""
    rng = scene.rng
    level = _db(SEA_DB + rng.uniform(-3.0, 3.0))
    streaks = _smooth_noise(rng, (scene.height, scene.width), (rng.uniform(6, 12), rng.uniform(25, 60)))
    sea = level * np.exp(0.25 * streaks)
    scene.background = sea if mask is None else np.where(mask, sea, scene.background)


def _land(scene: Scene) -> None:
    """Fields: parcels of different brightness (piecewise constant) times a fine texture."""
    rng = scene.rng
    h, w = scene.height, scene.width
    n_parcels = int(rng.integers(6, 16))
    px = rng.uniform(0, w, n_parcels)
    py = rng.uniform(0, h, n_parcels)
    levels = _db(LAND_DB + rng.uniform(-3.5, 3.5, n_parcels))
    ys, xs = np.mgrid[0:h, 0:w]
    # Parcels as a Voronoi partition, with bent borders from a smooth warp.
    xw = xs + 8.0 * _smooth_noise(rng, (h, w), (20.0, 20.0))
    best = np.full((h, w), np.inf)
    parcel = np.zeros((h, w), dtype=np.intp)
    for k in range(n_parcels):
        d2 = (xw - px[k]) ** 2 + (ys - py[k]) ** 2
        closer = d2 < best
        best[closer] = d2[closer]
        parcel[closer] = k
    scene.background = levels[parcel] * scene.texture(3.0, 0.15)


def _meander(rng: np.random.Generator, n: int, amplitude: float) -> np.ndarray:
    """A smooth random curve offset, length ``n``."""
    t = np.linspace(0, 2 * math.pi, n)
    curve = np.zeros(n)
    for k in (1, 2, 3):
        curve += rng.uniform(-1, 1) * amplitude / k * np.sin(k * t + rng.uniform(0, 2 * math.pi))
    return curve


def _building(scene: Scene, x: float, y: float, bw: float, bh: float) -> None:
    """An unannotated building: bright roof and a very bright double-bounce wall on the near side."""
    rng = scene.rng
    scene.rect(x, y, x + bw, y + bh, _db(rng.uniform(-6, -1)), None)
    scene.rect(x, y + bh - 2, x + bw, y + bh, _db(rng.uniform(3, 9)), None)


def _scatter_buildings(scene: Scene, count: int, ok: Callable[[float, float], bool]) -> None:
    rng = scene.rng
    for _ in range(count):
        for _try in range(30):
            bw, bh = rng.uniform(8, 22), rng.uniform(8, 22)
            x, y = rng.uniform(0, scene.width - bw), rng.uniform(0, scene.height - bh)
            box = (x, y, x + bw, y + bh)
            if scene.free(box, margin=10) and ok(x + bw / 2, y + bh / 2):
                _building(scene, x, y, bw, bh)
                scene.take(box)
                break


# ---------------------------------------------------------------------------------------------
# Targets.
# ---------------------------------------------------------------------------------------------


def _ship(
    scene: Scene,
    cx: float,
    cy: float,
    length: float,
    heading: float,
    *,
    wake: bool,
    sidelobes: bool,
    beam: float | None = None,
) -> Target:
    """Hull, bright superstructure points, optional wake (dark trail, Kelvin arms) and sidelobes."""
    rng = scene.rng
    target = Target("ship")
    drawn_beam = max(3.0, length / rng.uniform(4.0, 6.5))
    beam = drawn_beam if beam is None else beam
    c, s = math.cos(heading), math.sin(heading)
    if wake:
        # The turbulent wake darkens the sea behind the stern; Kelvin arms open at +-19.5 degrees.
        wake_len = length * rng.uniform(2.0, 5.0)
        sx, sy = cx - c * length / 2, cy - s * length / 2
        ex, ey = sx - c * wake_len, sy - s * wake_len
        _darken_segment(scene, sx, sy, ex, ey, beam * 0.8, 0.35)
        for sign in (-1, 1):
            a = heading + math.pi + sign * math.radians(19.5)
            arm = wake_len * 0.5
            scene.segment(sx, sy, sx + math.cos(a) * arm, sy + math.sin(a) * arm, 0.7, _db(SEA_DB + 1.0), None)
    scene.hull(cx, cy, length, beam, heading, _db(rng.uniform(-6.0, -1.0)), target)
    # Superstructure: a few strong point scatterers along the centre line.
    peak = 0.0
    peak_xy = (cx, cy)
    for _ in range(int(rng.integers(2, 6))):
        u = rng.uniform(-0.35, 0.35) * length
        value = _db(rng.uniform(3.0, 14.0))
        px, py = cx + c * u, cy + s * u
        scene.disc(px, py, rng.uniform(1.0, max(1.2, beam / 2.5)), value, target)
        if value > peak:
            peak, peak_xy = value, (px, py)
    if sidelobes:
        # Sinc^2 sidelobes of the strongest scatterer along range (x) and azimuth (y): -13 dB first
        # sidelobe, decaying as 1/n^2. Annotators box the hull, so these stay outside the box.
        px, py = peak_xy
        for n in range(1, int(rng.integers(6, 14))):
            lobe = peak * 0.05 / (n * n)
            for dx, dy in ((1, 0), (-1, 0), (0, 1), (0, -1)):
                ox, oy = px + dx * (length / 2 + 2 * n), py + dy * (length / 2 + 2 * n)
                scene.disc(ox, oy, 0.8, lobe, None)
    return target


def _darken_segment(scene: Scene, xa: float, ya: float, xb: float, yb: float, half_width: float, factor: float) -> None:
    window = scene._window(min(xa, xb) - half_width, min(ya, yb) - half_width, max(xa, xb) + half_width,
                           max(ya, yb) + half_width)  # fmt: skip
    if window is None:
        return
    y0, x0, ys, xs = window
    dx, dy = xb - xa, yb - ya
    length2 = max(dx * dx + dy * dy, 1e-9)
    t = np.clip(((xs - xa) * dx + (ys - ya) * dy) / length2, 0.0, 1.0)
    dist2 = (xs - xa - t * dx) ** 2 + (ys - ya - t * dy) ** 2
    widen = half_width * (1.0 + 1.5 * t)  # the wake spreads with distance from the stern
    region = scene.background[y0 : y0 + ys.shape[0], x0 : x0 + ys.shape[1]]
    region *= np.where(dist2 <= widen * widen, factor, 1.0)


def _aircraft(scene: Scene, cx: float, cy: float, length: float, heading: float) -> Target:
    """Discrete bright scatterers along fuselage, swept wings and tailplane (SAR aircraft look dotted)."""
    rng = scene.rng
    target = Target("aircraft")
    span = length * rng.uniform(0.8, 1.1)
    sweep = math.radians(rng.uniform(15, 35))
    c, s = math.cos(heading), math.sin(heading)

    def at(u: float, v: float) -> tuple[float, float]:
        return cx + c * u - s * v, cy + s * u + c * v

    # A faint continuous body keeps the scatterers one object.
    nose, tail = at(length / 2, 0), at(-length / 2, 0)
    scene.segment(*nose, *tail, 1.5, _db(-5.0), target)
    for u in np.arange(-length / 2, length / 2 + 0.1, rng.uniform(2.0, 3.0)):
        scene.disc(*at(u, 0), 1.3, _db(rng.uniform(0, 9)), target)
    wing_root = length * 0.08
    for sign in (-1, 1):
        tip = at(wing_root - math.tan(sweep) * span / 2, sign * span / 2)
        scene.segment(*at(wing_root, 0), *tip, 1.0, _db(-6.0), target)
        for t in np.linspace(0.15, 1.0, int(rng.integers(5, 9))):
            u = wing_root - math.tan(sweep) * span / 2 * t
            scene.disc(*at(u, sign * span / 2 * t), 1.0, _db(rng.uniform(-4, 6)), target)
        stab = at(-length / 2 + 2, sign * span * 0.17)
        scene.segment(*at(-length / 2 + 4, 0), *stab, 0.8, _db(rng.uniform(-4, 3)), target)
    scene.disc(*nose, 1.3, _db(rng.uniform(4, 10)), target)  # the nose/cockpit is a strong corner
    return target


def _car(scene: Scene, cx: float, cy: float, heading_vertical: bool) -> Target:
    rng = scene.rng
    target = Target("car")
    length, width = rng.uniform(6, 10), rng.uniform(3, 5)
    w, h = (width, length) if heading_vertical else (length, width)
    scene.rect(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2, _db(rng.uniform(-5, 1)), target)
    scene.disc(cx, cy, 1.0, _db(rng.uniform(2, 8)), target)  # roof/windscreen dihedral
    return target


def _tank(scene: Scene, cx: float, cy: float, heading: float) -> Target:
    rng = scene.rng
    target = Target("tank")
    length, width = rng.uniform(8, 12), rng.uniform(5, 7)
    scene.hull(cx, cy, length, width * 1.3, heading, _db(rng.uniform(-3, 2)), target)
    scene.disc(cx, cy, width / 3, _db(rng.uniform(4, 10)), target)  # turret
    barrel = length * rng.uniform(0.5, 0.8)
    turn = heading + rng.uniform(-0.6, 0.6)
    scene.segment(cx, cy, cx + math.cos(turn) * barrel, cy + math.sin(turn) * barrel, 0.6, _db(2.0), target)
    return target


# ---------------------------------------------------------------------------------------------
# Scenes.
# ---------------------------------------------------------------------------------------------


def _place(scene: Scene, size: float, ok: Callable[[float, float], bool] | None = None, tries: int = 60):
    """A random centre whose ``size`` x ``size`` square is free (and where ``ok`` holds), or None."""
    rng = scene.rng
    half = size / 2
    for _ in range(tries):
        cx = rng.uniform(half, scene.width - half)
        cy = rng.uniform(half, scene.height - half)
        if scene.free((cx - half, cy - half, cx + half, cy + half)) and (ok is None or ok(cx, cy)):
            return cx, cy
    return None


def _scene_sea(scene: Scene) -> None:
    rng = scene.rng
    _sea(scene)
    for _ in range(int(rng.integers(1, 7))):
        length = rng.uniform(14, 0.16 * min(scene.width, scene.height) + 14)
        spot = _place(scene, length + 8)
        if spot is None:
            continue
        target = _ship(
            scene, *spot, length, rng.uniform(0, 2 * math.pi), wake=rng.random() < 0.5, sidelobes=rng.random() < 0.5
        )
        scene.add_target(target)


def _scene_coast(scene: Scene) -> None:
    """Land on one side, sea on the other; one harbour with piers, a breakwater and quay blocks."""
    rng = scene.rng
    h, w = scene.height, scene.width
    _land(scene)
    land_bg = scene.background.copy()
    coast_x = w * rng.uniform(0.3, 0.45) + _meander(rng, h, w * 0.05)  # land left of the line
    flip = rng.random() < 0.5  # land on the right instead
    xs = np.arange(w)[None, :] + 0.5
    sea_mask = xs > coast_x[:, None] if not flip else xs < (w - coast_x)[:, None]
    _sea(scene, sea_mask)
    scene.background = np.where(sea_mask, scene.background, land_bg)

    def coast_at(y: float) -> float:
        x = float(coast_x[min(h - 1, max(0, int(y)))])
        return x if not flip else w - x

    seaward = -1.0 if flip else 1.0
    harbor = Target("harbor")
    y_top = rng.uniform(0.15, 0.45) * h
    y_bot = y_top + rng.uniform(0.25, 0.4) * h
    n_piers = int(rng.integers(3, 6))
    pier_len = rng.uniform(0.1, 0.2) * w
    piers = []
    for y in np.linspace(y_top + 8, y_bot - 8, n_piers):
        x0 = coast_at(y) - seaward * 6
        x1 = x0 + seaward * pier_len * rng.uniform(0.7, 1.0)
        pw = rng.uniform(2.0, 3.5)
        scene.segment(x0, y, x1, y, pw, _db(rng.uniform(-3, 3)), harbor)
        scene.segment(x0, y + pw, x1, y + pw, 0.6, _db(rng.uniform(5, 10)), harbor)  # double bounce edge
        piers.append((y, x0, x1, pw))
    # Breakwater offshore, parallel to the coast, and quay blocks (container stacks) on land.
    bx = coast_at((y_top + y_bot) / 2) + seaward * (pier_len + rng.uniform(12, 20))
    scene.segment(bx, y_top - 6, bx, y_bot + 6, 2.0, _db(rng.uniform(-4, 1)), harbor)
    for y in np.arange(y_top, y_bot, rng.uniform(7, 10)):
        qx = coast_at(y) - seaward * rng.uniform(10, 22)
        qw = rng.uniform(6, 14)
        scene.rect(min(qx, qx - seaward * qw), y, max(qx, qx - seaward * qw), y + 4, _db(rng.uniform(-4, 2)), harbor)
    scene.add_target(harbor)
    # Ships moored alongside the piers: a gap of water between hull and pier.
    spacing = (y_bot - y_top - 16) / max(1, n_piers - 1)
    for k, (y, x0, x1, pw) in enumerate(piers):
        length = abs(x1 - x0) * rng.uniform(0.35, 0.6)
        beam = max(3.0, length / 5)
        side = 1.0 if rng.random() < 0.5 else -1.0
        if k == 0:
            side = -1.0  # the outer side of the first and last pier is open water
        elif k == n_piers - 1:
            side = 1.0
        # Moor only where the berth leaves water between the ship and the next pier.
        room = 1e9 if (k == 0 and side < 0) or (k == n_piers - 1 and side > 0) else spacing
        if rng.random() < 0.7 and 2 * pw + 12 + beam < room:
            cx = x0 + seaward * (abs(x1 - x0) * rng.uniform(0.35, 0.65))
            cy = y + side * (pw + 6 + beam / 2)
            ship = _ship(scene, cx, cy, length, 0.0, wake=False, sidelobes=False, beam=beam)
            if ship.valid:
                scene.targets.append(ship)  # inside the harbour box, as moored ships are in SARDet
    # Ships at sea beyond the breakwater.
    for _ in range(int(rng.integers(0, 3))):
        length = rng.uniform(14, 40)

        def at_sea(x: float, y: float, length: float = length) -> bool:
            return seaward * (x - coast_at(y)) > length + 10

        spot = _place(scene, length + 8, at_sea)
        if spot is not None:
            scene.add_target(_ship(scene, *spot, length, rng.uniform(0, 2 * math.pi), wake=rng.random() < 0.5,
                                   sidelobes=False))  # fmt: skip
    _scatter_buildings(scene, int(rng.integers(1, 4)), lambda x, y: seaward * (x - coast_at(y)) < -30)


def _scene_river(scene: Scene) -> None:
    """A river across the image with one to three bridges perpendicular to it."""
    rng = scene.rng
    _land(scene)
    vertical = rng.random() < 0.5
    h, w = scene.height, scene.width
    along, across = (h, w) if vertical else (w, h)
    centre = across * rng.uniform(0.35, 0.65) + _meander(rng, along, across * 0.03)
    half = rng.uniform(0.07, 0.16) * across
    idx = np.arange(across)[None, :] + 0.5
    water = np.abs(idx - centre[:, None]) < half  # (along, across)
    if not vertical:
        water = water.T
    level = _db(RIVER_DB + rng.uniform(-2, 2))
    scene.background = np.where(water, level * scene.texture(4.0, 0.2), scene.background)
    n_bridges = int(rng.integers(1, 4))
    slots = np.sort(rng.choice(np.arange(1, 8), size=n_bridges, replace=False)) / 8.0
    for slot in slots:
        a = slot * along
        c = float(centre[min(along - 1, int(a))])
        overhang = rng.uniform(4, 12)
        deck = rng.uniform(2.0, 4.5)
        lo, hi = c - half - overhang, c + half + overhang
        bridge = Target("bridge")

        def seg(a0: float, lo: float, hi: float, width: float, value: float, target: Target | None) -> None:
            if vertical:
                scene.segment(lo, a0, hi, a0, width, value, target)
            else:
                scene.segment(a0, lo, a0, hi, width, value, target)

        seg(a, lo, hi, deck, _db(rng.uniform(-4, 0)), bridge)
        seg(a + deck, lo, hi, 0.7, _db(rng.uniform(5, 10)), bridge)  # deck-water double bounce
        # Multipath ghost: a fainter copy displaced into the water; not part of the object.
        seg(a + deck + rng.uniform(5, 9), c - half + 2, c + half - 2, 0.7, _db(rng.uniform(-9, -5)), None)
        scene.add_target(bridge)
    _scatter_buildings(scene, int(rng.integers(0, 4)), lambda x, y: not water[int(y), int(x)])


def _scene_airport(scene: Scene) -> None:
    """An apron of dark concrete bounded by bright lines, with aircraft parked in a row along them."""
    rng = scene.rng
    h, w = scene.height, scene.width
    _land(scene)
    top, bottom = rng.uniform(0.12, 0.3) * h, rng.uniform(0.7, 0.88) * h
    concrete = _db(CONCRETE_DB + rng.uniform(-2, 2))
    apron = np.zeros((h, w), dtype=bool)
    apron[int(top) : int(bottom), :] = True
    scene.background = np.where(apron, concrete * scene.texture(4.0, 0.15), scene.background)
    lines = [top, bottom]
    if rng.random() < 0.6:
        lines.append((top + bottom) / 2)
    for y in lines:  # apron edges and taxiway markings: bright straight lines
        scene.segment(0, y, w, y, rng.uniform(0.6, 1.2), _db(rng.uniform(-2, 4)), None)
        scene.take((0, y - 2, w, y + 2))
    for y in lines[:2]:
        facing = 1.0 if y == top else -1.0  # noses point away from the line
        length = rng.uniform(18, min(48, 0.35 * (bottom - top)))
        x = rng.uniform(4, 12)
        while x + length < w - 4:
            cy = y + facing * (length / 2 + rng.uniform(5, 9))
            cx = x + length * 0.55
            if rng.random() < 0.8 and scene.free((cx - length * 0.6, cy - length * 0.6, cx + length * 0.6,
                                                    cy + length * 0.6), margin=2):  # fmt: skip
                heading = (math.pi / 2 if facing > 0 else -math.pi / 2) + rng.uniform(-0.15, 0.15)
                scene.add_target(_aircraft(scene, cx, cy, length, heading))
            x += length * rng.uniform(1.25, 1.7)
    _scatter_buildings(scene, int(rng.integers(1, 4)), lambda x, y: not (top - 10 < y < bottom + 10))


def _scene_parking(scene: Scene) -> None:
    """Parking lots (dark asphalt) holding rows of cars, among buildings."""
    rng = scene.rng
    h, w = scene.height, scene.width
    _land(scene)
    lots = int(rng.integers(1, 3))
    for _ in range(10 * lots):
        if lots == 0:
            break
        lw, lh = rng.uniform(0.3, 0.55) * w, rng.uniform(0.2, 0.35) * h
        x0, y0 = rng.uniform(10, w - lw - 10), rng.uniform(10, h - lh - 10)
        if not scene.free((x0, y0, x0 + lw, y0 + lh), margin=8):
            continue
        lots -= 1
        lot = np.zeros((h, w), dtype=bool)
        lot[int(y0) : int(y0 + lh), int(x0) : int(x0 + lw)] = True
        scene.background = np.where(lot, _db(CONCRETE_DB + rng.uniform(-2, 2)), scene.background)
        vertical = rng.random() < 0.7
        pitch = rng.uniform(9, 13)
        row_gap = rng.uniform(16, 22)
        cars = []
        for cy in np.arange(y0 + 8, y0 + lh - 8, row_gap):
            for cx in np.arange(x0 + 6, x0 + lw - 6, pitch):
                if rng.random() < 0.45:
                    cars.append(_car(scene, cx, cy, vertical))
        for car in cars:
            if car.valid:
                scene.targets.append(car)
        scene.take((x0, y0, x0 + lw, y0 + lh))
    _scatter_buildings(scene, int(rng.integers(2, 6)), lambda x, y: True)


def _scene_field(scene: Scene) -> None:
    """Tanks in the open, scattered or in a loose column."""
    rng = scene.rng
    _land(scene)
    n = int(rng.integers(1, 8))
    for _ in range(n):
        spot = _place(scene, 22)
        if spot is not None:
            scene.add_target(_tank(scene, *spot, rng.uniform(0, 2 * math.pi)))
    _scatter_buildings(scene, int(rng.integers(0, 3)), lambda x, y: True)


_SCENE_BUILDERS: dict[str, Callable[[Scene], None]] = {
    "sea": _scene_sea,
    "coast": _scene_coast,
    "river": _scene_river,
    "airport": _scene_airport,
    "parking": _scene_parking,
    "field": _scene_field,
}


@dataclass(frozen=True)
class SyntheticImage:
    """One generated image: 8-bit pixels, its annotated objects and how it was made."""

    pixels: np.ndarray  # (H, W) uint8
    objects: tuple[tuple[str, tuple[int, int, int, int]], ...]  # (category, (x1, y1, x2, y2))
    scene: str
    looks: int


def generate_image(seed: int, index: int, min_size: int = 256, max_size: int = 512) -> SyntheticImage:
    """Image ``index`` of the run with ``seed``; the same pair always gives the same image."""
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), int(index)]))
    scene_kind = SCENES[index % len(SCENES)]
    sizes = np.arange(min_size, max_size + 1, 32) if max_size - min_size >= 32 else np.array([min_size])
    width = int(rng.choice(sizes))
    height = width if rng.random() < 0.7 else int(rng.choice(sizes))
    scene = Scene(height, width, rng)
    _SCENE_BUILDERS[scene_kind](scene)
    looks = int(rng.integers(1, 5))
    sigma = scene.background + scene.returns
    # Fully developed speckle: intensity = reflectivity x Gamma(L, 1/L) (unit mean, L looks).
    intensity = sigma * rng.gamma(looks, 1.0 / looks, size=sigma.shape)
    amplitude = np.sqrt(intensity) * (255.0 / AMPLITUDE_FULL_SCALE)
    pixels = np.clip(np.rint(amplitude), 0, 255).astype(np.uint8)
    objects = tuple((t.category, t.box) for t in scene.targets if t.valid)
    return SyntheticImage(pixels, objects, scene_kind, looks)


# ---------------------------------------------------------------------------------------------
# Writing a SARDet-100K-style tree.
# ---------------------------------------------------------------------------------------------


def parse_splits(spec: str) -> list[tuple[str, float]]:
    """``"train:0.5,test:0.5"`` or ``"test"`` into (name, weight) pairs."""
    out: list[tuple[str, float]] = []
    for part in filter(None, (p.strip() for p in spec.split(","))):
        name, _, weight = part.partition(":")
        name = name.strip()
        if not name or not name.replace("_", "").replace("-", "").isalnum():
            raise ValueError(f"bad split name {name!r}")
        w = float(weight) if weight else 1.0
        if not (w >= 0 and math.isfinite(w)):
            raise ValueError(f"bad split weight {weight!r}")
        out.append((name, w))
    if not out or sum(w for _, w in out) <= 0:
        raise ValueError(f"no split in {spec!r}")
    return out


def _allocate(n: int, splits: Sequence[tuple[str, float]]) -> list[tuple[str, int]]:
    """Largest-remainder split of ``n`` images by weight (deterministic, ties to the first split)."""
    total = sum(w for _, w in splits)
    exact = [n * w / total for _, w in splits]
    counts = [math.floor(e) for e in exact]
    order = sorted(range(len(splits)), key=lambda i: (-(exact[i] - counts[i]), i))
    for i in order[: n - sum(counts)]:
        counts[i] += 1
    return [(name, c) for (name, _), c in zip(splits, counts, strict=True)]


SYNTH_DESCRIPTION = "sarchat synth: procedural SAR-like scenes"
SYNTH_MARKER = ".sarchat-synth-unfinished.json"  # the files a run is writing; removed when it ends


class SynthOutputError(SarchatError):
    """``--out`` holds a file this command did not write where it would write one."""


def _own_annotation_files(path: Path) -> set[str] | None:
    """The image file names an annotation file written by ``sarchat synth`` lists, or None when the
    file is not one (another dataset's annotations, unreadable)."""
    try:
        coco = json.loads(path.read_text(encoding="utf-8"))
        if (coco.get("info") or {}).get("description") != SYNTH_DESCRIPTION:
            return None
        return {str(image["file_name"]) for image in coco["images"]}
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None


def check_synth_output(out: Path, targets: dict[str, list[str]]) -> None:
    """Refuse, before anything is written, to replace a file ``sarchat synth`` did not write:
    ``targets`` maps each split to the image file names it will write. An annotation file is ours
    when its ``info`` says so; an image is ours when our annotation file of its split lists it."""
    from sarchat_tasks.outputs import check_folder_path

    try:
        check_folder_path(out)
    except ValueError as exc:
        raise SynthOutputError(str(exc)) from exc
    try:  # an interrupted run's files are ours: its marker lists them
        unfinished = json.loads((out / SYNTH_MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        unfinished = {}
    for split, names in targets.items():
        annotation = out / "Annotations" / f"{split}.json"
        own = _own_annotation_files(annotation) if annotation.exists() or annotation.is_symlink() else set()
        if own is not None and isinstance(unfinished, dict):
            own |= set(unfinished.get(split) or [])
        elif own is None and isinstance(unfinished, dict) and f"Annotations/{split}.json" in unfinished.get("", []):
            own = set(unfinished.get(split) or [])
        if own is None:
            raise SynthOutputError(
                f"{annotation} was not written by sarchat synth; it is never replaced: choose another --out"
            )
        foreign = [n for n in names if (out / "JPEGImages" / split / n).exists() and n not in own]
        if foreign:
            raise SynthOutputError(
                f"{out / 'JPEGImages' / split / foreign[0]} (and {len(foreign) - 1} more) was not written by "
                "sarchat synth; it is never replaced: choose another --out"
            )


def write_dataset(
    out: Path,
    images: int,
    seed: int,
    splits: Sequence[tuple[str, float]] = (("test", 1.0),),
    image_format: str = "jpg",
    quality: int = 85,
    min_size: int = 256,
    max_size: int = 512,
) -> dict[str, int]:
    """Write ``Annotations/{split}.json`` and ``JPEGImages/{split}/NAME.{jpg,png}``; returns images per split."""
    if image_format not in ("jpg", "png"):
        raise ValueError("image_format must be jpg or png")
    out = Path(out)
    categories = [{"id": i + 1, "name": name, "supercategory": "object"} for i, name in enumerate(CATEGORIES)]
    category_id = {c["name"]: c["id"] for c in categories}
    allocation = _allocate(images, splits)
    first = 0
    targets: dict[str, list[str]] = {}
    for split, count in allocation:
        targets.setdefault(split, []).extend(f"synth{seed}_{i:05d}.{image_format}" for i in range(first, first + count))
        first += count
    check_synth_output(out, targets)
    out.mkdir(parents=True, exist_ok=True)
    unfinished = {**targets, "": [f"Annotations/{split}.json" for split in targets]}
    (out / SYNTH_MARKER).write_text(json.dumps(unfinished) + "\n", encoding="utf-8")
    index = 0
    written: dict[str, int] = {}
    for split, count in allocation:
        image_dir = out / "JPEGImages" / split
        image_dir.mkdir(parents=True, exist_ok=True)
        coco_images, coco_annotations = [], []
        for _ in range(count):
            synthetic = generate_image(seed, index, min_size, max_size)
            name = f"synth{seed}_{index:05d}.{image_format}"
            pil = Image.fromarray(synthetic.pixels, mode="L")
            if image_format == "jpg":
                pil.save(image_dir / name, format="JPEG", quality=int(quality), optimize=True)
            else:
                pil.save(image_dir / name, format="PNG", optimize=True)
            height, width = synthetic.pixels.shape
            image_id = index + 1
            coco_images.append(
                {
                    "id": image_id,
                    "file_name": name,
                    "width": width,
                    "height": height,
                    "scene": synthetic.scene,
                    "looks": synthetic.looks,
                }
            )
            for category, (x1, y1, x2, y2) in synthetic.objects:
                coco_annotations.append(
                    {
                        "id": len(coco_annotations) + 1,
                        "image_id": image_id,
                        "category_id": category_id[category],
                        "bbox": [x1, y1, x2 - x1, y2 - y1],
                        "area": (x2 - x1) * (y2 - y1),
                        "iscrowd": 0,
                        "segmentation": [],
                    }
                )
            index += 1
        coco = {
            "info": {"description": SYNTH_DESCRIPTION, "seed": seed, "version": "1"},
            "licenses": [],
            "images": coco_images,
            "annotations": coco_annotations,
            "categories": categories,
        }
        (out / "Annotations").mkdir(parents=True, exist_ok=True)
        text = json.dumps(coco, sort_keys=True, indent=1)
        annotation = out / "Annotations" / f"{split}.json"
        partial = annotation.with_name(f".partial-{annotation.name}")
        partial.write_text(text + "\n", encoding="utf-8")
        os.replace(partial, annotation)  # never a half-written annotation file
        written[split] = count
    (out / SYNTH_MARKER).unlink()
    return written


def register(parser: argparse.ArgumentParser) -> None:
    """Add the ``sarchat synth`` arguments to ``parser``."""
    parser.add_argument("--out", required=True, type=Path, help="output folder (SARDet-100K layout)")
    parser.add_argument("--images", type=int, default=24, help="number of images in all (default 24)")
    parser.add_argument("--seed", type=int, default=0, help="random seed; same arguments give identical files")
    parser.add_argument(
        "--splits", default="test", help="comma list of split[:weight], e.g. 'train:3,test:1' (default: test)"
    )
    parser.add_argument("--format", dest="image_format", choices=("jpg", "png"), default="jpg")
    parser.add_argument("--quality", type=int, default=85, help="JPEG quality (default 85)")
    parser.add_argument("--min-size", type=int, default=256, help="smallest image side in px (default 256)")
    parser.add_argument("--max-size", type=int, default=512, help="largest image side in px (default 512)")


def run(args: argparse.Namespace) -> int:
    """Generate the tree described by ``args``; returns the process exit status."""
    if args.images < 0:
        print("sarchat synth: --images must be >= 0")
        return 2
    if not (32 <= args.min_size <= args.max_size <= 4096):
        print("sarchat synth: need 32 <= --min-size <= --max-size <= 4096")
        return 2
    if not (1 <= args.quality <= 100):
        print("sarchat synth: --quality must be in 1..100")
        return 2
    try:
        splits = parse_splits(args.splits)
    except ValueError as exc:
        print(f"sarchat synth: {exc}")
        return 2
    written = write_dataset(
        args.out, args.images, args.seed, splits, args.image_format, args.quality, args.min_size, args.max_size
    )
    summary = ", ".join(f"{name} {count}" for name, count in written.items())
    print(f"sarchat synth: wrote {sum(written.values())} images ({summary}) to {args.out}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="sarchat synth", description=__doc__.splitlines()[0])
    register(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
