"""Shared CLI pieces: --street / --streets, as temporal and shifts use them."""
from __future__ import annotations

import argparse

import numpy as np
import pytest

from analysis.commands._common import add_street_arguments, on_street
from analysis.demo import demo_streets
from analysis.ingest.incidents import read_incidents
from analysis.progress import BeatwiseError


def _args(*argv):
    p = argparse.ArgumentParser()
    add_street_arguments(p)
    p.add_argument("--area", dest="in_area")
    return p.parse_args(list(argv))


@pytest.fixture(scope="module")
def demo_incidents(demo_dir):
    return read_incidents(demo_dir / "incidents.csv").incidents


def test_on_street__location_text(demo_incidents):
    got = on_street(_args("--street", "York Road", "--area", "Southend-on-Sea"), demo_incidents)
    expected = (demo_incidents["location"] == "On or near York Road").sum()
    assert len(got) == expected > 0


def test_on_street__snapped_to_a_layer_agrees_with_brute_force(demo_incidents, tmp_path):
    layer = tmp_path / "streets.gpkg"
    demo_streets("EPSG:4326").to_file(layer)  # another CRS than the incidents': reprojected
    got = on_street(_args("--street", "York Road", "--streets", str(layer), "--max-distance-m", "20"),
                    demo_incidents)
    streets = demo_streets("EPSG:27700")
    # brute force: each incident's nearest street within 20 m is York Road
    d = np.column_stack([demo_incidents.geometry.distance(g).to_numpy() for g in streets.geometry])
    nearest = streets["name"].to_numpy()[d.argmin(axis=1)]
    expected = (nearest == "York Road") & (d.min(axis=1) <= 20)
    assert len(got) == int(expected.sum()) > 0


def test_on_street__no_street_keeps_all_and_layer_alone_is_refused(demo_incidents):
    assert on_street(_args(), demo_incidents) is demo_incidents
    with pytest.raises(BeatwiseError, match="--streets LAYER is used with --street NAME"):
        on_street(_args("--streets", "x.gpkg"), demo_incidents)
