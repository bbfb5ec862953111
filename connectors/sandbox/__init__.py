"""The built-in sandbox back office and sandbox shop: local HTTP systems with SQLite state.

Servers: ``erp.app.serve_erp`` / ``shop.app.serve_shop``, run inside the daemon through the
``sandbox-erp`` / ``sandbox-shop`` kinds' embedded hooks (``embedded.py``, reached through
connectors/registry.py) or by ``python -m syncwright.connectors.sandbox`` (standalone).
Connector clients: ``clients.build.build_erp`` / ``clients.build.build_shop``, their settings
in ``clients/settings.py``. This package imports nothing heavy, so loading the clients (or
the registry loading their settings) does not pull in the servers.
"""
