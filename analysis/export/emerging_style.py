"""Emerging hot spot classes: their colours, shared by the map PNG, the QGIS style, the briefing and
the app's map layer (no matplotlib here: the app imports it).

Hot classes in reds and oranges (darkest: new and intensifying), cold ones in blues, after the
palette ArcGIS Pro uses for Emerging Hot Spot Analysis; "no pattern" is not drawn.
"""
from __future__ import annotations

import numpy as np

#: class -> (RGB, label), in legend order.
EMERGING_STYLE = {
    "new hot spot": ((153, 0, 13), "New hot spot"),
    "consecutive hot spot": ((203, 24, 29), "Consecutive hot spot"),
    "intensifying hot spot": ((239, 59, 44), "Intensifying hot spot"),
    "persistent hot spot": ((251, 106, 74), "Persistent hot spot"),
    "diminishing hot spot": ((252, 146, 114), "Diminishing hot spot"),
    "sporadic hot spot": ((252, 187, 161), "Sporadic hot spot"),
    "oscillating hot spot": ((197, 27, 125), "Oscillating hot spot"),
    "historical hot spot": ((191, 129, 45), "Historical hot spot"),
    "new cold spot": ((8, 48, 107), "New cold spot"),
    "consecutive cold spot": ((8, 81, 156), "Consecutive cold spot"),
    "intensifying cold spot": ((33, 113, 181), "Intensifying cold spot"),
    "persistent cold spot": ((66, 146, 198), "Persistent cold spot"),
    "diminishing cold spot": ((107, 174, 214), "Diminishing cold spot"),
    "sporadic cold spot": ((158, 202, 225), "Sporadic cold spot"),
    "oscillating cold spot": ((106, 81, 163), "Oscillating cold spot"),
    "historical cold spot": ((1, 102, 94), "Historical cold spot"),
}

#: The light grey of study-area cells with no pattern.
NO_PATTERN_RGB = (238, 238, 238)


def present_classes(classes: np.ndarray) -> list[tuple[str, tuple[int, int, int], str, int]]:
    """``(class, RGB, label, cells)`` of the classes of :data:`EMERGING_STYLE` found in ``classes``
    (an EmergingHotSpots' ``classes`` grid), in legend order: the legend of a map lists these only."""
    names, counts = np.unique(np.asarray(classes, dtype=object).astype(str), return_counts=True)
    found = dict(zip(names.tolist(), counts.tolist()))
    return [(name, rgb, label, int(found[name])) for name, (rgb, label) in EMERGING_STYLE.items() if name in found]
