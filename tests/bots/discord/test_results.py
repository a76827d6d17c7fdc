"""What happens after a result, over the wire: Reroll, Delete, rating (buttons and /rate), gifts by reaction,
/transfer, /models, /status, /balance's links, and a wait longer than an interaction token lives."""

from __future__ import annotations

import time
from typing import Any

from tests.bots.discord.conftest import Live
from tests.bots.discord.fake_discord import FakeDiscord, Interaction, User
from tests.bots.discord.test_accounts_and_guilds import login
from tests.bots.discord.test_generate import NO_WORKER_MODEL, answered, buttons, ephemeral_text, titles


def result_of(fake: FakeDiscord, interaction: Interaction, heading: str = "Done") -> dict[str, Any]:
    def finished() -> dict[str, Any] | None:
        message = fake.original(interaction)
        return message if message and any(t.startswith(heading) for t in titles(message)) else None

    found: dict[str, Any] = fake.wait_for(finished, timeout=60, what=f"the {heading} message")
    return found


def generate(fake: FakeDiscord, user: User, prompt: str, **options: Any) -> dict[str, Any]:
    interaction = fake.command(user, "generate", {"prompt": prompt, "size": "64x64", **options})
    assert answered(fake, interaction)["type"] == 5
    return result_of(fake, interaction)


def kudos_by_key(live: Live, api_key: str) -> float:
    async def read(service: Any) -> float:
        return float((await service.users.me(await service.users.authenticate(api_key))).kudos)

    value: float = live.call(read)
    return value


def kudos_of(live: Live, user: User) -> float:
    """The kudos of the account a Discord user acts as."""

    async def read(service: Any) -> float:
        return float((await service.users.me(await service.discord.actor(str(user.id), user.name))).kudos)

    value: float = live.call(read)
    return value


def test_reroll_makes_a_new_image_and_delete_is_for_the_owner_only(worker_ready: Live, fake: FakeDiscord) -> None:
    owner, other = worker_ready.user("roller"), worker_ready.user("passer-by")
    first = generate(fake, owner, "a green kite")
    reroll = next(b for b in buttons(first) if b.startswith("horde:reroll:"))

    again = fake.press(other, int(first["id"]), reroll)  # anyone may reroll: it is their own request then
    assert answered(fake, again)["type"] == 5
    second = result_of(fake, again)
    assert second["id"] != first["id"] and "a green kite" in second["embeds"][0]["title"]
    assert f"horde:delete:{other.id}" in buttons(second)

    delete = f"horde:delete:{owner.id}"
    assert "not your request" in ephemeral_text(fake, fake.press(other, int(first["id"]), delete))
    assert not first.get("deleted")
    fake.press(owner, int(first["id"]), delete)
    fake.wait_for(lambda: fake.messages[int(first["id"])].get("deleted"), what="the result to be deleted")


def test_a_shared_image_is_rated_from_its_result_and_from_slash_rate(worker_ready: Live, fake: FakeDiscord) -> None:
    user = worker_ready.user("critic")
    first = generate(fake, user, "a quiet harbour", share=True)
    rate_buttons = [b for b in buttons(first) if b.startswith("horde:rate:")]
    assert len(rate_buttons) == 10 and len(first["components"]) == 3

    generate(fake, user, "a loud market", share=True)

    rate = fake.command(user, "rate")  # the newest unrated one, privately, with its image
    shown = answered(fake, rate)
    assert shown["type"] == 4 and shown["data"]["flags"] & 64
    assert shown["data"]["embeds"][0]["title"] == "a loud market"
    assert "1 more" in shown["data"]["embeds"][0]["footer"]["text"]
    rate_message = fake.original(rate)
    assert rate_message is not None
    assert len(rate_message["attachments"]) == 1 and len(rate_message["components"]) == 2
    seven = next(b for b in buttons(rate_message) if b.endswith(":7"))
    thanks = ephemeral_text(fake, fake.press(user, int(rate_message["id"]), seven))
    assert "Thanks for rating: +" in thanks and "1 more" in thanks

    eight = next(b for b in rate_buttons if b.endswith(":8"))  # the first one, from its own result message
    assert "Thanks for rating" in ephemeral_text(fake, fake.press(user, int(first["id"]), eight))
    assert "Nothing to rate" in ephemeral_text(fake, fake.command(user, "rate"))
    again = fake.press(user, int(first["id"]), eight)
    assert "already" in ephemeral_text(fake, again).lower()  # a request is rated once


