"""Is it growing, and does it repeat: the two space-time analyses from an incidents table, once.

``beatwise emerging``, ``beatwise nearrepeat``, the app's "Over time" panel and the briefing's
"Trends and repeats" page all call these, so the sequence exists in one place:

* :func:`emerging_run`: out-of-area incidents set aside (:func:`~analysis.hotspots.outliers.without_outliers`),
  time steps (month for month-only data, else week; :func:`~analysis.spacetime.steps.time_steps`),
  a grid over the incidents (``cell_m``, two cells of margin), the Gi* band from the data
  (:func:`~analysis.hotspots.gistar.data_gi_distance_m`) unless given, the study area
  (:func:`~analysis.hotspots.study_area.study_area_for`), then
  :func:`~analysis.spacetime.emerging.emerging_hot_spots`.
* :func:`knox_run`: each incident's local date (:func:`incident_days`; month-only data is a
  message), then :func:`~analysis.spacetime.near_repeat.knox_test`.

Both raise :class:`~analysis.progress.BeatwiseError` with a message for the user when the data
cannot support the analysis (no incidents, month-only data for the Knox test, too few time steps).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional, Sequence

import numpy as np

from analysis.progress import BeatwiseError, ProgressFn, report, scaled
from analysis.spacetime.emerging import MIN_STEPS, EmergingHotSpots
from analysis.spacetime.near_repeat import (DEFAULT_DISTANCE_BANDS_M, DEFAULT_PERMUTATIONS, DEFAULT_SEED,
                                            DEFAULT_TIME_BANDS_DAYS, KnoxResult)

#: Cell size of the emerging hot spot cube, metres (``beatwise emerging --cell-m``).
DEFAULT_CELL_M = 200.0


@dataclass(frozen=True)
class EmergingRun:
    """An emerging hot spot analysis and what made it.

    Attributes
    ----------
    result : EmergingHotSpots
    step : str
        ``month``, ``week`` or ``day``.
    n_incidents : int
        Incidents in the cube (with a date, in the area).
    n_without_date : int
        Left out: no date.
    distance_rule : str
        How the spatial band was chosen.
    study : StudyArea
    outliers : Outliers
        The out-of-area incidents set aside.
    crs : str
    """

    result: EmergingHotSpots
    step: str
    n_incidents: int
    n_without_date: int
    distance_rule: str
    study: object = field(repr=False)
    outliers: object = field(repr=False)
    crs: Optional[str] = None

    def summary(self) -> dict:
        """JSON-ready: the run's choices and the result's summary (``beatwise emerging --json``)."""
        return {"out_of_area": self.outliers.summary(), "step": self.step, "n_incidents": self.n_incidents,
                "n_without_date": self.n_without_date, "distance_rule": self.distance_rule,
                "study_area": self.study.summary(), **self.result.summary()}


def default_step(precision: np.ndarray) -> str:
    """``month`` when every incident is known to the month only, else ``week``."""
    prec = np.asarray(precision).astype(str)
    return "month" if len(prec) and (prec == "month").all() else "week"


def emerging_run(incidents, *, cell_m: float = DEFAULT_CELL_M, distance_m: Optional[float] = None,
                 step: Optional[str] = None, time_lag: int = 1, rules: str = "arcgis", fdr: bool = True,
                 min_steps: int = MIN_STEPS, study_area_path=None,
                 progress: Optional[ProgressFn] = None) -> EmergingRun:
    """Emerging hot spots of ``incidents`` (after the filters), as ``beatwise emerging`` makes them.

    Parameters
    ----------
    incidents : GeoDataFrame or DataFrame with ``x``, ``y``
        Incidents in the working CRS (metres) with ``t_start`` and ``time_precision``.
    cell_m : float
        Side of a cube cell, metres.
    distance_m : float, optional
        Spatial band, metres; default from the data.
    step : str, optional
        ``month``, ``week`` or ``day``; default :func:`default_step`.
    time_lag, rules, fdr, min_steps
        As :func:`~analysis.spacetime.emerging.emerging_hot_spots`.
    study_area_path : path, optional
        A boundary layer: statistics over its cells only (and it decides what is out of area).

    Raises
    ------
    BeatwiseError
        No incidents, month-only data stepped by week or day, fewer than ``min_steps`` steps.
    """
    from analysis.hotspots.gistar import data_gi_distance_m
    from analysis.hotspots.grid import GridSpec, points_xy
    from analysis.hotspots.outliers import without_outliers
    from analysis.hotspots.study_area import read_study_area, study_area_for
    from analysis.spacetime.emerging import emerging_hot_spots
    from analysis.spacetime.steps import time_steps

    if len(incidents) == 0:
        raise BeatwiseError("no incidents: widen the filters or check the input")
    report(progress, 0.0, "Emerging hot spots: time steps")
    _, crs = points_xy(incidents.iloc[:0])
    boundary = read_study_area(study_area_path, crs) if study_area_path else None
    path = str(study_area_path) if study_area_path else None
    incidents, outliers = without_outliers(incidents, boundary=boundary, source=path)
    prec = incidents["time_precision"].astype(str).to_numpy()
    step = step or default_step(prec)
    keep, index, labels = time_steps(incidents["t_start"].to_numpy(), prec, step)
    xy, _ = points_xy(incidents)
    xy = xy[keep]
    grid = GridSpec.for_points(xy, cell_m=cell_m, margin_m=2 * cell_m, crs=crs)
    if distance_m:
        rule = f"given: {distance_m:g} m (--distance-m)"
    else:
        distance_m, rule = data_gi_distance_m(xy, grid)
    report(progress, 0.05, "Emerging hot spots: the study area")
    study = study_area_for(xy, grid, band_m=distance_m, boundary_path=path)
    ehs = emerging_hot_spots(index, labels, xy, grid, study, distance_m=distance_m, time_lag=time_lag,
                             rules=rules, fdr=fdr, min_steps=min_steps, progress=scaled(progress, 0.1, 1.0))
    return EmergingRun(ehs, step, int(keep.sum()), int((~keep).sum()), rule, study, outliers, crs)


@dataclass(frozen=True)
class KnoxRun:
    """A Knox test and what made it: ``n_without_date`` incidents were left out (no date)."""

    result: KnoxResult
    n_without_date: int
    crs: Optional[str] = None

    def summary(self) -> dict:
        """JSON-ready (``beatwise nearrepeat --json``, without the input and filters)."""
        return {"crs": self.crs, "n_without_date": self.n_without_date, **self.result.summary()}


def incident_days(incidents) -> tuple[np.ndarray, np.ndarray]:
    """``(keep, day numbers)``: incidents with a date (day precision or finer), their local day.

    Raises
    ------
    BeatwiseError
        Every incident is known to the month only (data.police.uk).
    """
    prec = incidents["time_precision"].astype(str).to_numpy()
    if len(prec) and np.isin(prec, ["month"]).all():
        raise BeatwiseError("these incidents have months only (data.police.uk): the near-repeat test needs "
                            "dates. Use force data with dates or times.")
    t = incidents["t_start"].to_numpy().astype("datetime64[ns]")
    keep = ~np.isnat(t) & np.isin(prec, ["day", "minute", "window"])
    return keep, t[keep].astype("datetime64[D]").astype(np.int64)


def knox_run(incidents, *, distance_bands_m: Sequence[float] = DEFAULT_DISTANCE_BANDS_M,
             time_bands_days: Sequence[float] = DEFAULT_TIME_BANDS_DAYS, metric: str = "manhattan",
             permutations: int = DEFAULT_PERMUTATIONS, seed: int = DEFAULT_SEED, crime: str = "incident",
             progress: Optional[ProgressFn] = None) -> KnoxRun:
    """The near-repeat (Knox) test of ``incidents`` (after the filters), as ``beatwise nearrepeat``.

    Parameters are those of :func:`~analysis.spacetime.near_repeat.knox_test`.

    Raises
    ------
    BeatwiseError
        No incidents, month-only data, and the test's own conditions (too few incidents...).
    """
    from analysis.hotspots.grid import points_xy
    from analysis.spacetime.near_repeat import knox_test

    if len(incidents) == 0:
        raise BeatwiseError("no incidents to test: widen the filters or check the input")
    report(progress, 0.0, "Near-repeat: dates")
    keep, days = incident_days(incidents)
    xy, crs = points_xy(incidents)
    knox = knox_test(xy[keep], days, distance_bands_m=distance_bands_m, time_bands_days=time_bands_days,
                     metric=metric, permutations=permutations, seed=seed, crime=crime, progress=progress)
    return KnoxRun(knox, int((~keep).sum()), crs)


def crime_word(crime_types: Sequence[str] = ()) -> str:
    """What the incidents are, for the Knox sentence: the filtered crime types, else ``incident``."""
    return ", ".join(crime_types).lower() if crime_types else "incident"


@dataclass(frozen=True)
class SpacetimeRuns:
    """Both analyses of one set of incidents; where one cannot be made, ``None`` and the reason
    (the :class:`~analysis.progress.BeatwiseError` message, e.g. month-only data, too few steps)."""

    emerging: Optional[EmergingRun]
    emerging_note: str
    knox: Optional[KnoxRun]
    knox_note: str
    permutations: int

    def summary(self) -> dict:
        return {"emerging": self.emerging.summary() if self.emerging else None, "emerging_note": self.emerging_note,
                "knox": self.knox.summary() if self.knox else None, "knox_note": self.knox_note,
                "permutations": self.permutations}


def spacetime_runs(incidents, *, knox_incidents=None, permutations: int = DEFAULT_PERMUTATIONS,
                   seed: int = DEFAULT_SEED, crime: str = "incident", cell_m: float = DEFAULT_CELL_M,
                   study_area_path=None, progress: Optional[ProgressFn] = None) -> SpacetimeRuns:
    """:func:`emerging_run` of ``incidents`` and :func:`knox_run` of ``knox_incidents`` (default the
    same), each with its defaults; a user error in one becomes its note and the other still runs.
    ``Cancelled`` from ``progress`` goes through."""
    emerging, e_note, knox, k_note = None, "", None, ""
    try:
        emerging = emerging_run(incidents, cell_m=cell_m, study_area_path=study_area_path,
                                progress=scaled(progress, 0.0, 0.2))
    except BeatwiseError as exc:
        e_note = str(exc)
    try:
        knox = knox_run(incidents if knox_incidents is None else knox_incidents, permutations=permutations,
                        seed=seed, crime=crime, progress=scaled(progress, 0.2, 1.0))
    except BeatwiseError as exc:
        k_note = str(exc)
    report(progress, 1.0, "Emerging hot spots and near-repeat done")
    return SpacetimeRuns(emerging, e_note, knox, k_note, int(permutations))
