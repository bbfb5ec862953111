"""The control socket: protocol, server, commands (see docs/control-protocol.md)."""
