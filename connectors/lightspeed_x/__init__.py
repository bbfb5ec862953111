"""The Lightspeed Retail X-Series (formerly Vend) back office, API 2.0."""
