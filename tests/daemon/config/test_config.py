"""config.toml: loading, validation messages, secrets, summary and reload diffs."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from pydantic import ValidationError

from syncwright.daemon.config.daemon import runtime_dir
from syncwright.daemon.config.errors import ConfigError
from syncwright.daemon.config.load import default_config_path, load_config
from syncwright.daemon.config.model import Config
from syncwright.daemon.config.reload import diff_configs
from syncwright.daemon.config.secrets import resolve_sandbox_secrets, resolve_secrets
from syncwright.daemon.config.summary import summarize
from syncwright.daemon.config.types import CLASS_NAMES
from syncwright.daemon.durations import format_duration, parse_duration

ERP_SECRET = "erp-s3cret-value-9f2"
SHOP_SECRET = "shop-s3cret-value-77a"

BASE = """\
[daemon]
state_file = "var/state.db"
lease = "5m"

[systems.erp]
kind = "sandbox-erp"
url = "http://127.0.0.1:8701"
credentials = { api_key = { env = "SW_TEST_ERP_KEY" } }

[systems.erp.budget]
reserve = { ghost = 0.4 }

[systems.erp.budget.windows.minute]
limit = 600

[systems.erp.budget.windows.day]
limit = 200000
mode = "calendar"
timezone = "Europe/Berlin"

[systems.shop]
kind = "sandbox-shop"
url = "http://127.0.0.1:8702"
credentials = { api_key = { file = "keys/shop.key" } }

[connections.demo]
source = "erp"
channel = "shop"
flows = ["products", "stock"]

