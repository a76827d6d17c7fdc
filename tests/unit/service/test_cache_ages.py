"""Per-process caches never answer from a reading older than their stated age: two nodes on one database (two
``HordeService``s, as two ``horde serve`` processes are), a change made through node A, and node B acting on it
within the bound. The same, over HTTP between two real ``horde serve`` processes, is in
``tests/scaleout/test_changes_reach_every_node.py``."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import pytest

from horde.queue import errors
from horde.queue.clock import FrozenClock
from horde.queue.domain.jobs import GenerationKind
from horde.queue.domain.roles import Role
from horde.queue.service import HordeService, capacity, moderation, modes
from horde.queue.service.single_flight import REFRESH_SHARE
from horde.queue.settings import CoreSettings
from tests.factories import ask_image, make_user, pop


@pytest.fixture
async def node_b(settings: CoreSettings, frozen_clock: FrozenClock) -> AsyncIterator[HordeService]:
    """A second node on the same database and clock as ``service`` (node A)."""
    other = HordeService.open(settings, clock=frozen_clock)
    yield other
    await other.close()


def almost(seconds: float) -> float:
    """Just under the share of a maximum age within which a reading is used without a look at the database."""
    return REFRESH_SHARE * seconds - 0.01


async def test_a_mode_changed_through_one_node_holds_on_the_other_within_its_maximum_age(
    service: HordeService, node_b: HordeService, frozen_clock: FrozenClock
) -> None:
    admin = await make_user(service, "admin", role=Role.ADMIN)
    asker = await make_user(service, "asker", kudos=100)
    anonymous = service.users.anonymous(ip="10.1.2.3")
    assert not (await node_b.modes.current()).maintenance  # B has read the modes

    await service.modes.change(admin, maintenance=True, raid=True, banner="Back soon")
    with pytest.raises(errors.MaintenanceModeError):  # at once on the node that made the change
        await ask_image(service, asker)
    frozen_clock.advance(almost(modes.MAX_AGE_SECONDS))
    assert not (await node_b.modes.current()).maintenance  # B's reading is still young: the cache is real

    frozen_clock.advance(modes.MAX_AGE_SECONDS - almost(modes.MAX_AGE_SECONDS))  # B's reading is now that old
    current = await node_b.modes.current()
    assert (current.maintenance, current.raid, current.banner) == (True, True, "Back soon")
    with pytest.raises(errors.MaintenanceModeError):
        await ask_image(node_b, asker)

    await service.modes.change(admin, maintenance=False)
    frozen_clock.advance(modes.MAX_AGE_SECONDS)
    with pytest.raises(errors.RaidModeError):  # raid mode still on: anonymous requests refused on B
        await ask_image(node_b, anonymous)
    assert (await ask_image(node_b, asker)).id  # maintenance over on B too


async def test_a_prompt_filter_added_through_one_node_holds_on_the_other_within_its_maximum_age(
    service: HordeService, node_b: HordeService, frozen_clock: FrozenClock
) -> None:
    moderator = await make_user(service, "mod", role=Role.MODERATOR)
    asker = await make_user(service, "asker", kudos=100)
    assert (await ask_image(node_b, asker, "a forbidden lighthouse")).id  # B has read the filters: none

    saved = await service.moderation.put_filter(moderator, regex="forbidden", filter_type=20)
    with pytest.raises(errors.CorruptPromptError):
        await service.moderation.screen_prompt(asker, "a forbidden lighthouse", GenerationKind.IMAGE)
    frozen_clock.advance(moderation.FILTERS_MAX_AGE_SECONDS)
    with pytest.raises(errors.CorruptPromptError):
        await ask_image(node_b, asker, "a forbidden lighthouse")

    await service.moderation.delete_filter(moderator, saved.id)
    frozen_clock.advance(moderation.FILTERS_MAX_AGE_SECONDS)
    assert (await ask_image(node_b, asker, "a forbidden lighthouse")).id


async def test_an_ip_timeout_set_through_one_node_holds_on_the_other_at_once(
    service: HordeService, node_b: HordeService
) -> None:
    moderator = await make_user(service, "mod", role=Role.MODERATOR)
    asker = await make_user(service, "asker", kudos=100, ip="203.0.113.7")
    assert (await ask_image(node_b, asker)).id
    await service.moderation.put_ip_timeout(moderator, "203.0.113.0/24", hours=1)
    with pytest.raises(errors.TimeoutIPError):  # not kept per process: no wait at all
        await ask_image(node_b, asker)


async def test_a_worker_online_through_one_node_counts_on_the_other_within_its_maximum_age(
    service: HordeService, node_b: HordeService, frozen_clock: FrozenClock
) -> None:
    owner = await make_user(service, "owner", role=Role.TRUSTED)
    assert (await node_b.capacity.snapshot()).serving("image", ["tiny"]) == []
    await pop(service, owner, models=("tiny",))  # the worker's first pop, through A
    assert (await service.capacity.snapshot()).serving("image", ["tiny"])  # A knew at once
    frozen_clock.advance(capacity.MAX_AGE_SECONDS)
    assert [w.models for w in (await node_b.capacity.snapshot()).serving("image", ["tiny"])] == [frozenset({"tiny"})]
    assert [m.workers for m in await node_b.stats.models("image") if m.name == "tiny"] == [1]


async def test_a_clock_set_back_makes_every_reading_too_old(
    service: HordeService, node_b: HordeService, frozen_clock: FrozenClock
) -> None:
    admin = await make_user(service, "admin", role=Role.ADMIN)
    assert not (await node_b.modes.current()).maintenance
    await service.modes.change(admin, maintenance=True)
    frozen_clock.current -= dt.timedelta(hours=1)  # NTP steps the wall clock back: B must not trust its reading
    assert (await node_b.modes.current()).maintenance
