"""The back-office contract suite through the rest kind: the keyset example manifest
(connectors/rest/examples/keyset.toml) driving the sandbox back office, a real server on
loopback, with a catalogue and an order book one larger than its largest page."""

from __future__ import annotations

import warnings
from pathlib import Path

import anyio
import httpx
import pytest
from helpers import API_KEY, start_server
from rest_helpers import connector, erp_fixture

from syncwright.connectors.backoffice_testing import BackOfficeCheckSkipped, check_back_office

pytestmark = [pytest.mark.timeout(600), pytest.mark.slow]


def test_the_keyset_manifest_keeps_the_back_office_contract(tmp_path: Path) -> None:
    erp = start_server("erp", tmp_path / "erp.db", "--products", "5", "--seed", "3")

    async def main() -> list[str]:
        source = connector(erp.url, "keyset.toml", API_KEY)
        async with httpx.AsyncClient(
            base_url=erp.url, headers={"Authorization": f"Bearer {API_KEY}"}, timeout=30
        ) as admin:
            fixture = erp_fixture(admin)
            try:
                await check_back_office(source, fixture)  # type: ignore[arg-type]
            finally:
                await source.aclose()
        return fixture.skipped

    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            skipped = anyio.run(main)
    finally:
        erp.stop()
    # Everything the manifest describes is checked; the sandbox has no order workflow.
    assert skipped == ["order workflow: the connector is not an OrderWorkflow"]
    warned = [str(w.message) for w in caught if issubclass(w.category, BackOfficeCheckSkipped)]
    assert warned == skipped
