"""Logs never carry secrets: credential-like keys and registered secret values are redacted."""

from __future__ import annotations

import io
import json

import anyio
import structlog

from syncwright.daemon.logs import structured as logs


def test_json_lines_redact_secret_keys_and_values() -> None:
    out = io.StringIO()
    redactor = logs.Redactor()
    logs.configure("info", "json", stream=out, redactor=redactor)
    redactor.add("s3cr3t-value-123")
    log = structlog.get_logger("t").bind(connection="demo")
    log.info(
        "job.failed",
        api_key="abc",
        error="401 for key s3cr3t-value-123",
        job=7,
        headers={"Authorization": "Bearer x", "Accept": "json"},
    )
    record = json.loads(out.getvalue().strip())
    assert record["event"] == "job.failed"
    assert record["connection"] == "demo" and record["job"] == 7
    assert record["api_key"] == logs.REDACTED
    assert "s3cr3t-value-123" not in out.getvalue()
    assert record["error"] == f"401 for key {logs.REDACTED}"
    assert record["headers"] == {"Authorization": logs.REDACTED, "Accept": "json"}


def test_debug_events_are_filtered_at_info_level() -> None:
    out = io.StringIO()
    logs.configure("info", "json", stream=out)
    structlog.get_logger("t").debug("job.done")
    assert out.getvalue() == ""


def test_the_redactor_in_force_holds_in_tasks_and_worker_threads() -> None:
    """A daemon binds its redactor to the context it runs in (Supervisor.run): its tasks and
    worker threads inherit it; elsewhere the redactor given to configure applies."""
    out = io.StringIO()
    fallback = logs.Redactor()
    fallback.add("process-wide-1")
    logs.configure("info", "json", stream=out, redactor=fallback)
    daemon = logs.Redactor()
    daemon.add("daemon-own-2")
    text = "daemon-own-2 process-wide-1"

    def in_thread() -> None:
        structlog.get_logger("t").info("thread", detail=text)

    async def main() -> None:
        with daemon.bound():
            async with anyio.create_task_group() as tg:
                tg.start_soon(lambda: anyio.to_thread.run_sync(in_thread))
            structlog.get_logger("t").info("task", detail=text)
        structlog.get_logger("t").info("after", detail=text)

    anyio.run(main)
    details = {r["event"]: r["detail"] for r in map(json.loads, out.getvalue().splitlines())}
    inside = f"{logs.REDACTED} process-wide-1"
    assert details == {
        "thread": inside,
        "task": inside,
        "after": f"daemon-own-2 {logs.REDACTED}",
    }


def test_a_traceback_shows_no_local_variables_and_no_secret_in_either_format() -> None:
    """The console format's default traceback printed every frame's locals (a credential
    among them), and both formats rendered the exception after the redaction."""
    for fmt in ("console", "json"):
        out = io.StringIO()
        redactor = logs.Redactor()
        redactor.add("k3y-in-a-local-99")
        logs.configure("info", fmt, stream=out, redactor=redactor)

        def connect(api_key: str) -> None:
            held = {"api_key": api_key}
            raise RuntimeError(f"refused with {held['api_key']}")

        try:
            connect("k3y-in-a-local-99")
        except RuntimeError:
            structlog.get_logger("t").exception("daemon.failed")
        text = out.getvalue()
        assert "RuntimeError: refused with [redacted]" in text.replace("\\n", "\n"), (fmt, text)
        assert "k3y-in-a-local-99" not in text, (fmt, text)
        assert "locals" not in text, (fmt, text)
