"""Logging: structlog set-up, secret redaction, and journald priority prefixes."""
