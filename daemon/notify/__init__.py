"""Notifications: the e-mail outbox, the SMTP digest task, and its start/stop on reload."""
