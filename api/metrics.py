"""Prometheus exposition of the store: a custom collector that reads it on every scrape (so several
API processes, or an API beside the collector, report the same numbers and nothing is double
counted), registered in a registry of its own per app (no global state).

Series (all prefixed `appliance_`):
  sensor_packets_total{sensor}, sensor_drops_total{sensor}   counters the sensors report
  sensor_last_seen_timestamp_seconds{sensor}
  streams{kind,verdict}            verdict: encrypted | cleartext | unknown
  alerts{type,state}               every known type and state, zeros included
  alerts_by_severity{severity,state}   the same alerts by severity
  webhook_deliveries{state}        pending | delivered | failed
  incidents_opened_total{type,severity}, incidents_reopened_total{type},
  incidents_resolved_total{type,how}, streams_total{kind,verdict}
                                   the store's counters (appliance.store.counters), summed over sensors:
                                   they never drop when retention purges rows; every label value known
                                   up front is there from the first scrape at 0, so `increase()` sees
                                   the first critical incident too
The store has no aggregate queries, so the grouped counts are read here with SQLAlchemy. The process's
own series (build info, deliveries by result, process_*) are in api.service_metrics."""
from __future__ import annotations

import itertools
from collections.abc import Iterator

from prometheus_client import CollectorRegistry
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from api.service_metrics import register_service_metrics
from appliance.alerts import ALERT_TYPES, SEVERITIES
from appliance.store import Store, counters, queries
from appliance.store.columns import to_epoch
from appliance.store.models import ALERT_STATES, DELIVERY_STATES, Alert, Delivery, Stream

VERDICTS = {True: "encrypted", False: "cleartext", None: "unknown"}


class StoreCollector(Collector):
    def __init__(self, store: Store):
        self.store = store

    def describe(self) -> list[Metric]:
        return []                       # nothing to describe up front: registering must not read the store

    def collect(self) -> Iterator[Metric]:
        with self.store.session(readonly=True) as session:
            sensors = queries.list_sensors(session)
            streams = session.execute(select(Stream.kind, Stream.encrypted, func.count())
                                      .group_by(Stream.kind, Stream.encrypted)).all()
            alerts = session.execute(select(Alert.type, Alert.state, func.count())
                                     .group_by(Alert.type, Alert.state)).all()
            severities = session.execute(select(Alert.severity, Alert.state, func.count())
                                         .group_by(Alert.severity, Alert.state)).all()
            deliveries = session.execute(select(Delivery.state, func.count()).group_by(Delivery.state)).all()
            totals = counters.totals(session)
        yield from _sensors(sensors)
        yield _streams(streams)
        yield _alerts(alerts)
        yield _severities(severities)
        yield _deliveries(deliveries)
        yield from _counters(totals)


def _sensors(sensors) -> Iterator[Metric]:
    packets = CounterMetricFamily("appliance_sensor_packets", "Packets a sensor has captured", labels=["sensor"])
    drops = CounterMetricFamily("appliance_sensor_drops", "Packets the kernel dropped before a sensor saw them",
                                labels=["sensor"])
    seen = GaugeMetricFamily("appliance_sensor_last_seen_timestamp_seconds", "When a sensor last reported",
                             labels=["sensor"])
    for sensor in sensors:
        packets.add_metric([sensor.id], sensor.packets)
        drops.add_metric([sensor.id], sensor.drops)
        seen.add_metric([sensor.id], to_epoch(sensor.last_seen))
    return iter((packets, drops, seen))


def _streams(rows) -> Metric:
    return _counted("appliance_streams", "Media streams in the store by verdict", ["kind", "verdict"],
                    [(kind, verdict) for kind in ("rtcp", "rtp") for verdict in ("cleartext", "encrypted")],
                    ((kind, VERDICTS[encrypted], count) for kind, encrypted, count in rows))


def _alerts(rows) -> Metric:
    return _counted("appliance_alerts", "Alerts in the store by type and state", ["type", "state"],
                    [(kind, state) for kind in ALERT_TYPES for state in ALERT_STATES], rows)


def _severities(rows) -> Metric:
    return _counted("appliance_alerts_by_severity", "Alerts in the store by severity and state",
                    ["severity", "state"], [(severity, state) for severity in SEVERITIES for state in ALERT_STATES],
                    rows)


def _counted(name: str, documentation: str, labels: list[str], known: list[tuple], rows) -> Metric:
    """A gauge of row counts per label tuple: every known tuple exported (0 when none), rows added."""
    family = GaugeMetricFamily(name, documentation, labels=labels)
    counts = dict.fromkeys(known, 0)
    for *key, count in rows:
        counts[tuple(key)] = counts.get(tuple(key), 0) + count
    for key, count in sorted(counts.items()):
        family.add_metric(list(key), count)
    return family


def _deliveries(rows) -> Metric:
    family = GaugeMetricFamily("appliance_webhook_deliveries", "Webhook deliveries in the outbox by state",
                               labels=["state"])
    counts = dict.fromkeys(DELIVERY_STATES, 0) | {state: count for state, count in rows}
    for state, count in counts.items():
        family.add_metric([state], count)
    return family


# name in the store -> (exported family, help, labels with every value known up front)
COUNTERS = (
    (counters.INCIDENTS_OPENED, "appliance_incidents_opened", "Incidents opened, by type and severity at opening",
     {"type": ALERT_TYPES, "severity": SEVERITIES}),
    (counters.INCIDENTS_REOPENED, "appliance_incidents_reopened", "Resolved incidents that fired again, by type",
     {"type": ALERT_TYPES}),
    (counters.INCIDENTS_RESOLVED, "appliance_incidents_resolved", "Incidents resolved, by type and how",
     {"type": ALERT_TYPES, "how": ("manual", "auto", "withdrawn")}),
    (counters.STREAMS, "appliance_streams", "Media streams decided, by kind and first verdict",
     {"kind": ("rtp", "rtcp"), "verdict": tuple(counters.VERDICTS.values())}),
)


def _counters(totals: dict) -> Iterator[Metric]:
    for name, family_name, help_text, known in COUNTERS:
        labels = list(known)
        counts = dict.fromkeys(itertools.product(*known.values()), 0)
        for stored, value in totals.get(name, []):
            key = tuple(stored.get(label, "") for label in labels)      # summed over sensors
            counts[key] = counts.get(key, 0) + value
        family = CounterMetricFamily(family_name, help_text, labels=labels)
        for key, count in sorted(counts.items()):
            family.add_metric(list(key), count)
        yield family


def registry_for(store: Store) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(StoreCollector(store))
    register_service_metrics(registry)
    return registry
