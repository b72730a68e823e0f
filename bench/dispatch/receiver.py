"""The bench's webhook receiver, run as its own process (`python -m bench.dispatch.receiver`): prints
its port, records when each delivery (`X-Appliance-Delivery`) arrived, and when its stdin closes prints
those times as JSON ({delivery id: epoch seconds}) and exits.

`--keepalive` answers HTTP/1.1 and keeps the connection open, as real receivers do (Alertmanager,
Slack's and Teams' front ends, SIEM HTTP collectors all keep connections alive); without it, HTTP/1.0
and a closed connection after every answer, as `http.server`'s default (and bench/site's receiver
before) does."""
from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def make_server(keepalive: bool, port: int = 0) -> tuple[ThreadingHTTPServer, dict[int, float]]:
    arrived: dict[int, float] = {}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1" if keepalive else "HTTP/1.0"

        def do_POST(self) -> None:          # noqa: N802 (http.server's naming)
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            now = time.time()
            delivery = self.headers.get("X-Appliance-Delivery")
            if delivery and delivery.isdigit():
                arrived.setdefault(int(delivery), now)
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    return server, arrived


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keepalive", action="store_true")
    args = parser.parse_args()
    server, arrived = make_server(args.keepalive)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    print(server.server_address[1], flush=True)
    sys.stdin.read()
    server.shutdown()
    json.dump(arrived, sys.stdout)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
