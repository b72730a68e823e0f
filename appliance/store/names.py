"""Enumerations of the store that the CLI validates and prints before any table is loaded."""
WEBHOOK_FORMATS = ("generic", "slack", "teams", "alertmanager", "syslog", "cef", "hep")
ROLES = ("viewer", "operator", "admin")
