"""Every SDES suite end to end: a call whose a=crypto keys travel in cleartext SIP, its media really
protected by libsrtp (pylibsrtp) with that suite, analysed; the exposure is proven by decrypting SRTP
and SRTCP with the keys from the SDP. NULL-cipher suites are cleartext media; MKI, key lifetimes and
several a=crypto lines are handled; MIKEY is keying whose keys cannot be read."""
from __future__ import annotations

import struct

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from collectors.media.suites import SUITES
from tests.conftest import alert_pairs, analyze, stream_by_tuple
from tests.synth import CallSpec, build_call

ENCRYPTING = sorted(name for name, s in SUITES.items() if s.encrypts)
NULL = sorted(name for name, s in SUITES.items() if not s.encrypts)


def run(tmp_path, **spec):
    call = build_call(CallSpec(duration=2.0, rtcp_interval=0.4, seed=spec.pop("seed", 7), **spec))
    return call, analyze(call.write(tmp_path / "call.pcap"))


def exposure_texts(report, sender: str) -> list[str]:
    [alert] = [a for a in report["alerts"] if a["type"] == "sdes_keys_exposed" and a["endpoint"] == sender]
    return [e for e in alert["evidence"] if e.startswith("exposure: ")]


@pytest.mark.parametrize("suite", ENCRYPTING)
def test_keys_in_clear_decrypt_srtp_and_srtcp_of_every_suite(tmp_path, suite):
    call, report = run(tmp_path, srtp_suite=suite)
    for media in call.streams:
        stream = stream_by_tuple(report, media.src.ip, media.src_port, media.dst.ip, media.dst_port)
        assert stream["encrypted"] is True and stream["keying"] == "sdes"
        assert stream["assurance"] == "proven", stream["evidence"]
        texts = exposure_texts(report, media.src.ip)
        assert any("decrypted 20/20 SRTP packets" in t and f"({suite})" in t for t in texts), texts
        assert any("SRTCP packets" in t and "decrypted" in t and f"({suite})" in t for t in texts), texts
    assert not [a for a in report["alerts"] if a["type"] in ("cleartext_media", "srtp_downgrade")]


@pytest.mark.parametrize("suite", NULL)
def test_null_cipher_suites_are_cleartext_media(tmp_path, suite):
    call, report = run(tmp_path, srtp_suite=suite)
    for media in call.streams:
        stream = stream_by_tuple(report, media.src.ip, media.src_port, media.dst.ip, media.dst_port)
        assert stream["encrypted"] is False, stream["evidence"]
        assert any("NULL cipher" in e for e in stream["evidence"])
        assert ("cleartext_media", media.src.ip) in alert_pairs(report)


@pytest.mark.parametrize("suite, mki", [("AES_CM_128_HMAC_SHA1_80", (5, 4)), ("AES_256_CM_HMAC_SHA1_32", (1, 1)),
                                        ("AEAD_AES_256_GCM", (300, 2))])
def test_mki_and_key_lifetime(tmp_path, suite, mki):
    call, report = run(tmp_path, srtp_suite=suite, srtp_mki=mki, srtp_lifetime="2^31")
    assert "|2^31|" in call.offer and f"|{mki[0]}:{mki[1]}" in call.offer
    for media in call.streams:
        texts = exposure_texts(report, media.src.ip)
        assert any("decrypted 20/20 SRTP packets" in t for t in texts), texts


def test_wrong_mki_is_not_a_proof(tmp_path):
    """Packets carrying an MKI the SDP did not announce decrypt with no key: no proof claimed."""
    call, report = run(tmp_path, srtp_suite="AES_CM_128_HMAC_SHA1_80", srtp_mki=(5, 4))
    pcap = (tmp_path / "call.pcap").read_bytes()
    mki = (5).to_bytes(4, "big")
    (tmp_path / "other.pcap").write_bytes(pcap.replace(b"|5:4", b"|6:4"))
    report = analyze(tmp_path / "other.pcap")
    for media in call.streams:
        texts = exposure_texts(report, media.src.ip)
        assert texts and not any("decrypted" in t and "could not" not in t for t in texts), texts
    assert mki in pcap


