"""A mention that names one of the horde's styles is drawn in it: the style comes from the horde's styles service
(the one the web and the API use), by name."""

from __future__ import annotations

from mastodon_mock.testing.server import MockServer

from horde.queue import dto
from horde.queue.domain.jobs import GenerationKind
from horde.queue.domain.roles import Role
from horde.queue.service import SYSTEM, HordeService
from tests.bots.live import LiveHorde
from tests.bots.mastodon.conftest import Bot, person, reply_to


def test_a_mention_is_drawn_in_the_style_it_names(bot: Bot, horde: LiveHorde, instance: MockServer) -> None:
    async def make_style(service: HordeService) -> dto.StyleInfo:
        made = await service.users.create_user(SYSTEM, "ink-stylist", role=Role.TRUSTED)
        stylist = await service.users.authenticate(made.api_key)
        return await service.styles.create(
            stylist,
            GenerationKind.IMAGE,
            name="ink wash",
            prompt="{p}, ink wash painting ### {np}, colour",
            params={"steps": 3},  # a style's params win over the bot's (the size stays the bot's)
        )

    style = horde.call(make_style)
    bot.start()

    reply = reply_to(instance, person(instance, "Inky").status_post('@horde draw me style: "ink wash" a heron'))

    assert len(reply["media_attachments"]) == 2
    assert "a heron, ink wash painting" in reply["content"]  # the prompt as the style made it
    assert all("ink wash painting" in m["description"] for m in reply["media_attachments"])
    used: dto.StyleInfo = horde.call(lambda service: service.styles.get(style.id))
    assert used.uses == 1
