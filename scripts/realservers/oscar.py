"""Django Oscar 4.2 with django-oscar-api 3.3 on SQLite: install, initialise once, serve copies.

The Django project is ours (``oscar_project/shop``): settings, urls, and a seed script that
adds a staff user with an API token, a shipping country, a product class and a partner. The
seed's answer (token, slugs) is written to ``pristine.json`` next to the pristine database.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

from proc import Server, cache_root, ensure_venv, exclusive, fingerprint, free_port, http_ok, log

SERIES = "4.2"
REQUIREMENTS = (f"django-oscar=={SERIES}.*", "django-oscar-api==3.3.*")
PROJECT = Path(__file__).resolve().parent / "oscar_project"


def home() -> Path:
    return cache_root() / f"oscar-{SERIES}"


def _env(db: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "shop.settings",
        "PYTHONPATH": str(PROJECT),
        "SYNCWRIGHT_OSCAR_DB": str(db),
        "PYTHONWARNINGS": "ignore",
    }


def prepare() -> Path:
    """Install (cached) and build the pristine database (cached); returns its directory."""
    with exclusive(home()):
        return _prepare()


def _prepare() -> Path:
    venv = ensure_venv(home(), REQUIREMENTS)
    sources = sorted((PROJECT / "shop").glob("*.py"))
    key = fingerprint(
        *REQUIREMENTS, Path(__file__).read_bytes(), *(p.read_bytes() for p in sources)
    )
    template = home() / f"pristine-{key}"
    if (template / "pristine.json").is_file():
        return template
    started = time.monotonic()
    building = home() / f"building-{os.getpid()}"
    shutil.rmtree(building, ignore_errors=True)
    building.mkdir(parents=True)
    env = _env(building / "db.sqlite3")
    admin = str(venv / "bin" / "django-admin")
    subprocess.run([admin, "migrate", "-v0"], check=True, env=env, cwd=building)
    seeded = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import django; django.setup(); import shop.seed"],
        check=True,
        env=env,
        cwd=building,
        capture_output=True,
        text=True,
    )
    ids = json.loads(seeded.stdout.strip().splitlines()[-1])
    (building / "pristine.json").write_text(json.dumps(ids))
    shutil.rmtree(template, ignore_errors=True)
    building.rename(template)
    log(f"initialised the Oscar database in {time.monotonic() - started:.1f} s")
    return template


class OscarServer:
    """Django's runserver (threaded, no autoreload) serving its own copy of the database."""

    def __init__(self, workdir: Path, *, pristine: Path, venv: Path | None = None) -> None:
        self.workdir = workdir
        self.venv = venv or home() / "venv"
        self.pristine = pristine
        self.db = workdir / "db.sqlite3"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server: Server | None = None
        workdir.mkdir(parents=True, exist_ok=True)
        self._restore()

    @property
    def ids(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((self.pristine / "pristine.json").read_text())
        return data

    def _restore(self) -> None:
        for suffix in ("-wal", "-shm", "-journal"):
            Path(f"{self.db}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(self.pristine / "db.sqlite3", self.db)

    def start(self) -> None:
        for attempt in range(3):
            self.server = Server(
                "oscar",
                [
                    str(self.venv / "bin" / "django-admin"),
                    "runserver",
                    f"127.0.0.1:{self.port}",
                    "--noreload",
                    "--skip-checks",
                ],
                cwd=self.workdir,
                env=_env(self.db),
                log_path=self.workdir / "server.log",
            )
            try:
                self.server.start(self._ready)
                return
            except RuntimeError:
                self.server = None
                if attempt == 2:
                    raise
                self.port = free_port()
                self.url = f"http://127.0.0.1:{self.port}"

    def _ready(self) -> bool:
        return http_ok(f"{self.url}/api/")

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None

    def reset(self) -> None:
        self.stop()
        self._restore()
        self.start()
