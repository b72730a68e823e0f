"""The report's JSON Schema, shipped in the package."""
import json
from importlib import resources


def report_schema() -> dict:
    return json.loads(resources.files(__package__).joinpath("voip-report-1.schema.json").read_text())
