"""Synthetic VoIP capture generator for tests.

Generates realistic SIP/SDP signalling and RTP/RTCP or SRTP/SRTCP media with
real codec payloads, framed (Ethernet, VLAN/QinQ, IPv4/IPv6, UDP/TCP,
GRE/ERSPAN) and written as pcap/pcapng in several link types. Everything is
deterministic for a given seed; no third-party capture files are used.

Modules: :mod:`audio` (speech-like PCM), :mod:`codecs` (payloads),
:mod:`payloads` (DTMF, comfort noise), :mod:`rtp`, :mod:`rtcp`, :mod:`srtp`,
:mod:`sdp`, :mod:`sip`, :mod:`frames`, :mod:`mirror`, :mod:`pcapio`,
:mod:`media` and :mod:`capture` (whole calls).
"""

from .audio import speech_like, speech_schedule
from .capture import Call, CallSpec, build_call
from .codecs import CODECS, CodecInfo, CodecUnavailable, encode, encode_packets
from .mirror import gre_erspan_wrap
from .payloads import Payload, comfort_noise, telephone_event
from .pcapio import write_pcap
from .rtp import RtpPacket, RtpStream, impair
from .srtp import SUITES, SrtpUnavailable, master_key_salt, protect_rtcp, protect_rtp, sdes_crypto_line

__all__ = [
    "CODECS", "Call", "CallSpec", "CodecInfo", "CodecUnavailable", "Payload", "RtpPacket",
    "RtpStream", "SUITES", "SrtpUnavailable", "build_call", "comfort_noise", "encode",
    "encode_packets", "gre_erspan_wrap", "impair", "master_key_salt", "protect_rtcp",
    "protect_rtp", "sdes_crypto_line", "speech_like", "speech_schedule", "telephone_event",
    "write_pcap",
]
