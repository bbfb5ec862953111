"""The chaos soak (scripts/chaos.py), short and seeded: the real daemon SIGKILLed 5 times while
the sandbox ERP edits and the sandbox shop takes orders, then quiescence and every check."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from harness import ROOT

sys.path.insert(0, str(ROOT / "scripts"))

from chaos import peak_calendar, peak_rolling

pytestmark = pytest.mark.slow


@pytest.mark.timeout(400)
def test_five_seeded_sigkills_lose_no_change_and_post_every_order_once(tmp_path: Path) -> None:
    command = [
        *(sys.executable, str(ROOT / "scripts" / "chaos.py")),
        *("--kills", "5", "--seed", "7", "--min-gap", "2", "--max-gap", "8"),
        *("--endurance", "30", "--products", "120", "--dir", str(tmp_path)),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=380, cwd=ROOT)
    log = tmp_path / "daemon.log"
    tail = log.read_text(errors="replace")[-3000:] if log.exists() else ""
    assert result.returncode == 0, f"{result.stdout[-3000:]}{result.stderr[-3000:]}\n{tail}"
    figures = json.loads((tmp_path / "figures.json").read_text())
    assert figures["lost_changes"] == 0
    assert figures["orders_twice"] == 0 and figures["orders_missing"] == 0
    assert figures["orders"]["placed"] > 0, "the shop took no orders: the soak tested nothing"
    assert set(figures["jobs"]) <= {"done", "dead"}
    assert "Result: all checks hold." in result.stdout


def test_the_server_side_window_check_finds_the_busiest_span() -> None:
    # Six calls within one minute from t=100.5 on: a limit of 5 per rolling minute is broken
    # although no calendar minute holds more than 4 of them.
    times = [10.0, 100.5, 110.0, 119.0, 121.0, 130.0, 160.4, 161.0]
    assert peak_rolling(times, 60) == (6, 100.5)
    assert peak_calendar(times, 60) == (4, 120.0)
    assert peak_rolling([], 60) == (0, 0.0)
