"""Emerging hot spots: is a hot spot new, growing, persistent, fading? (a space-time cube of Gi*)

Method (ArcGIS Pro *How Emerging Hot Spot Analysis works*; R sfdep ``emerging_hotspot_analysis``):

1. **Cube**: incidents counted per cell of a grid (``cell_m``) and time step (month, week or day),
   over the cells of the study area (:mod:`analysis.hotspots.study_area`) only.
2. **Gi* per bin** (Ord & Getis 1995): the neighbours of a bin are the cells within ``distance_m``
   (binary, focal cell included) in the same step and the ``time_lag`` steps before it (fewer at
   the start of the cube); n, the mean and the standard deviation are over every bin of the cube.
   Two-sided p-values, Benjamini-Hochberg FDR over all bins (``fdr``).
3. **Trend**: the Mann-Kendall test of each location's z series (:mod:`analysis.spacetime.trend`),
   and of its counts (reported).
4. **Classes**, per location, from its series of significant hot/cold bins and the trend. Two rule
   sets, both first-match in the order listed:

   * ``arcgis`` (default; Esri's definitions, 90 % of steps): a bin is significant at p < 0.10
     (FDR-adjusted), the trend at p < 0.10 (our choice: the bins' confidence). In order: new,
     consecutive, intensifying, historical (90 % hot but not the last step), persistent,
     diminishing, sporadic, oscillating (hot, then the same for cold), no pattern.
   * ``sfdep``: R sfdep's ``classify_hotspot`` exactly, in its order (new hot, new cold,
     consecutive hot, consecutive cold, intensifying hot/cold, persistent, diminishing, oscillating,
     historical, sporadic, no pattern) with its threshold (0.01) for bins and trend, on the z series,
     its quirks included (its intensifying hot rule counts cold bins too; persistent is tested before
     historical). sfdep's bin p-values come from 199 conditional permutations; ours from the normal
     approximation of Gi*, so the same rules can still give other classes than sfdep on the same data.

At least :data:`MIN_STEPS` (10) time steps, as ArcGIS asks; ``min_steps`` lowers it with a warning.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Optional

import numpy as np

from analysis.hotspots.gistar import _gi_z, benjamini_hochberg, two_sided_p
from analysis.hotspots.grid import GridSpec
from analysis.hotspots.kde import fft_convolve
from analysis.hotspots.study_area import StudyArea, band_stencil, check_band
from analysis.progress import BeatwiseError, ProgressFn, report
from analysis.spacetime.trend import mann_kendall

MIN_STEPS = 10
RULES = ("arcgis", "sfdep")
ARCGIS_ALPHA = 0.10
SFDEP_THRESHOLD = 0.01
HOT_CLASSES = ("new", "consecutive", "intensifying", "persistent", "diminishing", "sporadic", "oscillating",
               "historical")
#: Every class name: "new hot spot" ... "historical cold spot", "no pattern detected".
CLASSES = tuple(f"{c} {k} spot" for k in ("hot", "cold") for c in HOT_CLASSES) + ("no pattern detected",)


def _final_run(sig: np.ndarray) -> int:
    """Length of the run of significant bins that ends at the last step."""
    n = 0
    for v in sig[::-1]:
        if not v:
            break
        n += 1
    return n


def arcgis_class(z: np.ndarray, sig: np.ndarray, tau: float, tau_p: float, alpha: float = ARCGIS_ALPHA) -> str:
    """Esri's definitions for one location (``z`` its series, ``sig`` its significant bins)."""
    n = len(z)
    trend = np.isfinite(tau_p) and tau_p < alpha
    for kind, sign in (("hot", 1), ("cold", -1)):
        own = sig & (np.sign(z) == sign)
        other = sig & (np.sign(z) == -sign)
        share = own.sum() / n
        last = bool(own[-1])
        if last and own.sum() == 1:
            return f"new {kind} spot"
        run = _final_run(own) if last else 0
        if last and run >= 2 and own[: n - run].sum() == 0 and share < 0.9:
            return f"consecutive {kind} spot"
        if share >= 0.9 and last and trend and np.sign(tau) == sign:
            return f"intensifying {kind} spot"
        if not last and share >= 0.9:  # before persistent: a location whose last step is not hot is historical
            return f"historical {kind} spot"
        if share >= 0.9 and not trend:
            return f"persistent {kind} spot"
        if share >= 0.9 and last and trend and np.sign(tau) == -sign:
            return f"diminishing {kind} spot"
        if last and share < 0.9 and own[:-1].any() and not other.any():
            return f"sporadic {kind} spot"
        if last and share < 0.9 and other[:-1].any():
            return f"oscillating {kind} spot"
    return "no pattern detected"


