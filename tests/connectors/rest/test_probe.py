"""``syncwright probe``: one page of each entity of a rest system, mapped or not, and why."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from harness import config_file
from paged_server import PagedServer
from rest_helpers import EXAMPLES

from syncwright.daemon.cli.main import main

SECRET = "probe-secret"


def probe_config(tmp: Path, url: str, manifest: Path) -> Path:
    return config_file(
        tmp,
        f"""
        [systems.acme]
        kind = "rest"
        url = "{url}"
        credentials = {{ secret = {{ env = "ACME_SECRET" }} }}
        settings = {{ manifest = "{manifest.name}" }}
        """,
    )


def test_probe_prints_mapped_records_and_what_did_not_map(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ACME_SECRET", SECRET)
    # A manifest beside the config, relative to it; its stock quantity points at a field the
    # API does not have, so stock records cannot be mapped.
    manifest = tmp_path / "acme.toml"
    text = (EXAMPLES / "paged.toml").read_text().replace('quantity = "onHand"', 'quantity = "qty"')
    manifest.write_text(text)
    with PagedServer(SECRET) as server:
        code = server.store.add_item("Blue mug", {"MUG-B": "7.50"})
        server.store.set_stock("MUG-B", "main", 4)
        config = probe_config(tmp_path, server.url, manifest)
        assert main(["probe", "-c", str(config), "acme", "products"]) == 0
        shown = capsys.readouterr().out
        assert f'{code}: {{"external_id": "{code}"' in shown
        assert '"title": "Blue mug"' in shown and '"sku": "MUG-B"' in shown
        assert "canonical fields left unmapped: custom, restock_date" in shown

        assert main(["probe", "-c", str(config), "acme", "stock", "--json"]) == 1
        (stock,) = json.loads(capsys.readouterr().out)
        assert stock["mapped"] == {}
        assert "quantity" in stock["failed"]["MUG-B@main"]


def test_probe_refuses_a_system_that_is_not_rest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ACME_SECRET", SECRET)
    shutil.copy(EXAMPLES / "paged.toml", tmp_path / "paged.toml")
    config = probe_config(tmp_path, "http://127.0.0.1:9", tmp_path / "paged.toml")
    assert main(["probe", "-c", str(config), "nope"]) == 2
    assert "'nope' is not a rest system" in capsys.readouterr().err
    assert main(["probe", "-c", str(config), "acme", "orders"]) == 2
    assert "the manifest has no entity 'orders'" in capsys.readouterr().err
