"""The unit every packet source yields (a NamedTuple: cheap to create on the per-packet path)."""
from typing import NamedTuple


class Frame(NamedTuple):
    ts: float          # seconds since the epoch
    linktype: int      # pcap LINKTYPE_* of `data`
    data: bytes        # the captured bytes (possibly shorter than the wire length)
    wirelen: int       # length on the wire
