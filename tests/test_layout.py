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
    """Every absolute import under ``folder`` (inside functions too), as (file, module);
    ``importlib.import_module("x")`` and ``__import__("x")`` with a literal name count too."""
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
            elif isinstance(node, ast.Call) and _dynamic_import(node.func) and node.args:
                first = node.args[0]
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    found.append((path, first.value))
    return found


def _dynamic_import(func: ast.expr) -> bool:
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    return name in ("import_module", "__import__")


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


def _test_double(module: str) -> bool:
    """The sandbox (a test double and the demo) or any emulator (``.emulator``, ``emulator_x``)."""
    parts = module.split(".")
    return _under(module, "syncwright.connectors.sandbox") or any(
        part.startswith("emulator") for part in parts
    )


def test_the_daemon_imports_no_emulator_or_sandbox_module() -> None:
    # The daemon reaches them only through the connector registry (connectors/registry.py):
    # the sandbox's connectors as kinds, its servers as the kinds' embedded servers.
    bad = [(p, m) for p, m in _imports("daemon") if _test_double(m)]
    assert not bad, f"daemon/ must not import the sandbox or an emulator: {bad}"


def test_the_daemon_keeps_few_modules_at_its_top_level() -> None:
    # Families of modules live in packages (config/, budget/, jobs/, cli/, ...), so a newcomer
    # finds a concern by folder name.
    modules = sorted(p.name for p in (ROOT / "daemon").glob("*.py"))
    assert len(modules) <= 15, f"daemon/ has {len(modules)} top-level modules: {modules}"


LONG_MODULE = 400


def test_long_modules_say_why() -> None:
    """A module over 400 lines says why in its docstring, in a passage that names its length
    ("Over 400 lines on purpose: ...") (STYLE.md: "past ~400, look for the seam")."""
    unexplained = []
    for folder in PARTS:
        for path in (ROOT / folder).rglob("*.py"):
            text = path.read_text()
            if text.count("\n") <= LONG_MODULE:
                continue
            doc = ast.get_docstring(ast.parse(text)) or ""
            if f"{LONG_MODULE} lines" not in doc:
                unexplained.append(f"{path.relative_to(ROOT)} ({text.count(chr(10))} lines)")
    assert not unexplained, (
        f"over {LONG_MODULE} lines with no reason in the docstring: {unexplained}"
    )


def test_test_modules_have_unique_names() -> None:
    # tests/ folders are not packages: pytest imports each test module by its bare name, so two
    # files of one name in different folders stop the whole suite at collection.
    seen: dict[str, Path] = {}
    for path in sorted((ROOT / "tests").rglob("test_*.py")):
        other = seen.setdefault(path.name, path)
        assert other == path, f"{path.relative_to(ROOT)} and {other.relative_to(ROOT)} share a name"
