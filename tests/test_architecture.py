"""Layout and layering facts (design §2, conventions §3.1, §3.3), checked by walking every module's imports."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = {"queue": "horde.queue", "webapp": "horde.webapp", "worker": "horde.worker", "bots": "horde.bots"}
MAX_LINES = 400
MAX_FUNCTION_LINES = 50

#: the frontends' adapter boundary: the service package itself (not its sub-modules), its records, its errors and
#: the settings; everything else a frontend needs, ``horde.queue.service`` re-exports
FRONTENDS = ("horde.webapp", "horde.bots")
FRONTEND_MAY_IMPORT = frozenset(
    {"horde.queue.service", "horde.queue.dto", "horde.queue.errors", "horde.queue.settings"}
)
COMPOSITION_ROOT = "horde.webapp.cli"  #: builds everything, so it may import anything (conventions §3.0)

#: modules outside ``horde.queue.store`` that still import sqlalchemy, with the reason
SQLALCHEMY_EXCEPTIONS: dict[str, str] = {}


def modules() -> list[tuple[str, Path]]:
    found = []
    for folder, package in PACKAGES.items():
        for path in sorted((ROOT / folder).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            rel = path.relative_to(ROOT / folder).with_suffix("")
            parts = [p for p in rel.parts if p != "__init__"]
            found.append((".".join([package, *parts]), path))
    return found


KNOWN_MODULES = frozenset(name for name, _ in modules())


def imports_of(path: Path) -> set[str]:
    """The modules a file imports: ``from a import b`` imports ``a.b`` when that is one of our modules, else ``a``."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names if f"{node.module}.{a.name}" in KNOWN_MODULES)
    return names


def starts(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


RULES: list[tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = [
    # (modules, forbidden imports, exceptions)
    (("horde.queue.domain",), ("sqlalchemy", "horde.queue.store", "horde.queue.service", "asyncio", "httpx"), ()),
    (
        ("horde.queue",),
        (
            "horde.webapp",
            "horde.bots",
            "horde.worker",
            "starlette",
            "jinja2",
            "discord",
            "mastodon",
            "httpx",
            "torch",
            "diffusers",
            "transformers",
        ),
        (),
    ),
    (FRONTENDS, ("sqlalchemy", "torch", "diffusers", "transformers"), (COMPOSITION_ROOT,)),
    (("horde.worker",), ("horde.queue", "horde.webapp", "horde.bots"), ()),
    (("horde.bots",), ("horde.webapp",), ()),
    (("horde.bots.discord",), ("horde.bots.mastodon",), ()),
    (("horde.bots.mastodon",), ("horde.bots.discord",), ()),
]


@pytest.mark.parametrize(("module", "path"), modules(), ids=lambda v: str(v))
def test_import_rules(module: str, path: Path) -> None:
    imported = imports_of(path)
    for owners, forbidden, exempt in RULES:
        if not starts(module, owners) or starts(module, exempt):
            continue
        bad = sorted(name for name in imported if starts(name, forbidden))
        assert not bad, f"{module} must not import {bad}"
    if starts(module, ("horde.queue",)) and not starts(module, ("horde.queue.store",)):
        uses = any(starts(n, ("sqlalchemy",)) for n in imported)
        assert not uses or module in SQLALCHEMY_EXCEPTIONS, f"{module}: only horde.queue.store may import sqlalchemy"


@pytest.mark.parametrize(("module", "path"), [m for m in modules() if starts(m[0], FRONTENDS)], ids=lambda v: str(v))
def test_frontends_use_only_the_service_api(module: str, path: Path) -> None:
    """Web pages, API and bots see the engine only through ``horde.queue.service``, dto, errors and settings."""
    if module == COMPOSITION_ROOT:
        return
    reached = {n for n in imports_of(path) if starts(n, ("horde.queue",)) and n != "horde.queue"}
    beyond = sorted(reached - FRONTEND_MAY_IMPORT)
    assert not beyond, f"{module} imports {beyond}: re-export what it needs from horde.queue.service"


def test_sqlalchemy_exceptions_are_still_needed() -> None:
    for module, path in modules():
        if module in SQLALCHEMY_EXCEPTIONS:
            assert any(starts(n, ("sqlalchemy",)) for n in imports_of(path)), f"drop {module} from the exceptions"


def test_modules_stay_small() -> None:
    too_big = {
        str(path.relative_to(ROOT)): n for _, path in modules() if (n := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert not too_big, f"over {MAX_LINES} lines: {too_big}"


def _is_data_table(function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """A function whose body (after its docstring) is one ``return`` of a list, tuple, dict or set display: a data
    table, such as a route list, may run as long as its rows."""
    body = function.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]
    return (
        len(body) == 1
        and isinstance(body[0], ast.Return)
        and isinstance(body[0].value, (ast.List, ast.Tuple, ast.Dict, ast.Set))
    )


def test_functions_stay_short() -> None:
    too_long: dict[str, int] = {}
    for _, path in modules():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and not _is_data_table(node):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    too_long[f"{path.relative_to(ROOT)}:{node.lineno} {node.name}"] = length
    assert not too_long, f"functions over {MAX_FUNCTION_LINES} lines: {too_long}"


def test_layout_facts() -> None:
    assert not (ROOT / "queue" / "__init__.py").exists(), "queue/__init__.py would shadow the standard library"
    for folder in ("bots", "bots/discord", "bots/mastodon"):
        assert (ROOT / folder / "__init__.py").exists()
    for folder in ("queue", "webapp", "worker", "bots", "bots/discord", "bots/mastodon"):
        assert (ROOT / folder / "py.typed").exists()
    for test_dir in ROOT.joinpath("tests").rglob("*"):
        if test_dir.is_dir() and "__pycache__" not in test_dir.parts and any(test_dir.glob("*.py")):
            assert (test_dir / "__init__.py").exists(), f"{test_dir} needs __init__.py"
    assert not [p for folder in PACKAGES for p in (ROOT / folder).rglob("utils.py")], "name modules after what they do"


def test_stdlib_queue_is_not_shadowed_from_the_repo_root() -> None:
    code = "import queue, asyncio; assert hasattr(queue, 'SimpleQueue'); import horde.queue.service"
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


def test_server_commands_do_not_load_torch() -> None:
    code = "import sys, horde.webapp.cli, horde.webapp.app; assert 'torch' not in sys.modules and 'horde.worker' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)
