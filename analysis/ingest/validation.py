"""Row checks and the import report.

Every row read from a file ends up either accepted or rejected with a reason;
:class:`ImportReport` keeps the invariant ``accepted + rejected == rows_read``
(checked in its constructor, so a report that breaks it can never exist).
"""
from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

# Reasons, spelled once so that tests, the CLI and the app agree.
NO_COORDINATES = "no coordinates"
BAD_COORDINATES = "coordinates are not numbers"
LAT_OUT_OF_RANGE = "latitude out of range (-90..90)"
LON_OUT_OF_RANGE = "longitude out of range (-180..180)"
ZERO_ZERO = "coordinates at (0, 0)"
BAD_GEOMETRY = "geometry is not a point"
NO_TIME = "no date/time"
BAD_TIME = "unparseable date/time"
END_BEFORE_START = "end before start"
BAD_WEIGHT = "weight is not a number"
OUTSIDE_CRS = "coordinates outside the area of the coordinate system"
DATE_OUT_OF_RANGE = ("date out of range (before 1970-01-02, a placeholder for a missing date, "
                     "or more than a year ahead)")
AMBIGUOUS_COMMA = ("number with one comma and three digits after it (e.g. 1,234): a decimal comma "
                   "or a thousands separator? Export the file with decimal points")


@dataclass(frozen=True)
class RejectedRow:
    """One row that was not imported: file, line number (header = line 1) and why."""

    file: str
    row: int
    reason: str


@dataclass(frozen=True)
class ImportReport:
    """What an import read, kept and rejected.

    Attributes
    ----------
    files : tuple of str
        The files read, in order.
    rows_read : int
        Data rows read from all files (header lines excluded).
    accepted : int
        Rows that became incidents.
    rejected : tuple of RejectedRow
        Every row that did not, with its file, line number and reason.
    warnings : tuple of str
        Things the user should know (snap points, month-only data, swapped columns...).
    crs : str
        The working CRS of the incidents, e.g. ``"EPSG:27700"``.
    time_precision : str
        ``month|day|minute|window|none|mixed`` over the accepted rows.
    bounds : tuple of float or None
        (minx, miny, maxx, maxy) of the accepted incidents in the working CRS.
    columns : dict
        Per file, the format and the column used for each field.
    synthetic : bool
        The data says it is SYNTHETIC (the demo); every output made from it must say so.
    """

    files: tuple[str, ...]
    rows_read: int
    accepted: int
    rejected: tuple[RejectedRow, ...] = ()
    warnings: tuple[str, ...] = ()
    crs: str = ""
    time_precision: str = "none"
    bounds: tuple[float, float, float, float] | None = None
    columns: dict = field(default_factory=dict)
    synthetic: bool = False

    def __post_init__(self) -> None:
        if self.accepted + len(self.rejected) != self.rows_read:
            raise AssertionError(
                f"import accounting broken: {self.accepted} accepted + {len(self.rejected)} "
                f"rejected != {self.rows_read} rows read"
            )

    @property
    def rejections(self) -> dict[str, int]:
        """Reason -> number of rows rejected for it, most frequent first."""
        return dict(Counter(r.reason for r in self.rejected).most_common())

    def to_dict(self) -> dict:
        """JSON-ready summary (the keys of ``beatwise import --json``)."""
        return {
            "files": list(self.files),
            "rows_read": self.rows_read,
            "accepted": self.accepted,
            "rejected": len(self.rejected),
            "rejections": self.rejections,
            "crs": self.crs,
            "time_precision": self.time_precision,
            "bounds": list(self.bounds) if self.bounds is not None else None,
            "warnings": list(self.warnings),
            "columns": dict(self.columns),
            "synthetic": self.synthetic,
        }

    def write_rejects(self, path: str | os.PathLike) -> Path:
        """Write every rejected row as CSV (file, row, reason), safe for spreadsheets."""
        from analysis.csvfile import write_rows

        return write_rows(path, ["file", "row", "reason"],
                          ((r.file, r.row, r.reason) for r in self.rejected))


def merge_reports(reports: Sequence[ImportReport], *, crs: str, time_precision: str,
                  bounds, extra_warnings: Iterable[str] = ()) -> ImportReport:
    """Combine per-file reports into one."""
    columns: dict = {}
    for r in reports:
        columns.update(r.columns)
    warnings = [w for r in reports for w in r.warnings] + list(extra_warnings)
    return ImportReport(
        files=tuple(f for r in reports for f in r.files),
        rows_read=sum(r.rows_read for r in reports),
        accepted=sum(r.accepted for r in reports),
        rejected=tuple(x for r in reports for x in r.rejected),
        warnings=tuple(dict.fromkeys(warnings)),
        crs=crs,
        time_precision=time_precision,
        bounds=bounds,
        columns=columns,
        synthetic=any(r.synthetic for r in reports),
    )


def rejected_rows(file: str, rows: np.ndarray, reasons: np.ndarray) -> list[RejectedRow]:
    """RejectedRow objects for the rows where ``reasons`` is not empty."""
    idx = np.flatnonzero(reasons != "")
    return [RejectedRow(file, int(rows[i]), str(reasons[i])) for i in idx]


def first_reason(reasons: np.ndarray, mask: np.ndarray, reason: str) -> None:
    """Set ``reason`` where ``mask`` holds and no earlier reason was given (in place)."""
    reasons[(reasons == "") & mask] = reason


def coordinate_reasons(lon: np.ndarray, lat: np.ndarray, missing: np.ndarray,
                       reasons: np.ndarray) -> None:
    """Vectorised checks of WGS84 coordinates, writing the first failing reason per row."""
    first_reason(reasons, missing, NO_COORDINATES)
    bad = ~np.isfinite(lon) | ~np.isfinite(lat)
    first_reason(reasons, bad, BAD_COORDINATES)
    with np.errstate(invalid="ignore"):
        first_reason(reasons, np.abs(lat) > 90, LAT_OUT_OF_RANGE)
        first_reason(reasons, np.abs(lon) > 180, LON_OUT_OF_RANGE)
        first_reason(reasons, (lon == 0) & (lat == 0), ZERO_ZERO)
