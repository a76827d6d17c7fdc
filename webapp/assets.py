"""Where static files and templates live, in an editable checkout and in a regular install alike."""

from __future__ import annotations

from pathlib import Path

_HORDE_ROOT = Path(__file__).resolve().parent.parent


def static_dir() -> Path:
    return _HORDE_ROOT / "static"


def templates_dir() -> Path:
    return _HORDE_ROOT / "templates"
