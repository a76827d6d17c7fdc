"""API keys: made with ``secrets.token_urlsafe(16)`` (22 characters), stored only as a keyed hash."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from pathlib import Path

from horde.queue.settings import CoreSettings


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


class MissingSecretError(RuntimeError):
    """A shared database and no ``HORDE_SECRET_KEY``: nodes would hash API keys differently, so none starts."""


def server_secret(settings: CoreSettings) -> bytes:
    """The secret these settings give: configured, or (on SQLite only) generated into the data dir."""
    configured = settings.secret_key.get_secret_value() if settings.secret_key else None
    shared = not settings.resolved_database_url().startswith("sqlite")
    return load_or_create_secret(settings.data_dir, configured, shared_database=shared)


def load_or_create_secret(data_dir: Path, configured: str | None, *, shared_database: bool = False) -> bytes:
    """The configured secret, or one generated into the data dir on first start (mode 0600).

    On a shared database (PostgreSQL) nothing is generated: each node would make its own, and keys made through one
    node would be refused by the others. The secret must then be configured, the same on every node.
    """
    if configured:
        return configured.encode()
    path = data_dir / "secret_key"
    if shared_database:
        raise MissingSecretError(_missing_secret_message(path))
    if path.exists():
        return path.read_text().strip().encode()
    data_dir.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    path.touch(mode=0o600)
    path.write_text(value)
    return value.encode()


def _missing_secret_message(path: Path) -> str:
    lines = [
        "HORDE_SECRET_KEY is not set. On PostgreSQL several nodes may share the database, and every one must hash "
        "API keys with the same secret, so none is generated.",
        "Set HORDE_SECRET_KEY to the same long random value on every node, for example the output of",
        "  python3 -c 'import secrets; print(secrets.token_urlsafe(48))'",
    ]
    if path.exists():
        lines.append(
            f"This node already generated one, in {path}: set HORDE_SECRET_KEY to its content on every node "
            "to keep the API keys made so far."
        )
    lines.append("See docs/howto/postgresql.md.")
    return "\n".join(lines)
