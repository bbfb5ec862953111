"""The terminal UI: a Textual app that watches and steers a running daemon over its socket."""
