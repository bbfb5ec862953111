"""Connector clients of the sandbox back office and shop (what the daemon talks to)."""
