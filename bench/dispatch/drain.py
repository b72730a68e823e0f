"""The claim-to-send path alone: `python -m bench.dispatch.drain [--deliveries 1500] [--keepalive] [--secret]`

N deliveries written at once into a fresh SQLite store, then drained by a Dispatcher in this process
(`run_once` until nothing is left; no API, no other writer) to bench.dispatch.receiver in its own
process. Prints deliveries/s and this process's CPU per delivery (time.process_time: user + system of
the claim, rendering, signing, the HTTP exchange and the marking)."""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from appliance.notify.destinations import DestinationPolicy
from appliance.notify.dispatcher import Dispatcher
from appliance.store import migrate, open_store
from appliance.store.crypto import generate_key
from appliance.store.engine import StoreSettings
from appliance.store.webhooks import create_webhook

from .load import write_storm

SECRET = "whsec_YmVuY2gtc2VjcmV0LWtleQ=="


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=1500)
    parser.add_argument("--keepalive", action="store_true", help="the receiver keeps connections (HTTP/1.1)")
    parser.add_argument("--secret", action="store_true", help="the webhook signs its deliveries")
    args = parser.parse_args()
    receiver = subprocess.Popen([sys.executable, "-m", "bench.dispatch.receiver"]
                                + (["--keepalive"] if args.keepalive else []),
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    port = int(receiver.stdout.readline())
    with tempfile.TemporaryDirectory(prefix="bench-drain-") as data:
        settings = StoreSettings(None, Path(data), secret_key=generate_key())
        migrate.upgrade(settings)
        store = open_store(settings)
        with store.session() as session:
            create_webhook(session, store.secrets, f"http://127.0.0.1:{port}/alerts",
                           secret=SECRET if args.secret else None)
        write_storm(store, args.deliveries, args.deliveries, 0)
        dispatcher = Dispatcher(store, destinations=DestinationPolicy.parse(["127.0.0.0/8"]))
        cpu, wall, sent = time.process_time(), time.perf_counter(), 0
        while (attempted := dispatcher.run_once()):
            sent += attempted
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        dispatcher.close()
        store.close()
    receiver.communicate(timeout=30)
    print(f"drain: {sent} deliveries, receiver {'keep-alive' if args.keepalive else 'close'}"
          f"{', signed' if args.secret else ''}: {sent / wall:.0f} deliveries/s, "
          f"CPU {cpu / sent * 1e3:.3f} ms/delivery")


if __name__ == "__main__":
    main()
