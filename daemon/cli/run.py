"""``syncwright run``: the daemon in the foreground until SIGTERM or SIGINT (``--until-idle``:
one round of pulls, then exit when no job is left)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from syncwright.daemon.cli import offline
from syncwright.daemon.cli.exit_codes import ExitCode
from syncwright.daemon.cli.options import add_config_option
from syncwright.daemon.cli.version import package_version


def add_parser(sub: Any, default_config: Path) -> None:
    parser = sub.add_parser(
        "run",
        help="run the daemon in the foreground",
        description="Run the daemon in the foreground until SIGTERM or SIGINT. "
        "SIGHUP reloads the config file.",
    )
    add_config_option(parser, default_config)
    parser.add_argument(
        "--until-idle",
        action="store_true",
        help="burst mode: queue one round of pulls, run until no job is left, exit",
    )
    parser.set_defaults(handler=lambda args: run(args.config, until_idle=args.until_idle))


def run(path: Path, *, until_idle: bool = False) -> int:
    import anyio
    import structlog

    from syncwright.daemon.config.errors import ConfigError
    from syncwright.daemon.gctune import tune
    from syncwright.daemon.logs import structured as logs
    from syncwright.daemon.ops.backup import BackupError
    from syncwright.daemon.ops.listen import ListenFailed
    from syncwright.daemon.store.db import StoreFailed
    from syncwright.daemon.store.lock import StateLocked
    from syncwright.daemon.store.migrations import SchemaTooNew
    from syncwright.daemon.store.usable import StateUnusable
    from syncwright.daemon.supervisor import Supervisor

    config = offline.load(path)
    supervisor = Supervisor(config, path, burst=until_idle)
    # Lines logged outside the daemon's own context (after it stopped) are redacted too.
    logs.configure(config.daemon.log_level, config.daemon.log_format, redactor=supervisor.redactor)
    log = structlog.get_logger("syncwright")
    log.info("daemon.starting", version=package_version(), config=str(path))
    tune()
    try:
        try:
            anyio.run(supervisor.run, backend="asyncio")
        except BaseExceptionGroup as group:
            raise _sole(group) from group
    except ConfigError as exc:  # found at start-up, e.g. a credential that does not resolve
        print(str(exc), file=sys.stderr)
        return ExitCode.CONFIG
    except SchemaTooNew as exc:
        log.error("store.refused", error=str(exc))
        return ExitCode.STATE
    except BackupError as exc:  # no backup before a migration: nothing was changed
        log.error("store.backup_failed", error=str(exc))
        return ExitCode.STATE
    except StoreFailed:  # the state file failed under the writer; the store logged the cause
        return ExitCode.FAILED
    except StateUnusable as exc:  # the path cannot hold a state file: says why and where
        log.error("store.unusable", error=str(exc), path=str(exc.state))
        return ExitCode.STATE
    except StateLocked as exc:  # another daemon runs on this state file: nothing was touched
        log.error("store.locked", error=str(exc), holder_pid=exc.pid)
        return ExitCode.STATE
    except ListenFailed as exc:  # e.g. a second daemon on this config's ports
        log.error("daemon.listen_failed", error=str(exc))
        return ExitCode.FAILED
    except KeyboardInterrupt:
        return ExitCode.OK
    except Exception:
        log.exception("daemon.failed")
        return ExitCode.FAILED
    return ExitCode.OK


def _sole(group: BaseExceptionGroup[BaseException]) -> BaseException:
    """The one real error inside nested task-group wrappers, or the group itself. A failed
    state file is the real error wherever it is: the other tasks failed because of it."""
    from syncwright.daemon.store.db import StoreFailed

    failed: BaseException | None = group.subgroup(StoreFailed)
    while isinstance(failed, BaseExceptionGroup):
        failed = failed.exceptions[0]
    if failed is not None:
        return failed
    exc: BaseException = group
    while isinstance(exc, BaseExceptionGroup) and len(exc.exceptions) == 1:
        exc = exc.exceptions[0]
    return exc
