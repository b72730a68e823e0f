"""`appliance analyze`: captures through the live pipeline, one report out."""
from __future__ import annotations

from contextlib import nullcontext
from dataclasses import replace

from appliance.policy import Policy, PolicySettings
from appliance.report import build_report
from collectors.pipeline import Pipeline, PipelineSettings
from collectors.snapshot import take_snapshot
from collectors.sources.pcapfile import PcapFileSource

PROGRESS_MIN_BYTES = 8 * 1024 * 1024
# Below this much input the per-frame path is quicker overall: numpy's import (~0.08 s of CPU) costs more
# than counting settled streams in bulk saves (~0.5 us a frame: even at about 40 MB of G.711 calls, sooner
# with smaller frames). Classic pcap takes the compiled walk at any size where it was built (no numpy; very
# large input loads it all the same, for the payload classifier: NUMPY_MIN_BYTES).
# Every path gives the same report (tests/collectors/batch).
BATCH_MIN_BYTES = 32 * 1024 * 1024
# From this much input numpy is loaded for the payload classifier (`_numpy_loaded`): its import (~0.08 s of CPU,
# page faults included) cost more than it saved on the 220 MB bench capture (500 streams), and saved ~0.25 s on
# the 2.2 GB one (5,000 streams).
NUMPY_MIN_BYTES = 1024 * 1024 * 1024


def analyze_files(paths: list[str], policy_settings: PolicySettings | None = None,
                  pipeline_settings: PipelineSettings | None = None, progress=None,
                  progress_min_bytes: int = PROGRESS_MIN_BYTES, recorder=None) -> dict:
    """Analyse the captures in order through one pipeline; raises NotACaptureError up front.

    `recorder` (the store's seam: `observe(event)`, `alert(alert, device_class)`, `withdraw(withdrawal)`)
    also receives every collector event, every new or updated alert and every alert withdrawn, as live
    traffic would give them."""
    sources = [PcapFileSource(path) for path in paths]
    pipeline_settings = pipeline_settings or _batched_if_large(sources)
    if pipeline_settings.batch and _large(sources, NUMPY_MIN_BYTES):
        _numpy_loaded()
    if recorder is None:        # no one reads StreamEnded events nor RTCP streams' verdicts (the policy does not):
                                # ~10 us a stream saved
        pipeline_settings = replace(pipeline_settings, ended_stream_events=False, rtcp_verdict_events=False)
    on_alert = None if recorder is None else (lambda alert: recorder.alert(alert, policy.describe(alert.endpoint)))
    policy = Policy(policy_settings, on_alert, None if recorder is None else recorder.withdraw)
    pipeline = Pipeline(_fan_out(recorder, policy), pipeline_settings)
    policy.describe_endpoint = pipeline.endpoints.describe
    captures = [_read(source, pipeline, progress if source.size >= progress_min_bytes else None)
                for source in sources]
    pipeline.finish()
    return build_report(captures, take_snapshot(pipeline), policy.active(), policy.settings)


def _batched_if_large(sources: list[PcapFileSource]) -> PipelineSettings:
    """The batched fast path for large input only."""
    return PipelineSettings(batch=_large(sources, BATCH_MIN_BYTES))


def _large(sources: list[PcapFileSource], least: int) -> bool:
    """At least `least` bytes of input; a stream of unknown size (size 0) may be large."""
    return any(not source.size for source in sources) or sum(source.size for source in sources) >= least


def _numpy_loaded() -> None:
    """Large input: numpy loaded (when installed) for the payload classifier, which folds a deciding stream's
    sampled bytes with it once the process has it (`PayloadClassifier._fold`, `_spread`: the same counts).
    The compiled walk imports none, and without it a Counter over every sampled byte took ~1/6 of the
    instructions of a 10M-frame capture; the import costs less than that from about 500 streams on."""
    from collectors.batch import available
    available()


def _fan_out(recorder, policy: Policy):
    if recorder is None:
        return policy.observe

    def emit(event) -> None:
        recorder.observe(event)
        policy.observe(event)
    return emit


def _ticking(source: PcapFileSource, tick):
    for count, frame in enumerate(source.packets()):
        if not count & 0x3FFF:
            tick(source.position)
        yield frame


def _ticking_walk(source: PcapFileSource, pipeline: Pipeline, tick):
    def consume(buf, pos, layout):
        result = pipeline.feed_records(buf, pos, layout)
        tick(source.position)
        return result
    return consume


def _read(source: PcapFileSource, pipeline: Pipeline, progress) -> dict:
    packets0, bytes0, errors0 = pipeline.packets, pipeline.bytes, pipeline.decode_errors
    bar = progress(source) if progress else nullcontext()
    with bar as tick:
        if source.walkable:
            source.walk(pipeline.feed_records if tick is None else _ticking_walk(source, pipeline, tick))
        else:
            pipeline.feed_many(source.packets() if tick is None else _ticking(source, tick))
    return {"path": source.path, "packets": pipeline.packets - packets0, "bytes": pipeline.bytes - bytes0,
            "decode_errors": pipeline.decode_errors - errors0, "warnings": list(source.warnings)}
