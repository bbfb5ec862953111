"""A stand-in for a BigCommerce store's REST API (a test double; the daemon never imports it)."""
