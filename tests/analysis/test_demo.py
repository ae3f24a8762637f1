"""The SYNTHETIC demo: deterministic, labelled, and shaped like the story."""
from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.demo import (CURRENT_ROTA, SYNTHETIC_LABEL, YORK_ROAD_SNAP_POINTS, demo_incidents,
                           demo_patrols, parse_rota_spec, write_demo)
from analysis.ingest.incidents import read_incidents

POLICE_UK_TYPES = {"Anti-social behaviour", "Bicycle theft", "Burglary", "Criminal damage and arson",
                   "Drugs", "Other crime", "Other theft", "Possession of weapons", "Public order",
                   "Robbery", "Shoplifting", "Theft from the person", "Vehicle crime",
                   "Violence and sexual offences"}


def test_deterministic_and_labelled(tmp_path):
    a = write_demo(tmp_path / "a", project=False)
    b = write_demo(tmp_path / "b", project=False)
    assert a.incidents_csv.read_bytes() == b.incidents_csv.read_bytes()
    assert a.patrols_csv.read_bytes() == b.patrols_csv.read_bytes()
    df = pd.read_csv(a.incidents_csv)
    assert (df["data_note"] == SYNTHETIC_LABEL).all()
    assert set(df["crime_type"]) <= POLICE_UK_TYPES


def test_story_shape():
    df = demo_incidents()
    t = pd.to_datetime(df["date_time"])
    night = (t.dt.hour >= 20) | (t.dt.hour < 4)
    drugs = df["crime_type"].isin(["Drugs", "Violence and sexual offences"])
    assert night[drugs].mean() > 0.5           # drugs and violence peak at night
    asb = df["crime_type"] == "Anti-social behaviour"
    weekend = t.dt.day_of_week >= 5
    assert weekend[asb].mean() > 2 / 7 * 1.3   # ASB over-represented at weekends
    york = df["location"] == "On or near York Road"
    assert york.mean() > 0.1
    # York Road incidents lie along the real snap points (within ~300 m of one of them)
    snaps = np.array(YORK_ROAD_SNAP_POINTS)
    d = np.min(np.hypot((df.loc[york, "longitude"].to_numpy()[:, None] - snaps[:, 0]) * 69_000,
                        (df.loc[york, "latitude"].to_numpy()[:, None] - snaps[:, 1]) * 111_000), axis=1)
    assert np.quantile(d, 0.95) < 300


def test_imports_with_minute_times(demo_dir):
    r = read_incidents(demo_dir / "incidents.csv")
    assert r.report.time_precision == "minute" and r.report.rejected == ()
    assert r.report.crs == "EPSG:27700"


def test_patrols_follow_current_rota():
    p = demo_patrols(days=2)
    hours = pd.to_datetime(p["timestamp"]).dt.hour
    per_unit = p.assign(h=hours).groupby("unit_id")["h"].agg(["min", "max"])
    assert len(per_unit) == sum(k for _, _, k in parse_rota_spec(CURRENT_ROTA)) == 7
    assert not ((hours >= 0) & (hours < 7)).any()   # nobody on between midnight and 07:00


def test_import_of_demo_csv_says_synthetic(demo_dir):
    r = read_incidents(demo_dir / "incidents.csv")
    assert r.report.synthetic and r.report.to_dict()["synthetic"] is True
    assert any("SYNTHETIC" in w for w in r.report.warnings)


def test_real_data_is_not_synthetic(tmp_path):
    p = tmp_path / "x.csv"
    p.write_text("lat,lon,data_note\n51.5,0.7,checked by analyst\n")
    assert read_incidents(p).report.synthetic is False


def test_demo_streets_pass_through_york_road_snap_points():
    import geopandas as gpd
    from shapely.geometry import Point

    from analysis.demo import STREETS, demo_streets
    streets = demo_streets("EPSG:27700")
    assert list(streets["name"]) == list(STREETS) and streets.crs == "EPSG:27700"
    york = streets.loc[streets["name"] == "York Road"].geometry.iloc[0]
    snaps = gpd.GeoSeries([Point(p) for p in YORK_ROAD_SNAP_POINTS], crs=4326).to_crs(27700)
    assert (snaps.distance(york) < 0.01).all()


def test_demo_patrols__units_drive_between_streets_no_jumps():
    """Regression: each demo unit jumped from one street to the next (753 pings over 200 km/h)."""
    from analysis.demo import demo_patrols
    from analysis.ingest.crs import transform

    p = demo_patrols(days=2)
    p = p.sort_values(["unit_id", "timestamp"], kind="stable")
    x, y = transform(p["longitude"].to_numpy(), p["latitude"].to_numpy(), "EPSG:4326", "EPSG:27700")
    same = (p["unit_id"].to_numpy()[1:] == p["unit_id"].to_numpy()[:-1])
    dt = np.diff(pd.to_datetime(p["timestamp"]).to_numpy()).astype("timedelta64[s]").astype(float)
    speed_kmh = np.hypot(np.diff(x), np.diff(y)) / np.maximum(dt, 1) * 3.6
    assert (speed_kmh[same & (dt <= 60)] < 60).all()


def test_demo_logs__synthetic_weekday_high_street_patrols_read_cleanly(demo_dir):
    import pandas as pd

    from analysis.ingest.patrol_logs import read_patrol_logs

    path = demo_dir / "patrol_logs.csv"
    raw = pd.read_csv(path)
    assert (raw["data_note"].str.startswith("SYNTHETIC")).all()
    r = read_patrol_logs(path, working_crs="EPSG:27700")
    assert r.report.accepted == r.report.rows_read == len(raw) == 2 * 20      # 20 weekdays in 4 weeks
    assert (r.logs["t_start"].dt.tz_convert("Europe/London").dt.day_of_week < 5).all()
    seconds = (pd.to_datetime(raw["end"]) - pd.to_datetime(raw["start"])).dt.total_seconds().sum()
    assert ((r.logs["t_end"] - r.logs["t_start"]).dt.total_seconds().sum()) == seconds
