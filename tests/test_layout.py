"""The repository layout and the module boundaries that DESIGN.md fixes.

Everything imports as one package, ``syncwright``: the top-level folders daemon/, connectors/
and tui/ are ``syncwright.daemon``, ``syncwright.connectors`` and ``syncwright.tui``.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PARTS = ("daemon", "connectors", "tui")


def test_top_level_layout() -> None:
    for name in [
        "pyproject.toml",
        "README.md",
        "daemon",
        "tui",
        "connectors",
        "syncwright/__init__.py",
        "syncwright/__main__.py",
        "tests",
        "config.toml",
        "scripts",
        ".ci/run",
        "ARCHITECTURE.md",
        "BENCHMARKS.md",
    ]:
        assert (ROOT / name).exists(), f"{name} is missing from the top level"
    for part in PARTS:
        link = ROOT / "syncwright" / part
        assert link.is_symlink() and link.resolve() == ROOT / part, f"syncwright/{part}"


def _imports(folder: str) -> list[tuple[Path, str]]:
    """Every absolute import under ``folder`` (inside functions too), as (file, module)."""
    found = []
    for path in (ROOT / folder).rglob("*.py"):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found += [(path, alias.name) for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.append((path, node.module))
                # ``from syncwright.daemon import queue`` imports a module too.
                found += [(path, f"{node.module}.{alias.name}") for alias in node.names]
    return found


def _under(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def test_nothing_imports_the_parts_by_their_bare_names() -> None:
    bad = [
        (p, m)
        for folder in (*PARTS, "tests", "scripts")
        for p, m in _imports(folder)
        if m.split(".")[0] in PARTS
    ]
    assert not bad, f"import the parts as syncwright.<part>, never by the bare name: {bad}"


def test_daemon_never_imports_the_ui() -> None:
    bad = [
        (p, m) for p, m in _imports("daemon") if _under(m, "syncwright.tui") or _under(m, "textual")
    ]
    assert not bad, f"daemon/ must not import the UI: {bad}"


def test_connectors_never_import_the_daemon() -> None:
    bad = [
        (p, m)
        for p, m in _imports("connectors")
        if any(_under(m, pkg) for pkg in ("syncwright.daemon", "syncwright.tui", "textual"))
    ]
    assert not bad, f"connectors/ must not import daemon/ or tui/: {bad}"


def test_tui_talks_to_the_daemon_only_through_the_protocol() -> None:
    allowed = "syncwright.daemon.control.protocol"
    bad = [
        (p, m)
        for p, m in _imports("tui")
        if _under(m, "syncwright.daemon") and not _under(m, allowed)
    ]
    assert not bad, f"tui/ may import only the control protocol from daemon/: {bad}"
