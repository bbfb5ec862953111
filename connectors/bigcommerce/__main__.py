"""``python -m syncwright.connectors.bigcommerce`` runs the emulator (emulator/app.py)."""

import sys

from syncwright.connectors.bigcommerce.emulator.app import main

sys.exit(main())
