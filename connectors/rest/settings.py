"""``[systems.NAME.settings]`` of the ``rest`` kind: the manifest, from a file or inline."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pydantic import ValidationInfo, field_serializer, field_validator

from syncwright.connectors.base import KindSettings
from syncwright.connectors.rest.manifest import Manifest


def manifest_path(value: str, base: object) -> Path:
    """A manifest file's path; a relative one is taken from the config file's folder."""
    path = Path(value).expanduser()
    if not path.is_absolute() and isinstance(base, Path):
        path = base / path
    return path


class RestSettings(KindSettings):
    """``manifest = "acme.toml"`` (beside config.toml) or ``[systems.NAME.settings.manifest]``
    written inline. Either way it is validated whole when the config is read."""

    manifest: Manifest

    @field_validator("manifest", mode="before")
    @classmethod
    def _load(cls, value: Any, info: ValidationInfo) -> Any:
        if not isinstance(value, str | Path):
            return value
        base = info.context.get("base_dir") if isinstance(info.context, dict) else None
        path = manifest_path(str(value), base)
        try:
            with path.open("rb") as handle:
                return tomllib.load(handle)
        except OSError as exc:
            raise ValueError(f"cannot read the manifest {path}: {exc.strerror}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ValueError(f"the manifest {path} is not valid TOML: {exc}") from None

    @field_serializer("manifest")
    def _summary(self, manifest: Manifest) -> str:
        """Dumped (as ``check-config`` shows settings) as a line, not the whole manifest."""
        feed = manifest.entities["products"].feed.style
        return f"{manifest.name}: {', '.join(manifest.entities)}; change feed {feed}"
