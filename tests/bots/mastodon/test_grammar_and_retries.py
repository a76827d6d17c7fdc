"""The mention grammar, the reply rules, and retries of what a server error may fix (unit tests)."""

from __future__ import annotations

import pytest
from mastodon.errors import MastodonNetworkError, MastodonNotFoundError

from horde.bots.mastodon import replies
from horde.bots.mastodon.api import Api, GoneError
from horde.bots.mastodon.grammar import Drawing, parse

HTML = '<p><span class="h-card"><a href="https://x/@horde">@<span>horde</span></a></span> {}</p>'


@pytest.mark.parametrize(
    ("text", "drawing"),
    [
        ("Draw me a red fox in snow ### blurry, text", Drawing("a red fox in snow", "blurry, text")),
        ("please DRAW FOR ME a harbour &amp; boats", Drawing("a harbour & boats")),
        ("draw us style: anime two cats<br>on a wall", Drawing("two cats on a wall", style="anime")),
        ('draw me style: "oil paint" a barn', Drawing("a barn", style="oil paint")),
    ],
)
def test_what_a_mention_asks_for(text: str, drawing: Drawing) -> None:
    assert parse(HTML.format(text), "horde") == drawing


@pytest.mark.parametrize("text", ["hello there", "draw me", "drawing me a cat", "draw me @bob"])
def test_anything_else_gets_the_help_reply(text: str) -> None:
    assert parse(HTML.format(text), "horde") is None


def test_the_request_must_follow_the_bots_handle() -> None:
    assert parse("<p>draw me a cat, @horde</p>", "horde") is None
    assert parse("<p>@bob @horde@bots.example draw me a cat</p>", "horde") == Drawing("a cat")


def test_replies_fit_the_character_limit_and_never_open_up() -> None:
    assert len(replies.fit("@someone@example.social", "x" * 1000, 500)) == 500
    throttle = replies.PublicThrottle(per_hour=2)
    assert throttle.visibility("a", "direct") == "direct"
    assert [throttle.visibility("a", "public", now=t) for t in (0, 1, 2)] == ["public", "public", "unlisted"]
    assert throttle.visibility("b", "public", now=3) == "public"  # per instance
    assert throttle.visibility("a", "public", now=3602) == "public"  # an hour later


@pytest.mark.parametrize(
    ("instance", "limit"),
    [
        ({"configuration": {"statuses": {"max_characters": 5000}}}, 5000),  # Mastodon
        ({"max_toot_chars": 2000, "configuration": {}}, 2000),  # Pleroma, Akkoma
        ({"configuration": {"statuses": {}}}, 500),
        ({"max_toot_chars": "lots"}, 500),
    ],
)
def test_the_character_limit_is_read_from_the_instance(instance: dict[str, object], limit: int) -> None:
    assert replies.char_limit(instance) == limit


async def test_calls_are_retried_with_backoff_and_a_gone_status_is_gone() -> None:
    attempts: list[int] = []

    def flaky() -> str:
        attempts.append(1)
        if len(attempts) < 3:
            raise MastodonNetworkError("connection reset")
        return "posted"

    assert await Api(client=None, backoff=0.001).call(flaky) == "posted"  # type: ignore[arg-type]
    assert len(attempts) == 3

    def gone() -> None:
        raise MastodonNotFoundError("Record not found")

    with pytest.raises(GoneError):
        await Api(client=None, backoff=0.001).call(gone)  # type: ignore[arg-type]

    def down() -> None:
        raise MastodonNetworkError("still down")

    with pytest.raises(MastodonNetworkError):
        await Api(client=None, backoff=0.001).call(down)  # type: ignore[arg-type]
