"""Errors of the packet side."""


class CollectorError(Exception):
    """Base class for collector errors that end a run with a clear message."""


class NotACaptureError(CollectorError):
    """The file is missing, unreadable, or not a pcap/pcapng capture."""
    exit_code = 2


class Malformed(ValueError):
    """Input that can never parse (as opposed to input that is merely incomplete)."""


class Incomplete(ValueError):
    """Input that stops before its structure does: wait for more bytes."""
