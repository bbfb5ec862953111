"""The repository layout and the module boundaries that DESIGN.md fixes."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_top_level_layout() -> None:
    for name in [
        "pyproject.toml",
        "README.md",
        "daemon",
        "tui",
        "connectors",
        "tests",
        "config.toml",
        "scripts",
        ".ci/run",
        "ARCHITECTURE.md",
        "BENCHMARKS.md",
    ]:
        assert (ROOT / name).exists(), f"{name} is missing from the top level"


def _imports(package: str) -> list[tuple[Path, str]]:
    found = []
    for path in (ROOT / package).rglob("*.py"):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found += [(path, alias.name) for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.append((path, node.module))
    return found


def test_daemon_never_imports_the_ui() -> None:
    bad = [(p, m) for p, m in _imports("daemon") if m.split(".")[0] in {"textual", "tui"}]
    assert not bad, f"daemon/ must not import the UI: {bad}"


def test_connectors_never_import_the_daemon() -> None:
    bad = [
        (p, m) for p, m in _imports("connectors") if m.split(".")[0] in {"daemon", "tui", "textual"}
    ]
    assert not bad, f"connectors/ must not import daemon/ or tui/: {bad}"


def test_tui_talks_to_the_daemon_only_through_the_protocol() -> None:
    allowed = {"daemon.control.protocol"}
    bad = [(p, m) for p, m in _imports("tui") if m.split(".")[0] == "daemon" and m not in allowed]
    assert not bad, f"tui/ may import only the control protocol from daemon/: {bad}"
