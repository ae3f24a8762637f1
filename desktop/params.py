"""Panel parameters and their defaults, importable before the analysis stack is loaded.

The defaults are those of the ``beatwise`` command (tests/desktop/test_params.py checks that
they stay equal), so the app and a batch briefing give the same map for the same data.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Optional, Union

# = analysis.hotspots.kde.KERNELS, analysis.hotspots.areas.DEFAULT_TOP_PERCENT,
#   analysis.hotspots.gistar.DEFAULT_GI_CELL_M,
#   analysis.commands.shifts defaults (8-hour shifts, at most 3 start times, no minimum)
KERNELS = ("quartic", "epanechnikov", "triangular", "uniform", "gaussian")
DEFAULT_TOP_PERCENT = 5.0
DEFAULT_GI_CELL_M = 100.0
# = analysis.hotspots.surface.MODES, analysis.hotspots.adaptive.DEFAULT_K,
#   analysis.hotspots.areas.DEFAULT_MAX_HOTSPOT_KM2
BANDWIDTH_MODES = ("auto", "adaptive", "fixed")
DEFAULT_ADAPTIVE_K = 30
DEFAULT_MAX_HOTSPOT_KM2 = 1.0


@dataclass(frozen=True)
class HotspotParams:
    """Parameters of the hotspot panel (the options of ``beatwise hotspots``)."""

    # None: automatic, from the bandwidths used (analysis.hotspots.grid.cell_for_bandwidths)
    cell_m: Optional[float] = None
    bandwidth_m: Union[float, str] = "auto"  # metres, "auto" (ArcGIS rule / adaptive from k) or "silverman"
    kernel: str = "quartic"
    top_percent: float = DEFAULT_TOP_PERCENT
    gi_star: bool = True
    gi_cell_m: float = DEFAULT_GI_CELL_M
    # None: from the data (analysis.hotspots.gistar.data_gi_distance_m), at least two Gi* cells
    gi_distance_m: Optional[float] = None
    fdr: bool = True
    # None: the cells within reach of the incidents (analysis.hotspots.study_area.study_area_for)
    study_area_path: Optional[str] = None
    # --kernel-bandwidth auto|adaptive|fixed (analysis.hotspots.surface.choose_bandwidth_mode)
    kernel_bandwidth: str = "auto"
    adaptive_k: int = DEFAULT_ADAPTIVE_K
    # larger hotspot areas are split at their density peaks (0: keep whole areas)
    max_hotspot_km2: float = DEFAULT_MAX_HOTSPOT_KM2
    # --keep-outliers: grid the out-of-area incidents too (they are always reported)
    keep_outliers: bool = False

    #: The fields the density surface depends on (the rest: areas and Gi*).
    DENSITY_FIELDS = ("cell_m", "bandwidth_m", "kernel", "study_area_path", "kernel_bandwidth", "adaptive_k",
                      "keep_outliers")

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def density_key(self) -> tuple:
        """The values of :data:`DENSITY_FIELDS`: equal keys, equal surfaces."""
        return tuple(getattr(self, f) for f in self.DENSITY_FIELDS)

    def to_options(self):
        """The :class:`analysis.hotspots.analysis.HotspotOptions` these controls stand for."""
        from analysis.hotspots.analysis import HotspotOptions

        return HotspotOptions(
            kernel=self.kernel, bandwidth_m=self.bandwidth_m, kernel_bandwidth=self.kernel_bandwidth,
            cell_m=self.cell_m, adaptive_k=self.adaptive_k, top_percent=self.top_percent,
            max_hotspot_km2=self.max_hotspot_km2 or None, gi_star=self.gi_star, gi_cell_m=self.gi_cell_m,
            gi_distance_m=self.gi_distance_m, fdr=self.fdr, study_area_path=self.study_area_path or None,
            keep_outliers=self.keep_outliers)

    @classmethod
    def from_dict(cls, d: Any) -> "HotspotParams":
        if not isinstance(d, dict):
            return cls()
        names = {f.name for f in dataclasses.fields(cls)}
        try:
            return cls(**{k: v for k, v in d.items() if k in names})
        except TypeError:
            return cls()


DEFAULT_SHIFT_HOURS = (8,)
DEFAULT_MAX_STARTS = 3
DEFAULT_SHIFT_TIME_LIMIT_S = 30.0      # = analysis.staffing.timing.DEFAULT_TIME_LIMIT_S
SHIFT_LENGTHS_OFFERED = (6, 8, 9, 10, 12)


@dataclass(frozen=True)
class ShiftParams:
    """Parameters of the shifts panel (the rules of ``beatwise shifts``)."""

    officers: int = 7
    sergeants: int = 0
    shift_hours: tuple[int, ...] = DEFAULT_SHIFT_HOURS
    max_starts: int = DEFAULT_MAX_STARTS
    min_on_duty: int = 0
    per_weekday: bool = False
    time_limit_s: float = DEFAULT_SHIFT_TIME_LIMIT_S

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["shift_hours"] = list(self.shift_hours)
        return d

    @classmethod
    def from_dict(cls, d: Any) -> "ShiftParams":
        if not isinstance(d, dict):
            return cls()
        names = {f.name for f in dataclasses.fields(cls)}
        kw = {k: v for k, v in d.items() if k in names}
        if "shift_hours" in kw:
            kw["shift_hours"] = tuple(int(h) for h in kw["shift_hours"])
        try:
            return cls(**kw)
        except (TypeError, ValueError):
            return cls()
