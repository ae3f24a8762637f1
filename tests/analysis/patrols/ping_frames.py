"""Ping frames for the patrol tests, shaped like analysis.ingest.tracks output (DESIGN.md section 2)."""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

BNG = "EPSG:27700"


def pings(units, times, xs, ys, speed=None, flagged=None, crs=BNG) -> gpd.GeoDataFrame:
    """A pings GeoDataFrame from lists: ``times`` as anything pandas reads (naive = UTC)."""
    t = pd.to_datetime(pd.Series(list(times)))
    t = t.dt.tz_localize("UTC") if t.dt.tz is None else t.dt.tz_convert("UTC")
    n = len(t)
    frame = pd.DataFrame({
        "unit_id": pd.Series([str(u) for u in units], dtype=str),
        "t": t.astype("datetime64[ns, UTC]"),
        "speed_kmh": np.full(n, np.nan) if speed is None else np.asarray(speed, dtype=float),
        "accuracy_m": np.full(n, 5.0),
        "flagged": np.zeros(n, dtype=bool) if flagged is None else np.asarray(flagged, dtype=bool),
        "source_file": "synthetic.csv",
        "source_row": np.arange(1, n + 1),
    })
    g = gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(xs, ys), crs=crs)
    return g.sort_values(["unit_id", "t"], kind="stable").reset_index(drop=True)


def track(unit, start, seconds, xs, ys, speed=None):
    """One unit's pings at ``start + seconds`` (lists), as a frame."""
    t0 = pd.Timestamp(start)
    t0 = t0.tz_localize("UTC") if t0.tzinfo is None else t0.tz_convert("UTC")
    times = [t0 + pd.Timedelta(seconds=float(s)) for s in seconds]
    return pings([unit] * len(times), times, xs, ys, speed=speed)


def concat(*frames) -> gpd.GeoDataFrame:
    g = pd.concat(frames, ignore_index=True)
    return gpd.GeoDataFrame(g, geometry="geometry", crs=frames[0].crs).sort_values(
        ["unit_id", "t"], kind="stable").reset_index(drop=True)


def random_pings(n_units=5, per_unit=300, seed=0, extent=500.0, start="2026-03-23 00:00"):
    """Random walks with random intervals 1 s .. 10 min (some beyond max_gap), random flags."""
    rng = np.random.default_rng(seed)
    frames = []
    for u in range(n_units):
        dt = rng.integers(1, 600, per_unit)
        secs = np.cumsum(dt) - dt[0]
        x = np.clip(extent / 2 + np.cumsum(rng.normal(0, 30, per_unit)), -50, extent + 50)
        y = np.clip(extent / 2 + np.cumsum(rng.normal(0, 30, per_unit)), -50, extent + 50)
        frames.append(track(f"U{u}", start, secs, x, y))
    g = concat(*frames)
    g["flagged"] = rng.random(len(g)) < 0.02
    return g