def sfdep_class(z: np.ndarray, sig: np.ndarray, tau: float, tau_p: float, threshold: float = SFDEP_THRESHOLD) -> str:
    """R sfdep's ``classify_hotspot`` for one location, its rules and first-match order exactly."""
    n = len(z)
    hot, cold = sig & (z > 0), sig & (z < 0)

    def consecutive(last_ok: bool, share: float) -> bool:
        if not last_ok:
            return False
        run = _final_run(sig)
        return not sig[: n - run].any() and share < 0.9

    rules: list[tuple[str, Callable[[], bool]]] = [
        ("new hot spot", lambda: sig.sum() == 1 and sig[-1] and z[-1] > 0),
        ("new cold spot", lambda: sig.sum() == 1 and sig[-1] and z[-1] < 0),
        ("consecutive hot spot", lambda: consecutive(bool(sig[-1] and z[-1] > 0), hot.sum() / n)),
        ("consecutive cold spot", lambda: consecutive(bool(sig[-1] and z[-1] < 0), cold.sum() / n)),
        ("intensifying hot spot", lambda: sig.sum() / n >= 0.9 and sig[-1] and tau > 0 and tau_p < threshold),
        ("intensifying cold spot", lambda: cold.sum() / n >= 0.9 and sig[-1] and tau < 0 and tau_p <= threshold),
        ("persistent hot spot", lambda: hot.sum() / n >= 0.9 and tau_p > threshold),
        ("persistent cold spot", lambda: cold.sum() / n >= 0.9 and tau_p > threshold),
        ("diminishing hot spot", lambda: hot.sum() / n >= 0.9 and sig[-1] and tau < 0 and tau_p <= threshold),
        ("diminishing cold spot", lambda: cold.sum() / n >= 0.9 and sig[-1] and tau > 0 and tau_p <= threshold),
        ("oscillating hot spot", lambda: hot.sum() / n <= 0.9 and z[-1] > 0 and sig[-1] and cold.any()),
        ("oscillating cold spot", lambda: cold.sum() / n < 0.9 and z[-1] < 0 and sig[-1] and hot.any()),
        ("historical hot spot", lambda: hot.sum() / n >= 0.9 and z[-1] < 0),
        ("historical cold spot", lambda: z[-1] > 0 and cold.sum() / n >= 0.9),
        ("sporadic hot spot", lambda: hot.sum() / n < 0.9 and not cold.any() and hot.any()),
        ("sporadic cold spot", lambda: cold.sum() / n < 0.9 and not hot.any() and cold.any()),
    ]
    with np.errstate(invalid="ignore"):
        for name, rule in rules:
            if bool(rule()):
                return name
    return "no pattern detected"


