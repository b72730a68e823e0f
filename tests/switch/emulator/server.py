"""An SSH server (asyncssh, password auth) on 127.0.0.1 with a free port, run in a background
thread. Each SSH shell gets a fresh dialect object over the one shared SwitchState; the server
echoes what the client types, as a switch's PTY does, and writes the prompt after each line."""
from __future__ import annotations

import asyncio
import threading

import asyncssh

from tests.switch.emulator.state import SwitchState


class Shell(asyncssh.SSHServerSession):
    def __init__(self, emulator: "Emulator"):
        self.emulator, self.chan, self.cli = emulator, None, None
        self.typed, self.after_cr = "", False

    def connection_made(self, chan) -> None:
        self.chan = chan

    def pty_requested(self, term_type, term_size, term_modes) -> bool:
        return True

    def shell_requested(self) -> bool:
        return True

    def session_started(self) -> None:
        self.cli = self.emulator.dialect(self.emulator.state, self.chan.get_extra_info("username"),
                                         self.emulator.secret)
        self.chan.write(crlf(self.cli.greeting) + crlf(self.cli.prompt()))

    def data_received(self, data: str, datatype) -> None:
        out = []
        for char in data:
            out.append(self.key(char))
            if self.cli.closed:
                break
        self.chan.write("".join(out))
        if self.cli.closed:
            self.chan.exit(0)

    def key(self, char: str) -> str:
        """What the terminal shows for one typed character."""
        if char == "\n" and self.after_cr:
            self.after_cr = False
            return ""
        self.after_cr = char == "\r"
        if char in "\r\n":
            line, self.typed = self.typed, ""
            output = self.cli.line(line)
            if self.cli.closed:
                return "\r\n"
            text = output + ("\n" if output and not output.endswith("\n") else "")
            return "\r\n" + crlf(text) + crlf(self.cli.prompt())
        if char in "\x08\x7f":
            erased, self.typed = bool(self.typed), self.typed[:-1]
            return "\b \b" if erased and self.cli.echo else ""
        if char.isprintable():
            self.typed += char
            return char if self.cli.echo else ""
        return ""


class _Server(asyncssh.SSHServer):
    def __init__(self, emulator: "Emulator"):
        self.emulator = emulator

    def begin_auth(self, username: str) -> bool:
        return True

    def password_auth_supported(self) -> bool:
        return True

    def validate_password(self, username: str, password: str) -> bool:
        self.emulator.passwords.append(password)            # what callers sent, for the security tests
        return (username, password) == (self.emulator.username, self.emulator.password)

    def session_requested(self):
        return Shell(self.emulator)


class Emulator:
    """One emulated switch: `start()`, then Netmiko connects with `device()`; `stop()` closes it."""

    def __init__(self, dialect, device_type: str, state: SwitchState | None = None, *,
                 username: str = "admin", password: str = "emulated-pw", secret: str = "enable-pw"):
        self.dialect, self.device_type = dialect, device_type
        self.state = state or SwitchState()
        self.username, self.password, self.secret = username, password, secret
        self.port = 0
        self.passwords: list[str] = []          # every password offered, right or wrong
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name=f"emulator-{device_type}", daemon=True)
        self._acceptor = None

    def start(self) -> "Emulator":
        self._thread.start()
        self._acceptor = asyncio.run_coroutine_threadsafe(self._listen(), self._loop).result(timeout=10)
        self.port = self._acceptor.get_port()
        return self

    async def _listen(self):
        key = asyncssh.generate_private_key("ssh-ed25519")
        return await asyncssh.create_server(lambda: _Server(self), "127.0.0.1", 0, server_host_keys=[key],
                                            line_editor=False, encoding="utf-8")

    def stop(self) -> None:
        async def close():
            self._acceptor.close()
            await self._acceptor.wait_closed()
        if self._acceptor is not None:
            asyncio.run_coroutine_threadsafe(close(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    def device(self, **options) -> dict:
        """ConnectHandler arguments for this switch."""
        return {"device_type": self.device_type, "host": "127.0.0.1", "port": self.port,
                "username": self.username, "password": self.password, "secret": self.secret,
                "allow_agent": False, "use_keys": False, "conn_timeout": 10, "fast_cli": True, **options}

    def __enter__(self) -> "Emulator":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def crlf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\n", "\r\n")
