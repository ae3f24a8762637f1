"""Were we there: patrol presence from GPS pings, visits and dosage at hotspots, the gap to demand.

Modules (DESIGN.md section 1): ``clock`` (UTC instants -> Europe/London hour-of-week slots and
policing days), ``segments`` (pings -> the straight segments a unit is present along), ``presence``
(time per grid cell and per hour of week), ``visits`` (visits and Koper dosage at hotspot polygons),
``gap`` (share of demand against share of presence) and ``on_duty`` (units reporting per hour).
Pure numpy/pandas/shapely: never Qt.
"""
