"""SYNTHETIC Southend-on-Sea demo data: incidents with times and patrol GPS pings.

Nothing here is real crime. The streets are real Southend-on-Sea streets drawn as
rough lines (lon/lat); York Road passes through the three real data.police.uk snap
points. Incidents concentrate where the story says they do: drugs, weapons and
violence on York Road and around the Queensway tower blocks at night, shoplifting
and theft on the High Street by day, anti-social behaviour on the seafront at
weekends. Patrol GPS follows a day-heavy current rota (07:00-17:00 x4 and
14:00-00:00 x3), so the shift analysis has a real gap to find. Seeded: the same
seed gives byte-identical files.
"""
from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import numpy as np
import pandas as pd

from analysis.progress import ProgressFn, report

SYNTHETIC_LABEL = "SYNTHETIC demo data - not real crimes"
DEMO_TITLE = "SYNTHETIC demo: Southend-on-Sea"
DEMO_AREA = "Southend-on-Sea"
DEMO_STREET = "York Road"
CURRENT_ROTA = "07:00-17:00x4,14:00-00:00x3"
FIRST_DAY = np.datetime64("2025-01-06")  # a Monday
WEEKS = 52

# Real snap points of "On or near York Road" in data.police.uk (lon, lat).
YORK_ROAD_SNAP_POINTS = ((0.72338, 51.53660), (0.72076, 51.53650), (0.71618, 51.53621))

STREETS: dict[str, tuple[tuple[float, float], ...]] = {
    "York Road": ((0.7140, 51.5361), (0.71618, 51.53621), (0.72076, 51.53650),
                  (0.72338, 51.53660), (0.7255, 51.5367)),
    "Queensway": ((0.7020, 51.5420), (0.7110, 51.5445), (0.7190, 51.5440), (0.7245, 51.5395)),
    "High Street": ((0.7117, 51.5352), (0.7112, 51.5380), (0.7100, 51.5425)),
    "Marine Parade": ((0.7140, 51.5340), (0.7260, 51.5330)),
    "Western Esplanade": ((0.6900, 51.5345), (0.7100, 51.5350)),
    "Eastern Esplanade": ((0.7270, 51.5330), (0.7600, 51.5310)),
    "London Road": ((0.6400, 51.5450), (0.6700, 51.5435), (0.7080, 51.5410)),
    "Southchurch Road": ((0.7140, 51.5385), (0.7480, 51.5390)),
    "Sutton Road": ((0.7195, 51.5405), (0.7230, 51.5560)),
    "Victoria Avenue": ((0.7095, 51.5445), (0.7080, 51.5580)),
    "Hamlet Court Road": ((0.6885, 51.5355), (0.6895, 51.5430)),
    "Leigh Road": ((0.6500, 51.5420), (0.6700, 51.5405)),
    "Prittlewell Chase": ((0.6950, 51.5530), (0.7150, 51.5550)),
    "Eastern Avenue": ((0.7050, 51.5560), (0.7550, 51.5500)),
    "Chichester Road": ((0.7140, 51.5370), (0.7150, 51.5430)),
    "Thorpe Bay Broadway": ((0.7530, 51.5345), (0.7600, 51.5370)),
    "Shoeburyness High Street": ((0.7950, 51.5300), (0.8000, 51.5350)),
}
# The Queensway tower blocks: a tight cluster of flats taken over for dealing.
TOWER_BLOCKS = (0.7172, 51.5432)

# Night (20:00-04:00), day (09:00-18:00), evening (15:00-23:00) hour shapes.
_H = np.arange(24)
NIGHT = np.array([6, 5, 4, 2, 1, .5, .3, .3, .3, .3, .4, .5, .6, .6, .7, .8, 1, 1.3, 1.8, 2.5,
                  3.5, 4.5, 6, 6.5], float)
DAY = np.array([.2, .1, .1, .1, .1, .1, .2, .5, 1.5, 3, 4, 4.5, 5, 5, 4.8, 4.5, 4, 3, 2, 1.2,
                .8, .5, .3, .2], float)
