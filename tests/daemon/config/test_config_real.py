"""The tryton and oscar system kinds in config.toml, and the connectors built from them."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from syncwright.connectors.base import OpenGate, SystemSpec
from syncwright.connectors.oscar.client import OscarShop
from syncwright.connectors.oscar.settings import OscarSettings
from syncwright.connectors.registry import KINDS, build
from syncwright.connectors.tryton.client import TrytonErp
from syncwright.connectors.tryton.settings import TrytonSettings
from syncwright.daemon.config.errors import ConfigError
from syncwright.daemon.config.load import load_config

CONFIG = """\
[sandbox]
enabled = false

[systems.erp]
kind = "tryton"
url = "http://127.0.0.1:8000"
credentials = { password = { env = "SW_TEST_TRYTON" } }
[systems.erp.settings]
database = "erp"
web_shop = "Oscar"

[systems.shop]
kind = "oscar"
url = "http://127.0.0.1:8001"
credentials = { api_token = { env = "SW_TEST_OSCAR" } }

[connections.real]
source = "erp"
channel = "shop"
flows = ["products", "stock", "orders"]
"""


def load(tmp_path: Path, text: str) -> object:
    path = tmp_path / "config.toml"
    path.write_text(textwrap.dedent(text))
    return load_config(path)


def test_tryton_and_oscar_systems_load_with_defaults(tmp_path: Path) -> None:
    config = load(tmp_path, CONFIG)
    erp = config.systems["erp"]  # type: ignore[attr-defined]
    shop = config.systems["shop"]  # type: ignore[attr-defined]
    # The connector receives url and timeout beside the kind's own (typed) settings.
    assert (erp.url, erp.timeout) == ("http://127.0.0.1:8000", 30.0)
    assert isinstance(erp.settings, TrytonSettings)
    assert erp.settings.model_dump() == {
        "database": "erp",
        "user": "admin",
        "web_shop": "Oscar",
        "stock_quantity": "forecast",
        "confirm_orders": True,
    }
    assert isinstance(shop.settings, OscarSettings)
    assert shop.settings.warehouse == "WH"
    assert shop.settings.allocated_in_back_office is True
    assert (KINDS["tryton"].roles, KINDS["oscar"].roles) == ({"source"}, {"channel"})


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ('database = "erp"\n', "", "database"),
        ('web_shop = "Oscar"\n', 'web_shop = "Oscar"\nstock_quantity = "all"\n', "stock_quantity"),
        ("{ password = {", "{ api_key = {", "missing credential 'password'"),
        ("{ api_token = {", "{ token = {", "api_token"),
    ],
)
def test_bad_settings_are_refused_with_the_key(
    tmp_path: Path, old: str, new: str, expected: str
) -> None:
    assert old in CONFIG
    with pytest.raises(ConfigError) as info:
        load(tmp_path, CONFIG.replace(old, new, 1))
    assert expected in str(info.value)


def test_connectors_are_built_and_check_their_settings() -> None:
    tryton = SystemSpec(
        name="erp",
        kind="tryton",
        url="http://127.0.0.1:1",
        settings=TrytonSettings(database="erp", web_shop="Oscar"),
        secrets={"password": "x"},
    )
    oscar = SystemSpec(
        name="shop",
        kind="oscar",
        url="http://127.0.0.1:1",
        settings=OscarSettings(),
        secrets={"api_token": "t"},
    )
    assert isinstance(build(tryton, OpenGate()), TrytonErp)
    assert isinstance(build(oscar, OpenGate()), OscarShop)
    with pytest.raises(ValueError, match="password"):
        TrytonErp(
            SystemSpec(name="erp", kind="tryton", url=tryton.url, settings=tryton.settings),
            OpenGate(),
        )
    # A missing setting is refused by the kind's settings model, before any connector exists.
    with pytest.raises(ValueError, match="database"):
        TrytonErp(
            SystemSpec(
                name="erp",
                kind="tryton",
                url="http://x",
                settings=TrytonSettings(web_shop="s"),  # type: ignore[call-arg]
                secrets={"password": "x"},
            ),
            OpenGate(),
        )
    with pytest.raises(ValueError, match="api_token"):
        OscarShop(
            SystemSpec(name="shop", kind="oscar", url=oscar.url, settings=oscar.settings),
            OpenGate(),
        )
