"""The sql kind's settings, URLs and change tokens, without a database (the real servers'
tests are tests/real/test_sql_*.py)."""

from __future__ import annotations

import re
import tomllib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from syncwright.connectors.base import OpenGate, SystemSpec
from syncwright.connectors.errors import PayloadError
from syncwright.connectors.sql.database import Database
from syncwright.connectors.sql.settings import SqlSettings
from syncwright.daemon.config.load import parse_config
from syncwright.daemon.config.systems import _check_url

ROOT = Path(__file__).resolve().parents[3]


def readme_example() -> dict[str, Any]:
    text = (ROOT / "README.md").read_text()
    section = text[text.index('## An ERP database: `kind = "sql"`') :]
    block = re.search(r"```toml\n(.*?)```", section, re.S)
    assert block is not None
    return tomllib.loads(block.group(1))["systems"]["erpdb"]


def test_the_readme_example_is_valid_settings() -> None:
    settings = SqlSettings.model_validate(readme_example()["settings"])
    assert settings.orders is not None and "RETURNING id" in settings.orders.insert
    assert settings.stock.key == "text" and settings.settle_seconds == 60


def test_a_read_query_that_writes_or_holds_two_statements_is_refused() -> None:
    base = readme_example()["settings"]
    for query in ("DELETE FROM item", "SELECT 1; DROP TABLE item"):
        with pytest.raises(ValidationError, match="one SELECT"):
            SqlSettings.model_validate({**base, "products": {"query": query}})
    with pytest.raises(ValidationError, match="Extra inputs"):
        SqlSettings.model_validate({**base, "paging": "offset"})


def test_a_database_url_is_a_system_url_and_ftp_is_not() -> None:
    assert (
        _check_url("mysql+aiomysql://sync@db.lan:3306/erp")
        == "mysql+aiomysql://sync@db.lan:3306/erp"
    )
    with pytest.raises(Exception, match="database URL"):
        _check_url("ftp://db.lan/erp")
    with pytest.raises(Exception, match="password: put it in credentials"):
        _check_url("postgresql+asyncpg://sync:hunter2@db.lan/erp")
    with pytest.raises(ValueError, match="database URL"):
        SystemSpec(
            "x", "sql", "sqlite:///erp.db", SqlSettings.model_validate(readme_example()["settings"])
        )


def database(url: str, **settings: Any) -> Database:
    base = readme_example()["settings"]
    return Database(
        SystemSpec("erpdb", "sql", url, SqlSettings.model_validate({**base, **settings})),
        OpenGate(),
    )


def test_change_tokens_are_utc_with_microseconds_whatever_the_column_zone() -> None:
    naive = database("mysql+aiomysql://u@127.0.0.1/erp", timezone="Europe/Berlin")
    aware = database("postgresql+asyncpg://u@127.0.0.1/erp")
    # A naive DATETIME in Berlin winter time is an hour ahead of UTC.
    assert naive.token(datetime(2026, 1, 5, 13, 0, 0, 250)) == "2026-01-05T12:00:00.000250Z"
    assert naive.bound("2026-01-05T12:00:00.000250Z") == datetime(2026, 1, 5, 13, 0, 0, 250)
    moment = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
    assert aware.token(moment) == "2026-01-05T12:00:00.000000Z"
    assert aware.bound(aware.token(moment)) == moment
    with pytest.raises(PayloadError, match="not a change token"):
        aware.bound("yesterday")


def test_version_tokens_and_typed_keys() -> None:
    db = database("postgresql+asyncpg://u@127.0.0.1/erp", cursor="version")
    assert db.token(41) == "41" and db.bound("41") == 41
    settings = db.settings
    assert db.key(settings.products, "17") == 17 and db.key(settings.stock, "A@b") == "A@b"
    with pytest.raises(PayloadError, match="not a key"):
        db.key(settings.products, "A-1")


def test_the_commented_config_example_loads() -> None:
    text = (ROOT / "config.toml").read_text()
    start = text.index("# [systems.erpdb]")
    end = text.index("#\n", start)
    lines = text[start:end].splitlines()
    example = "\n".join(line[2:] if line.startswith("# ") else line.lstrip("#") for line in lines)
    config = parse_config(tomllib.loads(example))
    erpdb = config.systems["erpdb"]
    assert erpdb.kind == "sql" and isinstance(erpdb.settings, SqlSettings)
    assert erpdb.settings.settle_seconds == 60 and erpdb.budget.windows["minute"].limit == 600
