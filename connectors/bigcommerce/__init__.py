"""BigCommerce (catalog v3, orders v2, inventory v3): channel and source connector, emulator."""
