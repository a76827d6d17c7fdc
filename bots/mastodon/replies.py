"""What the bot says: a fixed, polite reply for each outcome, within the instance's character limit, never more
public than the mention it answers."""

from __future__ import annotations

import time
from collections import deque
from typing import Any

from horde.queue import errors

CONTENT_WARNING = "AI generated image"
HELP = (
    "Hello! Ask me “draw me <what you want>”, for example: draw me a lighthouse at dawn. "
    "Add “style: <name>” for one of the horde's styles, and “### <what to leave out>”."
)
WORKING = "Working on it: you are number {position} in the queue. Your images follow here."
DONE = "Here you are: {prompt}"
ALL_CENSORED = "Sorry, every image was held back by the safety filter. Try another prompt."
NOT_MADE = "Sorry, your images could not be made this time. Please try again later."
NO_WORKER = "Sorry, no worker can draw that right now. Please try again later."

#: by return code, the reply to a refused request
REFUSALS: dict[str, str] = {
    "StyleNotFound": "I don't know that style. Ask without “style:”, or pick one of the horde's styles.",
    "RateLimited": "One drawing at a time, please: try again in a few minutes.",
    "UserSuspended": "Sorry, this account may not use the horde.",
    "TimeoutIP": "Sorry, this account may not use the horde right now.",
    "BlockedWord": "Sorry, I can't draw that. Please ask for something else.",
    "CorruptPrompt": "Sorry, I can't draw that. Please ask for something else.",
    "MaintenanceMode": "The horde is in maintenance right now. Please try again later.",
    "NoAvailableWorker": NO_WORKER,
}
#: how open each visibility is; a reply is never more open than the mention
OPENNESS = {"direct": 0, "private": 1, "unlisted": 2, "public": 3}


def refusal(exc: errors.HordeError) -> str:
    if exc.rc in REFUSALS:
        return REFUSALS[exc.rc]
    if isinstance(exc, errors.RateLimitedError):
        return REFUSALS["RateLimited"]
    if isinstance(exc, errors.ValidationError):
        return "Sorry, I can't draw that as asked. Try a shorter or simpler prompt."
    return NOT_MADE


def char_limit(instance: Any) -> int:
    """The longest status the instance takes: Mastodon says so in its configuration, Pleroma and Akkoma in
    ``max_toot_chars``; 500 (Mastodon's default) when it says nothing."""
    statuses = (instance.get("configuration") or {}).get("statuses") or {}
    limit = statuses.get("max_characters") or instance.get("max_toot_chars")
    return int(limit) if isinstance(limit, int | str) and str(limit).isdigit() and int(limit) > 0 else 500


def fit(mention: str, text: str, limit: int) -> str:
    """``@account text``, cut to the instance's character limit."""
    whole = f"{mention} {text}"
    return whole if len(whole) <= limit else whole[: max(0, limit - 1)] + "…"


def alt_text(prompt: str, seed: str | int, limit: int = 1500) -> str:
    text = f"{prompt} (seed {seed})"
    return text if len(text) <= limit else text[: limit - 1] + "…"


class PublicThrottle:
    """At most ``per_hour`` public replies per instance (sliding hour); the rest go out unlisted."""

    def __init__(self, per_hour: int) -> None:
        self.per_hour = per_hour
        self._sent: dict[str, deque[float]] = {}

    def visibility(self, instance: str, asked: str, now: float | None = None) -> str:
        """The reply's visibility: the mention's, but never more open, and public only within the budget."""
        wanted = asked if asked in OPENNESS else "unlisted"
        if wanted != "public":
            return wanted
        at = time.monotonic() if now is None else now
        sent = self._sent.setdefault(instance, deque())
        while sent and at - sent[0] > 3600:
            sent.popleft()
        if len(sent) >= self.per_hour:
            return "unlisted"
        sent.append(at)
        return "public"
