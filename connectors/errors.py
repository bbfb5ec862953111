"""The errors a connector raises; the daemon's retry policy decides what each one means.

    ConnectorError                 anything that went wrong talking to a remote system
    ├── TransientError             timeouts, dropped connections, 5xx: try again later
    ├── RateLimitedError           429, THROTTLED, or our own budget said no: wait, no attempt used
    ├── AuthError                  401/403, bad or expired credentials: pause the connection
    ├── FixableError               a state a person may fix (an inactive product): retry, and say so
    └── PermanentError             the request is wrong (validation, 4xx): record, do not retry
        └── PayloadError           the remote answered with something we cannot read

Connectors raise these and nothing else for remote failures; they never decide on retries.
"""

from __future__ import annotations


class ConnectorError(Exception):
    """A call to a remote system failed. ``system`` names the system when known."""

    def __init__(self, message: str, *, system: str | None = None, status: int | None = None):
        super().__init__(message)
        self.message = message
        self.system = system
        self.status = status

    def __str__(self) -> str:
        where = f"{self.system}: " if self.system else ""
        code = f" (HTTP {self.status})" if self.status else ""
        return f"{where}{self.message}{code}"


class TransientError(ConnectorError):
    """Worth retrying with backoff: the same request may well succeed later."""


class RateLimitedError(ConnectorError):
    """The remote (or our own budget) refused for now; ``retry_after`` seconds if known."""

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        system: str | None = None,
        status: int | None = None,
        local: bool = False,
    ):
        super().__init__(message, system=system, status=status)
        self.retry_after = retry_after
        #: True when our own budget refused before any request was sent.
        self.local = local


class AuthError(ConnectorError):
    """Credentials rejected: nothing will succeed until an operator fixes them."""


class FixableError(ConnectorError):
    """The remote holds something in a state a person may change back (a product made inactive
    or not salable): the same request succeeds once they do. Retried with backoff within the
    job class's give-up time, and reported where a person will see it meanwhile."""


class PermanentError(ConnectorError):
    """The request is wrong and will fail the same way until the item changes."""


class PayloadError(PermanentError):
    """The remote sent a body that does not parse or does not match its documented shape."""
