"""``python -m syncwright.connectors.xero`` runs the emulator (xero/emulator/app.py)."""

import sys

from syncwright.connectors.xero.emulator.app import main

sys.exit(main())
