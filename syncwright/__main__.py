"""``python -m syncwright``: the same command line as the installed ``syncwright`` script."""

import sys

from syncwright.daemon.cli.main import main

sys.exit(main())
