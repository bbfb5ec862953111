"""Under journald (JOURNAL_STREAM names our stderr) each line carries its syslog priority and
the auto format is JSON without colour; elsewhere nothing changes."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import structlog

from syncwright.daemon.logs import structured as logs
from syncwright.daemon.logs.journal import is_journal


@pytest.fixture(autouse=True)
def _restore_logging() -> object:
    """These tests log into files they close: leave structlog as later tests expect it."""
    yield
    structlog.reset_defaults()


def test_lines_to_the_journal_stream_carry_their_priority(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "journal"
    with path.open("w") as stream:
        st = os.fstat(stream.fileno())
        monkeypatch.setenv("JOURNAL_STREAM", f"{st.st_dev}:{st.st_ino}")
        assert is_journal(stream)
        logs.configure("debug", "auto", stream=stream)
        log = structlog.get_logger("t")
        log.debug("a.debug")
        log.info("an.info")
        log.warning("a.warning")
        log.error("an.error")
    lines = path.read_text().splitlines()
    assert [line[:3] for line in lines] == ["<7>", "<6>", "<4>", "<3>"]
    events = [json.loads(line[3:])["event"] for line in lines]
    assert events == ["a.debug", "an.info", "a.warning", "an.error"]


def test_other_streams_get_no_prefix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with (tmp_path / "a").open("w") as a, (tmp_path / "b").open("w") as b:
        st = os.fstat(a.fileno())
        monkeypatch.setenv("JOURNAL_STREAM", f"{st.st_dev}:{st.st_ino}")
        assert not is_journal(b)
        logs.configure("info", "auto", stream=b)
        structlog.get_logger("t").warning("piped")
    assert (tmp_path / "b").read_text().startswith("{")
    monkeypatch.setenv("JOURNAL_STREAM", "garbage")
    with (tmp_path / "a").open() as a:
        assert not is_journal(a)
