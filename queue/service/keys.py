"""API keys: made with ``secrets.token_urlsafe(16)`` (22 characters), stored only as a keyed hash."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from pathlib import Path


def new_api_key() -> str:
    return secrets.token_urlsafe(16)


def hash_api_key(secret: bytes, api_key: str) -> str:
    """HMAC-SHA256 under the server's secret: a stolen database alone cannot be checked against guesses."""
    return hmac.new(secret, api_key.encode(), hashlib.sha256).hexdigest()


def shared_key_handle(secret: bytes, shared_key: str) -> str:
    """What the database keeps of a shared key: a keyed hash in UUID form (version 8), so the column and the
    requests that name it keep their shape. The key itself is shown once, when it is made."""
    digest = bytearray(hmac.new(secret, b"shared-key:" + shared_key.encode(), hashlib.sha256).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x80  # version 8: custom
    digest[8] = (digest[8] & 0x3F) | 0x80  # the RFC 4122 variant
    return str(uuid.UUID(bytes=bytes(digest)))


def is_shared_key_handle(value: str) -> bool:
    """A handle (version 8), not a key as made before keys were hashed (version 4)."""
    return len(value) == 36 and value[14] == "8"


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