EVENING = np.array([1.5, 1, .6, .3, .2, .1, .1, .2, .4, .6, .8, 1, 1.3, 1.6, 2, 2.6, 3.2, 3.6,
                    4, 4.2, 4, 3.5, 2.8, 2], float)
FLAT = np.ones(24)
WEEKEND_NIGHT = np.array([1, 1, 1, 1, 1.6, 2.2, 1.5])  # Mon..Sun weight of the day
WEEKEND = np.array([1, 1, 1, 1, 1.3, 2.2, 2.0])
WEEKDAY = np.array([1.2, 1.2, 1.2, 1.2, 1.2, 1.1, .6])

# crime type: (share of all incidents, hour shape, weekday shape, where: {place: weight})
CRIMES = {
    "Drugs": (0.10, NIGHT, WEEKEND_NIGHT, {"York Road": 5, "towers": 4, "Queensway": 1,
                                           "background": 1}),
    "Violence and sexual offences": (0.27, NIGHT, WEEKEND_NIGHT, {
        "York Road": 2.5, "High Street": 2, "towers": 1, "Marine Parade": 1, "background": 4}),
    "Possession of weapons": (0.02, NIGHT, WEEKEND_NIGHT, {"York Road": 4, "towers": 2,
                                                           "background": 1}),
    "Robbery": (0.02, NIGHT, WEEKEND_NIGHT, {"York Road": 1, "High Street": 1, "background": 1}),
    "Public order": (0.08, EVENING, WEEKEND_NIGHT, {"High Street": 2, "Marine Parade": 1.5,
                                                   "York Road": 1, "background": 2}),
    "Anti-social behaviour": (0.20, EVENING, WEEKEND, {
        "Marine Parade": 3, "Western Esplanade": 1.5, "Eastern Esplanade": 1.5,
        "High Street": 2, "York Road": 1, "background": 4}),
    "Shoplifting": (0.08, DAY, WEEKDAY, {"High Street": 6, "London Road": 1,
                                         "Hamlet Court Road": 1, "background": 0.5}),
    "Other theft": (0.05, DAY, WEEKDAY, {"High Street": 2, "Marine Parade": 1, "background": 2}),
    "Theft from the person": (0.02, EVENING, WEEKEND, {"High Street": 3, "Marine Parade": 1}),
    "Burglary": (0.04, NIGHT, FLAT[:7], {"background": 1}),
    "Vehicle crime": (0.05, NIGHT, FLAT[:7], {"background": 1}),
    "Criminal damage and arson": (0.06, EVENING, WEEKEND, {"background": 2, "York Road": 0.5}),
    "Bicycle theft": (0.01, DAY, WEEKDAY, {"High Street": 1, "background": 1}),
}
BACKGROUND_STREETS = [s for s in STREETS if s not in ("York Road",)]


@dataclass(frozen=True)
class DemoFiles:
    """Paths written by :func:`write_demo`."""

    folder: Path
    incidents_csv: Path
    patrols_csv: Path
    project: Optional[Path]
    logs_csv: Optional[Path] = None


def _metres_per_degree(lat: float) -> tuple[float, float]:
    return 111_320.0 * np.cos(np.radians(lat)), 110_540.0


