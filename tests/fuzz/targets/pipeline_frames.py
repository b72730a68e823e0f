"""The whole pipeline fed arbitrary frames of every link type, with small flow limits so eviction,
expiry and the finished-stream cap are reached; the flow tables stay within their bounds."""
from collectors.pipeline import Pipeline, PipelineSettings
from tests.fuzz.common import chunks

LINKTYPES = (1, 1, 1, 1, 113, 276, 101, 0)
SETTINGS = PipelineSettings(idle_timeout=60.0, max_flows=32, max_finished=16)


def drive(items) -> Pipeline:
    """items: (ts, linktype, frame)."""
    pipeline = Pipeline(lambda event: None, SETTINGS)
    for ts, linktype, frame in items:
        pipeline.feed(ts, linktype, frame)
        assert len(pipeline.udp.flows) <= SETTINGS.max_flows and len(pipeline.tcp.flows) <= SETTINGS.max_flows
    pipeline.finish()
    pipeline.media_flows()
    assert len(pipeline.finished) <= SETTINGS.max_finished + 1
    assert pipeline.decode_errors >= 0
    return pipeline


def fuzz(data: bytes) -> None:
    ts, items = 1.7e9, []
    for flag, body in chunks(data):
        ts += ((flag >> 3) ** 2) * 0.1
        items.append((ts, LINKTYPES[flag & 7], body))
    drive(items)
