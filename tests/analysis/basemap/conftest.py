"""Basemap fixtures (tests/basemap_fixtures.py)."""
from tests.basemap_fixtures import (gpkg_tiles, mbtiles, rutland_lines, rutland_pbf,  # noqa: F401
                                    xyz_folder)
