"""/generate over the wire: acknowledged at once, progress edits, the image; refusals ephemeral, before any defer."""

from __future__ import annotations

from typing import Any

from tests.bots.discord.conftest import Live
from tests.bots.discord.fake_discord import FakeDiscord, Interaction

NO_WORKER_MODEL = "nobody-serves-this"


def answered(fake: FakeDiscord, interaction: Interaction) -> dict[str, Any]:
    fake.wait_for(lambda: interaction.answered, timeout=5, what="the interaction to be answered")
    assert interaction.response is not None
    return interaction.response


def ephemeral_text(fake: FakeDiscord, interaction: Interaction) -> str:
    response = answered(fake, interaction)
    assert response["type"] == 4, response
    assert interaction.ephemeral, response
    return str(response["data"]["content"])


def titles(message: dict[str, Any]) -> list[str]:
    return [e.get("title", "") for e in message["embeds"]]


def buttons(message: dict[str, Any]) -> list[str]:
    return [c.get("custom_id", "") for row in message["components"] for c in row["components"]]


def test_generate_is_deferred_then_shows_progress_then_the_image(worker_ready: Live, fake: FakeDiscord) -> None:
    user = worker_ready.user("painter")
    interaction = fake.command(user, "generate", {"prompt": "a red fox", "size": "64x64"})

    response = answered(fake, interaction)
    assert response["type"] == 5 and not interaction.ephemeral  # public "thinking…", within Discord's 3 s

    def finished() -> dict[str, Any] | None:
        message = fake.original(interaction)
        return message if message and any(t.startswith("Done") for t in titles(message)) else None

    message = fake.wait_for(finished, timeout=60, what="the result")
    assert [a["filename"].endswith(".webp") for a in message["attachments"]] == [True]
    embed = message["embeds"][0]
    assert "a red fox" in embed["title"]
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert fields["Model"] == "tiny" and fields["Seed"].isdigit() and "Kudos" in fields
    assert any(b.startswith("horde:reroll:") for b in buttons(message))
    assert any(b == f"horde:delete:{user.id}" for b in buttons(message))
    assert any(t and t.startswith("Generating") for h in message["history"] for t in h)  # progress was shown


def test_nsfw_outside_an_age_restricted_channel_is_refused_privately(live: Live, fake: FakeDiscord) -> None:
    interaction = fake.command(live.user(), "generate", {"prompt": "a statue", "nsfw": True}, nsfw=False)

    assert "age-restricted" in ephemeral_text(fake, interaction)
    assert fake.original(interaction) is not None and fake.original(interaction)["flags"] & 64  # type: ignore[index]


def test_cancel_is_only_for_the_requester(live: Live, fake: FakeDiscord) -> None:
    owner, other = live.user("owner"), live.user("other")
    interaction = fake.command(owner, "generate", {"prompt": "a slow ship", "model": NO_WORKER_MODEL})
    assert answered(fake, interaction)["type"] == 5

    def waiting() -> dict[str, Any] | None:
        message = fake.original(interaction)
        return message if message and buttons(message) else None

    message = fake.wait_for(waiting, what="the progress message with its Cancel button")
    assert "No online worker" in message["embeds"][0]["description"]  # a plain reason when nobody serves it
    cancel = next(b for b in buttons(message) if b.startswith("horde:cancel:"))

    press = fake.press(other, int(message["id"]), cancel)
    assert "not your request" in ephemeral_text(fake, press)
    assert not any(t.startswith("Cancelled") for t in titles(fake.original(interaction) or {"embeds": []}))

    press = fake.press(owner, int(message["id"]), cancel)
    assert answered(fake, press)["type"] == 7  # the message itself is updated
    fake.wait_for(
        lambda: any(t.startswith("Cancelled") for t in titles(fake.original(interaction) or {"embeds": []})),
        what="the cancelled result",
    )
