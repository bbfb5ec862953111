"""Config models for order posting: the ``[notify]`` e-mail digest and per-connection
``[connections.X.orders]`` options. Imported by daemon.config, which holds the whole file's model.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal, Self

from pydantic import AfterValidator, Field, model_validator
from pydantic_core import PydanticCustomError

from syncwright.daemon.config.types import CredentialRef, Duration, StrictModel

_ADDRESS = re.compile(r"[^@\s<>,;]+@[^@\s<>,;]+")
#: The port each security mode uses when none is given.
DEFAULT_PORTS = {"none": 25, "starttls": 587, "ssl": 465}


def _address(value: str) -> str:
    if not _ADDRESS.fullmatch(value.strip()):
        raise PydanticCustomError("address", "expected an e-mail address such as ops@example.com")
    return value.strip()


Address = Annotated[str, AfterValidator(_address)]


class OrderOptions(StrictModel):
    """``[connections.X.orders]``: which channel orders are posted to the back office."""

    #: Forward only orders the channel marks as B2B; the others are recorded as skipped.
    only_b2b: bool = False


class SmtpConfig(StrictModel):
    """``[notify.smtp]``: the mail server the digest is handed to."""

    host: str = Field(default="localhost", min_length=1)
    #: None: 25, 587 or 465 for security none, starttls or ssl.
    port: int | None = Field(default=None, ge=1, le=65535)
    security: Literal["none", "starttls", "ssl"] = "starttls"
    username: str | None = None
    password: CredentialRef | None = None
    timeout: Duration = 30.0

    @model_validator(mode="after")
    def _login_pair(self) -> Self:
        if (self.username is None) != (self.password is None):
            raise PydanticCustomError(
                "smtp_login",
                "username and password go together: give both to log in, or neither",
            )
        return self

    @property
    def effective_port(self) -> int:
        return self.port if self.port is not None else DEFAULT_PORTS[self.security]


class NotifyConfig(StrictModel):
    """``[notify]``: e-mail digests of orders that could not be posted. Off by default."""

    enabled: bool = False
    sender: Address | None = Field(default=None, alias="from")
    to: Annotated[tuple[Address, ...], Field(max_length=100)] = ()
    #: Unsent notifications are gathered and mailed as one digest this often.
    digest_interval: Duration = 900.0
    subject_prefix: str = "[Syncwright]"
    smtp: SmtpConfig = SmtpConfig()

    @model_validator(mode="after")
    def _complete_when_enabled(self) -> Self:
        if self.enabled and (self.sender is None or not self.to):
            raise PydanticCustomError(
                "notify",
                'notify is enabled but has no {missing}; expected from = "syncwright@..." and '
                'to = ["ops@..."], or enabled = false',
                {"missing": "sender (from)" if self.sender is None else "recipients (to)"},
            )
        return self
