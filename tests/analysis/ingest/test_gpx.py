"""GPX files: points with their lines, units from track and waypoint names, bad files named."""
from __future__ import annotations

import pytest

from analysis.ingest.gpx import read_gpx
from analysis.progress import BeatwiseError


def test_gpx__units_lines_speeds(tmp_path):
    p = tmp_path / "a.gpx"
    p.write_text('<?xml version="1.0"?>\n<gpx version="1.0">\n<trk><trkseg>\n'
                 '<trkpt lat="51.5" lon="0.7"><time>2024-06-01T09:00:00Z</time><speed>2</speed></trkpt>\n'
                 '</trkseg></trk>\n<wpt lat="51.6" lon="0.8"><time>2024-06-01T09:05:00Z</time></wpt>\n</gpx>\n',
                 encoding="utf-8")
    g = read_gpx(p)
    assert g.unit.tolist() == ["track 1", "waypoints"] and g.lines.tolist() == [4, 6]
    assert g.speed_kmh[0] == pytest.approx(7.2) and g.times.absolute.all()


def test_gpx__broken_and_empty_files_are_messages(tmp_path):
    bad = tmp_path / "bad.gpx"
    bad.write_text("<gpx><trk>", encoding="utf-8")
    with pytest.raises(BeatwiseError, match="bad.gpx: cannot read this GPX file"):
        read_gpx(bad)
    empty = tmp_path / "empty.gpx"
    empty.write_text('<?xml version="1.0"?><gpx version="1.1"></gpx>', encoding="utf-8")
    with pytest.raises(BeatwiseError, match="no track points or waypoints"):
        read_gpx(empty)
