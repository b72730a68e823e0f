"""Importing captures into the store: the `analyze` pipeline and policy with the store's recorder on
both seams (events and alerts), and the report upserted at the end (`appliance import`)."""
from __future__ import annotations

from appliance.analyze import analyze_files
from appliance.policy import PolicySettings
from appliance.store.engine import Store
from appliance.store.incidents import IncidentSettings
from appliance.store.recorder import Recorder
from collectors.pipeline import PipelineSettings


def import_captures(store: Store, sensor_id: str, paths: list[str], policy_settings: PolicySettings | None = None,
                    pipeline_settings: PipelineSettings | None = None,
                    incident_settings: IncidentSettings | None = None) -> dict:
    """Analyse the captures in order through one pipeline into the store; returns the report. Incidents
    take their times from the packets; the import time is each occurrence's `recorded_at`."""
    recorder = Recorder(store, sensor_id, incident_settings=incident_settings)
    report = analyze_files(paths, policy_settings, pipeline_settings, recorder=recorder)
    recorder.snapshot(report)
    recorder.sensor_stats(sensor_id, sum(c["packets"] for c in report["captures"]), 0)
    return report
