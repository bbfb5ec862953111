"""``python -m syncwright.connectors.sparklayer`` runs the emulator (sparklayer/emulator/app.py)."""

import sys

from syncwright.connectors.sparklayer.emulator.app import main

sys.exit(main())
