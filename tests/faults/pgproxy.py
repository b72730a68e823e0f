"""A PostgreSQL outage the tests can switch on and off: a Unix-socket relay in front of the local
server's socket. Unix sockets cross network namespaces, so a collector capturing inside a test's
namespace still reaches the store through it. `down()` closes every relayed connection and stops
listening (new connections fail as when the server is away); `up()` listens again."""
from __future__ import annotations

import os
import socket
import threading
from pathlib import Path

PG_SOCKET = Path("/run/postgresql/.s.PGSQL.5432")


class PgOutage:
    def __init__(self, directory: Path, target: Path = PG_SOCKET):
        self.directory, self.target = directory, target
        self.path = directory / ".s.PGSQL.5432"
        self.listener: socket.socket | None = None
        self.connections: set[socket.socket] = set()
        self.lock = threading.Lock()

    @property
    def url_host(self) -> str:
        return str(self.directory)

    def up(self) -> None:
        if self.path.exists():
            self.path.unlink()
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(str(self.path))
        os.chmod(self.path, 0o777)
        listener.listen(64)
        self.listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def down(self) -> None:
        listener, self.listener = self.listener, None
        if listener is not None:
            listener.close()
        if self.path.exists():
            self.path.unlink()
        with self.lock:
            for conn in self.connections:
                try:
                    conn.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                conn.close()
            self.connections.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return                                  # closed by down()
            server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                server.connect(str(self.target))
            except OSError:
                client.close()
                continue
            with self.lock:
                self.connections.update((client, server))
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for conn in (source, sink):
                try:
                    conn.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