def _along(street: str, rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` points uniformly along a street polyline (by length)."""
    pts = np.asarray(STREETS[street], float)
    mx, my = _metres_per_degree(51.54)
    seg = np.hypot(np.diff(pts[:, 0]) * mx, np.diff(pts[:, 1]) * my)
    cum = np.concatenate([[0], np.cumsum(seg)])
    d = rng.uniform(0, cum[-1], n)
    i = np.clip(np.searchsorted(cum, d, side="right") - 1, 0, len(seg) - 1)
    f = (d - cum[i]) / seg[i]
    lon = pts[i, 0] + f * (pts[i + 1, 0] - pts[i, 0])
    lat = pts[i, 1] + f * (pts[i + 1, 1] - pts[i, 1])
    return lon, lat


def _jitter(lon, lat, rng, sd_m):
    mx, my = _metres_per_degree(51.54)
    return lon + rng.normal(0, sd_m, len(lon)) / mx, lat + rng.normal(0, sd_m, len(lat)) / my


def demo_incidents(n: int = 12_000, seed: int = 20250106) -> pd.DataFrame:
    """A SYNTHETIC year (52 weeks from 6 January 2025) of Southend-on-Sea incidents.

    Returns a table in the shape of a force RMS export: ``incident_id, crime_type,
    date_time`` (``YYYY-MM-DD HH:MM``), ``longitude, latitude`` (WGS84), ``location``
    ("On or near ..."), ``area``, ``data_note`` (the SYNTHETIC label on every row).
    """
    rng = np.random.default_rng(seed)
    shares = np.array([c[0] for c in CRIMES.values()])
    counts = rng.multinomial(n, shares / shares.sum())
    rows = []
    for (ctype, (_, hours, days, places)), k in zip(CRIMES.items(), counts):
        if k == 0:
            continue
        how = np.outer(days, hours).ravel()
        # Friday and Saturday nights run past midnight into Saturday and Sunday mornings.
        if hours is NIGHT:
            for d in (5, 6):
                how[d * 24:d * 24 + 4] *= 2.2
        how = how / how.sum()
        slot = rng.choice(168, size=k, p=how)
        week = rng.integers(0, WEEKS, size=k)
        minute = rng.integers(0, 60, size=k)
        t = (FIRST_DAY.astype("datetime64[m]") + (week * 7 * 24 * 60 + slot * 60 + minute)
             .astype("timedelta64[m]"))
        names = list(places)
        w = np.array([places[p] for p in names], float)
        where = rng.choice(len(names), size=k, p=w / w.sum())
        lon = np.empty(k)
        lat = np.empty(k)
        loc = np.empty(k, dtype=object)
        for j, place in enumerate(names):
            idx = np.flatnonzero(where == j)
            if not len(idx):
                continue
            if place == "towers":
                a, b = _jitter(np.full(len(idx), TOWER_BLOCKS[0]), np.full(len(idx), TOWER_BLOCKS[1]),
                               rng, 25)
                loc[idx] = "On or near Queensway"
            elif place == "background":
                streets = rng.choice(BACKGROUND_STREETS, size=len(idx))
                a = np.empty(len(idx))
                b = np.empty(len(idx))
                for s in np.unique(streets):
                    m = streets == s
                    a[m], b[m] = _along(str(s), rng, int(m.sum()))
                a, b = _jitter(a, b, rng, 60)
                loc[idx] = [f"On or near {s}" for s in streets]
            else:
                a, b = _along(place, rng, len(idx))
                a, b = _jitter(a, b, rng, 10)
                loc[idx] = f"On or near {place}"
            lon[idx], lat[idx] = a, b
        rows.append(pd.DataFrame({"crime_type": ctype, "t": t, "longitude": np.round(lon, 6),
                                  "latitude": np.round(lat, 6), "location": loc}))
    df = pd.concat(rows, ignore_index=True).sort_values("t", kind="stable").reset_index(drop=True)
    out = pd.DataFrame({
        "incident_id": [f"DEMO-{i + 1:06d}" for i in range(len(df))],
        "crime_type": df["crime_type"],
        "date_time": pd.to_datetime(df["t"]).dt.strftime("%Y-%m-%d %H:%M"),
        "longitude": df["longitude"],
        "latitude": df["latitude"],
        "location": df["location"],
        "area": DEMO_AREA,
        "data_note": SYNTHETIC_LABEL,
    })
    return out


def parse_rota_spec(spec: str) -> list[tuple[int, int, int]]:
    """``"07:00-17:00x4,14:00-00:00x3"`` -> [(start_h, length_h, officers), ...]."""
    out = []
    for part in spec.split(","):
        times, _, k = part.strip().partition("x")
        a, _, b = times.partition("-")
        h0 = int(a.split(":")[0])
        h1 = int(b.split(":")[0])
        length = (h1 - h0) % 24 or 24
        out.append((h0, length, int(k or 1)))
    return out


def demo_patrols(days: int = 28, seed: int = 20250107, rota: str = CURRENT_ROTA,
                 ping_s: int = 60) -> pd.DataFrame:
    """SYNTHETIC patrol-vehicle GPS pings for ``days`` days of the current rota.

    Each unit drives along the demo streets (mostly the town centre and seafront by day),
    pinging every ``ping_s`` seconds, only while its shift is on.
    """
    rng = np.random.default_rng(seed)
    favoured = {"High Street": 4, "Marine Parade": 3, "London Road": 2, "Southchurch Road": 2,
                "Western Esplanade": 1, "Eastern Esplanade": 1, "Victoria Avenue": 1,
                "Queensway": 1, "Hamlet Court Road": 1, "York Road": 0.5}
    names = list(favoured)
    w = np.array([favoured[s] for s in names], float)
    w /= w.sum()
    mx, my = _metres_per_degree(51.54)
    frames = []
    unit_no = 0
    for h0, length, k in parse_rota_spec(rota):
        for _ in range(k):
            unit_no += 1
            unit = f"UNIT-{unit_no:02d}"
            for day in range(days):
                start = FIRST_DAY.astype("datetime64[s]") + np.timedelta64(day * 86400 + h0 * 3600, "s")
                n = length * 3600 // ping_s
                lon = np.empty(n)
                lat = np.empty(n)
                i = 0
                while i < n:
                    street = names[rng.choice(len(names), p=w)]
                    a, b = _along(street, rng, 2)  # two points on the street: lons a, lats b
                    if i:  # drive there from where the unit is (no jump between streets)
                        a, b = np.r_[lon[i - 1], a], np.r_[lat[i - 1], b]
                    legs = np.hypot(np.diff(a) * mx, np.diff(b) * my)
                    steps = [max(1, int(d / (6.0 * ping_s))) for d in legs]
                    f = np.concatenate([np.linspace(j, j + 1, s, endpoint=False) for j, s in enumerate(steps)]
                                       + [np.full(int(rng.integers(5, 30)), float(len(legs)))])[: n - i]
                    lon[i:i + len(f)] = np.interp(f, np.arange(len(a)), a)
                    lat[i:i + len(f)] = np.interp(f, np.arange(len(b)), b)
                    i += len(f)
                lon, lat = _jitter(lon, lat, rng, 4)
                t = start + np.arange(n) * np.timedelta64(ping_s, "s")
                frames.append(pd.DataFrame({"unit_id": unit, "timestamp": t,
                                            "longitude": np.round(lon, 6),
                                            "latitude": np.round(lat, 6)}))
    df = pd.concat(frames, ignore_index=True).sort_values(["timestamp", "unit_id"], kind="stable")
    df["timestamp"] = pd.to_datetime(df["timestamp"]).dt.strftime("%Y-%m-%d %H:%M:%S")
    df["data_note"] = SYNTHETIC_LABEL
    return df.reset_index(drop=True)


#: Where the demo's PCSO foot patrols are tasked (lon/lat boxes): the High Street by day.
LOG_AREAS = {"High Street": (0.7095, 51.5350, 0.7125, 51.5430)}


def demo_logs(days: int = 28, seed: int = 20250108) -> pd.DataFrame:
    """SYNTHETIC patrol logs (tasking records) for ``days`` days: two PCSOs tasked on foot to the
    High Street on weekdays, 10:00 to about 14:00 local time, the area as a WKT polygon (WGS84).

    They add to the day-heavy rota (:func:`demo_patrols`): the night hotspots stay uncovered.
    """
    rng = np.random.default_rng(seed)
    x0, y0, x1, y1 = LOG_AREAS["High Street"]
    wkt = f"POLYGON(({x0} {y0}, {x1} {y0}, {x1} {y1}, {x0} {y1}, {x0} {y0}))"
    rows = []
    for day in range(days):
        date = FIRST_DAY + np.timedelta64(day, "D")
        if pd.Timestamp(date).day_of_week >= 5:
            continue
        for unit in ("PCSO-01", "PCSO-02"):
            start = pd.Timestamp(date) + pd.Timedelta(hours=10, minutes=int(rng.integers(0, 30)))
            end = start + pd.Timedelta(minutes=int(rng.integers(180, 240)))
            rows.append({"unit": unit, "start": start.strftime("%Y-%m-%d %H:%M"),
                         "end": end.strftime("%Y-%m-%d %H:%M"), "area": wkt, "task": "High Street foot patrol",
                         "data_note": SYNTHETIC_LABEL})
    return pd.DataFrame(rows)


def demo_streets(crs: str = "EPSG:27700"):
    """The demo's streets (:data:`STREETS`) as named lines in ``crs``: the demo map's basemap."""
    import geopandas as gpd
    from shapely.geometry import LineString

    from analysis.ingest.crs import transform

    lines = []
    for pts in STREETS.values():
        lon, lat = np.asarray(pts, dtype=float).T
        x, y = transform(lon, lat, "EPSG:4326", crs)
        lines.append(LineString(np.column_stack([x, y])))
    return gpd.GeoDataFrame({"name": list(STREETS)}, geometry=lines, crs=crs)


def demo_settings() -> dict:
    """Project settings of the demo (title, SYNTHETIC flag, defaults for the panels)."""
    return {"title": DEMO_TITLE, "synthetic": True, "area": DEMO_AREA, "street": DEMO_STREET,
            "current_rota": CURRENT_ROTA, "data_note": SYNTHETIC_LABEL}


def write_demo(folder: str | os.PathLike, *, project: bool = True, seed: int = 20250106,
               progress: Optional[ProgressFn] = None) -> DemoFiles:
    """Write ``incidents.csv``, ``patrols.csv``, ``patrol_logs.csv`` and (with ``project``)
    ``demo.beatwise``, all SYNTHETIC."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    report(progress, 0.0, "generating synthetic incidents")
    inc_path = folder / "incidents.csv"
    demo_incidents(seed=seed).to_csv(inc_path, index=False, quoting=csv.QUOTE_MINIMAL)
    report(progress, 0.3, "generating synthetic patrol GPS")
    pat_path = folder / "patrols.csv"
    demo_patrols(seed=seed + 1).to_csv(pat_path, index=False)
    logs_path = folder / "patrol_logs.csv"
    demo_logs(seed=seed + 2).to_csv(logs_path, index=False)
    proj_path = None
    if project:
        from analysis.project import save_project  # late import: project imports incidents
        report(progress, 0.6, "building the demo project")
        proj = demo_project(folder)
        proj_path = save_project(proj, folder / "demo.beatwise")
    report(progress, 1.0, "demo written")
    return DemoFiles(folder, inc_path, pat_path, proj_path, logs_path)


def demo_project(folder: str | os.PathLike | None = None):
    """The demo as a :class:`~analysis.project.Project`, imported through the normal importer.

    With ``folder`` the CSVs already written there are used; otherwise they are generated
    into a temporary folder first.
    """
    import tempfile

    import geopandas as gpd

    from analysis.ingest.crs import transform
    from analysis.ingest.incidents import read_incidents
    from analysis.project import Project

    def build(f: Path):
        result = read_incidents([f / "incidents.csv"])
        pings = pd.read_csv(f / "patrols.csv")
        x, y = transform(pings["longitude"].to_numpy(), pings["latitude"].to_numpy(),
                         "EPSG:4326", result.report.crs)
        patrols = gpd.GeoDataFrame(
            {"unit_id": pings["unit_id"].astype(str),
             "timestamp": pd.to_datetime(pings["timestamp"]).astype("datetime64[ns]")},
            geometry=gpd.points_from_xy(x, y), crs=result.report.crs)
        return Project(incidents=result.incidents, report=result.report, patrols=patrols,
                       settings=demo_settings())

    if folder is not None and (Path(folder) / "incidents.csv").exists():
        return build(Path(folder))
    with tempfile.TemporaryDirectory() as tmp:
        write_demo(tmp, project=False)
        return build(Path(tmp))
