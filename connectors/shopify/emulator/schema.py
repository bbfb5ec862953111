"""Shopify's published Admin schema (introspection JSON), loaded once per version.

The files are fetched by scripts/fetch_shopify_schema.py into a cache outside git; this module
only reads them. ``check(version, query)`` parses and validates a document and caches the
outcome per (version, text), so repeated queries cost a dict look-up.
"""

from __future__ import annotations

import gzip
import json
import os
from functools import lru_cache
from pathlib import Path

from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    build_client_schema,
    parse,
    validate,
)


class SchemaMissing(RuntimeError):
    pass


def cache_dir() -> Path:
    explicit = os.environ.get("SYNCWRIGHT_SCHEMA_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "syncwright" / "shopify-schema"


@lru_cache(maxsize=4)
def schema(version: str) -> GraphQLSchema:
    path = cache_dir() / f"admin_{version}.json.gz"
    if not path.is_file():
        raise SchemaMissing(
            f"no Shopify Admin schema for {version} at {path}; "
            "run: python3 scripts/fetch_shopify_schema.py"
        )
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        data = json.load(handle)
    return build_client_schema(data["data"] if "data" in data else data)


@lru_cache(maxsize=512)
def check(version: str, text: str) -> tuple[DocumentNode | None, tuple[GraphQLError, ...]]:
    """(document, no errors) or (None, the syntax or validation errors)."""
    try:
        document = parse(text)
    except GraphQLError as exc:
        return None, (exc,)
    errors = validate(schema(version), document)
    return (None, tuple(errors)) if errors else (document, ())
