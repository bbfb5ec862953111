"""A local stand-in for Xero's Accounting API and identity server (a test double)."""
