"""How every benchmark reports a figure over its runs: the median, with min-max."""

from __future__ import annotations

import statistics


def spread(values: list[float]) -> dict[str, float]:
    """Median and min-max of one figure over the runs."""
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}
