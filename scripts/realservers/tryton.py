"""Tryton 8.2 on SQLite: install, initialise a pristine database once, serve copies of it.

The pristine database holds what any real ERP already has: a company (EUR), the admin user
in it, the stock module's warehouse, and one ``web.shop`` whose ``web_id`` uniqueness makes
posting an order twice impossible. Its ids are written to ``pristine.json`` next to it.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from proc import Server, cache_root, ensure_venv, exclusive, fingerprint, free_port, http_ok, log
from rpc import Rpc

SERIES = "8.2"
MODULES = ("party", "company", "currency", "product", "stock", "sale", "web-shop")
REQUIREMENTS = (f"trytond=={SERIES}.*", *(f"trytond-{m}=={SERIES}.*" for m in MODULES))
DB = "erp"
USER = "admin"
PASSWORD = "admin"


def home() -> Path:
    return cache_root() / f"tryton-{SERIES}"


def _config(path: Path, db_dir: Path, port: int) -> None:
    path.write_text(
        "[database]\nuri = sqlite://\n"
        f"path = {db_dir}\n"
        "[web]\n"
        f"listen = 127.0.0.1:{port}\n"
        "[session]\nmax_attempt = 1000\n"
    )


def prepare() -> Path:
    """Install (cached) and build the pristine database (cached); returns its directory."""
    with exclusive(home()):
        return _prepare()


def _prepare() -> Path:
    venv = ensure_venv(home(), REQUIREMENTS)
    key = fingerprint(*REQUIREMENTS, Path(__file__).read_bytes())
    template = home() / f"pristine-{key}"
    if (template / "pristine.json").is_file():
        return template
    started = time.monotonic()
    building = home() / f"building-{os.getpid()}"
    shutil.rmtree(building, ignore_errors=True)
    (building / "db").mkdir(parents=True)
    (building / "db" / f"{DB}.sqlite").touch()
    conf = building / "trytond.conf"
    _config(conf, building / "db", free_port())
    (building / "adminpass").write_text(PASSWORD)
    env = {**os.environ, "TRYTONPASSFILE": str(building / "adminpass")}
    subprocess.run(
        [
            str(venv / "bin" / "trytond-admin"),
            "-c",
            str(conf),
            "-d",
            DB,
            "--all",
            "-u",
            "sale",
            "web_shop",
            "--activate-dependencies",
            "--email",
            "admin@example.com",
            "-p",
        ],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    server = TrytonServer(building, venv=venv)
    server.start()
    try:
        ids = _bootstrap(server.url)
    finally:
        server.stop()
    checkpoint(building / "db" / f"{DB}.sqlite")
    (building / "pristine.json").write_text(json.dumps(ids))
    shutil.rmtree(template, ignore_errors=True)
    building.rename(template)
    log(f"initialised the Tryton database in {time.monotonic() - started:.1f} s")
    return template


def checkpoint(db: Path) -> None:
    """Fold the write-ahead log into the database file, so the file alone is complete."""
    conn = sqlite3.connect(db)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    for suffix in ("-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)


def _bootstrap(url: str) -> dict[str, Any]:
    rpc = Rpc(url, DB)
    uid = rpc.login(USER, PASSWORD)
    (eur,) = rpc.model(
        "currency.currency",
        "create",
        [
            {
                "name": "Euro",
                "code": "EUR",
                "symbol": "EUR",
                "rounding": Decimal("0.01"),
                "digits": 2,
            }
        ],
    )
    (cparty,) = rpc.model("party.party", "create", [{"name": "Syncwright Test Company"}])
    (company,) = rpc.model("company.company", "create", [{"party": cparty, "currency": eur}])
    rpc.model("res.user", "write", [uid], {"companies": [["add", [company]]], "company": company})
    rpc.context = {"company": company, "companies": [company]}
    (warehouse,) = rpc.model("stock.location", "search", [["type", "=", "warehouse"]], 0, 1, None)
    (shop,) = rpc.model(
        "web.shop",
        "create",
        [
            {
                "name": "Oscar",
                "company": company,
                "currency": eur,
                "warehouses": [["add", [warehouse]]],
            }
        ],
    )
    return {
        "company": company,
        "currency": eur,
        "warehouse": warehouse,
        "web_shop": shop,
        "user": USER,
        "password": PASSWORD,
        "db": DB,
    }


class TrytonServer:
    """A trytond serving its own copy of a database directory."""

    def __init__(
        self, workdir: Path, *, venv: Path | None = None, pristine: Path | None = None
    ) -> None:
        self.workdir = workdir
        self.venv = venv or home() / "venv"
        self.pristine = pristine
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.db_dir = workdir / "db"
        self.conf = workdir / "trytond.conf"
        self.server: Server | None = None
        if pristine is not None:
            self._restore()
        _config(self.conf, self.db_dir, self.port)

    @property
    def ids(self) -> dict[str, Any]:
        assert self.pristine is not None
        data: dict[str, Any] = json.loads((self.pristine / "pristine.json").read_text())
        return data

    def _restore(self) -> None:
        assert self.pristine is not None
        self.db_dir.mkdir(parents=True, exist_ok=True)
        for suffix in ("-wal", "-shm", "-journal"):
            (self.db_dir / f"{DB}.sqlite{suffix}").unlink(missing_ok=True)
        shutil.copyfile(self.pristine / "db" / f"{DB}.sqlite", self.db_dir / f"{DB}.sqlite")

    def start(self) -> None:
        for attempt in range(3):
            self.server = Server(
                "trytond",
                [str(self.venv / "bin" / "trytond"), "-c", str(self.conf), "-d", DB],
                cwd=self.workdir,
                env={**os.environ},
                log_path=self.workdir / "server.log",
            )
            try:
                self.server.start(self._ready)
                return
            except RuntimeError:
                self.server = None
                if attempt == 2:
                    raise
                self.port = free_port()  # someone else took the port: pick another
                self.url = f"http://127.0.0.1:{self.port}"
                _config(self.conf, self.db_dir, self.port)

    def _ready(self) -> bool:
        probe = {"id": 0, "method": "common.server.version", "params": []}
        return http_ok(f"{self.url}/rpc/", probe)

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None

    def reset(self) -> None:
        """Stop, put the pristine database back, start again (on the same port if free)."""
        self.stop()
        self._restore()
        self.start()
