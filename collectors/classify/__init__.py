"""Encryption-verdict classifiers for media streams: from signaling (SDP) and from the packets."""
