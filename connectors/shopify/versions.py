"""The Admin API versions this connector supports, and the features that differ between them.

We support the versions whose published schema we validate against (scripts/fetch_shopify_schema
extracts exactly these). An unsupported version is a configuration error, raised early.
"""

from __future__ import annotations

from dataclasses import dataclass

SUPPORTED = ("2025-10", "2026-01", "2026-04")
DEFAULT = "2026-01"


class UnsupportedVersion(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Features:
    version: str
    #: 2026-01+: changeFromQuantity and the @idempotent directive on inventory mutations;
    #: before: compareQuantity.
    change_from: bool
    #: 2026-04+: @idempotent is required on inventorySetQuantities.
    idempotency_required: bool
    #: 2025-10+: bulkOperationRunQuery takes a required groupObjects argument.
    bulk_group_objects: bool


def features(version: str) -> Features:
    if version not in SUPPORTED:
        raise UnsupportedVersion(
            f"Shopify API version {version!r} is not supported; supported: {', '.join(SUPPORTED)}"
        )
    return Features(
        version=version,
        change_from=version >= "2026-01",
        idempotency_required=version >= "2026-04",
        bulk_group_objects=version >= "2025-10",
    )
