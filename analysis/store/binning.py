"""Binning on the server: the sums a density surface, a Gi* grid and a weekday x hour matrix need,
computed by PostgreSQL with ``GROUP BY`` so that only counts per cell cross the network.

:func:`server_linear_bin` returns exactly the array :func:`analysis.hotspots.kde.linear_bin` makes
from the rows (the same IEEE operations per row, summed in another order: equal to ~1e-15
relative); :func:`server_spread` the statistics of the ArcGIS and Silverman bandwidth rules
(mean centre, standard distance, median distance as the same order statistic); :func:`server_kde`
puts them together as :func:`analysis.hotspots.surface.density_surface` does for a fixed bandwidth
(Wand 1994 linear binning, then the same FFT convolution: :func:`analysis.hotspots.kde.binned_kde`).
"""
from __future__ import annotations

import math
from typing import Optional, Union

import numpy as np

from analysis.filters import Filters
from analysis.hotspots.grid import GridSpec, cell_for_bandwidths
from analysis.hotspots.kde import PointSpread, _SUPPORT, binned_kde, select_bandwidth
from analysis.progress import BeatwiseError, ProgressFn, report, scaled
from analysis.store.address import StoreAddress
from analysis.store.connection import connect, store_errors
from analysis.store.tables import check_incidents_table, longest_window, names
from analysis.store.where import where_clause


def _filtered(address: StoreAddress, clause):
    from psycopg import sql

    return sql.SQL("SELECT x, y FROM {} WHERE {}").format(names(address)["incidents"], clause)


def server_spread(conn, address: StoreAddress, clause, params) -> tuple[PointSpread, tuple]:
    """``(spread, (xmin, ymin, xmax, ymax))`` of the filtered incidents, computed by the server.

    As :func:`analysis.hotspots.kde._spread` unweighted: the mean centre, the per-axis population
    variances about it, and the median distance to it as the order statistic ``ceil(n/2)``
    (``percentile_disc(0.5)``).
    """
    from psycopg import sql

    q = sql.SQL(
        "WITH p AS MATERIALIZED ({}), m AS (SELECT count(*) AS n, avg(x) AS mx, avg(y) AS my, min(x) AS x0, "
        "min(y) AS y0, max(x) AS x1, max(y) AS y1 FROM p) "
        "SELECT m.n, m.x0, m.y0, m.x1, m.y1, avg((p.x - m.mx) * (p.x - m.mx)), avg((p.y - m.my) * (p.y - m.my)), "
        "percentile_disc(0.5) WITHIN GROUP (ORDER BY sqrt((p.x - m.mx) * (p.x - m.mx) + (p.y - m.my) * (p.y - m.my))) "
        "FROM p, m GROUP BY m.n, m.x0, m.y0, m.x1, m.y1").format(_filtered(address, clause))
    row = conn.execute(q, params).fetchone()
    if row is None or not row[0]:
        return PointSpread(0.0, 0.0, 0.0, 0.0, 0), None
    n, x0, y0, x1, y1, vx, vy, dm = row
    vx, vy = max(float(vx), 0.0), max(float(vy), 0.0)
    spread = PointSpread(sd=math.sqrt(vx + vy), dm=float(dm), sx=math.sqrt(vx), sy=math.sqrt(vy), n=int(n))
    return spread, (float(x0), float(y0), float(x1), float(y1))


