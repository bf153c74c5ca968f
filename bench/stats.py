"""Timing discipline: warm-up runs, interleaved rounds, medians and quartiles."""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Timing:
    """Seconds per sample of one variant."""

    samples: tuple[float, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def quartiles(self) -> tuple[float, float]:
        if len(self.samples) < 2:
            return self.median, self.median
        q1, _, q3 = statistics.quantiles(self.samples, n=4, method="inclusive")
        return q1, q3


def interleaved(
    variants: Mapping[str, Callable[[], object]], *, rounds: int, warmup: int
) -> dict[str, Timing]:
    """Each round runs every variant once, the order rotating, so drift hits all alike.

    Warm-up runs (imports, caches, first connections) are not recorded; a collection runs
    before every sample so one variant's garbage is not paid by the next.
    """
    names = list(variants)
    for _ in range(warmup):
        for name in names:
            variants[name]()
    samples: dict[str, list[float]] = {name: [] for name in names}
    for round_ in range(rounds):
        shift = round_ % len(names)
        for name in names[shift:] + names[:shift]:
            gc.collect()
            start = time.perf_counter()
            variants[name]()
            samples[name].append(time.perf_counter() - start)
    return {name: Timing(tuple(values)) for name, values in samples.items()}


def seconds(value: float) -> str:
    """A duration people read at a glance: 850 µs, 47.2 ms, 1.84 s, 95 s."""
    if value < 1e-3:
        return f"{value * 1e6:.0f} µs"
    if value < 0.1:
        return f"{value * 1e3:.1f} ms"
    if value < 1:
        return f"{value * 1e3:.0f} ms"
    return f"{value:.2f} s" if value < 10 else f"{value:.0f} s"


def spread(timing: Timing) -> str:
    """The median with its interquartile range."""
    q1, q3 = timing.quartiles
    return f"{seconds(timing.median)} ({seconds(q1)}-{seconds(q3)})"


def size(value: float) -> str:
    if abs(value) < 1024:
        return f"{value:.0f} B"
    if abs(value) < 1024 * 1024:
        return f"{value / 1024:.1f} KB"
    return f"{value / 1024 / 1024:.1f} MB"


def ratio(value: float, baseline: float) -> float | None:
    return value / baseline if baseline > 0 else None
