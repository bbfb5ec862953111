"""What a person may choose to settle a customer ambiguity, read back from its sync-log error.

The flows refuse to guess between two back-office customers (DESIGN.md rule 5) and say so in
the error's words (flows/customers.py, flows/sale.py). This module reads those words back into
a choice: the back-office customers that could be meant and, where the error names it, the
channel customer to link (``syncwright link`` and the TUI's link action send the person's
pick). A message in any other shape offers no choice. Tests pin the shapes to their producers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: An order's customer matched several back-office customers (flows/sale.py ``_ambiguity``).
_ORDER = re.compile(
    r"\[channel customer (?P<channel>[^\]]+)\] matches \d+ customers in the back office: "
    r"(?P<ids>[^;]+); no flow links"
)
#: A back-office customer shares its e-mail with others (flows/customers.py).
_SHARED = re.compile(
    r"^customer (?P<cid>\S+) shares e-mail \S* with back-office customer\(s\) (?P<ids>[^;]+);"
)
#: The channel customer a back-office customer matches is linked to another one.
_TAKEN = re.compile(
    r"^customer (?P<cid>\S+) matches \S+ customer (?P<channel>[^\s,]+)(?: \([^)]*\))?,"
    r" which is already linked to customer (?P<holder>[^\s;,]+)"
)


@dataclass(frozen=True, slots=True)
class LinkChoice:
    #: The back-office customers a person may pick from (in the error's order).
    back_office_ids: tuple[str, ...]
    #: The channel customer to link them to (None: the error does not name one; ask for it).
    channel_id: str | None


def choice(flow: str, message: str) -> LinkChoice | None:
    """The choice a customer ambiguity error offers (None: this error offers none)."""
    if flow == "orders":
        m = _ORDER.search(message)
        if m is None:
            return None
        ids = tuple(i.strip() for i in m["ids"].split(",") if i.strip())
        return LinkChoice(ids, m["channel"].strip())
    if flow != "customers":
        return None
    if (m := _SHARED.search(message)) is not None:
        others = [i.strip() for i in m["ids"].split(",") if i.strip()]
        return LinkChoice((m["cid"], *others), None)
    if (m := _TAKEN.search(message)) is not None:
        return LinkChoice((m["cid"], m["holder"]), m["channel"])
    return None
