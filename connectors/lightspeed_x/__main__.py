"""``python -m syncwright.connectors.lightspeed_x`` runs the emulator (lightspeed_x/emulator/)."""

import sys

from syncwright.connectors.lightspeed_x.emulator.app import main

sys.exit(main())
