"""Real receivers for delivery tests: an HTTP server that records what it is sent and answers from a
script, and syslog collectors on UDP and TCP (RFC 6587 octet counting). Each runs in a thread on
127.0.0.1 and a free port (or a given one, to bring a receiver up where one was down)."""
from __future__ import annotations

import socket
import socketserver
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from appliance.notify.destinations import DestinationPolicy

# The receivers listen on loopback, which the destination policy refuses by default: tests that deliver
# to them allow it, as an operator would with [notify] allow / APPLIANCE_NOTIFY_ALLOW.
LOOPBACK_ALLOWED = DestinationPolicy.parse(["127.0.0.0/8", "::1/128"])
LOOPBACK_ENV = {"APPLIANCE_NOTIFY_ALLOW": "127.0.0.0/8,::1/128"}


@dataclass
class Request:
    path: str
    headers: dict[str, str]
    body: bytes
    peer: tuple = ()                            # the client's (address, port): one per connection


Answer = tuple[int, dict[str, str]]


class HttpReceiver:
    """`answer(n, request) -> (status, headers)` for the n-th request to a path (0-based); 200 by default."""

    def __init__(self, answer: Callable[[int, Request], Answer] | None = None, port: int = 0, delay: float = 0.0,
                 host: str = "127.0.0.1", tls=None, keepalive: bool = False):
        """`tls`: a server SSLContext to answer HTTPS instead of HTTP; `keepalive`: answer HTTP/1.1 and
        keep the connection open, as real receivers do (else HTTP/1.0, closed after each answer)."""
        self.host, self.scheme = host, "https" if tls else "http"
        self.answer = answer or (lambda n, request: (200, {}))
        self.delay = delay
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1" if keepalive else "HTTP/1.0"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                request = Request(self.path, {k.lower(): v for k, v in self.headers.items()}, body,
                                  tuple(self.client_address))
                with receiver._lock:
                    n = sum(1 for r in receiver.requests if r.path == request.path)
                    receiver.requests.append(request)
                if receiver.delay:
                    time.sleep(receiver.delay)
                status, headers = receiver.answer(n, request)
                try:
                    self.send_response(status)
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                except (BrokenPipeError, ConnectionResetError):     # the client gave up (timeout test)
                    pass

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer((host, port), Handler)
        if tls is not None:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    def url(self, path: str = "/hook") -> str:
        return f"{self.scheme}://{self.host}:{self.port}{path}"

    def to(self, path: str) -> list[Request]:
        with self._lock:
            return [r for r in self.requests if r.path == path]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def free_port() -> int:
    """A port nothing listens on (just now)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SyslogCollector:
    """Collects syslog messages: one per datagram (udp), octet-counted frames (tcp). Subclasses
    change how a stream is cut into messages (`read_frame`)."""

    def __init__(self, transport: str, port: int = 0, host: str = "127.0.0.1"):
        self.transport, self.host = transport, host
        self.messages: list[bytes] = []
        self._arrived = threading.Condition()
        if transport == "udp":
            self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            self._sock.bind((host, port))
            self._sock.settimeout(0.05)
            self.port = self._sock.getsockname()[1]
            self._stop = threading.Event()
            self._thread = threading.Thread(target=self._udp, daemon=True)
        else:
            collector = self

            class Handler(socketserver.StreamRequestHandler):
                def handle(self) -> None:
                    while (message := collector.read_frame(self.rfile)) is not None:
                        collector._add(message)

            socketserver.ThreadingTCPServer.allow_reuse_address = True
            self._server = socketserver.ThreadingTCPServer((host, port), Handler)
            self._server.daemon_threads = True
            self.port = self._server.server_address[1]
            self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                            daemon=True)
        self._thread.start()

    def read_frame(self, rfile) -> bytes | None:
        """One octet-counted message (RFC 6587: `LEN SP MSG`), None at the end of the stream."""
        length = b""
        while (char := rfile.read(1)) not in (b" ", b""):
            length += char
        return rfile.read(int(length)) if length else None

    def url(self, query: str = "") -> str:
        return f"syslog+{self.transport}://{self.host}:{self.port}" + (f"?{query}" if query else "")

    def wait(self, count: int, timeout: float = 5.0) -> list[bytes]:
        with self._arrived:
            self._arrived.wait_for(lambda: len(self.messages) >= count, timeout)
            return list(self.messages)

    def _add(self, message: bytes) -> None:
        with self._arrived:
            self.messages.append(message)
            self._arrived.notify_all()

    def _udp(self) -> None:
        while not self._stop.is_set():
            try:
                self._add(self._sock.recv(65535))
            except (TimeoutError, OSError):
                continue

    def stop(self) -> None:
        if self.transport == "udp":
            self._stop.set()
            self._thread.join(1)
            self._sock.close()
        else:
            self._server.shutdown()
            self._server.server_close()
