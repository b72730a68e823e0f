"""Importing captures into the store: the `analyze` pipeline and policy, with a recorder on both
seams (events and alerts), and the report upserted at the end (`appliance import`)."""
from __future__ import annotations

from appliance.policy import Policy, PolicySettings
from appliance.report import build_report
from appliance.store.engine import Store
from appliance.store.recorder import Recorder
from collectors.pipeline import Pipeline, PipelineSettings
from collectors.snapshot import take_snapshot
from collectors.sources.pcapfile import PcapFileSource


def import_captures(store: Store, sensor_id: str, paths: list[str], policy_settings: PolicySettings | None = None,
                    pipeline_settings: PipelineSettings | None = None) -> dict:
    """Analyse the captures in order through one pipeline into the store; returns the report."""
    sources = [PcapFileSource(path) for path in paths]        # NotACaptureError before anything is stored
    recorder = Recorder(store, sensor_id)
    policy = Policy(policy_settings, on_alert=lambda alert: recorder.alert(alert, policy.describe(alert.endpoint)))

    def emit(event) -> None:
        recorder.observe(event)
        policy.observe(event)

    pipeline = Pipeline(emit, pipeline_settings)
    policy.describe = lambda ip: pipeline.endpoints.describe(ip)["device_class"]
    captures = [_read(source, pipeline) for source in sources]
    pipeline.finish()
    report = build_report(captures, take_snapshot(pipeline), policy.active())
    recorder.snapshot(report)
    recorder.sensor_stats(sensor_id, sum(c["packets"] for c in captures), 0)
    return report


def _read(source: PcapFileSource, pipeline: Pipeline) -> dict:
    packets, octets, errors = pipeline.packets, pipeline.bytes, pipeline.decode_errors
    if source.walkable:
        source.walk(pipeline.feed_records)
    else:
        pipeline.feed_many(source.packets())
    return {"path": source.path, "packets": pipeline.packets - packets, "bytes": pipeline.bytes - octets,
            "decode_errors": pipeline.decode_errors - errors, "warnings": list(source.warnings)}