[connections.demo.schedule]
ghost_batch = 10
ghost_interval = "1h"
"""

ENV = {"SW_TEST_ERP_KEY": ERP_SECRET}


def write(tmp_path: Path, text: str, name: str = "config.toml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    keys = tmp_path / "keys"
    keys.mkdir(exist_ok=True)
    (keys / "shop.key").write_text(SHOP_SECRET + "\n")
    return path


def load(tmp_path: Path, text: str) -> Config:
    return load_config(write(tmp_path, text))


def error_of(tmp_path: Path, text: str) -> str:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    # Every problem line names the file it comes from.
    lines = [line for line in message.splitlines() if not line.endswith(":")]
    assert lines and all(str(path) in line for line in lines), message
    return message


def edit(old: str, new: str) -> str:
    assert old in BASE, old
    return BASE.replace(old, new, 1)


# --- the shipped file -----------------------------------------------------------------------


def test_shipped_config_loads_and_its_secrets_resolve() -> None:
    path = default_config_path()
    assert path == Path(__file__).resolve().parents[3] / "config.toml"
    config = load_config(path)

    assert config.system_names == ("erp", "shop")
    assert config.connection_names == ("demo",)
    demo = config.connections["demo"]
    assert (demo.source, demo.channel) == ("erp", "shop")
    assert demo.flows == ("products", "stock", "prices", "customers", "orders", "settings")
    assert config.sandbox.enabled
    # The systems point at the sandbox the same file starts.
    assert config.systems["erp"].url == f"http://{config.sandbox.erp.listen}"
    assert config.systems["shop"].url == f"http://{config.sandbox.shop.listen}"

    # No environment needed: the demo key is read from a file.
    secrets = resolve_secrets(config, environ={})
    assert secrets == {
        "erp": {"api_key": "sandbox-demo-key"},
        "shop": {"api_key": "sandbox-demo-key"},
    }
    assert resolve_sandbox_secrets(config, environ={}) == {
        "erp": "sandbox-demo-key",
        "shop": "sandbox-demo-key",
    }


def test_a_valid_config_has_the_written_values_and_defaults(tmp_path: Path) -> None:
    config = load(tmp_path, BASE)
    erp = config.systems["erp"]
    assert erp.timeout == 30.0
    assert erp.budget.windows["day"].zone.key == "Europe/Berlin"
    assert erp.budget.windows["minute"].mode == "rolling"
    assert erp.budget.windows["minute"].timezone == "UTC"
    assert [erp.budget.reserve.for_class(c) for c in CLASS_NAMES] == [0.0, 0.05, 0.15, 0.4, 0.3]
    assert erp.budget.reserve.for_class(3) == 0.4
    assert config.daemon.lease == 300.0
    assert config.daemon.retry.cap.for_class("sale") == 3 * 3600
    assert config.connections["demo"].schedule.full == 7 * 86400
    assert config.sandbox.enabled is False


def test_relative_paths_are_taken_from_the_config_directory(tmp_path: Path) -> None:
    config = load(tmp_path, BASE)
    assert config.daemon.state_file == tmp_path / "var" / "state.db"
    assert config.sandbox.data_dir == tmp_path / "var" / "sandbox"
    shop_key = config.systems["shop"].credentials["api_key"]
    assert shop_key.file == tmp_path / "keys" / "shop.key"


def test_control_socket_defaults_to_the_runtime_directory(tmp_path: Path) -> None:
    daemon = load(tmp_path, BASE).daemon
    systemd = {"RUNTIME_DIRECTORY": "/run/syncwright", "XDG_RUNTIME_DIR": "/run/user/7"}
    assert daemon.control_socket_path(systemd) == Path("/run/syncwright/control.sock")
    xdg = {"XDG_RUNTIME_DIR": "/run/user/7"}
    assert daemon.control_socket_path(xdg) == Path("/run/user/7/syncwright/control.sock")
    assert runtime_dir({}).name.startswith("syncwright-")
    assert daemon.control_socket_path({}).is_absolute()

    explicit = load(tmp_path, edit('lease = "5m"', 'control_socket = "run/ctl.sock"')).daemon
    assert explicit.control_socket_path(systemd) == tmp_path / "run" / "ctl.sock"


def test_config_objects_are_frozen(tmp_path: Path) -> None:
    config = load(tmp_path, BASE)
    with pytest.raises(ValidationError):
        config.daemon.lease = 1.0  # type: ignore[misc]


def test_scheduled_full_sync_can_be_turned_off(tmp_path: Path) -> None:
    for text in ('"off"', '""'):
        config = load(tmp_path, BASE + f"full = {text}\n")
        assert config.connections["demo"].schedule.full is None


def test_zero_connections_is_valid(tmp_path: Path) -> None:
    config = load(tmp_path, BASE.split("[connections.demo]")[0])
    assert config.connection_names == ()
    assert "stay idle" in summarize(config)


# --- durations ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("500ms", 0.5),
        ("30s", 30.0),
        ("5m", 300.0),
        ("2h", 7200.0),
        ("7d", 604800.0),
        ("1h30m", 5400.0),
        ("1.5h", 5400.0),
        ("45", 45.0),
        (90, 90.0),
        (0.25, 0.25),
    ],
)
def test_durations_parse(text: str | float, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("bad", ["", "5 minutes", "5x", "-5s", "h", -1, True, None, "inf"])
def test_bad_durations_are_refused(bad: object) -> None:
    with pytest.raises(ValueError, match="expected a duration"):
        parse_duration(bad)


@pytest.mark.parametrize("seconds", [0.5, 30.0, 90.0, 5400.0, 604800.0, 93784.0])
def test_durations_format_back_to_what_parses(seconds: float) -> None:
    assert parse_duration(format_duration(seconds)) == seconds
    assert format_duration(5400.0) == "1h30m"


def test_bad_duration_names_key_value_and_expectation(tmp_path: Path) -> None:
    message = error_of(tmp_path, edit('lease = "5m"', 'lease = "5 minutes"'))
    assert 'daemon.lease = "5 minutes": expected a duration' in message


def test_zero_is_refused_where_a_positive_duration_is_needed(tmp_path: Path) -> None:
    message = error_of(tmp_path, edit('lease = "5m"', "lease = 0"))
    assert "daemon.lease = 0: expected a duration longer than 0s" in message


# --- validation messages --------------------------------------------------------------------


def test_wrong_type_names_key_path_value_and_expectation(tmp_path: Path) -> None:
    message = error_of(tmp_path, edit("limit = 200000", 'limit = "lots"'))
    assert 'systems.erp.budget.windows.day.limit = "lots": expected a whole number' in message


def test_limit_must_be_positive(tmp_path: Path) -> None:
    message = error_of(tmp_path, edit("limit = 200000", "limit = -5"))
    assert "systems.erp.budget.windows.day.limit = -5: expected a number greater than 0" in message


@pytest.mark.parametrize(
    ("old", "new", "path"),
    [
        ("[daemon]\n", "[daemon]\nlog_levle = 'info'\n", "daemon.log_levle"),
        (
            'url = "http://127.0.0.1:8701"',
            'url = "http://127.0.0.1:8701"\nuri = "x"',
            "systems.erp.uri",
        ),
        ("limit = 200000", "limit = 200000\nlimt = 5", "systems.erp.budget.windows.day.limt"),
        (
            "reserve = { ghost = 0.4 }",
            "reserve = { ghost = 0.4, sweep = 0.1 }",
            "systems.erp.budget.reserve.sweep",
        ),
        (
            "ghost_batch = 10",
            "ghost_batch = 10\nfull_every = '7d'",
            "connections.demo.schedule.full_every",
        ),
        ("[daemon]\n", "colour = 'blue'\n[daemon]\n", "colour"),
    ],
)
def test_unknown_keys_are_errors_at_every_depth(
    tmp_path: Path, old: str, new: str, path: str
) -> None:
    message = error_of(tmp_path, edit(old, new))
    assert f"{path}: unknown key" in message


def test_unknown_key_suggests_the_likely_one(tmp_path: Path) -> None:
    message = error_of(tmp_path, edit("limit = 200000", "limit = 200000\nlimt = 5"))
    assert "did you mean 'limit'?" in message
    assert "expected one of: limit, mode, timezone" in message


def test_every_problem_is_listed(tmp_path: Path) -> None:
    text = edit('lease = "5m"', 'lease = "soon"\nmax_orphaned = 0')
    text = text.replace("limit = 600", "limit = 0").replace(
        'flows = ["products", "stock"]', 'flows = ["products", "stonks"]'
    )
    message = error_of(tmp_path, text)
    assert message.startswith("4 problems in ")
    for fragment in (
        'daemon.lease = "soon"',
        "daemon.max_orphaned = 0: expected a number of at least 1",
        "systems.erp.budget.windows.minute.limit = 0",
        'connections.demo.flows[1] = "stonks": expected one of',
    ):
        assert fragment in message


def test_bad_timezone(tmp_path: Path) -> None:
    message = error_of(tmp_path, edit('"Europe/Berlin"', '"Europe/Atlantis"'))
    assert (
        'systems.erp.budget.windows.day.timezone = "Europe/Atlantis": expected an IANA' in message
    )


def test_calendar_window_needs_a_valid_timezone(tmp_path: Path) -> None:
    message = error_of(tmp_path, edit('timezone = "Europe/Berlin"', 'timezone = ""'))
    assert 'systems.erp.budget.windows.day.timezone = "": expected an IANA time zone' in message


def test_unknown_window_name(tmp_path: Path) -> None:
    message = error_of(tmp_path, edit("windows.minute]", "windows.week]"))
    assert "systems.erp.budget.windows.week: not allowed as a name here" in message
    assert "second, minute, hour, day, month, or a span such as 30s, 5m or 2h" in message


@pytest.mark.parametrize(("value", "expected"), [("1.0", "less than 1"), ("-0.1", "of at least 0")])
def test_reserve_out_of_range(tmp_path: Path, value: str, expected: str) -> None:
    message = error_of(tmp_path, edit("ghost = 0.4", f"ghost = {value}"))
    assert f"systems.erp.budget.reserve.ghost = {value}: expected a number {expected}" in message


def test_unknown_system_kind_lists_the_known_ones(tmp_path: Path) -> None:
    message = error_of(tmp_path, edit('kind = "sandbox-erp"', 'kind = "erpnext"'))
    assert (
        "systems.erp.kind = \"erpnext\": expected one of 'sandbox-erp', 'sandbox-shop'" in message
    )


def test_connection_naming_an_unknown_system(tmp_path: Path) -> None:
    message = error_of(tmp_path, edit('source = "erp"', 'source = "odoo"'))
    assert 'connections.demo.source = "odoo": no such system; expected one of: erp, shop' in message


def test_connection_source_and_channel_must_differ_and_fit_their_roles(tmp_path: Path) -> None:
    message = error_of(tmp_path, edit('channel = "shop"', 'channel = "erp"'))
    assert (
        'connections.demo.channel = "erp": expected a system different from the source' in message
    )
    message = error_of(
        tmp_path, edit('source = "erp"\nchannel = "shop"', 'source = "shop"\nchannel = "erp"')
    )
    assert "connections.demo.source" in message and "not a back-office system" in message
    assert "connections.demo.channel" in message and "not a channel system" in message


def test_workers_need_a_spare_slot_for_orders(tmp_path: Path) -> None:
    message = error_of(
        tmp_path, edit('flows = ["products", "stock"]', 'flows = ["stock"]\nworkers = 1')
    )
    assert "connections.demo.workers = 1: expected a number of at least 2" in message


def test_retry_cap_may_not_be_shorter_than_base(tmp_path: Path) -> None:
    message = error_of(tmp_path, BASE + '[daemon.retry]\nbase = "1h"\n')
    assert "daemon.retry: cap of manual, recent is shorter than base (1h)" in message


def test_toml_syntax_error_names_line_and_column(tmp_path: Path) -> None:
    message = error_of(tmp_path, edit('lease = "5m"', "lease = 5m"))
    assert "line 3, column 10: TOML syntax error" in message


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="the config file does not exist") as info:
        load_config(tmp_path / "nope.toml")
    assert str(tmp_path / "nope.toml") in str(info.value)


# --- secrets --------------------------------------------------------------------------------


def test_secrets_resolve_from_env_and_file(tmp_path: Path) -> None:
    config = load(tmp_path, BASE)
    assert resolve_secrets(config, environ=ENV) == {
        "erp": {"api_key": ERP_SECRET},
        "shop": {"api_key": SHOP_SECRET},
    }


def test_secrets_resolve_from_the_process_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SW_TEST_ERP_KEY", ERP_SECRET)
    assert resolve_secrets(load(tmp_path, BASE))["erp"] == {"api_key": ERP_SECRET}


def test_missing_env_var_names_the_variable(tmp_path: Path) -> None:
    config = load(tmp_path, BASE)
    with pytest.raises(ConfigError) as info:
        resolve_secrets(config, environ={})
    message = str(info.value)
    assert (
        "systems.erp.credentials.api_key: environment variable SW_TEST_ERP_KEY is not set"
        in message
    )
    assert str(config.source) in message

    with pytest.raises(ConfigError, match="SW_TEST_ERP_KEY is empty"):
        resolve_secrets(config, environ={"SW_TEST_ERP_KEY": "  "})


def test_missing_or_empty_credential_file(tmp_path: Path) -> None:
    config = load(tmp_path, BASE)
    key = tmp_path / "keys" / "shop.key"
    key.unlink()
    with pytest.raises(ConfigError) as info:
        resolve_secrets(config, environ=ENV)
    assert f"systems.shop.credentials.api_key: credential file {key} does not exist" in str(
        info.value
    )

    key.write_text("\n")
    with pytest.raises(ConfigError, match="is empty"):
        resolve_secrets(config, environ=ENV)


def test_every_missing_secret_is_listed(tmp_path: Path) -> None:
    config = load(tmp_path, BASE)
    (tmp_path / "keys" / "shop.key").unlink()
    with pytest.raises(ConfigError) as info:
        resolve_secrets(config, environ={})
    assert [p.path for p in info.value.problems] == [
        "systems.erp.credentials.api_key",
        "systems.shop.credentials.api_key",
    ]


def test_a_missing_required_credential_is_an_error(tmp_path: Path) -> None:
    text = edit(
        'credentials = { api_key = { env = "SW_TEST_ERP_KEY" } }',
        'credentials = { apikey = { env = "SW_TEST_ERP_KEY" } }',
    )
    message = error_of(tmp_path, text)
    assert "systems.erp.credentials" in message
    assert "unknown credential 'apikey' (did you mean 'api_key'?)" in message
    assert "missing credential 'api_key'" in message


@pytest.mark.parametrize(
    "credentials",
    [
        f'{{ api_key = "{ERP_SECRET}" }}',
        f'{{ api_key = {{ env = "SW_TEST_ERP_KEY", value = "{ERP_SECRET}" }} }}',
        f'{{ api_key = {{ env = "SW_TEST_ERP_KEY" }}, password = "{ERP_SECRET}" }}',
        f'"{ERP_SECRET}"',
    ],
)
def test_error_messages_never_contain_a_secret(tmp_path: Path, credentials: str) -> None:
    text = edit(
        'credentials = { api_key = { env = "SW_TEST_ERP_KEY" } }',
        f'credentials = {credentials}\ntoken = "{ERP_SECRET}"',
    )
    message = error_of(tmp_path, text)
    assert "systems.erp.credentials" in message
    assert "systems.erp.token: unknown key" in message
    assert ERP_SECRET not in message


def test_inline_secret_is_refused_with_a_pointer_to_references(tmp_path: Path) -> None:
    text = edit(
        'credentials = { api_key = { env = "SW_TEST_ERP_KEY" } }',
        f'credentials = {{ api_key = "{ERP_SECRET}" }}',
    )
    message = error_of(tmp_path, text)
    assert "systems.erp.credentials.api_key = <hidden>: expected a reference" in message


def test_secrets_never_appear_in_the_config_objects(tmp_path: Path) -> None:
    config = load(tmp_path, BASE)
    resolve_secrets(config, environ=ENV)
    for text in (repr(config), str(config), config.model_dump_json()):
        assert ERP_SECRET not in text and SHOP_SECRET not in text


# --- summary --------------------------------------------------------------------------------


def test_summary_shows_systems_connections_and_windows_but_no_secret(tmp_path: Path) -> None:
    config = load(tmp_path, BASE)
    resolve_secrets(config, environ=ENV)
    summary = summarize(config)
    for fragment in (
        "erp: sandbox-erp (back office) at http://127.0.0.1:8701",
        "shop: sandbox-shop (channel)",
        "api_key from env:SW_TEST_ERP_KEY",
        f"api_key from file:{tmp_path / 'keys' / 'shop.key'}",
        "600 per minute (rolling)",
        "200,000 per day (calendar, Europe/Berlin)",
        "reserves: sale 0%, manual 5%, recent 15%, ghost 40%, full 30%",
        "demo: erp -> shop",
        "flows: products, stock; pull mode auto; page size 500; overlap 2m; workers 4",
        "ghost sweep of 10 items every 1h",
        "240 items re-verified a day",
        "full sync every 7d",
        "Sandbox: off",
    ):
        assert fragment in summary
    assert ERP_SECRET not in summary and SHOP_SECRET not in summary


# --- reload ---------------------------------------------------------------------------------


def test_diff_names_what_a_reload_changes(tmp_path: Path) -> None:
    old = load(tmp_path, BASE)
    new = load(tmp_path, edit("limit = 600", "limit = 300").replace("var/state.db", "other.db"))
    changes = diff_configs(old, new)
    assert changes.systems_changed == ("erp",)
    assert changes.connections_changed == ()
    assert changes.connections_to_restart(new) == ("demo",)
    assert changes.restart_needed == ("daemon.state_file",)
    assert diff_configs(old, load(tmp_path, BASE)).empty


# --- notify and order options ---------------------------------------------------------------

NOTIFY = """
[notify]
enabled = true
from = "syncwright@example.com"
to = ["ops@example.com", "owner@example.com"]
digest_interval = "5m"

