"""The rest manifest as the config validates it: unknown keys, bad expressions, orders that
could be posted twice, and a manifest file beside config.toml; change-token formats."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest
from rest_helpers import EXAMPLES

from syncwright.connectors.errors import PayloadError
from syncwright.connectors.rest.manifest import ChangeFeed
from syncwright.connectors.rest.mapping import since_param, wire_token
from syncwright.daemon.config.errors import ConfigError
from syncwright.daemon.config.load import parse_config


def paged() -> dict[str, Any]:
    return tomllib.loads((EXAMPLES / "paged.toml").read_text())


def config(manifest: object) -> dict[str, Any]:
    system = {
        "kind": "rest",
        "url": "http://127.0.0.1:9",
        "credentials": {"secret": {"env": "ACME_SECRET"}},
        "settings": {"manifest": manifest},
    }
    return {"systems": {"acme": system}}


def problems(manifest: object, base: Path | None = None) -> str:
    with pytest.raises(ConfigError) as info:
        parse_config(config(manifest), base_dir=base)
    return str(info.value)


def test_both_examples_are_valid_manifests() -> None:
    for name in ("keyset.toml", "paged.toml"):
        parse_config(config(str(EXAMPLES / name)))


def test_unknown_keys_and_bad_expressions_are_named_where_they_are() -> None:
    manifest = paged()
    manifest["entities"]["products"]["fields"]["title"] = "name["
    manifest["entities"]["stock"]["colour"] = "blue"
    text = problems(manifest)
    assert "manifest.entities.products.fields.title" in text
    assert "not a JMESPath expression" in text
    assert "manifest.entities.stock.colour: unknown key" in text


def test_orders_without_a_lookup_or_an_idempotency_key_are_refused() -> None:
    manifest = paged()
    del manifest["writes"]["orders"]["lookup"]
    del manifest["writes"]["orders"]["idempotency_header"]
    assert "a blind retry of a create could post an order twice" in problems(manifest)


def test_a_back_office_needs_products_and_stock() -> None:
    manifest = paged()
    del manifest["entities"]["stock"]
    assert "a back office needs entities stock" in problems(manifest)


def test_a_manifest_file_is_read_beside_the_config(tmp_path: Path) -> None:
    (tmp_path / "acme.toml").write_text((EXAMPLES / "paged.toml").read_text())
    loaded = parse_config(config("acme.toml"), base_dir=tmp_path)
    assert loaded.systems["acme"].settings.manifest.name == "Paged ERP"  # type: ignore[attr-defined]
    assert "cannot read the manifest" in problems("missing.toml", tmp_path)
    (tmp_path / "broken.toml").write_text("name = ")
    assert "is not valid TOML" in problems("broken.toml", tmp_path)


@pytest.mark.parametrize(
    ("feed", "wire", "token"),
    [
        (ChangeFeed(style="modified_since", format="epoch"), 1767323045, "2026-01-02T03:04:05Z"),
        (
            ChangeFeed(style="modified_since", format="epoch_ms"),
            1767323045250,
            "2026-01-02T03:04:05.250000Z",
        ),
        (
            ChangeFeed(
                style="modified_since", format="%d.%m.%Y %H:%M:%S", timezone="Europe/Berlin"
            ),
            "02.01.2026 04:04:05",
            "2026-01-02T03:04:05Z",
        ),
        (ChangeFeed(style="modified_since"), "2026-01-02T04:04:05+01:00", "2026-01-02T03:04:05Z"),
        (ChangeFeed(style="version"), 42, "42"),
    ],
)
def test_change_tokens_in_each_format(feed: ChangeFeed, wire: object, token: str) -> None:
    assert wire_token(wire, feed, "acme") == token


def test_since_is_sent_in_the_platforms_zone_floored_to_its_precision() -> None:
    local = ChangeFeed(style="modified_since", format="%Y-%m-%d %H:%M:%S", timezone="Europe/Berlin")
    assert since_param("2026-07-01T10:00:05.9Z", local) == "2026-07-01 12:00:05"
    minutes = ChangeFeed(style="modified_since", format="epoch", precision=60)
    assert since_param("2026-01-02T03:04:05Z", minutes) == str(1767323040)
    assert since_param("2026-01-02T03:04:05Z", ChangeFeed(style="modified_since")) == (
        "2026-01-02T03:04:05Z"
    )


def test_an_unreadable_change_token_is_a_payload_error() -> None:
    with pytest.raises(PayloadError, match="does not read as modified_since"):
        wire_token("yesterday", ChangeFeed(style="modified_since"), "acme")


def test_check_config_shows_a_manifest_as_one_line() -> None:
    loaded = parse_config(config(str(EXAMPLES / "paged.toml")))
    assert loaded.systems["acme"].settings.model_dump() == {
        "manifest": "Paged ERP: products, stock, customers; change feed modified_since"
    }
