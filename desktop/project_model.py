"""ProjectModel: the one owner of the open project, the shared filters and the latest results.

Panels read from it and ask the main window to run analyses; results come back through
:meth:`ProjectModel.set_result` on the GUI thread. It never computes anything itself.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

from PySide6.QtCore import QObject, Signal

from analysis.progress import BeatwiseError

if TYPE_CHECKING:  # geopandas-heavy modules are imported when a project arrives
    from analysis.filters import Filters
    from analysis.project import Project


def filters_to_settings(filters: "Filters") -> dict:
    """The JSON form kept in ``project.settings["filters"]`` (the polygon is not saved)."""
    return {"crime_types": list(filters.crime_types),
            "date_from": filters.date_from.isoformat() if filters.date_from else None,
            "date_to": filters.date_to.isoformat() if filters.date_to else None,
            "area": filters.area or None}


def filters_from_settings(value: Any) -> "Filters":
    from analysis.filters import Filters, parse_date

    if not isinstance(value, dict):
        return Filters()
    try:
        return Filters(crime_types=tuple(str(t) for t in value.get("crime_types") or ()),
                       date_from=parse_date(value.get("date_from")),
                       date_to=parse_date(value.get("date_to")),
                       area=value.get("area") or None)
    except BeatwiseError:
        return Filters()


class ProjectModel(QObject):
    """The open :class:`~analysis.project.Project`, its file, the shared filters and results.

    Signals
    -------
    datasetChanged()
        Another project was opened or imported; every result was cleared.
    filtersChanged()
        The shared filters changed (results made with the old filters are stale).
    resultReady(str)
        ``results[kind]`` was set: ``hotspots``, ``temporal``, ``comparison``, ``streets``,
        ``street_profile``, ``shifts``.
    selectionChanged()
        The selected hotspot or street changed.
    patrolsChanged()
        The project's patrol pings or logs were replaced (File > Import patrol data / logs).
    dirtyChanged(bool), pathChanged()
    """

    datasetChanged = Signal()
    filtersChanged = Signal()
    resultReady = Signal(str)
    selectionChanged = Signal()
    patrolsChanged = Signal()
    dirtyChanged = Signal(bool)
    pathChanged = Signal()

    def __init__(self, parent: Optional[QObject] = None):
        super().__init__(parent)
        self.project: Optional["Project"] = None
        self.path: Optional[Path] = None
        self.filters = None  # a Filters once a project is open
        self.results: dict[str, Any] = {}
        self.selected_hotspot: Optional[int] = None   # rank
        self.selected_street: Optional[tuple[str, str]] = None  # (name, area)
        self.dirty = False
        self.basemap_streets = None  # GeoDataFrame of lines drawn under everything (display only)

    # ------------------------------------------------------------------ project
    def set_project(self, project: "Project", path: Optional[Path] = None, *, dirty: bool = False,
                    basemap_streets=None) -> None:
        self.project = project
        self.path = Path(path) if path else None
        self.filters = filters_from_settings(project.settings.get("filters"))
        self.results = {}
        self.selected_hotspot = None
        self.selected_street = None
        self.basemap_streets = basemap_streets
        self.datasetChanged.emit()
        self.pathChanged.emit()
        self.set_dirty(dirty)

    @property
    def has_project(self) -> bool:
        return self.project is not None

    @property
    def title(self) -> str:
        if self.project is None:
            return "no project"
        if self.path is not None:
            return self.path.name
        return str(self.project.settings.get("title") or "Untitled project")

    def set_path(self, path: Path) -> None:
        self.path = Path(path)
        self.pathChanged.emit()

    def set_dirty(self, dirty: bool = True) -> None:
        if dirty != self.dirty:
            self.dirty = dirty
            self.dirtyChanged.emit(dirty)

    def setting(self, key: str, default: Any = None) -> Any:
        if self.project is None:
            return default
        return self.project.settings.get(key, default)

    def set_setting(self, key: str, value: Any, *, mark_dirty: bool = True) -> None:
        """Store a JSON value in the project's settings (saved with it); marks unsaved changes."""
        if self.project is None:
            return
        if self.project.settings.get(key) != value:
            self.project.settings[key] = value
            if mark_dirty:
                self.set_dirty(True)

    @property
    def has_patrols(self) -> bool:
        return self.project is not None and self.project.patrols is not None and len(self.project.patrols) > 0

    def set_patrols(self, pings) -> None:
        """The project's patrol pings (the importer's frame; saved with the project)."""
        if self.project is None:
            return
        self.project.patrols = pings
        self.results.pop("patrols", None)
        self.set_dirty(True)
        self.patrolsChanged.emit()
        self.resultReady.emit("patrols")

    @property
    def has_patrol_logs(self) -> bool:
        return self.project is not None and self.project.patrol_logs is not None and len(self.project.patrol_logs) > 0

    def set_patrol_logs(self, logs) -> None:
        """The project's patrol logs (the reader's frame; saved with the project)."""
        if self.project is None:
            return
        self.project.patrol_logs = logs
        self.results.pop("patrols", None)
        self.set_dirty(True)
        self.patrolsChanged.emit()
        self.resultReady.emit("patrols")

    # ------------------------------------------------------------------ filters
    def set_filters(self, filters: "Filters") -> None:
        if filters == self.filters:
            return
        self.filters = filters
        self.set_setting("filters", filters_to_settings(filters))
        self.filtersChanged.emit()

    # ------------------------------------------------------------------ results and selection
    def set_result(self, kind: str, value: Any) -> None:
        self.results[kind] = value
        self.resultReady.emit(kind)

    def result(self, kind: str) -> Any:
        return self.results.get(kind)

    def clear_result(self, kind: str) -> None:
        if self.results.pop(kind, None) is not None:
            self.resultReady.emit(kind)

    def select_hotspot(self, rank: Optional[int]) -> None:
        if rank != self.selected_hotspot:
            self.selected_hotspot = rank
            self.selectionChanged.emit()

    def select_street(self, street: Optional[tuple[str, str]]) -> None:
        if street != self.selected_street:
            self.selected_street = street
            self.selectionChanged.emit()

    def hotspot(self, rank: int):
        run = self.results.get("hotspots")
        if run is None or run.areas is None:
            return None
        for h in run.areas.hotspots:
            if h.rank == rank:
                return h
        return None
