"""``python -m syncwright.connectors.unleashed`` runs the emulator (unleashed/emulator/app.py)."""

import sys

from syncwright.connectors.unleashed.emulator.app import main

sys.exit(main())
