"""The state store: schema migrations, the batching writer and read access."""

from syncwright.daemon.store.db import Store, StoreClosed
from syncwright.daemon.store.migrations import SCHEMA_VERSION, SchemaTooNew

__all__ = ["SCHEMA_VERSION", "SchemaTooNew", "Store", "StoreClosed"]
