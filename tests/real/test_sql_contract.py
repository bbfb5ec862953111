"""The sql kind against real PostgreSQL and MariaDB servers: the back-office contract suite,
with a catalogue, a stock list and an order book each larger than a page."""

from __future__ import annotations

import warnings
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import anyio
import pytest
from sql_erp import Erp, spec

from syncwright.connectors.backoffice_testing import BackOfficeCheckSkipped, check_back_office
from syncwright.connectors.base import OpenGate
from syncwright.connectors.sql.writes import build

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]
T = TypeVar("T")
PAGE = 20


def run(func: Callable[[], Awaitable[T]]) -> T:
    return anyio.run(func)


def test_back_office_contract(database: Any) -> None:
    async def main() -> list[str]:
        erp = Erp(database)
        await erp.create()
        source = build(spec(database, page_size=PAGE), OpenGate())
        fixture = erp.fixture(PAGE)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", BackOfficeCheckSkipped)
                await check_back_office(source, fixture)
        finally:
            await source.aclose()
            await erp.aclose()
        return fixture.skipped

    skipped = run(main)
    assert skipped == [
        "order workflow: the connector is not an OrderWorkflow",
        "shipments: the back office does not record channel shipments",
    ], skipped
