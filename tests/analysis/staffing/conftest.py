"""Fixtures shared by the staffing tests."""
from __future__ import annotations

import pytest


@pytest.fixture(params=["enumeration", "levels", "counts"])
def formulation(request, monkeypatch):
    """Run a common-pattern test with each method: exhaustive enumeration (at most 3 start
    times a day), or either MILP form (level binaries / textbook counts)."""
    import analysis.staffing.methods as methods
    import analysis.staffing.search as search
    if request.param != "enumeration":
        monkeypatch.setattr(search, "MAX_GROUPS", 0)
    monkeypatch.setattr(methods, "LEVELS_MAX_OFFICERS", 1000 if request.param == "levels" else 0)
    return request.param
