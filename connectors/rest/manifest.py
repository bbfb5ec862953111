"""The manifest of a ``rest`` system: how to talk to a JSON HTTP back office, described in TOML.

Every expression is JMESPath (https://jmespath.org), compiled when the manifest is validated,
so a typo is a config error, not a failure at the first sync. Reads map a response body to
canonical records (connectors/model.py): ``records`` selects the list, ``fields`` builds each
record field by field. Writes build request bodies from the canonical record by the same means.

    auth         how requests are authenticated (bearer, basic, header, query, oauth2, hmac)
    errors       which statuses mean what beyond the usual ones, where the error message is
    rate_limit   the headers the server reports its quota in
    entities.*   per entity (products, stock, customers): the requests, paging and change feed
    writes.*     orders (with an idempotency header or a look-up first), customers, products
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import jmespath
from jmespath.exceptions import JMESPathError
from jmespath.parser import ParsedResult
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError


def _compile(text: str) -> str:
    try:
        jmespath.compile(text)
    except JMESPathError as exc:
        where = getattr(exc, "lex_position", None)
        problem = str(getattr(exc, "msg", exc)).splitlines()[0]
        if isinstance(where, int):
            problem += f" at character {where + 1}"
        raise PydanticCustomError(
            "jmespath", "not a JMESPath expression: {problem}", {"problem": problem}
        ) from None
    return text


#: A JMESPath expression, checked when the manifest is read.
Expr = Annotated[str, AfterValidator(_compile)]


def compiled(text: str) -> ParsedResult:
    return jmespath.compile(text)


EntityName = Literal["products", "stock", "customers"]


class Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Auth(Strict):
    """The credential is always the system's ``secret`` (config: ``credentials.secret``)."""

    kind: Literal["bearer", "basic", "header", "query", "oauth2", "hmac", "none"]
    #: basic: the user name (the secret is the password); oauth2: the client id.
    username: str = ""
    #: header / hmac: the header's name; query: the parameter's name.
    name: str = "X-Api-Key"
    #: oauth2: the token endpoint (client credentials grant) and optional scope.
    token_url: str = ""
    scope: str = ""
    #: hmac: what is signed, with {method} {path} {query} {body} {timestamp}; hex SHA-256.
    template: str = "{method}\n{path}\n{timestamp}\n{body}"
    #: hmac: the header carrying the Unix time that was signed ("" for none).
    timestamp_header: str = "X-Timestamp"

    @model_validator(mode="after")
    def _complete(self) -> Auth:
        if self.kind == "oauth2" and not (self.token_url and self.username):
            raise ValueError("auth kind 'oauth2' needs token_url and username (the client id)")
        if self.kind == "basic" and not self.username:
            raise ValueError("auth kind 'basic' needs username")
        return self


class Errors(Strict):
    """Statuses beyond the defaults (429 rate limited, 401/403 auth, 5xx/408 transient,
    other 4xx permanent) and where an error body says what went wrong."""

    rate_limited: tuple[int, ...] = (429,)
    transient: tuple[int, ...] = ()
    auth: tuple[int, ...] = ()
    #: An error body's message, e.g. "error.message".
    message: Expr = "error || message || detail"
    #: A body that says "error" under a 200 (some APIs do): a truthy result is an error.
    error_in_ok: Expr | None = None


class RateLimit(Strict):
    """Headers the server reports its quota in; they are passed to the budget as they come."""

    retry_after: str = "Retry-After"
    #: Seconds to wait in this header instead of Retry-After, e.g. "X-RateLimit-Reset-After".
    reset_after: str | None = None


class Paging(Strict):
    """How one response says where the next page is.

    - ``next_params``: ``next`` selects an object whose members are the next request's query
      parameters (null: the last page). Keyset paging by the server.
    - ``page``: ``param`` is a page number from ``first`` (more while a page is full, or
      while ``more`` is truthy).
    - ``offset``: ``param`` is the number of records to skip.
    - ``cursor``: ``next`` selects a token sent back as ``param`` (null or "": the end).
    - ``next_url``: ``next`` selects the next page's URL (null: the end).
    - ``link``: the ``Link`` header's ``rel="next"`` URL (absent: the end).
    """

    style: Literal["next_params", "page", "offset", "cursor", "next_url", "link", "none"]
    param: str = "page"
    limit_param: str | None = "limit"
    first: int = 1
    next: Expr | None = None
    more: Expr | None = None

    @model_validator(mode="after")
    def _needs_next(self) -> Paging:
        if self.style in ("next_params", "cursor", "next_url") and self.next is None:
            raise ValueError(f"paging style {self.style!r} needs a 'next' expression")
        return self


