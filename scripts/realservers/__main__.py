"""Command line: ``python3 scripts/realservers prepare|run tryton|oscar|all``."""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import oscar
import tryton


def main() -> int:
    parser = argparse.ArgumentParser(prog="realservers")
    parser.add_argument("action", choices=["prepare", "run"])
    parser.add_argument("server", choices=["tryton", "oscar", "all"])
    args = parser.parse_args()
    names = ["tryton", "oscar"] if args.server == "all" else [args.server]
    if args.action == "prepare":
        for name in names:
            started = time.monotonic()
            where = tryton.prepare() if name == "tryton" else oscar.prepare()
            print(f"{name}: ready in {time.monotonic() - started:.1f} s ({where})")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        servers = []
        for name in names:
            pristine = tryton.prepare() if name == "tryton" else oscar.prepare()
            server = (tryton.TrytonServer if name == "tryton" else oscar.OscarServer)(
                Path(tmp) / name, pristine=pristine
            )
            server.start()
            servers.append(server)
            print(f"{name}: {server.url} ids={server.ids}", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
        finally:
            for server in servers:
                server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
