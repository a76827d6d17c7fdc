"""The panel's actions through the web, as htmx sends them: each answers its section's partial, with the result in
place, and the change is real in the service."""

from __future__ import annotations

import httpx
import pytest

from horde.queue import errors
from horde.queue.domain.roles import Role
from horde.queue.service import SYSTEM, HordeService
from tests.factories import ask_image, make_user, pop
from tests.web.conftest import by_testid, log_in, post_form, soup


async def moderator(client: httpx.AsyncClient, service: HordeService) -> None:
    created = await service.users.create_user(SYSTEM, "moddy", role=Role.MODERATOR)
    await log_in(client, created.api_key)


async def test_find_a_user_and_flag_them(client: httpx.AsyncClient, service: HordeService) -> None:
    carol = await make_user(service, "carol")
    await moderator(client, service)
    found = await client.get("/admin/users", params={"q": "car"}, headers={"HX-Request": "true"})
    assert found.headers["Vary"] == "HX-Request"
    link = soup(found).select_one("#user-results a")
    assert link is not None and link.get_text() == f"carol#{carol.user_id}"
    page = await client.get(str(link["href"]))
    assert page.status_code == 200 and "Flags and limits" in page.text
    flagged = await post_form(
        client, f"/admin/users/{carol.user_id}/flags", {"flagged": "on", "had_flagged": "0"}, htmx=True
    )
    panel = soup(flagged)
    assert panel.select_one("#user-panel") is not None and panel.find("h1") is None  # the partial only
    assert "Saved: flagged" in by_testid(panel, "notice")
    assert by_testid(panel, "role-flagged") == "flagged"
    assert (await service.users.get(SYSTEM, carol.user_id)).flagged
    assert "user_modified" in panel.select_one("#user-audit").get_text()  # type: ignore[union-attr]


async def test_pause_a_worker_from_the_list(client: httpx.AsyncClient, service: HordeService) -> None:
    asker = await make_user(service, "asker", kudos=50)
    await ask_image(service, asker)
    owner = await make_user(service, "owner", ip="198.51.100.3")
    held = await pop(service, owner, name="w-bad")
    await moderator(client, service)
    [worker] = await service.workers.listing(None)
    answer = await post_form(client, f"/admin/workers/{worker.id}/pause", {"paused": "on"}, htmx=True)
    assert "w-bad paused" in by_testid(soup(answer), "notice")
    other = await make_user(service, "other")
    assert (await pop(service, other, name="w-good")).ids == held.ids


async def test_add_a_filter_test_a_prompt_and_see_a_request_refused(
    client: httpx.AsyncClient, service: HordeService
) -> None:
    await moderator(client, service)
    added = await post_form(client, "/admin/filters", {"regex": "forbidden ?fruit", "filter_type": "20"}, htmx=True)
    assert "applies to new requests now" in by_testid(soup(added), "notice")
    tested = await post_form(client, "/admin/filters/test", {"prompt": "a Forbidden-Fruit tree"}, htmx=True)
    assert "would be refused" in by_testid(soup(tested), "test-result")
    refused = await post_form(client, "/generate", {"prompt": "forbidden fruit", "model": "tiny", "_submitted": "1"})
    assert refused.status_code == 400
    asker = await make_user(service, "asker", kudos=50)
    with pytest.raises(errors.CorruptPromptError):
        await ask_image(service, asker, "forbidden fruit")


async def test_cancel_a_queued_request_and_turn_raid_mode_on(client: httpx.AsyncClient, service: HordeService) -> None:
    asker = await make_user(service, "asker", kudos=50)
    created = await ask_image(service, asker, "cancel me")
    await moderator(client, service)
    queue = await client.get("/admin/queue")
    assert "cancel me" in queue.text
    answer = await post_form(client, f"/admin/queue/{created.id}/cancel", {}, htmx=True)
    assert "Request cancelled" in by_testid(soup(answer), "notice")
    assert (await service.requests.status(asker, created.id)).cancelled
    raid = await post_form(client, "/admin/modes", {"mode": "raid", "on": "on"}, htmx=True)
    assert by_testid(soup(raid), "mode-raid") == "on"
    news = await post_form(client, "/admin/news", {"title": "Hello", "body": "We are live"}, htmx=True)
    assert "News published" in by_testid(soup(news), "notice")
    home = await client.get("/")
    assert "We are live" in home.text


async def test_a_message_to_a_workers_owner_shows_on_their_account_page(
    client: httpx.AsyncClient, service: HordeService
) -> None:
    owner = await service.users.create_user(SYSTEM, "owner")
    owner_actor = await service.users.authenticate(owner.api_key, ip="198.51.100.8")
    await pop(service, owner_actor, name="w-msg")
    await moderator(client, service)
    [worker] = await service.workers.listing(None)
    sent = await post_form(client, f"/admin/workers/{worker.id}/message", {"message": "Please update", "expiry": "5"})
    assert sent.status_code == 200
    await log_in(client, owner.api_key)
    account = await client.get("/account")
    assert "Please update" in by_testid(soup(account), "worker-messages")
