"""The SparkLayer emulator: a local stand-in for a SparkLayer site (see app.py)."""
