"""IPv4/IPv6 with extension headers and fragments: several packets through one decoder (its fragment
table), raw-IP link type; the table stays within its bounds."""
from collectors.decode import fragments
from collectors.decode.decoder import Decoder
from tests.fuzz.common import chunks
from tests.fuzz.targets.link import check_packet


def fuzz(data: bytes) -> None:
    decoder = Decoder()
    decoder.fragments.max_pending = 8
    ts = 0.0
    for flag, body in chunks(data):
        ts += (flag >> 4) * 4.0              # up to 60 s between packets: expiry is reached
        check_packet(decoder.decode(ts, 101, body))
        table = decoder.fragments
        assert len(table._pending) <= table.max_pending
        for entry in table._pending.values():
            assert entry.size <= fragments.MAX_HELD_BYTES