@dataclass(frozen=True)
class EmergingHotSpots:
    """Emerging hot spot classes of the study area's cells (see the module docstring)."""

    grid: GridSpec
    steps: tuple[str, ...]
    distance_m: float
    time_lag: int
    rules: str
    alpha: float
    fdr: bool
    counts: np.ndarray = field(repr=False)        # (T, ny, nx)
    z: np.ndarray = field(repr=False)             # (T, ny, nx), NaN outside the study area
    p: np.ndarray = field(repr=False)             # adjusted when fdr
    mask: np.ndarray = field(repr=False)          # (ny, nx) study area
    classes: np.ndarray = field(repr=False)       # (ny, nx) object: class name, "" outside
    tau: np.ndarray = field(repr=False)
    tau_p: np.ndarray = field(repr=False)
    count_tau: np.ndarray = field(repr=False)
    count_tau_p: np.ndarray = field(repr=False)
    warnings: tuple[str, ...] = ()

    def class_counts(self) -> dict[str, int]:
        names, n = np.unique(self.classes[self.mask], return_counts=True)
        got = dict(zip(names.tolist(), n.tolist()))
        return {c: int(got.get(c, 0)) for c in CLASSES if got.get(c, 0)}

    def n_patterned(self) -> int:
        """Cells of the study area with a class other than "no pattern detected"."""
        return int(sum(n for c, n in self.class_counts().items() if c != "no pattern detected"))

    def summary(self) -> dict:
        return {"steps": list(self.steps), "n_steps": len(self.steps), "cell_m": self.grid.cell_m,
                "distance_m": self.distance_m, "time_lag": self.time_lag, "rules": self.rules, "alpha": self.alpha,
                "fdr": self.fdr, "n_cells": int(self.mask.sum()), "classes": self.class_counts(),
                "warnings": list(self.warnings)}

    def to_geodataframe(self, patterned_only: bool = True):
        """Cells as squares with ``emerging_class``, ``tau``, ``tau_p``, counts trend and the total."""
        import geopandas as gpd
        import shapely

        sel = self.mask & ((self.classes != "no pattern detected") if patterned_only else True)
        rows, cols = np.nonzero(sel)
        g = self.grid
        x0 = g.x0 + cols * g.cell_m
        y0 = g.y0 + rows * g.cell_m
        return gpd.GeoDataFrame({"row": rows, "col": cols, "emerging_class": self.classes[rows, cols].astype(str),
                                 "tau": self.tau[rows, cols], "tau_p": self.tau_p[rows, cols],
                                 "count_tau": self.count_tau[rows, cols], "count_tau_p": self.count_tau_p[rows, cols],
                                 "incidents": self.counts[:, rows, cols].sum(axis=0).astype(np.int64)},
                                geometry=shapely.box(x0, y0, x0 + g.cell_m, y0 + g.cell_m), crs=g.crs)


def gi_star_cube(counts: np.ndarray, mask: np.ndarray, cell_m: float, distance_m: float,
                 time_lag: int) -> np.ndarray:
    """Gi* z of every bin of the cube ``counts`` (T, ny, nx): spatial band x the step and ``time_lag``
    steps before it; bins outside ``mask`` are neither counted nor neighbours (NaN)."""
    x = np.where(mask[None], counts, 0.0).astype(float)
    T = x.shape[0]
    n = int(mask.sum()) * T
    xbar = float(x.sum() / n)
    s = float(np.sqrt((((x - xbar) ** 2) * mask[None]).sum() / n))
    if not s > 0:
        raise BeatwiseError("Emerging hot spots are undefined: every bin of the cube has the same count")
    st = band_stencil(cell_m, distance_m)
    spatial = fft_convolve(np.concatenate([x, mask[None].astype(float)]), st, mode="same")
    sx, sw = np.rint(spatial[:T]), np.rint(spatial[T])
    sum_wx = np.zeros_like(x)
    w = np.zeros_like(x)
    for t in range(T):
        lo = max(0, t - time_lag)
        sum_wx[t] = sx[lo:t + 1].sum(axis=0)
        w[t] = sw * (t + 1 - lo)
    z = _gi_z(sum_wx, w, xbar, s, n)
    z[:, ~mask] = np.nan
    return z


