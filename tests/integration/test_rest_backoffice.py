"""The rest kind end to end: the real daemon reads the sandbox back office through the keyset
example manifest (connectors/rest/examples/keyset.toml) and syncs products, stock and
customers to the sandbox shop, and posts the shop's orders back, each exactly once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from helpers import Sandbox, api, assert_converged, run_ok, state, write_config

pytestmark = pytest.mark.slow

MANIFEST = Path(__file__).resolve().parents[2] / "connectors/rest/examples/keyset.toml"


def rest_config(tmp: Path, box: Sandbox) -> Path:
    """The sandbox config with its back office read by the rest kind instead."""
    path = write_config(tmp, box, page_size=25)
    text = path.read_text()
    text = text.replace(
        'kind = "sandbox-erp"', f'kind = "rest"\nsettings = {{ manifest = "{MANIFEST}" }}', 1
    )
    text = text.replace("credentials = { api_key =", "credentials = { secret =", 1)
    text = text.replace(
        'flows = ["products", "stock"]', 'flows = ["products", "stock", "customers", "orders"]'
    )
    path.write_text(text)
    return path


def test_a_manifest_back_office_syncs_to_the_shop_and_takes_orders_once(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    box = sandbox_factory(products=40, variants=2, customers=6)
    config = rest_config(tmp_path, box)
    run_ok(config)
    assert_converged(box)
    # Every back-office customer is linked in the shop, or its reason is in the sync log (the
    # seed has two sharing an e-mail, and one the shop refuses for its empty address).
    erp_customers = {
        str(c["id"]) for c in api(box.erp, "GET", "/api/customers", limit=100)["items"]
    }
    linked = {r[0] for r in state(config, "SELECT source_id FROM links WHERE entity = 'customer'")}
    logged = {r[0] for r in state(config, "SELECT external_id FROM sync_errors")}
    assert len(linked) >= 3 and erp_customers - linked - logged <= {"2"}, (linked, logged)

    # An edit and a stock change reach the shop; an order comes back once.
    product = api(box.erp, "GET", "/api/products", limit=1)["items"][0]
    api(box.erp, "PATCH", f"/admin/products/{product['id']}", {"title": "Edited through rest"})
    sku = product["variants"][0]["sku"]
    api(box.erp, "PUT", "/admin/stock", {"sku": sku, "location": "central", "quantity": 77})
    buyer = {"email": "rest.buyer@example.com", "first_name": "Rest", "last_name": "Buyer"}
    line = {"sku": sku, "quantity": 2, "unit_price": "12.50", "title": "Thing"}
    order = api(box.shop, "POST", "/admin/orders", {"customer": buyer, "lines": [line]})["id"]
    run_ok(config)
    assert_converged(box)
    posted = api(box.erp, "GET", "/api/orders", limit=100)["items"]
    assert [o["channel_ref"] for o in posted] == [f"shop:{order}"]
    run_ok(config)  # nothing new: nothing posted again
    assert len(api(box.erp, "GET", "/api/orders", limit=100)["items"]) == 1
    assert state(config, "SELECT count(*) FROM jobs WHERE state = 'dead'") == [(0,)]