def test_a_gift_reaction_moves_kudos_and_tells_both(worker_ready: Live, fake: FakeDiscord) -> None:
    maker, fan = worker_ready.user("maker"), worker_ready.user("fan")
    login(fake, fan, worker_ready.make_user("generous", kudos=200))
    result = generate(fake, maker, "a tiny lighthouse")
    maker_before, fan_before = kudos_of(worker_ready, maker), kudos_of(worker_ready, fan)

    fake.react(fan, int(result["id"]), "🎁")

    fake.wait_for(lambda: any("gave you 10 kudos" in m for m in fake.dms_to(maker)), what="the requester's DM")
    fake.wait_for(lambda: any("You gave 10 kudos" in m for m in fake.dms_to(fan)), what="the giver's DM")
    assert kudos_of(worker_ready, fan) == fan_before - 10
    assert kudos_of(worker_ready, maker) == maker_before + 10

    fake.react(maker, int(result["id"]), "🎁")  # a gift to oneself is ignored
    fake.react(fan, int(result["id"]), "👍")  # another emoji is no gift
    time.sleep(1.0)
    assert kudos_of(worker_ready, fan) == fan_before - 10
    assert kudos_of(worker_ready, maker) == maker_before + 10
    assert len(fake.dms_to(maker)) == 1


def test_transfer_models_status_and_balance(worker_ready: Live, fake: FakeDiscord) -> None:
    user = worker_ready.user("banker")
    login(fake, user, worker_ready.make_user("banker-account", kudos=100))
    payee_key = worker_ready.make_user("payee")
    payee = worker_ready.call(lambda s: s.users.authenticate(payee_key))
    before = kudos_by_key(worker_ready, payee_key)

    sent = ephemeral_text(fake, fake.command(user, "transfer", {"amount": 5, "horde_user": f"payee#{payee.user_id}"}))
    assert "Sent 5 kudos" in sent
    assert kudos_by_key(worker_ready, payee_key) == before + 5
    both = fake.command(user, "transfer", {"amount": 5})
    assert "either horde_user or member" in ephemeral_text(fake, both)

    models = answered(fake, fake.command(user, "models"))
    assert models["data"]["flags"] & 64 and "**tiny**: 1 workers" in models["data"]["embeds"][0]["description"]

    generate(fake, user, "a ledger")
    status = answered(fake, fake.command(user, "status"))["data"]["embeds"][0]
    fields = {f["name"]: f["value"] for f in status["fields"]}
    assert "a ledger" in fields["Your latest requests"] and "done" in fields["Your latest requests"]

    balance = answered(fake, fake.command(user, "balance"))["data"]["embeds"][0]
    assert f"{worker_ready.url}/account" in balance["description"]
    newcomer = answered(fake, fake.command(worker_ready.user("newcomer"), "balance"))["data"]["embeds"][0]
    assert f"{worker_ready.url}/register" in newcomer["description"]


def test_a_wait_longer_than_the_token_lives_ends_in_a_channel_message(live: Live, fake: FakeDiscord) -> None:
    owner = live.user("patient")
    long_prompt = "a very long prompt " * 52  # ~1,000 characters: titles are clipped to Discord's 256
    interaction = fake.command(owner, "generate", {"prompt": long_prompt, "model": NO_WORKER_MODEL})
    assert answered(fake, interaction)["type"] == 5
    progress = fake.wait_for(lambda: (m := fake.original(interaction)) and m["components"] and m, what="progress")
    assert titles(progress)[0].startswith("Generating") and len(titles(progress)[0]) == 256

    fake.age_tokens(15 * 60 + 1)  # Discord now refuses the interaction's token
    cancel = next(b for b in buttons(progress) if b.startswith("horde:cancel:"))
    assert answered(fake, fake.press(owner, int(progress["id"]), cancel))["type"] == 7

    def in_channel() -> dict[str, Any] | None:
        sent = [m for m in fake.messages.values() if m["content"] == f"<@{owner.id}>"]
        return sent[-1] if sent and any(t.startswith("Cancelled") for t in titles(sent[-1])) else None

    message = fake.wait_for(in_channel, what="the result in a channel message, mentioning the requester")
    assert int(message["channel_id"]) == interaction.channel_id
    assert not [entry for entry in fake.log if entry[0] == "rejected"]  # nothing broke Discord's limits
