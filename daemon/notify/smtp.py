"""Handing one e-mail to an SMTP server (blocking: daemon.notify runs it in a worker thread).

Plain, STARTTLS (checked certificate) or implicit TLS; an optional login. :func:`send`
returns only once the server accepted the mail, so the caller may then mark it sent. Any
failure raises (OSError for network trouble, smtplib.SMTPException for what the server said).
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage

from syncwright.daemon.config.notify import SmtpConfig


def send(smtp: SmtpConfig, password: str | None, message: EmailMessage) -> list[str]:
    """Deliver ``message`` to the server; returns the recipients it refused (the others got
    the mail). Raises when no recipient was accepted or anything else went wrong."""
    port = smtp.effective_port
    client: smtplib.SMTP
    if smtp.security == "ssl":
        context = ssl.create_default_context()
        client = smtplib.SMTP_SSL(smtp.host, port, timeout=smtp.timeout, context=context)
    else:
        client = smtplib.SMTP(smtp.host, port, timeout=smtp.timeout)
    with client:
        if smtp.security == "starttls":
            client.starttls(context=ssl.create_default_context())
        if smtp.username is not None and password is not None:
            client.login(smtp.username, password)
        refused = client.send_message(message)
    return sorted(refused)
