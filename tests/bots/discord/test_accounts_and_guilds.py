"""/login, /advanced's refusals, and per-guild settings, over the wire."""

from __future__ import annotations

from typing import Any

from tests.bots.discord.conftest import Live
from tests.bots.discord.fake_discord import FakeDiscord, Interaction, User
from tests.bots.discord.test_generate import NO_WORKER_MODEL, answered, ephemeral_text


def modal_fields(response: dict[str, Any]) -> tuple[str, list[str]]:
    assert response["type"] == 9, response  # a modal
    data = response["data"]
    return data["custom_id"], [c["custom_id"] for row in data["components"] for c in row["components"]]


def login(fake: FakeDiscord, user: User, key: str) -> str:
    custom_id, (key_field,) = modal_fields(answered(fake, fake.command(user, "login")))
    return ephemeral_text(fake, fake.submit_modal(user, custom_id, {key_field: key}))


def test_login_with_a_wrong_key_then_the_right_one(live: Live, fake: FakeDiscord) -> None:
    user = live.user("linker")
    key = live.make_user("linked-account", kudos=42)

    assert "not valid" in login(fake, user, "wrong-key-0123456789")
    text = login(fake, user, key)
    assert "linked-account#" in text and "encrypted" in text

    balance = answered(fake, fake.command(user, "balance"))
    assert balance["data"]["flags"] & 64
    assert balance["data"]["embeds"][0]["title"].startswith("linked-account#")
    assert "forgotten" in ephemeral_text(fake, fake.command(user, "logout"))


def advanced(fake: FakeDiscord, user: User, numbers: str) -> Interaction:
    """/advanced → the modal → the private select menus → Generate."""
    custom_id, fields = modal_fields(answered(fake, fake.command(user, "advanced", {"model": NO_WORKER_MODEL})))
    values = dict(zip(fields, ["a lighthouse", "", numbers, "", ""], strict=True))
    chooser = fake.submit_modal(user, custom_id, values)
    ephemeral_text(fake, chooser)
    menu = fake.original(chooser)
    assert menu is not None and len(menu["components"]) == 5
    assert all(len(c.get("options", [])) <= 25 for row in menu["components"] for c in row["components"])
    generate = next(c["custom_id"] for c in menu["components"][4]["components"])
    return fake.press(user, int(menu["id"]), generate)


def test_bad_parameters_are_refused_privately(live: Live, fake: FakeDiscord) -> None:
    assert "cfg_scale" in ephemeral_text(fake, advanced(fake, live.user(), "30, 500"))


def test_not_enough_kudos_is_refused_privately_with_what_to_do(live: Live, fake: FakeDiscord) -> None:
    text = ephemeral_text(fake, advanced(fake, live.user(), "60"))
    assert "up front" in text and "/login" in text


def test_a_guilds_settings_stay_in_that_guild(live: Live, fake: FakeDiscord) -> None:
    first, second = live.guild(), live.guild()
    manager, member = live.user("manager", manager=True), live.user("member")

    refused = fake.command(member, "settings", {"blocked_words": "fox"}, guild_id=second)
    assert "managers" in ephemeral_text(fake, refused)
    changed = answered(fake, fake.command(manager, "settings", {"blocked_words": "fox, wolf"}, guild_id=second))
    assert "fox, wolf" in str(changed["data"]["embeds"])

    blocked = fake.command(member, "generate", {"prompt": "a Fox", "model": NO_WORKER_MODEL}, guild_id=second)
    assert "fox" in ephemeral_text(fake, blocked)
    allowed = fake.command(member, "generate", {"prompt": "a fox", "model": NO_WORKER_MODEL}, guild_id=first)
    assert answered(fake, allowed)["type"] == 5
    progress = fake.wait_for(lambda: (m := fake.original(allowed)) and m["components"] and m, what="Cancel")
    fake.press(member, int(progress["id"]), progress["components"][0]["components"][0]["custom_id"])
    shown = answered(fake, fake.command(manager, "settings", guild_id=first))
    assert "none" in str(shown["data"]["embeds"]) and "fox" not in str(shown["data"]["embeds"])
