"""The built-in sandbox back office and sandbox shop: local HTTP systems with SQLite state.

Servers: ``erp.serve_erp`` / ``shop.serve_shop`` (embedded) or ``python -m connectors.sandbox``
(standalone). Connector clients: ``client.build_erp`` / ``client.build_shop``. This package
imports nothing heavy, so loading the clients does not pull in the servers.
"""
