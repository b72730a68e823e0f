"""SDP parsing: media lines, connection precedence, crypto/fingerprint/zrtp, rtcp, direction."""
from collectors.sip.sdp import parse_sdp

OFFER = b"""v=0
o=- 20518 0 IN IP4 203.0.113.1
s=-
c=IN IP4 203.0.113.1
a=fingerprint:sha-256 AB:CD
t=0 0
m=audio 54400 RTP/SAVPF 111 0 101
c=IN IP4 198.51.100.7
a=rtpmap:111 opus/48000/2
a=rtpmap:101 telephone-event/8000
a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:d0RmdmcmVCspeEc3QGZiNWpVLFJhQX1cfHAwJSoj|2^20|1:32
a=rtcp:54401 IN IP4 198.51.100.8
a=rtcp-mux
a=sendonly
a=setup:actpass
m=video 0 RTP/AVP 96
m=image 6000 udptl t38
""".replace(b"\n", b"\r\n")


def test_media_sections_and_attributes():
    sdp = parse_sdp(OFFER)
    audio, video, image = sdp.media
    assert (audio.kind, audio.port, audio.proto, audio.formats) == ("audio", 54400, "RTP/SAVPF", ["111", "0", "101"])
    assert audio.address == "198.51.100.7"          # media-level c= wins
    assert audio.codec_name(111) == "opus" and audio.codec_name(101) == "telephone-event"
    assert [c.suite for c in audio.crypto] == ["AES_CM_128_HMAC_SHA1_80"]
    assert audio.fingerprint == "sha-256"            # inherited from the session level
    assert audio.setup == "actpass" and audio.direction == "sendonly"
    assert (audio.rtcp_port, audio.rtcp_address, audio.rtcp_mux) == (54401, "198.51.100.8", True)
    assert audio.secure_profile and audio.offers_srtp and audio.is_rtp
    assert video.port == 0 and video.address == "203.0.113.1"
    assert not image.is_rtp


def test_keys_never_in_repr():
    audio = parse_sdp(OFFER).media[0]
    assert "inline" not in repr(audio.crypto[0]) and "d0Rmdm" not in repr(audio)


def test_zrtp_hash_and_plain_profile():
    sdp = parse_sdp(b"v=0\r\nc=IN IP4 10.1.1.1\r\nm=audio 4000 RTP/AVP 0 8\r\na=zrtp-hash:1.10 abcd\r\n")
    media = sdp.media[0]
    assert media.zrtp_hash and not media.secure_profile and not media.offers_srtp
    assert media.codec_name(0) is None               # static types need no rtpmap


def test_hostile_sdp_is_bounded():
    lines = b"v=0\r\n" + b"".join(b"m=audio %d RTP/AVP 0\r\n" % (1000 + i) for i in range(5000))
    sdp = parse_sdp(lines)
    assert len(sdp.media) <= 64
    assert parse_sdp(b"m=audio notaport RTP/AVP 0\r\nm=audio 99999 RTP/AVP 0\r\nc=IN\r\n").media == []
