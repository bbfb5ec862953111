"""The ``syncwright`` command line: one module per command or command group, assembled by
main.py; every exit status is an :class:`~syncwright.daemon.cli.exit_codes.ExitCode`."""
