"""Teams, prompt filters and IP timeouts, and the gallery's owner rules, through the service on a real database."""

from __future__ import annotations

import pytest

from horde.queue import clock as clock_mod, errors
from horde.queue.service import GenerationKind, HordeService, Role
from tests import factories

# --- teams ---------------------------------------------------------------------------------------------------------


async def test_a_user_founds_a_team_and_only_its_owner_or_a_moderator_changes_it(service: HordeService) -> None:
    owner = await factories.make_user(service, "owner")
    other = await factories.make_user(service, "other")
    moderator = await factories.make_user(service, "mod", role=Role.MODERATOR)
    team = await service.teams.create(owner, "  Night   Shift ", "we paint at night")
    assert (team.name, team.owner_id, team.info) == ("Night Shift", owner.user_id, "we paint at night")
    assert [t.id for t in await service.teams.listing()] == [team.id]
    with pytest.raises(errors.NotOwnerError):
        await service.teams.modify(other, team.id, name="Mine now")
    assert (await service.teams.modify(moderator, team.id, info="moderated")).info == "moderated"
    with pytest.raises(errors.NotOwnerError):
        await service.teams.delete(other, team.id)
    await service.teams.delete(owner, team.id)
    with pytest.raises(errors.TeamNotFoundError):
        await service.teams.get(team.id)


async def test_team_names_are_unique_and_anonymous_users_found_none(service: HordeService) -> None:
    owner = await factories.make_user(service, "owner")
    await service.teams.create(owner, "Painters")
    with pytest.raises(errors.NameAlreadyExistsError):
        await service.teams.create(owner, "Painters")
    with pytest.raises(errors.AnonForbiddenError):
        await service.teams.create(service.users.anonymous(ip="10.0.0.9"), "Ghosts")


# --- prompt filters and IP timeouts --------------------------------------------------------------------------------


async def test_a_blocking_filter_refuses_a_matching_prompt_at_once_and_times_the_ip_out(service: HordeService) -> None:
    moderator = await factories.make_user(service, "mod", role=Role.MODERATOR)
    requester = await factories.make_user(service, "req", kudos=50, ip="10.1.1.1")
    await factories.ask_image(service, requester, "forbidden fruit")  # allowed before the filter exists
    saved = await service.moderation.put_filter(moderator, regex="forbidden", filter_type=20, description="test")
    assert [f.id for f in await service.moderation.list_filters(moderator)] == [saved.id]
    with pytest.raises(errors.CorruptPromptError):
        await factories.ask_image(service, requester, "a forbidden fruit")
    with pytest.raises(errors.TimeoutIPError):
        await factories.ask_image(service, requester, "an apple")
    assert [t.ip for t in await service.moderation.ip_timeouts(moderator)] == ["10.1.1.1"]


async def test_a_replacement_filter_rewrites_the_prompt(service: HordeService) -> None:
    moderator = await factories.make_user(service, "mod", role=Role.MODERATOR)
    requester = await factories.make_user(service, "req", kudos=50)
    await service.moderation.put_filter(moderator, regex="cat", filter_type=15, replacement="dog")
    created = await factories.ask_image(service, requester, "a cat on a mat")
    assert (await service.requests.status(requester, created.id)).prompt == "a dog on a mat"


async def test_filters_and_timeouts_are_for_moderators_only(service: HordeService) -> None:
    user = await factories.make_user(service, "plain")
    with pytest.raises(errors.NotModeratorError):
        await service.moderation.put_filter(user, regex="x", filter_type=20)
    with pytest.raises(errors.NotModeratorError):
        await service.moderation.put_ip_timeout(user, "10.0.0.1", hours=1)
    with pytest.raises(errors.NotModeratorError):
        await service.moderation.list_filters(user)


@pytest.mark.parametrize(("regex", "filter_type"), [("(unclosed", 20), ("fine", 9), ("fine", 30)])
async def test_a_bad_filter_is_refused(service: HordeService, regex: str, filter_type: int) -> None:
    moderator = await factories.make_user(service, "mod", role=Role.MODERATOR)
    with pytest.raises(errors.ValidationError):
        await service.moderation.put_filter(moderator, regex=regex, filter_type=filter_type)


async def test_an_ip_timeout_blocks_requests_until_it_ends_or_is_lifted(
    service: HordeService, frozen_clock: clock_mod.FrozenClock
) -> None:
    moderator = await factories.make_user(service, "mod", role=Role.MODERATOR)
    requester = await factories.make_user(service, "req", kudos=50, ip="10.2.2.2")
    await service.moderation.put_ip_timeout(moderator, "10.2.2.2", hours=1, reason="spam")
    with pytest.raises(errors.TimeoutIPError):
        await factories.ask_image(service, requester)
    assert await service.moderation.delete_ip_timeout(moderator, "10.2.2.2")
    await factories.ask_image(service, requester)
    await service.moderation.put_ip_timeout(moderator, "10.2.2.2", hours=1)
    frozen_clock.advance(3601)
    await factories.ask_image(service, requester, "after the hour")


# --- gallery -------------------------------------------------------------------------------------------------------


async def test_an_image_is_private_until_its_owner_shares_it(service: HordeService) -> None:
    owner = await factories.make_user(service, "owner", kudos=50)
    stranger = await factories.make_user(service, "stranger")
    _, image_id = await factories.finished_image(service, owner)
    with pytest.raises(errors.NotFoundError):
        await service.gallery.item(stranger, image_id)
    with pytest.raises(errors.NotOwnerError):
        await service.gallery.mark(stranger, image_id, public=True)
    shared = await service.gallery.mark(owner, image_id, public=True, favourite=True)
    assert shared.generation.public and shared.generation.favourite
    data, public = await service.gallery.load(None, image_id)
    assert public and data[:4] == b"RIFF"  # the webp the worker sent


async def test_a_deleted_image_is_gone_for_everyone(service: HordeService) -> None:
    owner = await factories.make_user(service, "owner", kudos=50)
    stranger = await factories.make_user(service, "stranger")
    _, image_id = await factories.finished_image(service, owner)
    with pytest.raises(errors.NotOwnerError):
        await service.gallery.delete(stranger, image_id)
    await service.gallery.delete(owner, image_id)
    with pytest.raises(errors.NotFoundError):
        await service.gallery.item(owner, image_id)
    assert [s.kind for s in await service.requests.history(owner)] == [GenerationKind.IMAGE.value]
