"""The sandbox shop server: HTTP API, SQLite store, orders (and their generator) and customers."""