def server_linear_bin(conn, address: StoreAddress, clause, params, grid: GridSpec, pad: int) -> np.ndarray:
    """The filtered incidents linearly binned on ``grid`` padded by ``pad`` cells, summed by the server.

    Equal to :func:`analysis.hotspots.kde.linear_bin` of the same rows (unweighted): each row's
    fractional lattice position ``(x - x0) / cell + pad - 0.5`` is computed with the same
    operations; rows whose four centres are not all in the padded array are left out, as there.
    The server returns one row per occupied lattice cell with its four corner sums.
    """
    from psycopg import sql

    NX, NY = grid.nx + 2 * pad, grid.ny + 2 * pad
    inv = 1.0 / grid.cell_m
    off = pad - 0.5
    x0, y0, k, o = _num(grid.x0), _num(grid.y0), _num(inv), _num(off)
    q = sql.SQL(
        "WITH a AS (SELECT (x - {x0}) * {k} + {o} AS fx, (y - {y0}) * {k} + {o} AS fy FROM ({p}) p), "
        "b AS (SELECT fx, fy, floor(fx) AS j, floor(fy) AS i FROM a "
        "WHERE fx >= 0 AND fx < {nx1} AND fy >= 0 AND fy < {ny1}), "
        "c AS (SELECT i, j, fx - j AS tx, fy - i AS ty FROM b) "
        "SELECT i::bigint, j::bigint, sum((1 - tx) * (1 - ty)), sum(tx * (1 - ty)), sum((1 - tx) * ty), sum(tx * ty) "
        "FROM c GROUP BY i, j").format(x0=x0, y0=y0, k=k, o=o, nx1=_num(NX - 1), ny1=_num(NY - 1),
                                       p=_filtered(address, clause))
    rows = conn.execute(q, params).fetchall()
    out = np.zeros(NY * NX)
    if len(rows):
        arr = np.asarray(rows, dtype=float)
        flat = arr[:, 0].astype(np.int64) * NX + arr[:, 1].astype(np.int64)
        out[flat] += arr[:, 2]
        out[flat + 1] += arr[:, 3]
        out[flat + NX] += arr[:, 4]
        out[flat + NX + 1] += arr[:, 5]
    return out.reshape(NY, NX)


def _num(v: float):
    """A number we computed (never user text) as an exact float8 literal (repr round-trips)."""
    from psycopg import sql

    return sql.SQL("{}::float8").format(sql.Literal(float(v)))


def server_counts(conn, address: StoreAddress, clause, params, grid: GridSpec) -> np.ndarray:
    """Incidents per cell of ``grid`` (as :meth:`GridSpec.counts`), counted by the server."""
    from psycopg import sql

    y0, x0, c = _num(grid.y0), _num(grid.x0), _num(grid.cell_m)
    q = sql.SQL("SELECT floor((y - {y0}) / {c})::bigint, floor((x - {x0}) / {c})::bigint, count(*) "
                "FROM ({p}) p GROUP BY 1, 2").format(y0=y0, x0=x0, c=c, p=_filtered(address, clause))
    rows = conn.execute(q, params).fetchall()
    out = np.zeros(grid.shape)
    for r, c, k in rows:
        if 0 <= r < grid.ny and 0 <= c < grid.nx:
            out[r, c] += k
    return out


def server_kde(address: StoreAddress, filters: Optional[Filters] = None, *, kernel: str = "quartic",
               bandwidth_m: Union[str, float] = "auto", cell_m: Optional[float] = None,
               progress: Optional[ProgressFn] = None):
    """A fixed-bandwidth density surface of the store's filtered incidents, binned on the server.

    The same surface :func:`analysis.hotspots.kde.grid_for_kde` + :func:`analysis.hotspots.kde.kde`
    make from the rows (the tests compare them to 1e-9 relative): the bandwidth from the server's
    spread statistics, the grid from its extent plus the kernel's support, the linear binning as
    ``GROUP BY`` sums, then the FFT convolution here. Unweighted (one per incident).

    Returns
    -------
    DensitySurface
    """
    conn = connect(address)
    try:
        with store_errors(address, "binning incidents"):
            srid = check_incidents_table(conn, address)
            crs = f"EPSG:{srid}"
            clause, params = where_clause(filters, srid, longest_window(conn, address))
            report(progress, 0.0, "Measuring the incidents' spread on the server")
            spread, bounds = server_spread(conn, address, clause, params)
            if spread.n == 0:
                raise BeatwiseError("No incidents to map: none are left after the filters. Widen the filters "
                                    "(crime types, dates, area).")
            choice = select_bandwidth(spread, bandwidth_m, kernel=kernel, cell_m=cell_m)
            margin = _SUPPORT[kernel] * choice.bandwidth_m
            xmin, ymin, xmax, ymax = bounds
            if cell_m is None:
                cell_m = cell_for_bandwidths(choice.bandwidth_m, xmax - xmin + 2 * margin, ymax - ymin + 2 * margin)
            grid = GridSpec.from_bounds(xmin - margin, ymin - margin, xmax + margin, ymax + margin, cell_m, crs=crs)
            report(progress, 0.2, f"Binning {spread.n:,} incidents on the server")
            surface = binned_kde(lambda work, pad: server_linear_bin(conn, address, clause, params, work, pad),
                                 grid, kernel=kernel, choice=choice, n=spread.n, total_weight=float(spread.n),
                                 progress=scaled(progress, 0.2, 1.0))
        return surface
    finally:
        conn.close()
