"""Metrics of the serving process itself, next to the store's (api.metrics):

  appliance_build_info{version,python}      1, labelled with what is running
  appliance_deliveries_total{format,result} webhook attempts since start: delivered | retry | gave_up
                                            (counted by the dispatcher's process in memory
                                            shared with this one: appliance.notify.results; a counter, so
                                            `increase()` works across retention purges)
  process_* / python_*                      CPU, memory, open files, start time; interpreter, GC"""
from __future__ import annotations

import platform
import time
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, GCCollector, PlatformCollector, ProcessCollector
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from appliance import __version__
from appliance.notify.results import DELIVERY_RESULTS, RESULTS, DeliveryResults


class ServiceCollector(Collector):
    def __init__(self, results: DeliveryResults = DELIVERY_RESULTS):
        self.results = results

    def describe(self) -> list[Metric]:
        return []

    def collect(self) -> Iterator[Metric]:
        info = GaugeMetricFamily("appliance_build_info", "The running appliance's version",
                                 labels=["version", "python"])
        info.add_metric([__version__, platform.python_version()], 1)
        yield info
        deliveries = CounterMetricFamily("appliance_deliveries", "Webhook delivery attempts since start by result",
                                         labels=["format", "result"])
        counts = self.results.snapshot()
        for result in RESULTS:                       # present from the start, so rate() has a baseline
            counts.setdefault(("generic", result), 0)
        for (format, result), count in sorted(counts.items()):
            deliveries.add_metric([format, result], count)
        yield deliveries


class _ProcessCollector(ProcessCollector):
    """process_* also where /proc/stat is hidden (systemd's ProcSubset=pid): the boot time from the clock."""

    def _boot_time(self) -> float:
        try:
            return super()._boot_time()
        except OSError:
            return time.time() - time.clock_gettime(time.CLOCK_BOOTTIME)


def register_service_metrics(registry: CollectorRegistry) -> None:
    registry.register(ServiceCollector())
    _ProcessCollector(registry=registry)
    PlatformCollector(registry=registry)
    GCCollector(registry=registry)
