"""The ``sql`` kind: an on-premise ERP database read (and written) by configured queries."""
