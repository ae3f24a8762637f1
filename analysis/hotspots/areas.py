"""Hotspot areas from a density surface: the top-% isopleths, ranked, with their PAI.

:func:`hotspot_areas` - the top ``top_percent`` % of cells of a :class:`~analysis.hotspots.kde.DensitySurface`
by density, dissolved into polygons (isopleths), ranked by the number of incidents inside, each
with its area, share of incidents, Prediction Accuracy Index (PAI, Chainey, Tompson & Uhlig 2008),
peak density and most frequent location names. The percentage and the A of the PAI are of a
**study area** (:mod:`analysis.hotspots.study_area`: a boundary, else the cells within reach of the
incidents), never of the margin the density grid adds around the data. The Gi* significance test
of the same question is :mod:`analysis.hotspots.gistar`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Optional

import numpy as np
from scipy import ndimage

from analysis.hotspots.grid import GridSpec, points_xy
from analysis.hotspots.kde import DensitySurface
from analysis.hotspots.study_area import StudyArea, default_reach_m, reach_study_area
from analysis.progress import BeatwiseError, ProgressFn, report, scaled
from analysis.hotspots.streets import POLICE_UK_PLACES, street_name

#: Default share of the study area's cells that make the hotspot areas (percent).
DEFAULT_TOP_PERCENT = 5.0

#: Default largest patrollable hotspot area (km^2); larger areas are split at their density peaks.
DEFAULT_MAX_HOTSPOT_KM2 = 1.0
#: An area of top cells must hold at least this many incidents to be listed as a hotspot.
DEFAULT_MIN_INCIDENTS = 1


# ---------------------------------------------------------------------------------------------- hotspots
@dataclass(frozen=True)
class Hotspot:
    """One hotspot area (a connected group of top-density cells).

    Attributes
    ----------
    rank : int
        1 = most incidents inside (ties: higher peak density first).
    geometry : shapely Polygon
        Union of the area's cells (4-connected; may have holes), in the grid CRS.
    incidents : int
        Incidents inside (points in the area's cells; cells are half-open, see ``analysis.hotspots.grid``).
    weight : float
        Their summed weight (= ``incidents`` when unweighted).
    area_km2 : float
    share : float
        ``incidents / all incidents`` (0..1).
    pai : float
        Prediction Accuracy Index ``(n/N) / (a/A)``, A the study area (Chainey et al. 2008).
    peak_density : float
        Highest cell density inside, in the surface's units.
    n_cells : int
    locations : tuple of str
        The (up to) three most frequent non-empty ``location`` values inside, most frequent first
        (ties alphabetical).
    location_counts : tuple of int
        Their counts.
    split : bool
        Part of a larger connected area cut at its density peaks (:func:`split_at_peaks`).
    oversized : bool
        Still larger than the patrollable size (a single broad peak).
    """

    rank: int
    geometry: object = field(repr=False)
    incidents: int
    weight: float
    area_km2: float
    share: float
    pai: float
    peak_density: float
    n_cells: int
    locations: tuple[str, ...] = ()
    location_counts: tuple[int, ...] = ()
    split: bool = False
    oversized: bool = False

    def summary(self) -> dict:
        """JSON-ready dict (no geometry)."""
        return {"rank": self.rank, "incidents": self.incidents, "weight": self.weight,
                "area_km2": self.area_km2, "share": self.share, "pai": self.pai,
                "peak_density": self.peak_density, "n_cells": self.n_cells,
                "locations": list(self.locations), "location_counts": list(self.location_counts),
                "split": self.split, "oversized": self.oversized}


@dataclass(frozen=True)
class HotspotAreas:
    """Hotspot areas of a density surface and the parameters that made them.

    Attributes
    ----------
    hotspots : tuple of Hotspot
        Ranked, rank 1 first.
    labels : ndarray int32 (ny, nx), read-only
        Rank of the hotspot each cell belongs to, 0 for none (on the surface's grid).
    grid : GridSpec
    top_percent : float
        Share of the study area's cells selected (by density).
    threshold_density : float
        Lowest density of a selected cell.
    n_incidents : int
        All incidents given (the N of share and PAI).
    study_area_km2 : float
        The A of PAI: the study area's area, or the value given.
    study_area : StudyArea
        The cells the percentage is of, on the surface's grid, with how they were chosen.
    ranked_by : str
    density_units : str
    warnings : tuple of str
    max_hotspot_km2 : float or None
        Areas larger than this were split at their density peaks (None: not split).
    n_split : int
        Connected areas that were split.
    min_incidents : int
        Areas holding fewer incidents than this were not listed (default 1: an area must hold one).
    n_unlisted : int
        Selected areas left out for holding fewer than ``min_incidents`` incidents.
    """

    hotspots: tuple[Hotspot, ...]
    labels: np.ndarray = field(repr=False)
    grid: GridSpec
    top_percent: float
    threshold_density: float
    n_incidents: int
    study_area_km2: float
    study_area: StudyArea = field(repr=False)
    ranked_by: str = "incidents inside, then peak density"
    density_units: str = "incidents per km^2"
    warnings: tuple[str, ...] = ()
    max_hotspot_km2: Optional[float] = None
    n_split: int = 0
    min_incidents: int = 1
    n_unlisted: int = 0

    def to_geodataframe(self):
        """GeoDataFrame with one row per hotspot (``rank`` field, ``locations`` joined by '; ')."""
        import geopandas as gpd

        rows = []
        for h in self.hotspots:
            d = h.summary()
            d["locations"] = "; ".join(h.locations)
            d["location_counts"] = "; ".join(str(c) for c in h.location_counts)
            rows.append(d)
        columns = ["rank", "incidents", "weight", "area_km2", "share", "pai", "peak_density", "n_cells",
                   "locations", "location_counts", "split", "oversized"]
        return gpd.GeoDataFrame(rows, columns=columns, geometry=[h.geometry for h in self.hotspots],
                                crs=self.grid.crs)


def label_polygons(labels: np.ndarray, grid: GridSpec, n: int) -> list:
    """Polygon of each label 1..n (union of its cells) via GDAL polygonize (rasterio.features.shapes).

    Each label is polygonized in its own bounding window (:func:`scipy.ndimage.find_objects`), so a
    county grid is never copied whole (north-up, a mask, GDAL's own copies: about 230 MB at 16.5
    million cells) for hotspots that cover a few per cent of it.
    """
    import shapely
    from affine import Affine
    from rasterio.features import shapes
    from shapely.geometry import shape

    out = []
    for k, sl in enumerate(ndimage.find_objects(labels, max_label=n), start=1):
        if sl is None:
            out.append(shapely.Polygon())
            continue
        rs, cs = sl
        window = np.ascontiguousarray((labels[sl] == k)[::-1], dtype=np.uint8)
        transform = Affine(grid.cell_m, 0.0, grid.x0 + cs.start * grid.cell_m,
                           0.0, -grid.cell_m, grid.y0 + rs.stop * grid.cell_m)
        geoms = [shape(g) for g, _v in shapes(window, mask=window > 0, connectivity=4, transform=transform)]
        g = geoms[0] if len(geoms) == 1 else shapely.union_all(geoms)
        out.append(shapely.orient_polygons(g) if hasattr(shapely, "orient_polygons") else g)
    return out


def top_locations(point_labels: np.ndarray, locations, n_labels: int, top: int = 3):
    """Most frequent non-empty location per label: streets first, then count desc, name asc.

    Only the incidents inside a hotspot are looked at (a row ``take`` on the column), so a
    million-row column is never converted as a whole.
    """
    import pandas as pd

    result = [((), ()) for _ in range(n_labels + 1)]
    if locations is None:
        return result
    idx = np.flatnonzero(point_labels > 0)
    if len(idx) == 0:
        return result
    sub = pd.Series(locations).iloc[idx]
    loc = np.asarray(sub.fillna("").astype(str).str.strip().to_numpy(), dtype=object)
    keep = loc != ""
    if not keep.any():
        return result
    df = pd.DataFrame({"label": point_labels[idx][keep], "location": loc[keep]})
    counts = df.groupby(["label", "location"]).size().reset_index(name="n")
    # Streets before data.police.uk place labels ("On or near Supermarket"): a briefing names
    # streets; a place label is listed only when a hotspot has fewer than ``top`` streets.
    names = counts["location"].map(street_name).str.casefold()
    counts["place"] = names.isin(POLICE_UK_PLACES)
    counts = counts.sort_values(["label", "place", "n", "location"],
                                ascending=[True, True, False, True])
    for label, grp in counts.groupby("label", sort=False):
        grp = grp.head(top)
        result[int(label)] = (tuple(grp["location"]), tuple(int(c) for c in grp["n"]))
    return result


def _flood(v: np.ndarray, inside: np.ndarray, markers: np.ndarray) -> np.ndarray:
    """Priority-flood watershed: labels spread from ``markers`` to 4-neighbours inside, the highest
    ``v`` first, so each cell joins the peak whose flood reaches it from above."""
    import heapq

    out = markers.astype(np.int64).copy()
    ny, nx = v.shape
    heap = [(-float(v[r, c]), int(r * nx + c)) for r, c in zip(*np.nonzero(out))]
    heapq.heapify(heap)
    flat_v = v.ravel()
    flat_in = inside.ravel()
    flat_out = out.ravel()
    while heap:
        _, k = heapq.heappop(heap)
        lab = flat_out[k]
        r, c = divmod(k, nx)
        for q in ((k - nx) if r > 0 else -1, (k + nx) if r < ny - 1 else -1,
                  (k - 1) if c > 0 else -1, (k + 1) if c < nx - 1 else -1):
            if q >= 0 and flat_in[q] and flat_out[q] == 0:
                flat_out[q] = lab
                heapq.heappush(heap, (-float(flat_v[q]), q))
    return out


#: Cells relabelled at a time by :func:`relabel_in_place`.
RELABEL_CHUNK_CELLS = 1_000_000


def label_sizes(labels: np.ndarray, n_labels: int) -> np.ndarray:
    """Cells per label, ``(n_labels + 1,)``, index 0 (unlabelled) set to 0: counted over the labelled
    cells only (``np.bincount`` of the whole grid first copies it as 8-byte integers)."""
    return np.bincount(labels[labels > 0], minlength=n_labels + 1)


def relabel_in_place(labels: np.ndarray, lookup: np.ndarray) -> np.ndarray:
    """``labels[...] = lookup[labels]``, a million cells at a time: a county grid's labels are never
    copied (``lookup[labels]`` makes a new grid; ``np.take`` into ``labels`` converts them to 8-byte
    indices first). Returns ``labels``."""
    flat = labels.reshape(-1)
    lut = lookup.astype(labels.dtype, copy=False)
    if len(lut) and lut[0] == 0:  # unlabelled cells stay 0: only the labelled ones (a few % of a county) move
        for a in range(0, flat.size, RELABEL_CHUNK_CELLS):
            chunk = flat[a:a + RELABEL_CHUNK_CELLS]
            at = np.flatnonzero(chunk)
            chunk[at] = lut[chunk[at]]
        return labels
    for a in range(0, flat.size, RELABEL_CHUNK_CELLS):
        flat[a:a + RELABEL_CHUNK_CELLS] = lut[flat[a:a + RELABEL_CHUNK_CELLS]]
    return labels


def split_at_peaks(labels: np.ndarray, n_labels: int, values: np.ndarray, max_cells: int,
                   peak_window: int, split_in: Optional[np.ndarray] = None) -> tuple[np.ndarray, int, np.ndarray, int]:
    """Split every labelled area of more than ``max_cells`` cells at its density peaks (watershed).

    The peaks are the local maxima of ``values`` in a ``peak_window`` x ``peak_window`` window
    (connected plateaus are one peak); each cell of the area joins the peak it drains to, flooding
    from the peaks downhill, highest cell first (a priority-flood watershed, Beucher & Meyer 1993;
    :func:`scipy.ndimage.watershed_ift` was tried and floods across the area's edge).
    An area with one peak stays whole. ``split_in`` (per input label) marks labels already split
    by an earlier pass; they keep the mark.

    Returns
    -------
    labels : int array
        New labels 1..n (areas renumbered).
    n : int
    split : bool array (n + 1,)
        True for the labels that came from a split area.
    n_split : int
        Areas that were split.
    """
    sizes = label_sizes(labels, n_labels)
    big = np.flatnonzero(sizes[1:] > max_cells) + 1
    split = np.zeros(n_labels + 1, dtype=bool) if split_in is None else np.asarray(split_in, dtype=bool)
    if len(big) == 0:
        return labels, n_labels, split, 0
    out = labels.astype(np.int32)  # a copy (a county grid: no second one; 4 bytes a cell)
    next_label = n_labels + 1
    extra_split: list[int] = []
    n_done = 0
    slices = ndimage.find_objects(labels)
    for lab in big:
        sl = slices[lab - 1]
        sl = tuple(slice(max(s.start - 1, 0), s.stop + 1) for s in sl)
        inside = labels[sl] == lab
        v = np.where(inside, values[sl], 0.0)
        peak = (v >= ndimage.maximum_filter(v, size=peak_window, mode="constant")) & inside & (v > 0)
        markers, n_peaks = ndimage.label(peak, structure=np.ones((3, 3)))
        if n_peaks < 2:
            continue
        basins = _flood(v, inside, markers)
        region = out[sl]
        ids = np.arange(next_label, next_label + n_peaks)
        region[inside] = ids[basins[inside] - 1]
        extra_split.extend(ids.tolist())
        next_label += n_peaks
        n_done += 1
    # renumber 1..n in order of appearance of the remaining labels
    present = np.flatnonzero(label_sizes(out, next_label - 1))  # sorted, as np.unique
    present = present[present > 0]
    lookup = np.zeros(next_label, dtype=np.int64)
    lookup[present] = np.arange(1, len(present) + 1)
    new_split = np.zeros(len(present) + 1, dtype=bool)
    old = present[present <= n_labels]
    new_split[lookup[old]] = split[old]
    if extra_split:
        es = np.asarray(extra_split)
        es = es[np.isin(es, present)]
        new_split[lookup[es]] = True
    return relabel_in_place(out, lookup), len(present), new_split, n_done


def hotspot_areas(surface: DensitySurface, incidents, *, top_percent: float = DEFAULT_TOP_PERCENT,
                  study_area: Optional[StudyArea] = None, study_area_km2: Optional[float] = None,
                  max_hotspot_km2: Optional[float] = DEFAULT_MAX_HOTSPOT_KM2,
                  min_incidents: int = DEFAULT_MIN_INCIDENTS,
                  progress: Optional[ProgressFn] = None) -> HotspotAreas:
    """Hotspot polygons: the top ``top_percent`` % of cells by density, dissolved and ranked.

    Parameters
    ----------
    surface : DensitySurface
    incidents : GeoDataFrame or (n, 2) array
        The incidents the surface was made from (same CRS); a ``location`` column gives the names.
    top_percent : float
        In (0, 100]. The percentage is of the **study area**'s cells, so the margin of empty cells
        around the data does not change the result; only cells of the study area with a positive
        density are selected. Cells tied at the threshold (within a relative 1e-9) are all kept.
    study_area : StudyArea, optional
        Laid on the surface's grid (:meth:`StudyArea.on`). Default: the cells within reach of the
        incidents, ``reach_m = default_reach_m(incidents, bandwidth)`` (:mod:`analysis.hotspots.study_area`).
    study_area_km2 : float, optional
        The A of PAI when it is known better than the study area's cells give it (e.g. a
        district's published area). Default: the study area's area.
    max_hotspot_km2 : float or None
        The largest patrollable area (default 1 km^2): a connected area larger than this is split
        at its density peaks (:func:`split_at_peaks`, peaks at least about the narrowest kernel
        apart); a part still larger (one broad peak) is flagged ``oversized``. None: no splitting.
    min_incidents : int
        An area of top cells holding fewer incidents than this is not a hotspot (its cells stay
        unlabelled): density spills a kernel's width beyond the incidents, so a cell can rank high
        with none inside (seen: a 10 m cell with 0 incidents listed as hotspot 15). Default 1.
    progress : ProgressFn, optional

    Returns
    -------
    HotspotAreas

    Notes
    -----
    Polygons are 4-connected groups of selected cells (cells touching only at a corner are separate
    hotspots). An incident is inside a hotspot when its cell is one of the hotspot's cells, the same
    as a point-in-polygon test except for points exactly on a cell edge, which belong to the cell
    to their north/east. PAI = (n/N) / (a/A) (Chainey, Tompson & Uhlig 2008, Security Journal 21).
    """
    top_percent = float(top_percent)
    if int(min_incidents) != min_incidents or min_incidents < 0:
        raise BeatwiseError(f"The minimum incidents per hotspot must be a whole number, 0 or more, got {min_incidents!r}.")
    min_incidents = int(min_incidents)
    if not (0 < top_percent <= 100):
        raise BeatwiseError(f"The top percent must be more than 0 and at most 100, got {top_percent:g}.")
    grid = surface.grid
    values = surface.values
    xy, pcrs = points_xy(incidents, crs=grid.crs)
    n_inc = len(xy)
    if n_inc == 0:
        raise BeatwiseError("No incidents: none are left after the filters. Widen the filters.")
    warnings: list[str] = []
    report(progress, 0.0, "Study area")
    study = (reach_study_area(xy, grid, default_reach_m(xy, surface.bandwidth_m), progress=scaled(progress, 0.0, 0.1))
             if study_area is None else study_area.on(grid))
    report(progress, 0.1, "Selecting the top cells")
    inside = study.mask
    m = study.n_cells
    vin = values[inside]  # one copy of the study area's values, partitioned in place below
    if not (vin > 0).any():
        raise BeatwiseError(f"The density surface is zero everywhere in the study area ({study.description}): "
                            "no incident lies in it.")
    k = max(1, int(math.ceil(top_percent / 100.0 * m - 1e-9)))
    vin.partition(m - k)
    threshold = float(vin[m - k])
    del vin
    # cells within 1e-9 of the threshold tie with it (a flat surface differs only by FFT round-off)
    threshold *= 1.0 - 1e-9
    selected = inside & (values >= threshold) & (values > 0)
    if threshold <= 0:  # more of the study area than 100 - top_percent % has no density at all
        threshold = float(values[selected].min())
    n_sel = int(selected.sum())
    if n_sel > 1.5 * k and n_sel > k + 1:
        warnings.append(f"{n_sel:,} cells tie at or above the threshold density, more than the {k:,} cells of the "
                        f"top {top_percent:g}% (flat density, e.g. few incidents or a uniform kernel).")
    if study_area_km2 is None:
        study_area_km2 = study.area_km2
    study_area_km2 = float(study_area_km2)
    if not study_area_km2 > 0:
        raise BeatwiseError(f"The study area must be positive, got {study_area_km2!r} km^2.")
    labels, n_lab = ndimage.label(selected)  # 4-connectivity
    n_connected = n_lab
    split_flags = np.zeros(n_lab + 1, dtype=bool)
    n_split = 0
    if max_hotspot_km2 is not None:
        max_hotspot_km2 = float(max_hotspot_km2)
        if not max_hotspot_km2 > 0:
            raise BeatwiseError(f"The largest hotspot area must be positive, got {max_hotspot_km2:g} km^2.")
        max_cells = int(math.floor(max_hotspot_km2 / grid.cell_area_km2 + 1e-9))
        # peaks at least about the narrowest kernel apart; parts still too large are split again with
        # half the window, down to 3 x 3 cells
        half = max(1, int(round(surface.smallest_bandwidth_m / grid.cell_m)))
        while True:
            labels, n_lab, split_flags, done = split_at_peaks(labels, n_lab, values, max_cells, 2 * half + 1,
                                                              split_flags)
            n_split += done
            if half == 1:
                break
            half = max(1, half // 2)
    report(progress, 0.3, f"Dissolving {n_lab:,} areas")
    cells = label_sizes(labels, n_lab)[1:]
    # peak density per area, over the selected cells only (ndimage.maximum sorts the whole grid)
    flat_labels = labels.ravel()
    in_area = flat_labels > 0
    peaks = np.full(n_lab + 1, -np.inf)
    np.maximum.at(peaks, flat_labels[in_area], values.ravel()[in_area])
    peaks = peaks[1:]
    rows, cols = grid.cell_index(xy)
    inside_grid = rows >= 0
    point_labels = np.zeros(n_inc, dtype=np.int64)
    point_labels[inside_grid] = labels[rows[inside_grid], cols[inside_grid]]
    counts = np.bincount(point_labels, minlength=n_lab + 1)[1:]
    listed = counts >= min_incidents
    n_unlisted = int((~listed).sum())
    if n_unlisted:  # areas without (enough) incidents are not hotspots: relabel the others 1..n
        lut = np.zeros(n_lab + 1, dtype=labels.dtype)
        lut[1:][listed] = np.arange(1, int(listed.sum()) + 1, dtype=labels.dtype)
        relabel_in_place(labels, lut)   # labels is this function's own array
        point_labels = lut[point_labels]
        cells, peaks, counts = cells[listed], peaks[listed], counts[listed]
        split_flags = np.concatenate([[False], split_flags[1:][listed]])
        n_lab = int(listed.sum())
        warnings.append(f"{n_unlisted:,} of {n_unlisted + n_lab:,} areas of top cells hold fewer than "
                        f"{min_incidents:,} incident{'s' if min_incidents != 1 else ''} and are not listed "
                        "(density spreads beyond the incidents)")
    columns = getattr(incidents, "columns", None)
    if columns is not None and "weight" in columns:
        w = np.asarray(incidents["weight"], dtype=float)
        wsum = np.bincount(point_labels, weights=w, minlength=n_lab + 1)[1:]
    else:
        wsum = counts.astype(float)
    locs = top_locations(point_labels, incidents["location"] if columns is not None and "location" in columns
                          else None, n_lab)
    report(progress, 0.5, "Building polygons")
    polys = label_polygons(labels, grid, n_lab) if n_lab else []
    order = np.lexsort((-peaks, -counts)) if n_lab else np.empty(0, dtype=int)
    rank_of_label = np.zeros(n_lab + 1, dtype=np.int32)
    rank_of_label[order + 1] = np.arange(1, n_lab + 1, dtype=np.int32)
    hotspots = []
    for rank, li in enumerate(order, start=1):
        area = float(cells[li] * grid.cell_area_km2)
        share = float(counts[li]) / n_inc
        hotspots.append(Hotspot(
            rank=rank, geometry=polys[li], incidents=int(counts[li]), weight=float(wsum[li]), area_km2=area,
            share=share, pai=float(share / (area / study_area_km2)), peak_density=float(peaks[li]),
            n_cells=int(cells[li]), locations=locs[li + 1][0], location_counts=locs[li + 1][1],
            split=bool(split_flags[li + 1]),
            oversized=bool(max_hotspot_km2 is not None and area > max_hotspot_km2 * (1 + 1e-9))))
    ranked = relabel_in_place(labels, rank_of_label)
    ranked.flags.writeable = False
    if n_split:
        n_over = sum(h.oversized for h in hotspots)
        warnings.append(f"{n_split:,} of {n_connected:,} connected areas were larger than {max_hotspot_km2:g} km^2 and "
                        f"were split at their density peaks into {int(split_flags.sum()):,} areas"
                        + (f"; {n_over:,} still larger (one broad peak) are flagged oversized" if n_over else ""))
    report(progress, 1.0, f"{n_lab:,} hotspot areas")
    return HotspotAreas(hotspots=tuple(hotspots), labels=ranked, grid=grid, top_percent=top_percent,
                        threshold_density=threshold, n_incidents=n_inc, study_area_km2=study_area_km2,
                        study_area=study,
                        density_units=surface.density_units, warnings=tuple(warnings),
                        max_hotspot_km2=max_hotspot_km2, n_split=n_split, min_incidents=min_incidents,
                        n_unlisted=n_unlisted)
