"""Packet sources: one-method seams (`packets()`) yielding `Frame`s."""
from collectors.sources.frame import Frame  # noqa: F401
