"""File > Import patrol data: the import wizard's three steps (files, columns, report) for patrol
GPS pings, read by :func:`analysis.ingest.tracks.read_pings` into the open project's coordinate
system, the column boxes pre-filled by :func:`analysis.ingest.ping_columns.detect_ping_columns`
(the importer's own detection). The report adds what cleaning found: units, pings sorted,
duplicates, impossible jumps, the ping interval.

File > Import patrol logs: the same wizard for tasking records (unit, start, end, an area polygon
or a street name), read by :func:`analysis.ingest.patrol_logs.read_patrol_logs`; street names
are matched to the project's street layer."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

from PySide6.QtWidgets import QWidget

from desktop.panels.import_panel import ImportDialog

PING_FIELD_LABELS = {
    "unit": "Unit (vehicle, radio, officer)", "time": "Date and time", "lon": "Longitude (WGS84)",
    "lat": "Latitude (WGS84)", "x": "X / easting", "y": "Y / northing", "speed": "Speed",
    "accuracy": "Accuracy (m)", "status": "Status",
}
LOG_FIELD_LABELS = {
    "unit": "Unit (officer, callsign)", "start": "Start (date and time)", "end": "End (date and time)",
    "wkt": "Area (WKT polygon)", "street": "Street name",
}
LOG_FILE_FILTER = ("Patrol logs (*.csv *.tsv *.txt *.xlsx *.xlsm *.gpkg *.geojson *.json *.shp);;"
                   "All files (*)")
PING_FILE_FILTER = ("Patrol GPS (*.csv *.tsv *.txt *.xlsx *.xlsm *.gpx *.gpkg *.geojson *.json *.shp);;"
                    "All files (*)")


class PatrolImportDialog(ImportDialog):
    """The import wizard for pings; ``result`` is a :class:`~analysis.ingest.tracks.PingResult`."""

    field_labels = PING_FIELD_LABELS
    file_filter = PING_FILE_FILTER
    title = "Import patrol data"
    what = "patrol GPS"
    hint = ("Add patrol GPS files (vehicle AVL, radio location), or drop them here: CSV, TSV, Excel, "
            "GPX (tracks and waypoints with times) and GIS point layers. Each ping needs a unit, a time "
            "and a position. Times with a UTC offset or as Unix epochs are exact; times without are "
            "UK local time. The pings become the project's patrol data (saved with it).")

    def __init__(self, tasks, crs: str, parent: Optional[QWidget] = None, paths=None):
        super().__init__(tasks, parent, paths)
        self.working_crs = crs

    def detect(self, path: Path) -> dict:
        """The importer's own detection (:func:`detect_ping_columns`), so the boxes show what an
        import with nothing changed would use."""
        from analysis.ingest import tables
        from analysis.ingest.ping_columns import detect_ping_columns

        if path.suffix.lower() == ".gpx":
            return {}
        if path.suffix.lower() in (".gpkg", ".geojson", ".json", ".shp"):
            found = super().detect(path)
            return {k: v for k, v in found.items() if k in self.field_labels}
        head = tables.peek(path, 200)
        return detect_ping_columns(list(head.columns), head)

    def _load_preview(self, index: int) -> bool:
        if 0 <= index < self.preview_file.count() and self.preview_file.itemText(index).lower().endswith(".gpx"):
            self.preview.clear()
            self.preview.setRowCount(0)
            self.preview.setColumnCount(0)
            self.detected = {}
            for combo in self.combos.values():
                combo.clear()
                combo.setEnabled(False)
            self.mapping_note.setText("GPX file: units are the track (or waypoint) names, positions "
                                      "and times come from its points. Nothing to map.")
            return True
        for combo in self.combos.values():
            combo.setEnabled(True)
        return super()._load_preview(index)

    def notes(self, detected: dict) -> list:
        out = []
        missing = [self.field_labels[k].split(" (")[0].lower() for k in ("unit", "speed", "accuracy")
                   if k not in detected]
        if missing:
            out.append(f"Columns left '(not mapped)' ({', '.join(missing)}) are looked for on import "
                       "by name (unit, callsign, vehicle, radio...; speed; accuracy).")
        return out

    def mapping(self):
        """The PingMapping to import with: None when every choice equals the detection."""
        from analysis.ingest.tracks import PingMapping

        chosen, detected, crs, dayfirst = self.chosen()
        if chosen == detected and crs is None and dayfirst is None:
            return None
        return PingMapping(**chosen, crs=crs, dayfirst=dayfirst)

    def import_job(self):
        from desktop.tasks import import_pings

        return import_pings, (self.paths(), self.mapping(), self.working_crs)

    def summary_text(self, result) -> str:
        rep, c = result.report, result.cleaning
        interval = (f"median interval {c.interval_s_median:.0f} s (90% within {c.interval_s_p90:.0f} s)"
                    if c.interval_s_median == c.interval_s_median else "no interval")
        return (f"<b>{rep.rows_read:,} pings read: {rep.accepted:,} accepted, {len(rep.rejected):,} "
                f"rejected</b> ({c.duplicates:,} exact duplicates among them). {c.units} units; "
                f"{c.out_of_order:,} out of time order (sorted); {c.flagged_speed:,} impossible jumps "
                f"flagged (not counted as presence); {interval}. Coordinate system {rep.crs}.")


class PatrolLogImportDialog(ImportDialog):
    """The import wizard for patrol logs; ``result`` is a
    :class:`~analysis.ingest.patrol_logs.LogResult`."""

    field_labels = LOG_FIELD_LABELS
    file_filter = LOG_FILE_FILTER
    title = "Import patrol logs"
    what = "patrol logs"
    hint = ("Add patrol logs (tasking records), or drop them here: CSV, TSV, Excel or GIS polygon layers. "
            "Each row needs a unit, a start and an end, and where: an area (a WKT polygon column, or the "
            "layer's polygon) or a street name, matched to the project's street layer (File > Add "
            "street layer) and buffered 15 m. Times without a UTC offset are UK local time. Each log's "
            "time is spread evenly over its area.")

    def __init__(self, tasks, crs: str, streets=None, parent: Optional[QWidget] = None, paths=None):
        super().__init__(tasks, parent, paths)
        self.working_crs = crs
        self.streets = streets

    def detect(self, path: Path) -> dict:
        from analysis.ingest import tables
        from analysis.ingest.patrol_logs import detect_log_columns

        if path.suffix.lower() in (".gpkg", ".geojson", ".json", ".shp"):
            return {}
        head = tables.peek(path, 200)
        return detect_log_columns(list(head.columns), head)

    def _load_preview(self, index: int) -> bool:
        if not super()._load_preview(index):
            return False
        notes = self.notes(self.detected)
        if not {"wkt", "street"} & set(self.detected) and self.combos["wkt"].isEnabled():
            notes.append("<span style='color:#b00'>No area (WKT polygon) or street column found: map "
                         "one of them.</span>")
        self.mapping_note.setText(" ".join(notes))
        return True

    def notes(self, detected: dict) -> list:
        out = []
        if "street" in detected and self.streets is None:
            out.append("<span style='color:#b00'>Logs naming a street need the project's street layer: "
                       "File > Add street layer first.</span>")
        return out

    def mapping(self):
        """The LogMapping to import with: None when every choice equals the detection."""
        from analysis.ingest.patrol_logs import LogMapping

        chosen, detected, crs, dayfirst = self.chosen()
        if chosen == detected and crs is None and dayfirst is None:
            return None
        return LogMapping(**chosen, crs=crs, dayfirst=dayfirst)

    def import_job(self):
        from desktop.tasks import import_logs

        return import_logs, (self.paths(), self.mapping(), self.working_crs, self.streets)

    def summary_text(self, result) -> str:
        rep, logs = result.report, result.logs
        hours = (logs["t_end"] - logs["t_start"]).dt.total_seconds().sum() / 3600
        return (f"<b>{rep.rows_read:,} logs read: {rep.accepted:,} accepted, {len(rep.rejected):,} "
                f"rejected</b>. {logs['unit_id'].nunique()} units, {hours:,.1f} hours of tasked patrol. "
                f"Coordinate system {rep.crs}.")
