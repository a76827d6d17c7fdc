"""Layout and layering facts (design §2, conventions §3.1, §3.3), checked by walking every module's imports."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = {"queue": "horde.queue", "webapp": "horde.webapp", "worker": "horde.worker", "bots": "horde.bots"}
MAX_LINES = 800
SIZE_ALLOWLIST: set[str] = set()


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


def imports_of(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
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
    (
        ("horde.webapp", "horde.bots"),
        ("horde.queue.store", "sqlalchemy", "torch", "diffusers", "transformers"),
        ("horde.webapp.cli",),
    ),
    (("horde.worker",), ("horde.queue", "horde.webapp", "horde.bots"), ()),
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
    if module.startswith("horde.queue.store") is False and module.startswith("horde.queue"):
        assert not any(starts(n, ("sqlalchemy",)) for n in imported) or module in {
            "horde.queue.service.users",  # catches IntegrityError from a concurrent first use
        }, f"{module}: only horde.queue.store may import sqlalchemy"


def test_modules_stay_small() -> None:
    too_big = {
        str(path.relative_to(ROOT)): n
        for _, path in modules()
        if (n := len(path.read_text().splitlines())) > MAX_LINES and str(path.relative_to(ROOT)) not in SIZE_ALLOWLIST
    }
    assert not too_big, f"over {MAX_LINES} lines: {too_big}"


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
