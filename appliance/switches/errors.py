"""Errors of switch control; each ends a command with one clear line."""
from appliance.errors import ApplianceError


class SwitchError(ApplianceError):
    exit_code = 1


class SwitchCommandError(SwitchError):
    """The switch refused a command, or a shell command failed."""


class UnreadableOutput(SwitchCommandError):
    """The switch printed something a driver cannot read as a mirror session: refused rather than
    misread. The message names the platform and quotes the line."""


class SwitchConnectError(SwitchError):
    """SSH failed: unreachable, authentication, host key."""


class NotOurs(SwitchError):
    """A session with our fixed name/number exists but the appliance did not create it (or it changed)."""
    exit_code = 3


class Unsupported(SwitchError):
    exit_code = 2


class CredentialError(SwitchError):
    exit_code = 2