[notify.smtp]
host = "mail.example.com"
security = "ssl"
username = "syncwright"
password = { env = "SW_TEST_SMTP_PASSWORD" }
"""


def test_notify_is_off_by_default_and_orders_forward_everything(tmp_path: Path) -> None:
    config = load(tmp_path, BASE)
    assert config.notify.enabled is False
    assert config.notify.smtp.effective_port == 587  # starttls
    assert config.connections["demo"].orders.only_b2b is False


def test_notify_section_and_order_options_load(tmp_path: Path) -> None:
    text = BASE + "\n[connections.demo.orders]\nonly_b2b = true\n" + NOTIFY
    config = load(tmp_path, text)
    notify = config.notify
    assert notify.enabled and notify.sender == "syncwright@example.com"
    assert notify.to == ("ops@example.com", "owner@example.com")
    assert notify.digest_interval == 300.0
    assert notify.smtp.effective_port == 465
    assert notify.smtp.password is not None
    assert notify.smtp.password.describe() == "env:SW_TEST_SMTP_PASSWORD"
    assert config.connections["demo"].orders.only_b2b is True


def test_enabled_notify_needs_recipients(tmp_path: Path) -> None:
    message = error_of(
        tmp_path, BASE + NOTIFY.replace('to = ["ops@example.com", "owner@example.com"]', "")
    )
    assert "notify" in message and "recipients (to)" in message


def test_notify_rejects_bad_addresses_inline_passwords_and_half_logins(tmp_path: Path) -> None:
    message = error_of(tmp_path, BASE + NOTIFY.replace('"ops@example.com"', '"ops"'))
    assert "notify.to" in message and "e-mail address" in message
    message = error_of(
        tmp_path, BASE + NOTIFY.replace('{ env = "SW_TEST_SMTP_PASSWORD" }', '"hunter2"')
    )
    assert "notify.smtp.password" in message and "reference" in message
    assert "hunter2" not in message
    message = error_of(tmp_path, BASE + NOTIFY.replace('username = "syncwright"\n', ""))
    assert "username and password go together" in message
    message = error_of(tmp_path, BASE + NOTIFY.replace('security = "ssl"', 'security = "tls"'))
    assert "notify.smtp.security" in message
