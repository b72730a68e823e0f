"""Packet side of the appliance: sources, byte-level decoding, flows, classifiers and typed events.

Nothing here imports from `appliance` or `api`: the collector's output is the event stream of
`collectors.events` plus the read-only state of `collectors.pipeline.Pipeline`.
"""
