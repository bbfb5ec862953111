"""OAuth add-on tokens: refreshed before expiry and after a 401, the rotated pair written
atomically to the token file (mode 0600, no temporary file left), a refused refresh an
AuthError."""

from __future__ import annotations

import json
import stat
import time
from pathlib import Path

import pytest
from lx_support import run, running

from syncwright.connectors.base import OpenGate, SystemSpec
from syncwright.connectors.errors import AuthError
from syncwright.connectors.lightspeed_x.connector import LightspeedX
from syncwright.connectors.lightspeed_x.emulator.app import Emulator
from syncwright.connectors.lightspeed_x.oauth import Tokens, load, save
from syncwright.connectors.lightspeed_x.settings import LightspeedXSettings


def oauth_connector(emu: Emulator, path: Path, secret: str = "app-secret") -> LightspeedX:
    settings = LightspeedXSettings(
        sale_register="Register 1", oauth_token_file=path, oauth_client_id="app"
    )
    spec = SystemSpec("lsx", "lightspeed-x", emu.url, settings, {"token": secret})
    return LightspeedX(spec, OpenGate())


def test_tokens_are_refreshed_rotated_and_saved(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    save(path, Tokens("old-access", "refresh-1", time.time() - 10))  # expired already

    async def main() -> None:
        async with running() as emu:
            emu.oauth.clients["app"] = "app-secret"
            emu.oauth.refresh["refresh-1"] = "app"
            lsx = oauth_connector(emu, path)
            try:
                assert (await lsx.get_settings()).currency == "NZD"
                first = load(path)
                assert first.refresh_token != "refresh-1"  # rotated and kept
                assert emu.oauth.valid(first.access_token)
                assert emu.oauth.issued == 1
                await lsx.get_settings()
                assert emu.oauth.issued == 1  # still fresh: no refresh
                emu.oauth.access.clear()  # revoked early: a 401, one refresh, one more try
                assert (await lsx.get_settings()).currency == "NZD"
                assert emu.oauth.issued == 2
                assert load(path).refresh_token != first.refresh_token
            finally:
                await lsx.aclose()

    run(main)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["tokens.json"]
    assert set(json.loads(path.read_text())) == {"access_token", "refresh_token", "expires_at"}


def test_a_refused_refresh_is_an_auth_error(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    save(path, Tokens("old", "refresh-1", 0))

    async def main() -> None:
        async with running() as emu:
            emu.oauth.clients["app"] = "app-secret"
            emu.oauth.refresh["refresh-1"] = "app"
            lsx = oauth_connector(emu, path, secret="wrong")
            try:
                with pytest.raises(AuthError, match="authorise the add-on again"):
                    await lsx.get_settings()
            finally:
                await lsx.aclose()
            assert load(path) == Tokens("old", "refresh-1", 0)  # untouched
            missing = oauth_connector(emu, tmp_path / "absent.json")
            try:
                with pytest.raises(AuthError, match="cannot read the OAuth token file"):
                    await missing.get_settings()
            finally:
                await missing.aclose()

    run(main)


def test_settings_want_both_oauth_fields_and_an_absolute_path() -> None:
    with pytest.raises(ValueError, match="go together"):
        LightspeedXSettings(sale_register="R", oauth_client_id="app")
    with pytest.raises(ValueError, match="absolute"):
        LightspeedXSettings(
            sale_register="R", oauth_client_id="app", oauth_token_file=Path("t.json")
        )