def emerging_hot_spots(step_index: np.ndarray, steps: tuple[str, ...], xy: np.ndarray, grid: GridSpec,
                       study_area: StudyArea, *, distance_m: float, time_lag: int = 1, rules: str = "arcgis",
                       fdr: bool = True, min_steps: int = MIN_STEPS,
                       progress: Optional[ProgressFn] = None) -> EmergingHotSpots:
    """The emerging hot spot analysis of incidents at ``xy`` in time steps ``step_index`` (0..T-1).

    Raises
    ------
    BeatwiseError
        Fewer than ``min_steps`` steps (with how to lower it), unknown rules, a band too long.
    """
    if rules not in RULES:
        raise BeatwiseError(f"--rules must be one of {', '.join(RULES)}, got {rules!r}")
    T = len(steps)
    warnings = []
    if T < 2:
        raise BeatwiseError(f"emerging hot spots need at least two time steps, the data has {T}")
    if T < min_steps:
        raise BeatwiseError(f"{T} time steps ({steps[0]} to {steps[-1]}): emerging hot spot analysis needs at "
                            f"least {min_steps} (ArcGIS asks for 10); use a shorter --step or more data, or "
                            "--min-steps to accept fewer (the trend test is then weak)")
    if T < MIN_STEPS:
        warnings.append(f"only {T} time steps (fewer than the {MIN_STEPS} ArcGIS asks for, --min-steps {min_steps}): "
                        "trends and 90 %-of-steps classes rest on few steps")
    if int(time_lag) < 0:
        raise BeatwiseError(f"--time-lag must be 0 or more steps, got {time_lag}")
    check_band(grid.shape, grid.cell_m, distance_m, what="The emerging hot spots' distance band")
    mask = study_area.on(grid).mask
    report(progress, 0.0, "Emerging hot spots: the space-time cube")
    rows, cols = grid.cell_index(xy)
    ok = rows >= 0
    flat = (np.asarray(step_index)[ok] * grid.ny + rows[ok]) * grid.nx + cols[ok]
    counts = np.bincount(flat, minlength=T * grid.ny * grid.nx).reshape(T, grid.ny, grid.nx)
    report(progress, 0.2, "Emerging hot spots: Gi* per bin")
    z = gi_star_cube(counts, mask, grid.cell_m, distance_m, int(time_lag))
    p = two_sided_p(z)
    if rules == "arcgis":
        alpha = ARCGIS_ALPHA
        p = benjamini_hochberg(p) if fdr else p
    else:  # sfdep: its threshold on unadjusted p-values
        alpha = SFDEP_THRESHOLD
    sig = (p < alpha) if rules == "arcgis" else (p <= alpha)
    report(progress, 0.6, "Emerging hot spots: trends")
    locs = np.flatnonzero(mask.reshape(-1))
    zs = z.reshape(T, -1)[:, locs].T
    _, tau, tau_p = mann_kendall(zs)
    _, ctau, ctau_p = mann_kendall(counts.reshape(T, -1)[:, locs].T.astype(float))
    sigs = sig.reshape(T, -1)[:, locs].T
    classify = arcgis_class if rules == "arcgis" else sfdep_class
    names = np.array([classify(zs[k], sigs[k], tau[k], tau_p[k]) for k in range(len(locs))], dtype=object)
    classes = np.full(grid.shape, "", dtype=object)
    classes.reshape(-1)[locs] = names

    def grid_of(v):
        out = np.full(grid.n_cells, np.nan)
        out[locs] = v
        return out.reshape(grid.shape)

    report(progress, 1.0, "Emerging hot spots done")
    return EmergingHotSpots(grid=grid, steps=tuple(steps), distance_m=float(distance_m), time_lag=int(time_lag),
                            rules=rules, alpha=alpha, fdr=bool(fdr and rules == "arcgis"), counts=counts, z=z, p=p,
                            mask=mask, classes=classes, tau=grid_of(tau), tau_p=grid_of(tau_p),
                            count_tau=grid_of(ctau), count_tau_p=grid_of(ctau_p), warnings=tuple(warnings))
