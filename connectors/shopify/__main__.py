"""``python -m syncwright.connectors.shopify`` runs the emulator (shopify/emulator/app.py)."""

import sys

from syncwright.connectors.shopify.emulator.app import main

sys.exit(main())
