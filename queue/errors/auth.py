"""Errors of a caller whose credentials are no longer good (``AuthError``)."""

from __future__ import annotations

from horde.queue.errors.families import AuthError


class SessionEndedError(AuthError):
    """This session has ended (you logged out, or your API key changed). Log in again."""

    rc = "SessionEnded"
