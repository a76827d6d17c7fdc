"""Docs that cannot go stale: the settings reference is generated, and the README keeps its two commands."""

from __future__ import annotations

import re
from pathlib import Path

from horde.webapp import settings_doc
from horde.webapp.cli import build_parser

ROOT = Path(__file__).resolve().parent.parent


def test_settings_reference_is_current() -> None:
    committed = (ROOT / "docs" / "reference" / "settings.md").read_text()
    assert committed == settings_doc.render(), "run: python -m horde.webapp.settings_doc > docs/reference/settings.md"


def test_readme_quick_start_is_make_run_and_make_test() -> None:
    readme = (ROOT / "README.md").read_text()
    assert re.search(r"```(?:bash|sh)?\nmake run\n```", readme)
    assert re.search(r"```(?:bash|sh)?\nmake test\n```", readme)
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_every_subcommand_is_documented() -> None:
    readme = (ROOT / "README.md").read_text()
    parser = build_parser()
    subcommands = next(a for a in parser._actions if a.dest == "command").choices
    assert subcommands is not None
    for name in subcommands:
        assert f"horde {name}" in readme, f"README does not mention `horde {name}`"
