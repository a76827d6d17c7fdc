"""The moderation API's twins of the /admin panel: the same service methods, AI Horde's paths and shapes."""

from __future__ import annotations

import httpx

from horde.queue.domain.roles import Role
from tests.api.conftest import IMAGE, POP, Keys, h


async def test_modes_maintenance_is_for_admins_and_refuses_requests(client: httpx.AsyncClient, keys: Keys) -> None:
    admin, mod = await keys.user("boss", role=Role.ADMIN), await keys.user("mod", role=Role.MODERATOR)
    user = await keys.user("bob", kudos=100)
    r = await client.put("/api/v2/status/modes", json={"maintenance_mode": True}, headers=h(mod))
    assert (r.status_code, r.json()["rc"]) == (403, "NotAdmin")
    r = await client.put("/api/v2/status/modes", json={"raid_mode": True, "invite_only_mode": True}, headers=h(mod))
    assert r.json() == {"maintenance_mode": False, "invite_only_mode": True, "raid_mode": True}
    assert (await client.get("/api/v2/status/modes")).json()["raid_mode"] is False  # shown to moderators only
    await client.put("/api/v2/status/modes", json={"maintenance_mode": True}, headers=h(admin))
    r = await client.post("/api/v2/generate/async", json=IMAGE, headers=h(user))
    assert (r.status_code, r.json()["rc"]) == (503, "MaintenanceMode")


async def test_news(client: httpx.AsyncClient, keys: Keys, api_service) -> None:  # type: ignore[no-untyped-def]
    mod = await api_service.users.authenticate(await keys.user("mod", role=Role.MODERATOR))
    await api_service.modes.add_news(mod, "Hello", "We are open", "warning")
    [item] = (await client.get("/api/v2/status/news")).json()
    assert (item["title"], item["newspiece"], item["importance"]) == ("Hello", "We are open", "warning")


async def test_messages_reach_the_worker_on_pop(client: httpx.AsyncClient, keys: Keys) -> None:
    mod, owner, other = await keys.user("mod", role=Role.MODERATOR), await keys.user("owner"), await keys.user("x")
    await client.post("/api/v2/generate/pop", json=POP, headers=h(owner))
    [worker] = (await client.get("/api/v2/workers")).json()
    sent = await client.post(
        "/api/v2/workers/messages", json={"worker_id": worker["id"], "message": "Update please"}, headers=h(mod)
    )
    assert sent.status_code == 200 and sent.json()["message"] == "Update please"
    refused = await client.post(
        "/api/v2/workers/messages", json={"worker_id": worker["id"], "message": "hi"}, headers=h(other)
    )
    assert (refused.status_code, refused.json()["rc"]) == (403, "NotOwner")
    popped = (await client.post("/api/v2/generate/pop", json=POP, headers=h(owner))).json()
    assert [m["message"] for m in popped["messages"]] == ["Update please"]
    mine = (await client.get("/api/v2/workers/messages", headers=h(owner))).json()
    assert [m["id"] for m in mine] == [sent.json()["id"]]
    assert (await client.get("/api/v2/workers/messages", headers=h(other))).json() == []
    gone = await client.delete(f"/api/v2/workers/messages/{sent.json()['id']}", headers=h(owner))
    assert gone.status_code == 200


async def test_block_a_workers_ip_and_soft_delete_a_user(client: httpx.AsyncClient, keys: Keys) -> None:
    mod, owner = await keys.user("mod", role=Role.MODERATOR), await keys.user("owner", kudos=50)
    await client.post("/api/v2/generate/pop", json=POP, headers=h(owner))
    [worker] = (await client.get("/api/v2/workers")).json()
    r = await client.put(f"/api/v2/operations/block_worker_ipaddr/{worker['id']}", json={"days": 2}, headers=h(mod))
    assert r.status_code == 200
    r = await client.post("/api/v2/generate/async", json=IMAGE, headers=h(owner))  # same address as the worker
    assert (r.status_code, r.json()["rc"]) == (403, "TimeoutIP")
    await client.delete(f"/api/v2/operations/block_worker_ipaddr/{worker['id']}", headers=h(mod))
    assert (await client.post("/api/v2/generate/async", json=IMAGE, headers=h(owner))).status_code == 202

    me = (await client.get("/api/v2/find_user", headers=h(owner))).json()
    r = await client.delete(f"/api/v2/users/{me['id']}", headers=h(mod))
    assert r.json() == {"deleted_id": str(me["id"]), "deleted_name": me["username"]}
    assert (await client.get("/api/v2/users/" + str(me["id"]))).json()["deleted"] is True
    assert (await client.get("/api/v2/find_user", headers=h(owner))).status_code == 403
    r = await client.put(f"/api/v2/users/{me['id']}", json={"undelete": True}, headers=h(mod))
    assert r.json() == {"undeleted": True}
    assert (await client.get("/api/v2/find_user", headers=h(owner))).status_code == 200


async def test_pausing_through_the_api_requeues_the_workers_jobs(client: httpx.AsyncClient, keys: Keys) -> None:
    mod, asker = await keys.user("mod", role=Role.MODERATOR), await keys.user("asker", kudos=50)
    bad, good = await keys.user("bad"), await keys.user("good")
    await client.post("/api/v2/generate/async", json=IMAGE, headers=h(asker))
    held = (await client.post("/api/v2/generate/pop", json=POP, headers=h(bad))).json()
    [worker] = (await client.get("/api/v2/workers")).json()
    r = await client.put(f"/api/v2/workers/{worker['id']}", json={"paused": True}, headers=h(mod))
    assert r.json() == {"paused": True}
    again = (await client.post("/api/v2/generate/pop", json={**POP, "name": "w2"}, headers=h(good))).json()
    assert again["ids"] == held["ids"]
