"""A local stand-in for a Lightspeed Retail X-Series store (tests, benchmarks, demos only)."""
