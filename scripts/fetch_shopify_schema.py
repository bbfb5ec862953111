#!/usr/bin/env python3
"""Fetch Shopify's published Admin GraphQL schema (introspection JSON) into a local cache.

The schema ships inside the npm package ``@shopify/dev-mcp`` (ISC licence, Shopify Inc.) as
``package/dist/data/admin_<version>.json.gz``. We never commit it: this script runs
``npm pack`` into the cache folder and extracts only the Admin schemas we use.

    python3 scripts/fetch_shopify_schema.py            # fetch if missing, print the folder
    python3 scripts/fetch_shopify_schema.py --force    # fetch again

The cache folder is ``$SYNCWRIGHT_SCHEMA_DIR`` if set, else
``$XDG_CACHE_HOME/syncwright/shopify-schema`` (``~/.cache/...``). Needs ``npm`` on PATH and
network access to the npm registry (or an npm cache that holds the package). The test
fixture (tests/connectors/shopify/conftest.py) calls :func:`ensure_schemas` before any emulator
starts.
Uses only the standard library, so it runs before the project's venv exists.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

PACKAGE = "@shopify/dev-mcp"
#: The package release whose schemas we validate against; raise deliberately, never float.
PACKAGE_VERSION = "1.16.0"
#: Admin API versions we extract (the ones connectors.shopify.versions supports).
VERSIONS = ("2025-10", "2026-01", "2026-04")
MEMBER = "package/dist/data/admin_{version}.json.gz"


def cache_dir() -> Path:
    explicit = os.environ.get("SYNCWRIGHT_SCHEMA_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "syncwright" / "shopify-schema"


def schema_path(version: str, folder: Path | None = None) -> Path:
    return (folder or cache_dir()) / f"admin_{version}.json.gz"


def missing(folder: Path) -> list[str]:
    return [v for v in VERSIONS if not schema_path(v, folder).is_file()]


def ensure_schemas(*, force: bool = False) -> Path:
    """Make sure every schema in VERSIONS is in the cache; return the cache folder."""
    folder = cache_dir()
    if not force and not missing(folder):
        return folder
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit(
            "fetch_shopify_schema: npm is not on PATH; install Node.js/npm "
            f"(the schema comes from the npm package {PACKAGE})"
        )
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder) as work:
        spec = f"{PACKAGE}@{PACKAGE_VERSION}"
        result = subprocess.run(
            [npm, "pack", spec, "--silent", "--pack-destination", work],
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if result.returncode != 0:
            raise SystemExit(
                f"fetch_shopify_schema: npm pack {spec} failed "
                f"(exit {result.returncode}): {result.stderr.strip()[-500:]}"
            )
        tarballs = list(Path(work).glob("*.tgz"))
        if len(tarballs) != 1:
            raise SystemExit(f"fetch_shopify_schema: npm pack left {len(tarballs)} tarballs")
        with tarfile.open(tarballs[0], "r:gz") as archive:
            for version in VERSIONS:
                member = MEMBER.format(version=version)
                try:
                    source = archive.extractfile(member)
                except KeyError:
                    source = None
                if source is None:
                    raise SystemExit(f"fetch_shopify_schema: {spec} has no {member}")
                target = schema_path(version, folder)
                partial = target.with_suffix(".part")
                with source, partial.open("wb") as out:
                    shutil.copyfileobj(source, out)
                partial.replace(target)  # atomic: concurrent test runs never see half a file
    return folder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="fetch even if cached")
    args = parser.parse_args(argv)
    folder = ensure_schemas(force=args.force)
    print(folder)
    return 0


if __name__ == "__main__":
    sys.exit(main())
