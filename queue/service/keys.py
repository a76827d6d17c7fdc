"""API keys: made with ``secrets.token_urlsafe(16)`` (22 characters), stored only as a keyed hash."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from pathlib import Path


def new_api_key() -> str:
    return secrets.token_urlsafe(16)


def hash_api_key(secret: bytes, api_key: str) -> str:
    """HMAC-SHA256 under the server's secret: a stolen database alone cannot be checked against guesses."""
    return hmac.new(secret, api_key.encode(), hashlib.sha256).hexdigest()


def load_or_create_secret(data_dir: Path, configured: str | None) -> bytes:
    """The configured secret, or one generated into the data dir on first start (mode 0600)."""
    if configured:
        return configured.encode()
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip().encode()
    data_dir.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    path.touch(mode=0o600)
    path.write_text(value)
    return value.encode()
