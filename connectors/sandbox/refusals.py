"""Why a sandbox store refuses a write; the servers answer each with its HTTP status.

    Refused                a write the store will not make
    ├── NotFound    404    the product, customer, order or SKU named does not exist
    ├── Conflict    409    it clashes with existing data (a duplicate SKU or channel reference)
    └── Invalid     422    a field breaks a business rule ("address line 1 is empty")

``existing_id`` names the record a Conflict clashed with, so a client can link to it.
"""

from __future__ import annotations


class Refused(Exception):
    status = 400

    def __init__(self, message: str, *, existing_id: int | str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.existing_id = existing_id


class NotFound(Refused, LookupError):
    status = 404


class Conflict(Refused, ValueError):
    status = 409


class Invalid(Refused, ValueError):
    status = 422
