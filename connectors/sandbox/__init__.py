"""The built-in sandbox back office and sandbox shop: local HTTP systems with SQLite state.

Servers: ``erp.app.serve_erp`` / ``shop.app.serve_shop`` (embedded) or
``python -m syncwright.connectors.sandbox`` (standalone). Connector clients:
``clients.build.build_erp`` / ``clients.build.build_shop``. This package
imports nothing heavy, so loading the clients does not pull in the servers.
"""
