"""Next period's boxes: the forecast's top cells as numbered patrol boxes with their streets.

The top cells covering ``coverage_pct`` of the study area (:func:`analysis.spacetime.evaluation.cells_for`,
ties in random order with the back-test's seed) are grouped into boxes of edge-adjacent cells;
boxes are numbered by their expected incidents, highest first. A box's streets are the most
frequent locations of the past incidents in its cells (:func:`analysis.hotspots.areas.top_locations`:
streets before data.police.uk place labels).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from analysis.hotspots.areas import label_polygons, top_locations
from analysis.spacetime.evaluation import TIE_SEED, cells_for, ranking
from analysis.spacetime.forecast import ForecastData


@dataclass(frozen=True)
class ForecastBox:
    """One numbered box.

    Attributes
    ----------
    rank : int
        1 = the most expected incidents.
    n_cells : int
    area_km2 : float
    risk : float
        Expected incidents in the box over the period (the method's scale, see
        :mod:`analysis.spacetime.forecast`).
    share : float
        ``risk`` over the whole study area's expected incidents.
    streets : tuple of str
        Up to three most frequent locations of past incidents in the box.
    street_counts : tuple of int
    cells : tuple of (row, col)
    geometry : shapely geometry
        Union of its cells, in the grid's CRS.
    """

    rank: int
    n_cells: int
    area_km2: float
    risk: float
    share: float
    streets: tuple[str, ...]
    street_counts: tuple[int, ...]
    cells: tuple[tuple[int, int], ...] = field(repr=False)
    geometry: object = field(repr=False, default=None)

    def to_dict(self) -> dict:
        return {"rank": self.rank, "cells": self.n_cells, "area_km2": self.area_km2, "risk": self.risk,
                "share": self.share, "streets": list(self.streets), "street_counts": list(self.street_counts),
                "cell_index": [list(c) for c in self.cells]}


def forecast_boxes(risk: np.ndarray, data: ForecastData, coverage_pct: float, locations=None) -> list[ForecastBox]:
    """Numbered boxes from a forecast ``risk`` (flat, NaN outside the study area).

    Parameters
    ----------
    risk : ndarray (grid.n_cells,)
    data : ForecastData
        The grid, the study area and the past incidents (for streets).
    coverage_pct : float
        Share of the study area the boxes cover.
    locations : sequence, optional
        The incidents frame's ``location`` column; ``data.source_index`` indexes it.
    """
    from scipy import ndimage

    grid = data.grid
    study = data.study_flat
    k = cells_for(coverage_pct, len(study))
    chosen = study[ranking(risk[study], k, np.random.default_rng(TIE_SEED))]
    mask = np.zeros(grid.n_cells, dtype=bool)
    mask[chosen] = True
    labels, n = ndimage.label(mask.reshape(grid.shape))
    if n == 0:
        return []
    flat_labels = labels.ravel()
    r = np.nan_to_num(risk, nan=0.0)
    box_risk = np.bincount(flat_labels, weights=r, minlength=n + 1)[1:]
    box_cells = np.bincount(flat_labels, minlength=n + 1)[1:]
    order = np.lexsort((np.arange(n), -box_risk))          # highest risk first, then label order
    renumber = np.zeros(n + 1, dtype=np.int32)
    renumber[order + 1] = np.arange(1, n + 1)
    ranked = renumber[labels]
    polygons = label_polygons(ranked, grid, n)
    point_labels = ranked.ravel()[data.cell]
    if locations is not None:
        import pandas as pd

        locs = pd.Series(locations).iloc[data.source_index].reset_index(drop=True)
        streets = top_locations(point_labels, locs, n)
    else:
        streets = [((), ()) for _ in range(n + 1)]
    total = float(np.nansum(risk[study]))
    in_box = np.flatnonzero(ranked.ravel())
    by_rank = ranked.ravel()[in_box]
    rows, cols = np.divmod(in_box, grid.nx)
    boxes = []
    for rank in range(1, n + 1):
        label = order[rank - 1]
        sel = by_rank == rank
        names, counts = streets[rank]
        boxes.append(ForecastBox(rank, int(box_cells[label]), float(box_cells[label] * grid.cell_area_km2),
                                 float(box_risk[label]), float(box_risk[label] / total) if total > 0 else 0.0,
                                 tuple(names), tuple(counts),
                                 tuple((int(a), int(b)) for a, b in zip(rows[sel], cols[sel])), polygons[rank - 1]))
    return boxes


def boxes_frame(boxes: list[ForecastBox], crs, period_label: str, method: str):
    """The boxes as a GeoDataFrame (the ``boxes`` layer of ``boxes.gpkg``)."""
    import geopandas as gpd

    rows = [{"rank": b.rank, "period": period_label, "method": method, "cells": b.n_cells, "area_km2": b.area_km2,
             "expected_incidents": b.risk, "share": b.share, "streets": "; ".join(b.streets)} for b in boxes]
    columns = ["rank", "period", "method", "cells", "area_km2", "expected_incidents", "share", "streets"]
    return gpd.GeoDataFrame(rows, columns=columns, geometry=[b.geometry for b in boxes], crs=crs)


def expected_hit_text(stats: Optional[dict], coverage_pct: float, test_periods: int) -> str:
    """``"In the last 12 weeks boxes like these caught 8.6% of incidents (4.1-13.0%)"``, or why not known."""
    if not stats or stats.get("mean") is None:
        return "How often these boxes would have been right is not known: no back-test period had incidents."
    return (f"Over the last {stats['n']} of {test_periods} test periods, this method's top {coverage_pct:g}% of the "
            f"area caught {100 * stats['mean']:.1f}% of incidents on average "
            f"(range {100 * stats['min']:.1f}-{100 * stats['max']:.1f}%).")
