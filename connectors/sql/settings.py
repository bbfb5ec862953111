"""``[systems.NAME.settings]`` of the ``sql`` kind: the queries that read the ERP's tables and
the statements that write orders and customers into it.

Each read query is a plain ``SELECT`` with canonical column names (``id``, ``changed`` and the
entity's fields). The connector wraps it, ``SELECT * FROM (query) AS q WHERE ... ORDER BY ...
LIMIT ...``, and binds the paging values itself, so a query never holds paging of its own.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from syncwright.connectors.base import KindSettings

_WRITES = re.compile(
    r"^\s*(insert|update|delete|call|replace|merge|create|drop|alter|grant)\b", re.I
)


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Query(_Strict):
    """One entity's read query. ``key``: the type of its ``id`` column (the tie-breaker)."""

    query: str
    key: Literal["integer", "text"] = "integer"

    @field_validator("query")
    @classmethod
    def _select(cls, value: str) -> str:
        text = value.strip().rstrip(";")
        if _WRITES.match(text) or ";" in text:
            raise ValueError("a read query is one SELECT (or WITH ... SELECT), nothing else")
        return text


class OrderStatements(_Strict):
    """Statements run in one transaction per order, with named parameters (``:channel_ref``).

    ``insert`` must hit a unique constraint on the channel reference for a repeated post;
    ``lookup`` finds the order's id by ``:channel_ref``. ``insert`` returns the new id
    (``RETURNING id``) or leaves it to the driver's last row id.
    """

    insert: str
    line: str
    #: The type of the order's id column (bound as ``:order_id``).
    key: Literal["integer", "text"] = "integer"
    lookup: str
    #: Run before the lines are inserted again on an amendment (``:order_id``).
    amend: str | None = None
    clear_lines: str | None = None
    shipment: str | None = None


class CustomerStatements(_Strict):
    """``create`` inserts a customer (``:email``, ``:first_name``, ...) and returns its id."""

    create: str


class SqlSettings(KindSettings):
    """The ERP database as a back office: ``url`` of the system is the SQLAlchemy URL (with
    an async driver: postgresql+asyncpg, mysql+aiomysql), its password the secret."""

    products: Query
    #: Variant rows; ``product_id`` joins them to the product (bound as ``:ids``).
    variants: Query
    stock: Query
    customers: Query | None = None
    orders: OrderStatements | None = None
    customer_writes: CustomerStatements | None = None
    #: ``changed`` is a timestamp (time) or a monotonic row version (version).
    cursor: Literal["time", "version"] = "time"
    #: The zone of naive timestamps (``timestamp without time zone``, MariaDB DATETIME).
    timezone: str = "UTC"
    #: Whether ``changed`` is such a naive timestamp; None: yes on MySQL/MariaDB, no on
    #: PostgreSQL (``timestamptz``).
    naive_times: bool | None = None
    #: Rows whose change time is less than this many seconds older than the database's clock
    #: are left for a later pass: a transaction still open may commit an older time.
    settle_seconds: float = Field(default=5.0, ge=0)
    page_size: int = Field(default=1000, ge=1, le=10000)
    price_list: str = "ERP Price"
