"""``python -m connectors.shopify`` runs the emulator (see connectors/shopify/emulator.py)."""

import sys

from connectors.shopify.emulator import main

sys.exit(main())
