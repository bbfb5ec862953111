"""Webhooks: the listener that stores deliveries, and the dispatcher that turns them into jobs."""
