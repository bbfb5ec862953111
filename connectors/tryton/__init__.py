"""Tryton ERP (8.x JSON-RPC) as a back office: the connector in client.py, its settings in
settings.py.

Imports nothing, so the registry can load the settings model without the client.
"""
