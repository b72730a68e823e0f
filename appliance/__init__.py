"""Appliance side: policy and alerts, reports, CLI and settings (store, API and switches later)."""
__version__ = "0.1.0"          # the one version source (pyproject reads it)
