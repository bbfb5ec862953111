"""Seeded back-office customers: private buyers and B2B accounts, with deliberate flaws.

Two flaws are planted on purpose, because real customer files have them and the daemon must
cope (DESIGN.md rule 5):

- customers 1 and 2 (``SHARED_EMAIL_IDS``) are the same person entered twice: the same name
  and the same e-mail, once in lower case and once capitalised. A look-up by e-mail finds both,
  so a link by e-mail is ambiguous.
- customer 3 (``LEGACY_ADDRESS_ID``) has an address whose first line is empty, as an old import
  left it; the sandbox shop refuses to create such a customer ("address line 1 is empty").
"""

from __future__ import annotations

import json
import random

SHARED_EMAIL_IDS = (1, 2)
LEGACY_ADDRESS_ID = 3

FIRST: tuple[str, ...] = tuple(
    "Anna Ben Chloe Daan Emma Finn Greta Hugo Iris Jonas Lotte Milan Noor Oscar Sara Tim".split()
)
LAST: tuple[str, ...] = (
    *("de Vries", "Jansen", "Bakker", "Visser", "Smit", "Meijer", "Mulder", "Bos", "Peters"),
    *("Hendriks", "Dekker", "Brouwer"),
)
COMPANIES = ("Atelier Noord", "Stadsmode BV", "Kustwinkel", "Bergsport Plus", "De Wolhandel")
STREETS = ("Kerkstraat", "Dorpsweg", "Havenkade", "Molenlaan", "Stationsplein", "Lindenhof")
#: city -> (postcode prefix, country)
CITIES = {
    "Utrecht": ("35", "NL"),
    "Groningen": ("97", "NL"),
    "Haarlem": ("20", "NL"),
    "Antwerpen": ("20", "BE"),
    "Gent": ("90", "BE"),
    "Aachen": ("52", "DE"),
}
B2B_GROUPS = ("wholesale", "retail-partner")
DISCOUNTS = ("5.00", "10.00", "12.50")

#: (id, email, first_name, last_name, company, modified_at, group_name, accounting_id,
#: price_lists, discount_percent, pays_on_account, parent_id, address): the table's order.
CustomerRow = tuple[
    int,
    str,
    str,
    str,
    str | None,
    str,
    str | None,
    str | None,
    str,
    str | None,
    int,
    int | None,
    str | None,
]


def person(rng: random.Random) -> tuple[str, str]:
    return rng.choice(FIRST), rng.choice(LAST)


def email_for(first: str, last: str, number: int, domain: str = "example.com") -> str:
    return f"{first}.{last.replace(' ', '')}{number}@{domain}".lower()


def address(rng: random.Random) -> dict[str, str]:
    city = rng.choice(tuple(CITIES))
    prefix, country = CITIES[city]
    street = f"{rng.choice(STREETS)} {rng.randint(1, 180)}"
    postcode = f"{prefix}{rng.randint(10, 99)}"
    postcode += f" {rng.choice('ABEHKLMNPR')}{rng.choice('BDGSTX')}" if country == "NL" else "0"
    return {"line1": street, "line2": "", "city": city, "postcode": postcode, "country": country}


def seed_customers(rng: random.Random, stamps: list[str]) -> list[CustomerRow]:
    """One row per stamp (ids from 1), about a third of them B2B accounts."""
    rows: list[CustomerRow] = []
    heads: dict[str, int] = {}  # company -> its first account, the parent of later ones
    for customer_id, stamp in enumerate(stamps, 1):
        first, last = person(rng)
        email = email_for(first, last, customer_id)
        if customer_id == SHARED_EMAIL_IDS[1]:
            _, email, first, last = rows[0][:4]
            email = email.title()
        place = None if rng.random() < 0.1 else address(rng)
        if customer_id == LEGACY_ADDRESS_ID:
            place = {**address(rng), "line1": ""}
        b2b = rng.random() < 0.35 and customer_id not in SHARED_EMAIL_IDS
        company = rng.choice(COMPANIES) if b2b or rng.random() < 0.1 else None
        parent = heads.get(company) if b2b and company and rng.random() < 0.5 else None
        if b2b and company:
            heads.setdefault(company, customer_id)
        rows.append(
            (
                customer_id,
                email,
                first,
                last,
                company,
                stamp,
                rng.choice(B2B_GROUPS) if b2b else None,
                f"ACC-{customer_id:05d}" if b2b else None,
                json.dumps(["Wholesale"] if b2b else []),
                rng.choice(DISCOUNTS) if b2b else None,
                int(b2b and rng.random() < 0.7),
                parent,
                None if place is None else json.dumps(place, sort_keys=True),
            )
        )
    return rows
