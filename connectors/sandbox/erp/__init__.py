"""The sandbox back office server: HTTP API, SQLite store, seed data, orders and customers."""
