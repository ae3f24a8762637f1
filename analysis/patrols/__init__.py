"""Were we there: patrol presence from GPS pings, visits and dosage at hotspots, the gap to demand.

Modules (DESIGN.md section 1): ``clock`` (UTC instants -> Europe/London hour-of-week slots and
policing days), ``segments`` (pings -> the straight segments a unit is present along), ``presence``
(time per grid cell and per hour of week), ``visits`` (visits and Koper dosage at hotspot polygons),
``logs`` (presence from patrol logs: a unit tasked to an area from a start to an end), ``gap``
(share of demand against share of presence), ``on_duty`` (units reporting per hour) and ``report``
(all of it in one call).
Pure numpy/pandas/shapely: never Qt.
"""
