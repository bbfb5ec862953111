"""scripts/syncwright.service: the directives operators rely on, checked by systemd-analyze."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from harness import ROOT

UNIT = ROOT / "scripts" / "syncwright.service"


def directives() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in UNIT.read_text().splitlines():
        if line and not line.startswith(("#", "[")):
            key, _, value = line.partition("=")
            found.setdefault(key, []).append(value)
    return found


def test_the_unit_is_a_notify_service_with_watchdog_reload_and_hardening() -> None:
    unit = directives()
    assert unit["Type"] == ["notify"]
    assert float(unit["WatchdogSec"][0]) > 0
    assert unit["ExecReload"] == ["/bin/kill -HUP $MAINPID"]
    assert unit["Restart"] == ["on-failure"]
    assert unit["User"] == ["syncwright"]
    assert unit["StateDirectory"] == ["syncwright"]
    assert unit["RuntimeDirectory"] == ["syncwright"]
    for flag in ("NoNewPrivileges", "ProtectHome", "PrivateTmp"):
        assert unit[flag] == ["yes"], flag
    assert unit["ProtectSystem"] == ["strict"]
    assert " run " in unit["ExecStart"][0]


def test_systemd_analyze_verify_accepts_the_unit(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed (apt-get install systemd; .ci/run does)")
    # verify checks that ExecStart= exists: point it at this environment's syncwright.
    exe = Path(sys.executable).parent / "syncwright"
    assert exe.exists(), exe
    text = UNIT.read_text().replace("/opt/syncwright/bin/syncwright", str(exe))
    unit = tmp_path / "syncwright.service"
    unit.write_text(text)
    result = subprocess.run(
        [analyze, "verify", str(unit)], capture_output=True, text=True, timeout=60
    )
    # A directive systemd cannot parse is only a warning (exit 0): any output is a failure.
    problems = [line for line in result.stderr.splitlines() if "syncwright.service" in line]
    assert result.returncode == 0 and not problems, result.stderr


def test_systemd_analyze_reports_a_broken_directive(tmp_path: Path) -> None:
    """The check above can fail: a misspelt type is reported."""
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    exe = Path(sys.executable).parent / "syncwright"
    text = UNIT.read_text().replace("/opt/syncwright/bin/syncwright", str(exe))
    unit = tmp_path / "syncwright.service"
    unit.write_text(text.replace("Type=notify", "Type=notifyy"))
    result = subprocess.run(
        [analyze, "verify", str(unit)], capture_output=True, text=True, timeout=60
    )
    assert "notifyy" in result.stderr
