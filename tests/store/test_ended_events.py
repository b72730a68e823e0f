"""A live run's end report keeps only its latest streams and calls; every stream's final state and every
call let go reach the store as they end (StreamEnded, CallEnded), through the live path (sink, backlog,
group commits). The store then holds each stream with the counters the full report would give, each
incident's occurrence lasting to its stream's last packet, and each call with its URIs masked as the
report masks them. On SQLite and PostgreSQL."""
from __future__ import annotations

from sqlalchemy import select

from appliance.collect import Sink
from appliance.policy import Policy, PolicySettings
from appliance.privacy import Privacy
from appliance.store.buffered import BufferedRecorder
from appliance.store.columns import from_epoch
from appliance.store.group import GroupCommit
from appliance.store.models import Call, Occurrence, Stream
from appliance.store.recorder import Recorder
from appliance.store_backlog import StoreBacklog
from bench.calls_day import DayPlan
from collectors.events import CallEnded, StreamEnded
from collectors.pipeline import Pipeline, PipelineSettings
from tests.collectors.test_memory import _run
from tests.store.helpers import Clock

KEEPS = PipelineSettings(max_finished=8, max_ended_calls=4)      # a live report's limits, scaled down


def test_streams_and_calls_the_live_report_lets_go_are_in_the_store(store):
    privacy = Privacy(mask_sip_uris=True, key=b"k" * 32)
    policy = Policy(PolicySettings(privacy=privacy), on_alert=lambda a: sink.alert(a, policy.describe(a.endpoint)))
    sink = Sink(policy, BufferedRecorder(Recorder(GroupCommit(store), "sensor-1", clock=Clock())), "sensor-1",
                backlog=StoreBacklog())
    seen = []

    def emit(event):
        seen.append(event)
        with sink.batch():
            sink.event(event)
        sink.write(0.0)
    pipeline = Pipeline(emit, KEEPS)
    _run(DayPlan(calls_per_wave=3, waves=6, wave_every=30.0), pipeline, gap_after=2 * pipeline.settings.idle_timeout)
    sink.flush()
    ended = {e.stream_id: e for e in seen if isinstance(e, StreamEnded)}
    let_go = {e.call_id: e for e in seen if isinstance(e, CallEnded)}
    assert len(ended) == 4 * 18 and len(pipeline.finished) == 8          # the report kept 8 of 72
    assert len(let_go) == 18 - 4
    with store.session(readonly=True) as session:
        streams = {row.stream_id: row for row in session.scalars(select(Stream))}
        occurrences = list(session.scalars(select(Occurrence)))
        calls = {row.call_id: row for row in session.scalars(select(Call))}
    assert streams.keys() == ended.keys()
    for stream_id, event in ended.items():
        row = streams[stream_id]
        assert (row.packets, row.bytes, row.encrypted, row.codec) == (event.packets, event.bytes, event.encrypted,
                                                                      event.codec)
        assert (row.ssrcs, row.last_seen) == (list(event.ssrcs), from_epoch(event.last_seen))
    media = [o for o in occurrences if o.stream in ended]
    assert media and all(o.last_seen == from_epoch(ended[o.stream].last_seen) for o in media)
    for call_id, event in let_go.items():
        assert calls[call_id].from_uri == privacy.uri(event.from_uri) != event.from_uri
        assert calls[call_id].to_uri == privacy.uri(event.to_uri) != event.to_uri
