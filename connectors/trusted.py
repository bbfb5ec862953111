"""Canonical records built from values a fast path has checked already, without pydantic's
validation (half the cost of a validated record; a full sync builds three per product).

This is what ``BaseModel.model_construct`` does, minus its per-field loop over aliases (which
makes it slower than validating in the pydantic versions we use). Only for callers that have
checked every value's type exactly (connectors/sandbox/wire/fast.py): nothing here converts or
checks anything. tests/connectors/test_trusted.py holds it equal to the validated record.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)

_set = object.__setattr__
#: Per model class: its field names in declared order, static defaults, default factories.
_Shape = tuple[list[str], dict[str, Any], dict[str, Any]]
_SHAPES: dict[type[BaseModel], _Shape] = {}


def _shape(cls: type[BaseModel]) -> _Shape:
    known = _SHAPES.get(cls)
    if known is None:
        static: dict[str, Any] = {}
        factories: dict[str, Any] = {}
        for name, field in cls.model_fields.items():
            if field.default_factory is not None:
                factories[name] = field.default_factory
            elif not field.is_required():
                static[name] = field.default
        known = _SHAPES[cls] = (list(cls.model_fields), static, factories)
    return known


def trusted(cls: type[M], **values: Any) -> M:
    """A ``cls`` holding ``values`` (already of the exact field types) and the defaults of
    the fields not given; fields set are the ones given, as validation would record them.
    Values are kept in the declared field order, which pydantic's serializer follows."""
    order, static, factories = _shape(cls)
    fields_set = set(values)
    given = list(values)
    if given == order[: len(given)]:  # the usual call: fields in order, defaults at the end
        for name in order[len(given) :]:
            values[name] = static[name] if name in static else factories[name]()
    else:
        unknown = fields_set.difference(order)
        if unknown:
            raise TypeError(f"{cls.__name__} has no field {sorted(unknown)[0]!r}")
        values = {
            name: values[name]
            if name in values
            else static[name]
            if name in static
            else factories[name]()
            for name in order
        }
    record = cls.__new__(cls)
    _set(record, "__dict__", values)
    _set(record, "__pydantic_fields_set__", fields_set)
    _set(record, "__pydantic_extra__", None)
    _set(record, "__pydantic_private__", None)
    return record
