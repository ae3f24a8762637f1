"""GPX 1.0/1.1 files (GPS tracks, segments and waypoints with times) as rows of pings.

Parsed with expat, so every point keeps the line of the file it starts on (for the report).
Times are instants (GPX times are UTC by the standard, ``Z``); speeds are metres per second.
"""
from __future__ import annotations

import xml.parsers.expat
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from analysis.ingest import validation as v
from analysis.ingest.timeparse import ParsedTimes, parse_times
from analysis.progress import BeatwiseError


@dataclass(frozen=True)
class GpxPoints:
    """Every point of a GPX file with its unit, time, position, speed (km/h) and line."""

    unit: np.ndarray
    times: ParsedTimes
    lon: np.ndarray
    lat: np.ndarray
    speed_kmh: np.ndarray
    lines: np.ndarray
    reasons: np.ndarray
    columns: dict


def read_gpx(path: Path) -> GpxPoints:
    """The track points (unit = the track's name) and waypoints (unit = their name) of a GPX file."""
    points, stack, state = [], [], {"trk": None, "n_trk": 0, "pt": None, "text": ""}
    parser = xml.parsers.expat.ParserCreate()

    def start(name, attrs):
        tag = name.rsplit(":", 1)[-1]
        stack.append(tag)
        state["text"] = ""
        if tag == "trk":
            state["n_trk"] += 1
            state["trk"] = f"track {state['n_trk']}"
        elif tag in ("trkpt", "wpt"):
            state["pt"] = {"lat": attrs.get("lat", ""), "lon": attrs.get("lon", ""), "time": "",
                           "speed": "", "name": "", "kind": tag, "line": parser.CurrentLineNumber,
                           "unit": state["trk"] if tag == "trkpt" else None}

    def end(name):
        tag = stack.pop() if stack else name
        text = state["text"].strip()
        pt = state["pt"]
        if pt is not None and tag in ("time", "speed", "name") and stack and stack[-1] in ("trkpt", "wpt"):
            pt[tag] = text
        elif tag == "name" and stack and stack[-1] == "trk":
            state["trk"] = text or state["trk"]
        elif tag in ("trkpt", "wpt") and pt is not None:
            if pt["kind"] == "wpt":
                pt["unit"] = pt["name"] or "waypoints"
            points.append(pt)
            state["pt"] = None
        state["text"] = ""

    def chars(data):
        state["text"] += data

    parser.StartElementHandler, parser.EndElementHandler = start, end
    parser.CharacterDataHandler = chars
    try:
        with open(path, "rb") as fh:
            parser.ParseFile(fh)
    except (xml.parsers.expat.ExpatError, OSError) as exc:
        raise BeatwiseError(f"{path}: cannot read this GPX file ({exc})") from None
    if not points:
        raise BeatwiseError(f"{path}: the GPX file has no track points or waypoints")
    frame = pd.DataFrame(points)
    if (frame["time"] == "").all():
        raise BeatwiseError(f"{path}: the GPX points have no times; presence needs the time of "
                            "each position")
    reasons = np.full(len(frame), "", dtype=object)
    lon = pd.to_numeric(frame["lon"], errors="coerce").to_numpy(dtype=float)
    lat = pd.to_numeric(frame["lat"], errors="coerce").to_numpy(dtype=float)
    v.coordinate_reasons(lon, lat, (frame["lon"] == "").to_numpy() | (frame["lat"] == "").to_numpy(), reasons)
    times = parse_times(pa.array(frame["time"].tolist(), type=pa.string()), column="time", tz="UTC")
    v.first_reason(reasons, times.missing, v.NO_TIME)
    v.first_reason(reasons, times.bad, f"{v.BAD_TIME} in '<time>'")
    speed = pd.to_numeric(frame["speed"], errors="coerce").to_numpy(dtype=float) * 3.6  # GPX: m/s
    return GpxPoints(frame["unit"].astype(str).to_numpy(dtype=object), times, lon, lat, speed,
                     frame["line"].to_numpy(dtype=np.int64), reasons,
                     {str(path): {"format": "gpx", "unit": "trk/name", "time": "time", "lon": "lon",
                                  "lat": "lat"}})
