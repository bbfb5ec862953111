"""The ``rest`` kind: a JSON HTTP back office described by a TOML manifest (manifest.py)."""
