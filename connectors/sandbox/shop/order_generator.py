"""Random shop orders: returning and new customers, some of them B2B, buying listed products.

``pick_orders`` is pure (the same random state gives the same orders); the shop store places
what it picks (``ShopStore.random_orders``), which a RateGenerator runs ``order_rate`` times a
second.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from typing import Any

from syncwright.connectors.sandbox.erp.seed_customers import COMPANIES, address, email_for, person

Json = dict[str, Any]
RETURNING_SHARE = 0.4
B2B_SHARE = 0.2


def pick_orders(
    rng: random.Random,
    count: int,
    skus: Sequence[str],
    customers: Sequence[int],
    next_customer: int,
) -> list[Json]:
    """``count`` order specs for ``ShopOrders.insert`` (new buyers as customer columns).

    ``customers`` are existing account row ids (returning buyers); new buyers get e-mails
    numbered from ``next_customer`` on, which no existing account holds.
    """
    if not skus:
        return []
    specs = []
    for _ in range(count):
        b2b = rng.random() < B2B_SHARE
        buyer: Json
        if customers and rng.random() < RETURNING_SHARE:
            buyer = {"customer_id": rng.choice(customers)}
        else:
            first, last = person(rng)
            new: Json = {
                "email": email_for(first, last, next_customer, "shopper.example"),
                "first_name": first,
                "last_name": last,
                "address": json.dumps(address(rng), sort_keys=True),
            }
            if b2b:
                new["company"] = rng.choice(COMPANIES)
            next_customer += 1
            buyer = {"customer": new}
        picked = rng.sample(list(skus), k=min(len(skus), rng.randint(1, 3)))
        lines = [
            {"sku": sku, "quantity": rng.randint(5, 20) if b2b else rng.randint(1, 3)}
            for sku in picked
        ]
        specs.append({**buyer, "lines": lines, "b2b": b2b})
    return specs
