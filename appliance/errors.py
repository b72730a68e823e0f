"""Errors of the appliance side that end a command with one clear line."""


class ApplianceError(Exception):
    exit_code = 1


class UsageError(ApplianceError):
    exit_code = 2
