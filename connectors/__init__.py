"""Connectors: the contract every platform meets, canonical records, and one folder per platform."""
