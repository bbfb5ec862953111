"""Shopify: the GraphQL Admin API connector (a channel), its emulator, and webhook notices.

versions.py    supported API versions and what differs between them
cost.py        the calculated query cost of a GraphQL document (client and emulator)
transport.py   one GraphQL call: auth, cost pacing, THROTTLED/429, errors
queries.py     the GraphQL documents the connector sends
wire.py        Shopify objects -> canonical records, and products -> productSet input
inventory.py   inventory item lookup and inventorySetQuantities by version
bulk.py        bulkOperationRunQuery full reads (JSONL with __parentId)
connector.py   ShopifyChannel, the connector the daemon uses
notices.py     webhook payloads -> change notices
emulator*.py   the local Shopify stand-in, validated against the real schema
"""
