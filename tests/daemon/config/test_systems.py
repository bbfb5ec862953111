"""The [systems.*] tables as the connector registry describes them, and the roles connections
give systems."""

from __future__ import annotations

import dataclasses
import textwrap
from pathlib import Path

import pytest

from syncwright.connectors import registry
from syncwright.connectors.registry import KINDS
from syncwright.daemon.config.errors import ConfigError
from syncwright.daemon.config.load import load_config
from syncwright.daemon.config.summary import summarize
from syncwright.daemon.config.systems import SYSTEM_MODELS

# hub is a sandbox shop; feed uses it as a channel, portal as a source.
TWO_WAY = """\
[systems.erp]
kind = "sandbox-erp"
url = "http://127.0.0.1:8701"
credentials = { api_key = { env = "SW_TEST_KEY" } }

[systems.hub]
kind = "sandbox-shop"
url = "http://127.0.0.1:8702"
credentials = { api_key = { env = "SW_TEST_KEY" } }

[systems.shop]
kind = "sandbox-shop"
url = "http://127.0.0.1:8703"
credentials = { api_key = { env = "SW_TEST_KEY" } }

[connections.feed]
source = "erp"
channel = "hub"
flows = ["products", "stock"]

[connections.portal]
source = "hub"
channel = "shop"
flows = ["products", "stock"]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(textwrap.dedent(text))
    return path


def test_the_config_has_one_system_model_per_registered_kind() -> None:
    assert list(SYSTEM_MODELS) == list(KINDS)
    for name, model in SYSTEM_MODELS.items():
        assert model.credential_names == KINDS[name].credentials
        assert model.model_fields["settings"].annotation is KINDS[name].settings


def test_an_unknown_kind_lists_every_registered_kind(tmp_path: Path) -> None:
    path = write(tmp_path, TWO_WAY.replace('kind = "sandbox-erp"', 'kind = "erpnext"'))
    with pytest.raises(ConfigError) as info:
        load_config(path)
    expected = ", ".join(repr(name) for name in KINDS)
    assert f'systems.erp.kind = "erpnext": expected one of {expected}' in str(info.value)


def test_a_kind_that_serves_one_role_is_refused_in_the_other(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, TWO_WAY))
    message = str(info.value)
    assert "connections.portal.source = \"hub\": system 'hub' is of kind sandbox-shop" in message
    assert (
        "not a back-office system; expected a system of kind bigcommerce, lightspeed-x, rest,"
        " sandbox-erp, sql, tryton, unleashed, xero" in message
    )
    assert "connections.feed" not in message


def test_a_kind_with_both_roles_is_a_source_in_one_connection_and_a_channel_in_another(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    both = frozenset(registry.ROLES)
    monkeypatch.setitem(
        KINDS, "sandbox-shop", dataclasses.replace(KINDS["sandbox-shop"], roles=both)
    )
    config = load_config(write(tmp_path, TWO_WAY))
    assert config.connections["feed"].channel == config.connections["portal"].source == "hub"
    assert config.roles_of("hub") == ["source", "channel"]
    assert config.roles_of("erp") == ["source"] and config.roles_of("shop") == ["channel"]
    summary = summarize(config)
    assert "hub: sandbox-shop (back office, channel) at http://127.0.0.1:8702" in summary
    assert "erp: sandbox-erp (back office)" in summary and "shop: sandbox-shop (channel)" in summary


def test_an_unused_system_shows_the_roles_its_kind_can_serve(tmp_path: Path) -> None:
    text = TWO_WAY[: TWO_WAY.index("[connections.feed]")]
    summary = summarize(load_config(write(tmp_path, text)))
    assert "erp: sandbox-erp (back office) at" in summary
    assert "hub: sandbox-shop (channel) at" in summary
    assert "used by: no connection" in summary
