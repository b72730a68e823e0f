"""The keyless payload classifier over a sequence of RTP payloads: each chunk's flag picks the
payload type (and so the codec), its first 4 bytes are the RTP timestamp."""
from collectors.classify.payload import PayloadClassifier
from tests.fuzz.common import chunks

CODECS = {0: "PCMU", 8: "PCMA", 9: "G722", 18: "G729", 13: "CN", 96: "opus", 97: "AMR", 98: "AMR-WB",
          99: "telephone-event", 100: "H264", 101: "VP8", 102: None}
PTS = tuple(CODECS)


def check(verdict) -> None:
    if verdict is not None:
        assert verdict.encrypted in (True, False, None) and 0.0 <= verdict.confidence <= 1.0


def fuzz(data: bytes) -> None:
    classifier = PayloadClassifier(CODECS.get)
    for flag, body in chunks(data, 300):
        ts = int.from_bytes(body[:4], "big")
        check(classifier.feed(body, 4, len(body), PTS[flag % len(PTS)], flag >> 6, ts))
    check(classifier.decide(final=True))
    check(classifier.decide(ended=True))