class ChangeFeed(Strict):
    """How changes are asked for.

    - ``modified_since``: ``param`` is an inclusive lower bound on ``token`` (a time) in
      ``format`` ("iso", "epoch", "epoch_ms", or a strftime pattern in ``timezone``),
      floored to ``precision`` seconds.
    - ``version``: ``param`` is an inclusive lower bound on ``token`` (an integer).
    - ``none``: no feed; the daemon uses audit mode (list everything, compare hashes).

    ``resume``: how a pass goes on after its first page. "paging" follows the server's next
    page (right for keyset paging, ``next_params``); "since" asks again from the last change
    time read and drops what was read (connectors/rest/resume.py): needed where pages are
    numbered, offset or linked, which shift when an item is edited during the pass. It needs
    the feed sorted by change time.
    """

    style: Literal["modified_since", "version", "none"]
    param: str = "since"
    token: Expr = "modified_at"
    format: str = "iso"
    timezone: str = "UTC"
    precision: int = Field(default=1, ge=1)
    resume: Literal["paging", "since"] = "paging"


class Request(Strict):
    """One request: method, path (``{name}`` placeholders are filled and URL-quoted), fixed
    query parameters, and the record selector of its answer."""

    method: Literal["GET", "POST", "PUT", "PATCH"] = "GET"
    path: str
    params: dict[str, str | int | bool] = Field(default_factory=dict)
    #: The list of records in the answer ("@" for the whole body as one record or list).
    records: Expr = "items"


class Entity(Strict):
    """A readable entity: its change feed, its listing, lookups, and the field mapping."""

    changes: Request | None = None
    listing: Request
    feed: ChangeFeed = ChangeFeed(style="none")
    paging: Paging = Paging(style="none")
    #: Largest page the platform serves.
    max_page: int = Field(default=100, gt=0)
    #: One record by id ({id}) / by SKU ({sku}); a 404 means none.
    by_id: Request | None = None
    #: A regular expression an id must match before ``by_id`` is tried (e.g. "[0-9]+").
    id_pattern: str | None = None
    by_sku: Request | None = None
    #: Several records by SKU: {skus} is the SKUs joined by ``join``.
    by_skus: Request | None = None
    join: str = ","
    #: The record's own id, which keys listings.
    id: Expr = "to_string(id)"
    #: Canonical field -> expression over the wire record.
    fields: dict[str, Expr]
    #: A truthy result marks a record deleted (a flag or a tombstone in the feed).
    deleted: Expr | None = None


class Write(Strict):
    """A write: the request, its body built from the canonical record (``body``), and the new
    record's id in the answer (``id``)."""

    method: Literal["POST", "PUT", "PATCH", "DELETE"] = "POST"
    path: str
    body: Expr = "@"
    id: Expr = "to_string(id)"


class Orders(Strict):
    """Posting orders at most once: with an idempotency-key header carrying the channel's
    reference, and/or a look-up by that reference before every create (``lookup``)."""

    create: Write
    amend: Write | None = None
    ship: Write | None = None
    #: The order by channel reference ({channel_ref}); its id by ``lookup_id``; 404 or an
    #: empty record list means none.
    lookup: Request | None = None
    lookup_id: Expr = "to_string(id)"
    idempotency_header: str | None = None
    #: A header whose "true" on a create's answer says it replays an earlier create.
    replayed_header: str | None = None
    #: A create refused as a duplicate: the status, and the existing order's id in the body.
    conflict_status: int | None = 409
    conflict_id: Expr = "to_string(existing_id)"
    #: One order by id ({order_id}), and its shipments' channel ids.
    get: Request | None = None
    shipment_ids: Expr = "shipments[].external_id"

    @model_validator(mode="after")
    def _at_most_once(self) -> Orders:
        if self.lookup is None and self.idempotency_header is None:
            raise ValueError(
                "orders need a lookup (by channel reference) or an idempotency_header:"
                " a blind retry of a create could post an order twice"
            )
        return self


class Customers(Strict):
    """Finding customers by e-mail ({email}) or account id ({account_id}), and creating them.
    Matches are checked again here (e-mail without regard to case), so a search that
    returns near matches finds only exact ones."""

    search_email: Request
    search_account: Request | None = None
    create: Write


class Writes(Strict):
    orders: Orders | None = None
    customers: Customers | None = None
    products: Write | None = None


class Settings(Strict):
    request: Request
    currency: Expr = "currency"
    name: Expr = "name"


class Manifest(Strict):
    """The whole manifest of one JSON HTTP back office."""

    name: str = "REST back office"
    auth: Auth = Auth(kind="none")
    errors: Errors = Errors()
    rate_limit: RateLimit = RateLimit()
    #: Location name used for stock when a record carries none.
    location: str = "default"
    entities: dict[EntityName, Entity]
    writes: Writes = Writes()
    settings: Settings | None = None

    @model_validator(mode="after")
    def _products_and_stock(self) -> Manifest:
        missing = [name for name in ("products", "stock") if name not in self.entities]
        if missing:
            raise ValueError(f"a back office needs entities {' and '.join(missing)}")
        feeds = {self.entities[n].feed.style for n in ("products", "stock")}
        if len(feeds) > 1:
            raise ValueError("products and stock must share one change-feed style")
        return self


def parse(data: Any) -> Manifest:
    return Manifest.model_validate(data)
