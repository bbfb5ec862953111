"""``[systems.NAME.settings]`` of a ``kind = "xero"`` system: one Xero organisation (tenant).

[systems.books]
kind = "xero"
url = "https://api.xero.com/api.xro/2.0"
credentials.client_id = { env = "XERO_CLIENT_ID" }
credentials.client_secret = { env = "XERO_CLIENT_SECRET" }
credentials.webhook_key = { env = "XERO_WEBHOOK_KEY" }
budget.windows.minute = { limit = 60 }       # per tenant (Xero's published limits)
budget.windows.day = { limit = 5000 }
[systems.books.settings]
tenant_id = "a3b6c1d2-..."                   # the xero-tenant-id of the organisation
grant = "refresh_token"                      # or "client_credentials" (custom connection)
token_file = "/var/lib/syncwright/xero-books.json"
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from syncwright.connectors.base import KindSettings


class XeroSettings(KindSettings):
    #: The organisation's ``xero-tenant-id`` (sent on every call).
    tenant_id: str = Field(min_length=1)
    #: Xero's identity server (the emulator's own URL in tests).
    token_url: str = "https://identity.xero.com/connect/token"
    #: refresh_token: an app authorised by a person; the refresh token rotates on every refresh
    #: and is kept in ``token_file``. client_credentials: a custom connection.
    grant: Literal["refresh_token", "client_credentials"] = "refresh_token"
    #: Where the current refresh token lives (JSON ``{"refresh_token": ...}``); rewritten
    #: atomically before a new token is used. Required for the refresh_token grant.
    token_file: Path | None = None
    #: The one stock location Xero has, as the channels' location maps name it.
    location: str = Field(default="Main", min_length=1)
    #: Status of the invoices posted for orders: DRAFT (amendable) or AUTHORISED.
    invoice_status: Literal["DRAFT", "AUTHORISED"] = "DRAFT"
    #: Revenue account of invoice lines and of items created at sale time.
    sales_account_code: str = Field(default="200", min_length=1)
    #: Whether order line prices include tax.
    line_amount_types: Literal["Inclusive", "Exclusive", "NoTax"] = "Inclusive"
    #: Contacts asked for per page (Xero's default is 100; 1000 is the largest it takes).
    page_size: int = Field(default=1000, ge=1, le=1000)

    @model_validator(mode="after")
    def _token_file_for_refresh(self) -> XeroSettings:
        if self.grant == "refresh_token" and self.token_file is None:
            raise ValueError("grant = 'refresh_token' needs token_file (where the token lives)")
        return self
