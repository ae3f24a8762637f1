"""Panel parameters and their defaults, importable before the analysis stack is loaded.

The defaults are those of the ``beatwise`` command (tests/desktop/test_params.py checks that
they stay equal), so the app and a batch briefing give the same map for the same data.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Optional, Union

# = analysis.kde.KERNELS, analysis.commands.hotspots.DEFAULT_TOP_PERCENT / DEFAULT_GI_CELL_M
KERNELS = ("quartic", "epanechnikov", "triangular", "uniform", "gaussian")
DEFAULT_TOP_PERCENT = 5.0
DEFAULT_GI_CELL_M = 100.0
DEFAULT_GI_DISTANCE_M = 250.0


@dataclass(frozen=True)
class HotspotParams:
    """Parameters of the hotspot panel (the options of ``beatwise hotspots``)."""

    cell_m: Optional[float] = None           # None: automatic (shorter side / 250, rounded)
    bandwidth_m: Union[float, str] = "auto"  # metres, "auto" (ArcGIS rule) or "silverman"
    kernel: str = "quartic"
    top_percent: float = DEFAULT_TOP_PERCENT
    gi_star: bool = True
    gi_cell_m: float = DEFAULT_GI_CELL_M
    # The CLI's default is the kernel bandwidth; the app defaults to 250 m so that Gi* on the
    # default 100 m cells has neighbours (with the demo's ~94 m bandwidth it would have none).
    gi_distance_m: Optional[float] = DEFAULT_GI_DISTANCE_M  # None: the kernel bandwidth
    fdr: bool = True

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: Any) -> "HotspotParams":
        if not isinstance(d, dict):
            return cls()
        names = {f.name for f in dataclasses.fields(cls)}
        try:
            return cls(**{k: v for k, v in d.items() if k in names})
        except TypeError:
            return cls()
