"""Where an empty state_file / sandbox data_dir point: systemd's state directory, the config's
var/, or (for the config shipped inside the package) the user's state directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from syncwright.daemon.config.load import load_config, packaged_config_path
from syncwright.daemon.config.secrets import resolve_secrets


def write(tmp_path: Path, daemon: str = 'state_file = ""') -> Path:
    path = tmp_path / "config.toml"
    path.write_text(f'[daemon]\n{daemon}\n[sandbox]\ndata_dir = ""\n')
    return path


def test_empty_paths_go_under_the_config_directory_without_systemd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("STATE_DIRECTORY", raising=False)
    config = load_config(write(tmp_path))
    assert config.daemon.state_file == tmp_path / "var" / "state.db"
    assert config.sandbox.data_dir == tmp_path / "var" / "sandbox"
    assert load_config(write(tmp_path, "")).daemon.state_file == tmp_path / "var" / "state.db"


def test_systemd_state_directory_is_the_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STATE_DIRECTORY", f"{tmp_path}/lib/syncwright:{tmp_path}/other")
    config = load_config(write(tmp_path))
    assert config.daemon.state_file == tmp_path / "lib" / "syncwright" / "state.db"
    assert config.sandbox.data_dir == tmp_path / "lib" / "syncwright" / "sandbox"
    # A path written in the file still wins.
    named = load_config(write(tmp_path, 'state_file = "mine.db"'))
    assert named.daemon.state_file == tmp_path / "mine.db"


def test_the_packaged_config_keeps_state_in_the_user_state_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("STATE_DIRECTORY", raising=False)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    path = packaged_config_path()
    assert path.name == "default_config.toml" and path.exists()
    config = load_config(path)
    assert config.daemon.state_file == tmp_path / "state" / "syncwright" / "state.db"
    assert config.sandbox.data_dir == tmp_path / "state" / "syncwright" / "sandbox"
    # Its relative credential files resolve beside the installed packages, as in a checkout.
    assert resolve_secrets(config, environ={})["erp"]["api_key"] == "sandbox-demo-key"
