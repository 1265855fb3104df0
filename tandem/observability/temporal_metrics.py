"""The Temporal SDK's worker metrics (``temporal_*``: polls, task latencies, slots, sticky cache…),
served on the worker's one metrics port beside Tandem's own.

The SDK can run its own Prometheus endpoint (``PrometheusConfig``), but that is a second port per
worker to allocate, open and scrape, and a second exporter whose bucket and naming rules differ
from ours. Instead the SDK's runtime writes into a ``MetricBuffer`` that this collector drains
(on every scrape, and every second in between so the buffer never overflows) into
prometheus_client families on the default registry. Counters keep their totals, gauges their last
value, histograms fixed buckets in seconds.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import REGISTRY, Collector
from temporalio.runtime import (
    BUFFERED_METRIC_KIND_COUNTER,
    BUFFERED_METRIC_KIND_GAUGE,
    MetricBuffer,
    MetricBufferDurationFormat,
)

# Room for the updates of a few busy seconds; drained every second.
BUFFER_SIZE = 50_000
DRAIN_EVERY_SECONDS = 1.0
# The SDK's histograms are latencies: polls, tasks, requests, end-to-end workflow runs.
BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300)

Labels = tuple[tuple[str, str], ...]


@dataclass
class _Histogram:
    counts: list[int] = field(default_factory=lambda: [0] * len(BUCKETS))
    total: float = 0.0
    observations: int = 0

    def observe(self, value: float) -> None:
        for index, bound in enumerate(BUCKETS):
            if value <= bound:
                self.counts[index] += 1
                break
        self.total += value
        self.observations += 1

    def cumulative(self) -> list[tuple[str, float]]:
        running, out = 0, []
        for bound, count in zip(BUCKETS, self.counts, strict=True):
            running += count
            out.append((str(bound), running))
        out.append(("+Inf", self.observations))
        return out


@dataclass
class _Metric:
    kind: int
    description: str
    unit: str | None
    values: dict[Labels, float] = field(default_factory=dict)
    histograms: dict[Labels, _Histogram] = field(default_factory=dict)


class TemporalMetrics(Collector):
    def __init__(self) -> None:
        self.buffer = MetricBuffer(BUFFER_SIZE, duration_format=MetricBufferDurationFormat.SECONDS)
        self._metrics: dict[str, _Metric] = {}
        # Scrapes come on the HTTP server's thread, drains also from the worker's event loop.
        self._lock = threading.Lock()

    def drain(self, wait: bool = True) -> None:
        """Fold the buffered updates in. ``wait=False`` (from the event loop) gives up at once
        when a scrape holds the lock: that scrape drains, and the loop must not stall."""
        if not self._lock.acquire(blocking=wait):
            return
        try:
            self._fold()
        finally:
            self._lock.release()

    def _fold(self) -> None:
        for update in self.buffer.retrieve_updates():
            metric = update.metric
            known = self._metrics.get(metric.name)
            if known is None:
                known = _Metric(metric.kind, metric.description or metric.name, metric.unit)
                self._metrics[metric.name] = known
            labels = tuple(sorted((k, str(v)) for k, v in update.attributes.items()))
            if metric.kind == BUFFERED_METRIC_KIND_COUNTER:
                known.values[labels] = known.values.get(labels, 0) + update.value
            elif metric.kind == BUFFERED_METRIC_KIND_GAUGE:
                known.values[labels] = update.value
            else:
                known.histograms.setdefault(labels, _Histogram()).observe(update.value)

    async def drain_until(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            self.drain(wait=False)
            try:
                await asyncio.wait_for(stop.wait(), DRAIN_EVERY_SECONDS)
            except TimeoutError:
                pass

    def describe(self) -> list[CounterMetricFamily]:
        # Registering would otherwise collect at once, before any runtime writes the buffer.
        return []

    def collect(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily | HistogramMetricFamily]:
        with self._lock:
            self._fold()
            # Built under the lock, written out after it: formatting them takes the longest.
            families = [
                family
                for name, metric in sorted(self._metrics.items())
                for family in _families(name, metric)
            ]
        yield from families


def _families(
    name: str, metric: _Metric
) -> Iterator[CounterMetricFamily | GaugeMetricFamily | HistogramMetricFamily]:
    label_sets = list(metric.histograms) or list(metric.values)
    # One family per name, as Prometheus requires: a label one update lacks is empty there
    # (which Prometheus reads as absent).
    names = sorted({key for labels in label_sets for key, _ in labels})

    def values(labels: Labels) -> list[str]:
        given = dict(labels)
        return [given.get(key, "") for key in names]

    family: CounterMetricFamily | GaugeMetricFamily | HistogramMetricFamily
    if metric.kind == BUFFERED_METRIC_KIND_COUNTER:
        family = CounterMetricFamily(name, metric.description, labels=names)
        for labels in label_sets:
            family.add_metric(values(labels), metric.values[labels])
    elif metric.kind == BUFFERED_METRIC_KIND_GAUGE:
        family = GaugeMetricFamily(name, metric.description, labels=names)
        for labels in label_sets:
            family.add_metric(values(labels), metric.values[labels])
    else:
        seconds = name if name.endswith("_seconds") or metric.unit != "s" else f"{name}_seconds"
        family = HistogramMetricFamily(seconds, metric.description, labels=names)
        for labels in label_sets:
            histogram = metric.histograms[labels]
            family.add_metric(values(labels), histogram.cumulative(), histogram.total)
    yield family


def forward_temporal_metrics() -> TemporalMetrics:
    """The collector, on the default registry: give its ``buffer`` to the worker's runtime
    (tandem.observability.runtime)."""
    collector = TemporalMetrics()
    REGISTRY.register(collector)
    return collector
