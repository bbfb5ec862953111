"""SparkLayer: the B2B portal as a channel (REST APIs, client-credentials tokens), its emulator.

settings.py    ``[systems.NAME.settings]`` of a ``kind = "sparklayer"`` system
transport.py   one REST call: the token per site, Site-Id, RFC 7807 problems, 401/409 rules
wire.py        canonical records <-> SparkLayer JSON (products, prices, customers, purchases)
catalog.py     products, the price list and stock: the ChannelConnector part
connector.py   SparkLayerChannel, the connector the daemon uses
synclog.py     the sync-log API (full PUT, partial PATCH, forget)
emulator/      the local SparkLayer stand-in (``python -m syncwright.connectors.sparklayer``)
"""
