"""SparkLayer's Dashboard "sync now": the emulator calls the daemon's trigger endpoint on the
webhook listener, as SparkLayer would, and a full resync of that data type runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from harness import free_port, wait_until
from helpers import state
from sparklayer_support import CLIENT_SECRET, sparklayer_config, sparklayer_daemon
from test_daemon_sparklayer import assert_portal_matches_erp, systems

pytestmark = pytest.mark.slow
__all__ = ["systems"]


def test_dashboard_sync_now_starts_a_full_resync(systems: Any, tmp_path: Path) -> None:
    erp, portal = systems
    port = free_port()
    head = f'[webhooks]\nenabled = true\nlisten = "127.0.0.1:{port}"\n'
    config = sparklayer_config(tmp_path, erp.url, portal.url, head=head)
    with sparklayer_daemon(config).start() as daemon:
        wait_until(
            lambda: assert_portal_matches_erp(erp.url, portal),
            timeout=120,
            interval=0.5,
            ignoring=(AssertionError, KeyError),
        )
        # The first start's own full sync ends first (a trigger meanwhile answers 400).
        wait_until(
            lambda: (
                state(config, "SELECT count(*) FROM full_runs WHERE state = 'running'") == [(0,)]
            ),
            timeout=120,
            interval=0.5,
        )
        url = f"http://127.0.0.1:{port}"

        def trigger(data_type: str, secret: str) -> int:
            body = {"url": url, "data_type": data_type, "secret": secret}
            status: int = portal.call("POST", "/_emulator/trigger", body)["status"]
            return status

        assert trigger("products", "wrong") == 401
        assert trigger("merchant", CLIENT_SECRET) == 400  # not a type we sync
        assert trigger("products", CLIENT_SECRET) == 201
        wait_until(
            lambda: (
                state(
                    config,
                    "SELECT count(*) FROM full_runs WHERE reason = 'sparklayer products'"
                    " AND state = 'done'",
                )
                == [(1,)]
            ),
            timeout=120,
            interval=0.5,
        )
        daemon.stop()
