"""Where an empty state_file / sandbox data_dir point: systemd's state directory, the config's
var/, or (for the config shipped inside the package) the user's state directory."""

from __future__ import annotations

import os
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


#: Runs ``syncwright status --socket PATH`` as the CLI would, with the checkout (where the
#: default config.toml is looked for) moved under a directory this user may not enter.
STATUS_BEHIND_A_CLOSED_DIRECTORY = """
import os, sys
import syncwright.daemon.cli.main as cli
import syncwright.daemon.config.load as load
import syncwright.daemon.control.blocking_client
cli.build_parser()  # imports every command's module while this user may still read them
load.__file__ = sys.argv[1]
if os.geteuid() == 0:  # root enters any directory: run as nobody instead
    import pwd
    nobody = pwd.getpwnam("nobody")
    os.setgid(nobody.pw_gid); os.setgroups([]); os.setuid(nobody.pw_uid)
sys.exit(cli.main(["status", "--socket", sys.argv[2]]))
"""


def test_a_command_given_its_socket_runs_when_the_checkout_cannot_be_entered(
    tmp_path: Path,
) -> None:
    """The checkout's parent directory at mode 0700 (someone else's home): looking for the
    default config.toml there must not end a command that names its socket (issue 13, 23)."""
    import subprocess
    import sys

    closed = tmp_path / "closed"
    module = closed / "checkout" / "daemon" / "config" / "load.py"
    module.parent.mkdir(parents=True)
    closed.chmod(0o700 if os.geteuid() == 0 else 0)
    try:
        result = subprocess.run(
            [sys.executable, "-c", STATUS_BEHIND_A_CLOSED_DIRECTORY, str(module), "/nonexistent"],
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        closed.chmod(0o700)
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    assert result.returncode == 4, result.stderr[-3000:]  # no daemon there: unreachable
