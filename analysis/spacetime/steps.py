"""Time steps of a space-time cube: each incident's month, week (Monday first) or day.

Every step between the first and the last incident is kept, empty or not, so a series has no gaps.
Incidents known to the month only (data.police.uk) can be stepped by month only.
"""
from __future__ import annotations

import numpy as np

from analysis.progress import BeatwiseError

STEPS = ("month", "week", "day")


def time_steps(t_start: np.ndarray, precision: np.ndarray, step: str) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """``(keep, step index of the kept incidents, step labels)`` for ``step``.

    ``keep`` leaves out incidents with no time; month-only incidents make ``week``/``day`` a message.
    """
    if step not in STEPS:
        raise BeatwiseError(f"--step must be one of {', '.join(STEPS)}, got {step!r}")
    t = np.asarray(t_start).astype("datetime64[ns]")
    prec = np.asarray(precision).astype(str)
    keep = ~np.isnat(t) & (prec != "none")
    if not keep.any():
        raise BeatwiseError("no incident has a date: emerging hot spots need incidents in time")
    if step != "month" and np.isin(prec[keep], ["month"]).any():
        raise BeatwiseError(f"{int(np.isin(prec[keep], ['month']).sum()):,} incidents are known to the month only "
                            f"(data.police.uk): use --step month, not {step}")
    tk = t[keep]
    if step == "month":
        unit = tk.astype("datetime64[M]")
        lo, hi = unit.min(), unit.max()
        labels = np.arange(lo, hi + 1).astype("datetime64[M]").astype(str)
    elif step == "week":
        days = tk.astype("datetime64[D]").astype(np.int64)
        monday = days - (days + 3) % 7          # 1970-01-01 was a Thursday
        unit = monday
        lo, hi = unit.min(), unit.max()
        labels = ("week of " + np.arange(lo, hi + 1, 7).astype("datetime64[D]").astype(str)).astype(str)
        index = ((unit - lo) // 7).astype(np.int64)
        return keep, index, tuple(labels.tolist())
    else:
        unit = tk.astype("datetime64[D]")
        lo, hi = unit.min(), unit.max()
        labels = np.arange(lo, hi + 1).astype("datetime64[D]").astype(str)
    index = (unit - lo).astype(np.int64)
    return keep, index, tuple(labels.tolist())
