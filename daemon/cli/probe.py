"""``syncwright probe SYSTEM [ENTITY] [--json]``: read one page of each entity of a ``rest``
system through its manifest and print the canonical records it maps to, the records that do
not map (and why), and the canonical fields the manifest leaves unmapped. It talks to the
API directly (no daemon needed) and writes nothing: a manifest is built against the real API
in a few rounds of edit and probe.
Exit status: 0 every record mapped; 1 a request failed or a record did not map; 2 usage or
configuration error (unknown system, not a rest system, unreadable credentials).
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from syncwright.daemon.cli.exit_codes import CommandError, ExitCode
from syncwright.daemon.cli.options import add_config_option


def add_parser(sub: Any, default_config: Path) -> None:
    text = "show what a rest system's manifest maps one page of each entity to"
    parser: argparse.ArgumentParser = sub.add_parser("probe", help=text, description=text)
    add_config_option(parser, default_config, "the system")
    parser.add_argument("system", metavar="SYSTEM")
    parser.add_argument("entity", metavar="ENTITY", nargs="?", help="default: every entity")
    parser.add_argument("--limit", type=int, default=5, help="records per entity (default 5)")
    parser.add_argument("--json", action="store_true", help="print the findings as JSON")
    parser.set_defaults(handler=run_probe)


def run_probe(args: argparse.Namespace) -> int:
    import anyio

    from syncwright.connectors.base import OpenGate
    from syncwright.connectors.rest.writes import build
    from syncwright.daemon.config.errors import ConfigError
    from syncwright.daemon.config.load import load_config
    from syncwright.daemon.config.secrets import resolve_secrets
    from syncwright.daemon.runtime import system_spec

    try:
        config = load_config(args.config)
        secrets = resolve_secrets(config)
    except ConfigError as exc:
        raise CommandError(ExitCode.CONFIG, str(exc)) from None
    system = config.systems.get(args.system)
    if system is None or system.kind != "rest":
        rest = sorted(n for n, s in config.systems.items() if s.kind == "rest")
        raise CommandError(
            ExitCode.CONFIG,
            f"syncwright probe: {args.system!r} is not a rest system of {args.config}"
            f" (rest systems: {', '.join(rest) or 'none'})",
        )
    manifest = system.settings.manifest  # type: ignore[attr-defined]
    entities = [args.entity] if args.entity else list(manifest.entities)
    unknown = [e for e in entities if e not in manifest.entities]
    if unknown:
        raise CommandError(
            ExitCode.CONFIG,
            f"syncwright probe: the manifest has no entity {unknown[0]!r}"
            f" (it has: {', '.join(manifest.entities)})",
        )
    source = build(system_spec(config, args.system, secrets), OpenGate())

    async def main() -> list[Any]:
        from syncwright.connectors.rest.probe import probe

        try:
            return [await probe(source, name, args.limit) for name in entities]
        finally:
            await source.aclose()

    found = anyio.run(main)
    if args.json:
        print(json.dumps([asdict(f) for f in found], indent=2))
    else:
        print(format_probe(args.system, found))
    bad = any(f.error or f.failed for f in found)
    return ExitCode.FAILED if bad else ExitCode.OK


def format_probe(system: str, found: list[Any]) -> str:
    out = [f"Probe of {system} (one page per entity; nothing was written)"]
    for f in found:
        out.append(f"\n{f.entity}:")
        if f.error:
            out.append(f"  request failed: {f.error}")
            continue
        more = ", more pages follow" if f.more else ""
        out.append(f"  {len(f.mapped)} mapped, {len(f.failed)} not mapped{more}")
        for ident, record in f.mapped.items():
            out.append(f"  {ident}: {json.dumps(record, sort_keys=True)}")
        for ident, why in f.failed.items():
            out.append(f"  NOT MAPPED {ident}: {why}")
        if f.unmapped:
            out.append(f"  canonical fields left unmapped: {', '.join(f.unmapped)}")
    return "\n".join(out)
