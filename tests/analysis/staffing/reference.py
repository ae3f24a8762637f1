"""Independent reference implementations for the staffing tests (plain loops, no code shared
with analysis.staffing), and the random demand they are checked on."""
from __future__ import annotations

import numpy as np


def ref_on_duty(day_plans, length_h):
    """day_plans[d] = {start_hour: officers}; shifts run L hours from the start, cyclic week."""
    on = [0] * 168
    for d, plan in enumerate(day_plans):
        for s, n in plan.items():
            for h in range(length_h):
                on[(24 * d + s + h) % 168] += n
    return on


def ref_coverage(demand, on):
    total_d = sum(demand)
    total_on = sum(on)
    k = total_d / total_on
    return sum(min(a, k * b) for a, b in zip(demand, on)) / total_d


def compositions(n, parts):
    """All tuples of `parts` non-negative ints summing to n."""
    if parts == 1:
        yield (n,)
        return
    for first in range(n + 1):
        for rest in compositions(n - first, parts - 1):
            yield (first,) + rest


def random_demand(seed):
    rng = np.random.default_rng(seed)
    hour = np.arange(24)
    shape = 1.0 + 0.8 * np.cos((hour - 21) / 24 * 2 * np.pi)      # evening peak
    week = np.concatenate([shape * (1.0 + 0.6 * (d >= 4)) for d in range(7)])
    return week * rng.gamma(4.0, 0.25, 168)