def test_the_crypto_line_the_answer_chose_is_proven(tmp_path):
    """The caller offers AES_256_CM (tag 1) and AES_CM_128_HMAC_SHA1_32 (tag 2); the answer takes tag 2."""
    call, report = run(tmp_path, srtp_suite="AES_CM_128_HMAC_SHA1_32", decoy_suite="AES_256_CM_HMAC_SHA1_80")
    assert "a=crypto:1 AES_256_CM_HMAC_SHA1_80" in call.offer and "a=crypto:2 AES_CM_128" in call.answer
    caller = call.streams[0].src.ip
    assert any("decrypted 20/20 SRTP packets" in t and "(AES_CM_128_HMAC_SHA1_32)" in t
               for t in exposure_texts(report, caller))


def test_aes_256_is_really_aes_256(tmp_path):
    """Independent of libsrtp: RFC 3711 key derivation with AES-256 (RFC 6188) and AES counter mode
    from `cryptography` decrypt the captured payload to the codec bytes sent."""
    call, _ = run(tmp_path, srtp_suite="AES_256_CM_HMAC_SHA1_80")
    stream = call.streams[0]
    key_salt = call.keys["caller"]
    master, salt = key_salt[:32], key_salt[32:]
    srtp = next(f[42:] for _, f in call.frames if f[36:38] == struct.pack("!H", stream.dst_port))
    first = next(p for p in stream.packets if p.seq == struct.unpack("!H", srtp[2:4])[0])
    session_key = _kdf(master, salt, 0x00, 32)
    session_salt = _kdf(master, salt, 0x02, 14)
    ssrc, seq = struct.unpack("!I", srtp[8:12])[0], struct.unpack("!H", srtp[2:4])[0]
    iv = int.from_bytes(session_salt, "big") << 16 ^ ssrc << 64 ^ seq << 16
    plain = _ctr(session_key, iv.to_bytes(16, "big"), srtp[12:-10])
    assert plain == first.data[12:]


def _kdf(master: bytes, salt: bytes, label: int, length: int) -> bytes:
    x = int.from_bytes(salt, "big") ^ (label << 48)
    return _ctr(master, (x << 16).to_bytes(16, "big"), bytes(length))


def _ctr(key: bytes, iv: bytes, data: bytes) -> bytes:
    encryptor = Cipher(algorithms.AES(key), modes.CTR(iv)).encryptor()
    return encryptor.update(data) + encryptor.finalize()


def test_mikey_is_keying_with_invisible_keys(tmp_path):
    call, report = run(tmp_path, srtp_suite="AES_CM_128_HMAC_SHA1_80", key_exchange="mikey")
    assert "a=key-mgmt:mikey" in call.offer and "a=crypto" not in call.offer
    for media in call.streams:
        stream = stream_by_tuple(report, media.src.ip, media.src_port, media.dst.ip, media.dst_port)
        assert stream["encrypted"] is True and stream["keying"] == "unknown"
        assert any("key-mgmt:mikey" in e and "not readable" in e for e in stream["evidence"])
    types = {t for t, _ in alert_pairs(report)}
    assert not types & {"sdes_keys_exposed", "cleartext_media", "srtp_downgrade"}


def test_key_params_with_lifetime_mki_and_several_keys():
    from collectors.media.exposure import master_keys
    one, two = "A" * 40, "B" * 40
    keys = master_keys(f"inline:{one}|2^20|1:4;inline:{two}|2^20|2:4", 30)
    assert [(k.mki, k.mki_len) for k in keys] == [(1, 4), (2, 4)] and keys[0].key_salt != keys[1].key_salt
    assert [k.mki for k in master_keys(f"inline:{one}|2^31 UNENCRYPTED_SRTCP", 30)] == [None]
    assert master_keys(f"inline:{one}|x:4", 30) == [] and master_keys("inline:short", 30) == []


def test_a_suite_libsrtp_lacks_is_said_not_claimed():
    from collectors.media.exposure import ExposureProbe
    from collectors.sip.sdp import Crypto
    probe = ExposureProbe([Crypto("1", "F8_128_HMAC_SHA1_80", "inline:" + "A" * 40)], "INVITE from 10.0.0.1")
    probe.add(bytes(40))
    result = probe.prove()
    assert result.decrypted == 0 and "F8_128_HMAC_SHA1_80 unknown" in result.text("INVITE from 10.0.0.1")
