"""Byte-level decoding of frames into `Packet` views (no scapy on the per-packet path)."""
from collectors.decode.packet import Packet  # noqa: F401
from collectors.decode.decoder import Decoder  # noqa: F401
