"""Timing comparisons that hold on a loaded machine: two requests measured in interleaved
pairs (the order inside each pair alternates, so drift and background work fall on both
sides alike), after a warm-up, with the same share of extreme values dropped from each side,
then compared by their medians and by a Mann-Whitney U test.

Mann-Whitney U (Mann & Whitney 1947) with the normal approximation, corrected for ties and
for continuity: for n1, n2 >= 20 the approximation is close (scipy.stats.mannwhitneyu's
`method="asymptotic"` computes the same), so scipy is not needed for one test.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass


def mann_whitney_u(a: list[float], b: list[float]) -> tuple[float, float]:
    """(U of `a`, two-sided p-value) by the normal approximation."""
    n1, n2 = len(a), len(b)
    pooled = sorted([(v, 0) for v in a] + [(v, 1) for v in b])
    ranks = [0.0] * len(pooled)
    ties = 0.0
    i = 0
    while i < len(pooled):
        j = i
        while j + 1 < len(pooled) and pooled[j + 1][0] == pooled[i][0]:
            j += 1
        for k in range(i, j + 1):
            ranks[k] = (i + j) / 2 + 1  # average rank of a run of ties
        t = j - i + 1
        ties += t ** 3 - t
        i = j + 1
    rank_sum_a = sum(r for r, (_, group) in zip(ranks, pooled, strict=True) if group == 0)
    u = rank_sum_a - n1 * (n1 + 1) / 2
    mean = n1 * n2 / 2
    n = n1 + n2
    variance = n1 * n2 / 12 * ((n + 1) - ties / (n * (n - 1)))
    if variance == 0:
        return u, 1.0
    z = (abs(u - mean) - 0.5) / math.sqrt(variance)
    return u, math.erfc(max(z, 0.0) / math.sqrt(2))


def trimmed(samples: list[float], share: float) -> list[float]:
    """Without the `share` lowest and the `share` highest values."""
    cut = int(len(samples) * share)
    ordered = sorted(samples)
    return ordered[cut:len(ordered) - cut] if cut else ordered


@dataclass(frozen=True, repr=False)
class Comparison:
    first: list[float]  # seconds, trimmed
    second: list[float]
    median_gap_ms: float
    p_value: float

    def indistinguishable(self, max_gap_ms: float = 0.3, alpha: float = 0.05) -> bool:
        return abs(self.median_gap_ms) < max_gap_ms or self.p_value > alpha

    def __repr__(self) -> str:
        return (f"median {statistics.median(self.first) * 1000:.3f} ms vs "
                f"{statistics.median(self.second) * 1000:.3f} ms "
                f"(gap {self.median_gap_ms:+.3f} ms), Mann-Whitney p = {self.p_value:.3g}, "
                f"n = {len(self.first)}/{len(self.second)}")


def compare_interleaved(first: Callable[[], object], second: Callable[[], object],
                        pairs: int = 200, warmup: int = 20, trim: float = 0.05) -> Comparison:
    """Time `pairs` calls of each, interleaved (first-second, then second-first, ...)."""
    for _ in range(warmup):
        first()
        second()
    times: tuple[list[float], list[float]] = ([], [])
    calls = (first, second)
    for i in range(pairs):
        order = (0, 1) if i % 2 == 0 else (1, 0)
        for which in order:
            started = time.perf_counter()
            calls[which]()
            times[which].append(time.perf_counter() - started)
    a, b = trimmed(times[0], trim), trimmed(times[1], trim)
    gap = (statistics.median(a) - statistics.median(b)) * 1000
    return Comparison(a, b, gap, mann_whitney_u(a, b)[1])


def assert_same_time(first: Callable[[], object], second: Callable[[], object],
                     pairs: int = 200, attempts: int = 2,
                     measure: Callable[..., Comparison] = compare_interleaved) -> Comparison:
    """Fail when `attempts` measurements in a row tell the two apart in the same direction.

    At p > 0.05 one measurement of two identical requests still fails one time in twenty
    when the machine's noise exceeds the 0.3 ms margin (PostgreSQL commits on a loaded
    machine); a second measurement brings that to one in four hundred, while a real gap
    (the 1.48 ms of issue 10 gave p < 1e-9) fails both. A leak makes one side slower every
    time, so two significant gaps of opposite signs are noise (CI saw -2.6 ms then +2.0 ms):
    the streak starts again, up to two measurements more, after which the test fails all
    the same."""
    seen: list[Comparison] = []
    streak: list[Comparison] = []
    for _ in range(attempts + 2):
        comparison = measure(first, second, pairs)
        print(comparison)
        if comparison.indistinguishable():
            return comparison
        seen.append(comparison)
        if streak and (streak[-1].median_gap_ms > 0) != (comparison.median_gap_ms > 0):
            streak = []
        streak.append(comparison)
        if len(streak) == attempts:
            break
    raise AssertionError("told apart in every measurement: " + "; ".join(map(repr, seen)))
