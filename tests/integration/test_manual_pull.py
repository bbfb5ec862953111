"""A "sync now" lifts one page of a change pull to class 1 (manual), not the whole pass: the
pages after it go back to the pass's own class, behind the reserves that protect orders."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from helpers import api, assert_converged, enqueue, run_ok, state, write_config

from syncwright.daemon.flows.manual import sync_now_specs

pytestmark = pytest.mark.slow


def test_sync_now_lifts_one_page_and_the_pass_goes_on_at_its_own_class(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    box = sandbox_factory(products=20, variants=1)
    config = write_config(tmp_path, box, page_size=4)
    run_ok(config)  # the first pass: every product is on the shop
    (last,) = state(config, "SELECT max(id) FROM jobs")[0]
    for pid in range(1, 21):
        api(box.erp.url, "PATCH", f"/admin/products/{pid}", {"title": f"Now {pid}"})
    assert enqueue(config, *sync_now_specs(["products"])) == [False]
    run_ok(config)
    classes = [
        cls
        for (cls,) in state(
            config,
            "SELECT class FROM jobs WHERE id > ? AND kind = 'pull'"
            " AND json_extract(payload, '$.flow') = 'products' ORDER BY id",
            (last,),
        )
    ]
    assert len(classes) >= 5, classes  # 20 changed products, 4 a page
    assert classes[0] == 1, "the operator's page runs as manual work"
    assert set(classes[1:]) == {2}, classes
    assert_converged(box)
