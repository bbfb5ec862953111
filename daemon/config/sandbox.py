"""The ``[sandbox]`` section: the built-in sandbox ERP and shop the daemon serves itself.

Only the settings live here; the servers are the ``embedded`` hooks of the ``sandbox-erp`` and
``sandbox-shop`` kinds (connectors/registry.py), which the daemon starts through the registry
(daemon/runtime.py) and never imports.
"""

from __future__ import annotations

from typing import Annotated, Any, Self

from pydantic import BeforeValidator, Field, model_validator
from pydantic_core import PydanticCustomError

from syncwright.daemon.config.paths import default_sandbox_dir
from syncwright.daemon.config.types import (
    ConfigPath,
    CredentialRef,
    Listen,
    StrictModel,
    UniqueNames,
)


class SandboxErp(StrictModel):
    listen: Listen = "127.0.0.1:8701"
    products: int = Field(default=2000, ge=0)
    variants_per_product: int = Field(default=2, ge=1)
    warehouses: UniqueNames = ("main", "backup")
    customers: int = Field(default=500, ge=0)
    change_rate: float = Field(default=0.5, ge=0.0)
    #: Requests per minute the sandbox allows before answering 429; 0: no limit.
    rate_limit_per_minute: int = Field(default=0, ge=0)
    #: The key the sandbox accepts; None: its built-in demo key.
    api_key: CredentialRef | None = None


class SandboxShop(StrictModel):
    listen: Listen = "127.0.0.1:8702"
    order_rate: float = Field(default=0.0, ge=0.0)
    #: Stock locations the shop has.
    locations: UniqueNames = ("main", "backup")
    rate_limit_per_minute: int = Field(default=0, ge=0)
    api_key: CredentialRef | None = None


class SandboxConfig(StrictModel):
    enabled: bool = False
    data_dir: Annotated[ConfigPath, BeforeValidator(default_sandbox_dir)] = Field(
        default="", validate_default=True
    )
    erp: SandboxErp = SandboxErp()
    shop: SandboxShop = SandboxShop()

    @model_validator(mode="after")
    def _distinct_ports(self) -> Self:
        if self.erp.listen == self.shop.listen:
            raise PydanticCustomError(
                "listen",
                "erp and shop both listen on {listen}; expected two different addresses",
                {"listen": self.erp.listen},
            )
        return self

    def parts(self) -> list[tuple[str, str, SandboxErp | SandboxShop]]:
        """(part, registered kind whose embedded server it configures, its table)."""
        return [("erp", "sandbox-erp", self.erp), ("shop", "sandbox-shop", self.shop)]


def server_options(part: SandboxErp | SandboxShop) -> dict[str, Any]:
    """A part's settings for its server, beyond where it listens and the key it accepts."""
    return part.model_dump(exclude={"listen", "api_key"})
