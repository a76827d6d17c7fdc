"""Secrets the service must read back (a linked account's API key): Fernet, keyed from the server secret.

Each purpose gets its own key, ``HMAC-SHA256(secret, purpose)``, so a token sealed for one purpose never opens
for another, and changing ``HORDE_SECRET_KEY`` makes every sealed value unreadable (its owners log in again).
``cryptography`` is imported on first use: only the bots need it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any


def _fernet(secret: bytes, purpose: str) -> Any:
    from cryptography.fernet import Fernet

    key = hmac.new(secret, f"horde-sealing:{purpose}".encode(), hashlib.sha256).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def seal(secret: bytes, purpose: str, text: str) -> str:
    token: bytes = _fernet(secret, purpose).encrypt(text.encode())
    return token.decode()


def unseal(secret: bytes, purpose: str, token: str) -> str | None:
    """The sealed text, or None when the token was sealed under another secret or purpose (or altered)."""
    from cryptography.fernet import InvalidToken

    try:
        data: bytes = _fernet(secret, purpose).decrypt(token.encode())
    except InvalidToken:
        return None
    return data.decode()
