"""OAuth refresh-token rotation (saved before use, a crash between refresh and save), the
limits and their headers, and every fault switch of the emulator mapped to the right error."""

from __future__ import annotations

import json
from pathlib import Path

import anyio
import httpx
import pytest
from xero_support import RecordingGate, items, running

from syncwright.connectors.base import ChangeQuery
from syncwright.connectors.errors import (
    AuthError,
    PayloadError,
    RateLimitedError,
    TransientError,
)
from syncwright.connectors.xero.auth import read_refresh_token


def test_each_refresh_saves_the_rotated_token_before_using_it(tmp_path: Path) -> None:
    async def main() -> None:
        async with running(tmp_path) as xero:
            books = xero.connector()
            await books.get_settings()
            saved = read_refresh_token(xero.token_file)
            assert saved != "first-refresh" and xero.emulator.refresh[saved] is None
            # Thirty minutes on, Xero answers 401 TokenExpired: one refresh, one more try.
            xero.emulator.offset += 1801
            await books.get_settings()
            assert read_refresh_token(xero.token_file) not in ("first-refresh", saved)
            assert books.tokens.refreshes == 2
            await books.aclose()

    anyio.run(main)


def test_a_crash_between_refresh_and_save_does_not_disconnect(tmp_path: Path) -> None:
    async def main() -> None:
        async with running(tmp_path) as xero:
            # The daemon refreshed, Xero rotated, and the process died before the rename: the
            # file still holds the token Xero just retired.
            async with httpx.AsyncClient() as client:
                answer = await client.post(
                    f"{xero.url}/connect/token",
                    data={"grant_type": "refresh_token", "refresh_token": "first-refresh"},
                    auth=("client", "secret"),
                )
                assert answer.status_code == 200
            books = xero.connector()
            assert (await books.get_settings()).currency == "NZD"
            assert read_refresh_token(xero.token_file) != "first-refresh"
            await books.aclose()

    anyio.run(main)


def test_a_retired_token_past_its_grace_is_an_auth_error_naming_the_fix(tmp_path: Path) -> None:
    async def main() -> None:
        async with running(tmp_path, refresh_grace=0.0) as xero:
            async with httpx.AsyncClient() as client:
                await client.post(
                    f"{xero.url}/connect/token",
                    data={"grant_type": "refresh_token", "refresh_token": "first-refresh"},
                    auth=("client", "secret"),
                )
            xero.emulator.offset += 1
            books = xero.connector()
            with pytest.raises(AuthError, match="authorise the app again"):
                await books.get_settings()
            await books.aclose()

    anyio.run(main)


def test_a_custom_connection_uses_client_credentials(tmp_path: Path) -> None:
    async def main() -> None:
        async with running(tmp_path) as xero:
            books = xero.connector(grant="client_credentials", token_file=None)
            assert (await books.get_settings()).currency == "NZD"
            await books.aclose()

    anyio.run(main)


def test_every_answer_reports_xeros_quota_headers_and_a_429_names_the_limit(
    tmp_path: Path,
) -> None:
    async def main() -> None:
        async with running(tmp_path) as xero:
            gate = RecordingGate()
            books = xero.connector(gate)
            await books.get_settings()
            assert gate.headers[-1]["x-minlimit-remaining"] == "59"
            assert gate.headers[-1]["x-daylimit-remaining"] == "4999"
            assert gate.headers[-1]["x-appminlimit-remaining"] == "9999"
            await xero.control("faults", {"storm_next": 1})
            with pytest.raises(RateLimitedError, match="minute") as info:
                await books.get_settings()
            assert info.value.retry_after == 1.0 and gate.statuses[-1] == 429
            await xero.control("faults", {"exhaust_day": True})
            with pytest.raises(RateLimitedError, match="day") as day:
                await books.get_settings()
            assert day.value.retry_after is not None and day.value.retry_after > 80000
            await books.aclose()

    anyio.run(main)


def test_the_sixty_first_call_in_a_minute_is_refused(tmp_path: Path) -> None:
    async def main() -> None:
        async with running(tmp_path) as xero:
            books = xero.connector()
            for _ in range(60):
                await books.get_settings()
            with pytest.raises(RateLimitedError, match="minute"):
                await books.get_settings()
            assert xero.emulator.limits.busiest_minute == 60
            await books.aclose()

    anyio.run(main)


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        ("fail_next", TransientError),
        ("drop_next", TransientError),
        ("hang_next", TransientError),
        ("malformed_next", PayloadError),
        ("truncated_next", PayloadError),
    ],
)
def test_fault_switches_map_to_connector_errors_and_lose_nothing(
    tmp_path: Path, fault: str, error: type[Exception]
) -> None:
    async def main() -> None:
        async with running(tmp_path) as xero:
            await xero.control("items", items(20))
            books = xero.connector(timeout=0.5)
            await xero.control("faults", {fault: 1, "hang_seconds": 2})
            with pytest.raises(error):
                await books.changed_products(ChangeQuery(None, None, 1000))
            page = await books.changed_products(ChangeQuery(None, None, 1000))
            assert len(page.items) == 20 and page.complete
            await books.aclose()

    anyio.run(main)


def test_a_validation_exception_is_permanent_with_xeros_messages(tmp_path: Path) -> None:
    async def main() -> None:
        from syncwright.connectors.errors import PermanentError

        async with running(tmp_path) as xero:
            books = xero.connector()
            with pytest.raises(PermanentError, match="cannot parse the where clause"):
                await books.http.request("GET", "/Items", params={"where": "Code=bad"})
            await books.aclose()
            assert json.loads(xero.token_file.read_text())["refresh_token"]

    anyio.run(main)


def test_the_budget_reads_xeros_quota_headers() -> None:
    from syncwright.daemon.budget.headers import kept_headers, quota_hints

    headers = {
        "x-daylimit-remaining": "4321",
        "x-minlimit-remaining": "12",
        "x-appminlimit-remaining": "9000",
        "x-rate-limit-problem": "minute",
        "retry-after": "7",
    }
    hints = {(h.target, h.remaining) for h in quota_hints(headers, 0.0)}
    assert {("minute", 12.0), ("day", 4321.0)} <= hints
    assert set(kept_headers(headers)) == set(headers)  # all shown in the UI
