"""Shared fixtures (helpers live in tests/helpers.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import Sandbox, start_server


@pytest.fixture
def sandbox_factory(tmp_path: Path) -> Iterator[object]:
    started: list[Sandbox] = []

    def make(products: int = 120, variants: int = 2, **erp_opts: object) -> Sandbox:
        extra = [
            "--products",
            str(products),
            "--variants-per-product",
            str(variants),
            "--customers",
            "0",
        ]
        for key, value in erp_opts.items():
            extra += [f"--{key.replace('_', '-')}", str(value)]
        erp = start_server("erp", tmp_path / "erp.db", *extra)
        shop = start_server("shop", tmp_path / "shop.db")
        box = Sandbox(erp, shop, tmp_path)
        started.append(box)
        return box

    yield make
    for box in started:
        box.erp.stop()
        box.shop.stop()
