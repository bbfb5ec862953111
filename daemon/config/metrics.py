"""The ``[metrics]`` table: an optional Prometheus endpoint, on a loopback address by default."""

from __future__ import annotations

import ipaddress
from typing import Self

from pydantic import model_validator
from pydantic_core import PydanticCustomError

from syncwright.daemon.config.types import StrictModel


class MetricsConfig(StrictModel):
    enabled: bool = False
    #: host:port; port 0 picks a free port (logged as ``metrics.listening``).
    listen: str = "127.0.0.1:9464"
    #: The endpoint has no authentication: other than loopback addresses need this set.
    allow_remote: bool = False

    @model_validator(mode="after")
    def _check_listen(self) -> Self:
        host, _, port = self.listen.rpartition(":")
        host = host.removeprefix("[").removesuffix("]")
        if not host or not port.isdigit() or not 0 <= int(port) < 65536:
            raise PydanticCustomError(
                "listen", 'expected "host:port" with a port from 0 to 65535, e.g. "127.0.0.1:9464"'
            )
        if not self.allow_remote and not _loopback(host):
            raise PydanticCustomError(
                "listen",
                "{host} is not a loopback address and the metrics endpoint has no "
                "authentication; listen on 127.0.0.1 (behind a proxy) or set allow_remote = true",
                {"host": host},
            )
        return self

    def address(self) -> tuple[str, int]:
        host, _, port = self.listen.rpartition(":")
        return host.removeprefix("[").removesuffix("]"), int(port)


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
