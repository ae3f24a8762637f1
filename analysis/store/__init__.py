"""Force-wide: a shared PostGIS store of incidents (issue 18; DESIGN.md section 3, ``store``).

:mod:`.address` says what a store INPUT is (a libpq URL or service name with a table) and hides
passwords; :mod:`.connection` opens it (read-only unless writing results) and turns server faults
into plain messages; :mod:`.tables` is the schema (incidents, import log, rejected rows);
:mod:`.load` imports files through the normal path and ``COPY``s them in one transaction;
:mod:`.where` turns :class:`analysis.filters.Filters` into SQL with bound parameters;
:mod:`.read` fetches the filtered incidents as the incidents frame; :mod:`.binning` bins them on
the server (linear-binning weights and Gi* counts per cell, 168 weekday x hour sums), so only
counts cross the network; :mod:`.results` writes results back as tables with QGIS styles.
"""
