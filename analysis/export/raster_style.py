"""QGIS styles for the rasters Beatwise writes: a ``NAME.qml`` beside every ``NAME.tif``.

QGIS opens a float GeoTIFF with no style as a grey min-max stretch, so a density raster that is
mostly zeros covers every other layer as a black rectangle (../shared/PLATFORM.md). QGIS loads a
``.qml`` of the same name automatically; ours holds a ``singlebandpseudocolor`` renderer with an
interpolated colour ramp whose first stop (0) is fully transparent.

The density ramp is ColorBrewer's YlOrRd (Brewer & Harrower, colorbrewer2.org; the same ramp as
the PNG and PDF maps, :func:`analysis.export.mapfig.density_cmap`) placed at
``value = vmax * p ** (1 / gamma)`` for ramp positions ``p``, so that QGIS' linear interpolation
between stops follows the maps' power-law scaling (``gamma = 0.5``: colour at ``(v / vmax) ** 0.5``).
Values under :data:`FLOOR_SHARE` of the peak are transparent, as on the maps.
"""
from __future__ import annotations

import os
from html import escape as _xml
from pathlib import Path
from typing import Sequence, Union

QGIS_VERSION = "3.22.0-Bialowieza"

#: ColorBrewer YlOrRd, 9 classes (the light end first).
YLORRD = ("#ffffcc", "#ffeda0", "#fed976", "#feb24c", "#fd8d3c", "#fc4e2a", "#e31a1c", "#bd0026", "#800026")
#: ColorBrewer Blues, 9 classes (patrol presence: darker = more minutes).
BLUES = ("#f7fbff", "#deebf7", "#c6dbef", "#9ecae1", "#6baed6", "#4292c6", "#2171b5", "#08519c", "#08306b")
#: Share of the peak below which density is drawn transparent (as the maps' DENSITY_FLOOR).
FLOOR_SHARE = 0.02
#: Power-law scaling of the maps (analysis.export.mapfig.DENSITY_GAMMA).
GAMMA = 0.5


def _stop(value: float, colour: str, alpha: int, label: str) -> str:
    return (f'<item alpha="{int(alpha)}" value="{value:.9g}" label="{_xml(label)}" '
            f'color="{_xml(colour)}"/>')


def _number(v: float) -> str:
    return f"{v:,.0f}" if abs(v) >= 10 else f"{v:.3g}"


def pseudocolour_qml(stops: Sequence[tuple[float, str, int, str]], *, opacity: float = 0.85,
                     description: str = "") -> str:
    """A QGIS raster style: band 1 through an interpolated colour ramp.

    Parameters
    ----------
    stops : sequence of (value, "#rrggbb", alpha 0-255, label)
        In increasing value; QGIS interpolates colour and alpha between them.
    opacity : float
        Layer opacity (0-1).
    description : str
        Shown as the layer's abstract in QGIS (the band's meaning and units).
    """
    values = [s[0] for s in stops]
    if len(stops) < 2 or any(b <= a for a, b in zip(values, values[1:])):
        raise ValueError(f"colour ramp stops must be at least two, in increasing value: {values}")
    items = "".join(_stop(*s) for s in stops)
    return ("<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
            f'<qgis version="{QGIS_VERSION}" styleCategories="AllStyleCategories">\n'
            f"  <layerMetadata><abstract>{_xml(description)}</abstract></layerMetadata>\n"
            "  <pipe>\n"
            f'    <rasterrenderer type="singlebandpseudocolor" band="1" opacity="{opacity:g}" '
            f'alphaBand="-1" classificationMin="{values[0]:.9g}" classificationMax="{values[-1]:.9g}">\n'
            "      <rastershader>\n"
            f'        <colorrampshader colorRampType="INTERPOLATED" classificationMode="1" clip="0" '
            f'minimumValue="{values[0]:.9g}" maximumValue="{values[-1]:.9g}">\n'
            f"          {items}\n"
            "        </colorrampshader>\n"
            "      </rastershader>\n"
            "    </rasterrenderer>\n"
            '    <brightnesscontrast brightness="0" contrast="0"/>\n'
            "  </pipe>\n"
            "  <blendMode>0</blendMode>\n"
            "</qgis>\n")


def ramp_qml(vmax: float, colours: Sequence[str], *, units: str, zero_label: str, gamma: float = GAMMA,
             floor_share: float = FLOOR_SHARE, description: str = "") -> str:
    """A ramp from 0 (transparent) to ``vmax`` through ``colours`` with power-law spacing.

    The stops are at ``vmax * p ** (1 / gamma)`` for ``p`` evenly over (0, 1]; below
    ``floor_share * vmax`` the raster is transparent. ``vmax`` <= 0 (an empty raster) gives a ramp
    to 1 so the file is still valid.
    """
    vmax = float(vmax) if vmax and vmax > 0 else 1.0
    n = len(colours)
    stops = [(0.0, colours[0], 0, zero_label)]
    floor = floor_share * vmax
    for i, colour in enumerate(colours):
        p = (i + 1) / n
        value = max(vmax * p ** (1.0 / gamma), floor * (1 + 1e-6) if i == 0 else 0.0)
        if value <= stops[-1][0]:
            continue
        stops.append((value, colour, 255, f"{_number(value)} {units}"))
    if floor > 0 and len(stops) > 1 and stops[1][0] > floor:
        # transparent up to the floor, then the first colour
        stops.insert(1, (floor, colours[0], 0, f"under {_number(floor)} {units}"))
    return pseudocolour_qml(stops, description=description)


def density_qml(vmax: float, units: str = "incidents per km^2") -> str:
    """The style of a density raster: YlOrRd as on the maps, zero transparent."""
    return ramp_qml(vmax, YLORRD, units=units.replace("km^2", "km²"), zero_label="no density",
                    description=f"Kernel density, {units.replace('km^2', 'km²')} (Beatwise)")


def presence_qml(vmax_min: float) -> str:
    """The style of a patrol-presence raster (minutes per cell): Blues, zero transparent."""
    return ramp_qml(vmax_min, BLUES[2:], units="min", zero_label="no presence", gamma=1.0, floor_share=0.0,
                    description="Observed patrol presence, minutes per cell (Beatwise)")


def qml_path(tif: Union[str, os.PathLike]) -> Path:
    """``NAME.qml`` beside ``NAME.tif`` (QGIS loads it with the raster)."""
    return Path(tif).with_suffix(".qml")


def write_qml(tif: Union[str, os.PathLike], qml: str) -> Path:
    """Write ``qml`` atomically as the sidecar style of ``tif``; returns its path."""
    from analysis.atomic import atomic_write

    path = qml_path(tif)
    with atomic_write(path) as tmp:
        Path(tmp).write_text(qml, encoding="utf-8")
    return path
