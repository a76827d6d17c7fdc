"""Users, kudos, shared keys, workers, teams, status, stats and moderation endpoints."""

from __future__ import annotations

import httpx

from horde.queue.domain.roles import Role
from tests.api.conftest import IMAGE, POP, Keys, h


async def test_find_user_and_users(client: httpx.AsyncClient, keys: Keys) -> None:
    key = await keys.user("alice", kudos=10)
    me = (await client.get("/api/v2/find_user", headers=h(key))).json()
    assert me["username"].startswith("alice#") and me["kudos"] >= 10 and me["sharedkey_ids"] == []
    anon = (await client.get("/api/v2/find_user", headers=h("0000000000"))).json()
    assert anon["id"] == 0
    assert (await client.get("/api/v2/find_user", headers=h("x" * 22))).status_code == 401
    listing = (await client.get("/api/v2/users?page=1&sort=age")).json()
    assert any(u["id"] == me["id"] for u in listing)
    assert (await client.get(f"/api/v2/users/{me['id']}")).json()["username"] == me["username"]
    assert (await client.get("/api/v2/users/999999")).json()["rc"] == "UserNotFound"
    assert (await client.get("/api/v2/users?page=0")).status_code == 400


async def test_moderators_modify_users(client: httpx.AsyncClient, keys: Keys) -> None:
    user, mod = await keys.user("bob"), await keys.user("mod", role=Role.ADMIN)
    me = (await client.get("/api/v2/find_user", headers=h(user))).json()
    uid = me["id"]
    r = await client.put(f"/api/v2/users/{uid}", json={"concurrency": 5, "trusted": True}, headers=h(user))
    assert (r.status_code, r.json()["rc"]) == (403, "NotModerator")
    r = await client.put(f"/api/v2/users/{uid}", json={"concurrency": 5, "trusted": True, "kudos": 7}, headers=h(mod))
    assert r.status_code == 200 and r.json() == {"concurrency": 5, "trusted": True, "new_kudos": me["kudos"] + 7}
    assert (await client.put(f"/api/v2/users/{uid}", json={}, headers=h(mod))).json()["rc"] == "NoUserModSelected"


async def test_kudos_transfer(client: httpx.AsyncClient, keys: Keys) -> None:
    alice, bob = await keys.user("alice", kudos=50), await keys.user("bob")
    bob_name = (await client.get("/api/v2/find_user", headers=h(bob))).json()["username"]
    r = await client.post("/api/v2/kudos/transfer", json={"username": bob_name, "amount": 20}, headers=h(alice))
    assert r.status_code == 200 and r.json() == {"transferred": 20}
    r = await client.post("/api/v2/kudos/transfer", json={"username": bob_name, "amount": 1000}, headers=h(alice))
    assert (r.status_code, r.json()["rc"]) == (400, "KudosTransferNotEnough")
    r = await client.post("/api/v2/kudos/transfer", json={"username": bob_name, "amount": -1}, headers=h(alice))
    assert r.status_code == 400


async def test_shared_keys(client: httpx.AsyncClient, keys: Keys) -> None:
    owner = await keys.user("owner", kudos=100)
    r = await client.put("/api/v2/sharedkeys", json={"name": "for friends", "max_image_steps": 10}, headers=h(owner))
    assert r.status_code == 200, r.text
    key_id = r.json()["id"]
    assert (await client.get(f"/api/v2/sharedkeys/{key_id}")).json()["name"] == "for friends"
    r = await client.post("/api/v2/generate/async", json=IMAGE, headers=h(key_id))
    assert r.status_code == 202, r.text
    too_many = {**IMAGE, "params": {"width": 64, "height": 64, "steps": 20}}
    assert (await client.post("/api/v2/generate/async", json=too_many, headers=h(key_id))).status_code == 400
    r = await client.patch(f"/api/v2/sharedkeys/{key_id}", json={"name": "renamed"}, headers=h(owner))
    assert r.json()["name"] == "renamed"
    assert (await client.delete(f"/api/v2/sharedkeys/{key_id}", headers=h(owner))).status_code == 200
    assert (await client.get(f"/api/v2/sharedkeys/{key_id}")).json()["rc"] == "SharedKeyNotFound"
    assert (await client.put("/api/v2/sharedkeys", json={}, headers=h("0000000000"))).status_code == 403


async def test_workers_and_teams(client: httpx.AsyncClient, keys: Keys) -> None:
    owner, other = await keys.user("owner"), await keys.user("other")
    await client.post("/api/v2/generate/pop", json=POP, headers=h(owner))
    listing = (await client.get("/api/v2/workers?type=")).json()
    assert [w["name"] for w in listing] == ["w1"] and listing[0]["bridge_agent"]
    assert (await client.get("/api/v2/workers?type=text")).json() == []
    wid = listing[0]["id"]
    assert (await client.get(f"/api/v2/workers/{wid}")).json()["name"] == "w1"
    assert (await client.get("/api/v2/workers/nope")).json()["rc"] == "WorkerNotFound"
    r = await client.put(f"/api/v2/workers/{wid}", json={"maintenance": True}, headers=h(other))
    assert (r.status_code, r.json()["rc"]) == (403, "NotOwner")
    team = (await client.post("/api/v2/teams", json={"name": "red team"}, headers=h(owner))).json()
    r = await client.put(f"/api/v2/workers/{wid}", json={"maintenance": True, "team": team["id"]}, headers=h(owner))
    assert r.json() == {"maintenance": True, "team": team["id"]}
    teams = (await client.get("/api/v2/teams")).json()
    assert teams[0]["workers"][0]["id"] == wid and teams[0]["creator"].startswith("owner#")
    assert (await client.get(f"/api/v2/teams/{team['id']}")).json()["worker_count"] == 1
    assert (await client.get("/api/v2/teams/nope")).json()["rc"] == "TeamNotFound"
    r = await client.patch(f"/api/v2/teams/{team['id']}", json={"info": "hi"}, headers=h(owner))
    assert r.json()["info"] == "hi"
    assert (await client.delete(f"/api/v2/teams/{team['id']}", headers=h(owner))).status_code == 200
    r = await client.delete(f"/api/v2/workers/{wid}", headers=h(owner))
    assert r.json() == {"deleted_id": wid, "deleted_name": "w1"}


async def test_status_and_stats(client: httpx.AsyncClient, keys: Keys) -> None:
    asker, worker = await keys.user("asker", kudos=100), await keys.user("runner")
    await client.post("/api/v2/generate/async", json=IMAGE, headers=h(asker))
    await client.post("/api/v2/generate/pop", json={**POP, "models": ["tiny", "other"]}, headers=h(worker))
    assert (await client.get("/api/v2/status/heartbeat")).json()["message"] == "OK"
    assert (await client.get("/api/v2/status/modes")).json()["maintenance_mode"] is False
    perf = (await client.get("/api/v2/status/performance")).json()
    assert perf["worker_count"] == 1
    models = (await client.get("/api/v2/status/models?type=image")).json()
    assert {m["name"] for m in models} == {"tiny", "other"} and all(m["type"] == "image" for m in models)
    assert (await client.get("/api/v2/status/models?min_count=2")).json() == []
    assert (await client.get("/api/v2/status/models/tiny")).json()[0]["count"] == 1
    totals = (await client.get("/api/v2/stats/img/totals")).json()
    assert set(totals) == {"minute", "hour", "day", "month", "total"}
    assert set((await client.get("/api/v2/stats/img/models?model_state=all")).json()) == {"day", "month", "total"}
    assert (await client.get("/api/v2/stats/text/totals")).json()["total"] == {"requests": 0, "tokens": 0}
    assert (await client.get("/api/v2/stats/text/models")).status_code == 200


async def test_filters_and_ip_timeouts(client: httpx.AsyncClient, keys: Keys) -> None:
    user, mod = await keys.user("user", kudos=10), await keys.user("mod", role=Role.MODERATOR)
    assert (await client.get("/api/v2/filters", headers=h(user))).json()["rc"] == "NotModerator"
    r = await client.put("/api/v2/filters", json={"regex": "forbidden", "filter_type": 20}, headers=h(mod))
    assert r.status_code == 200, r.text
    fid = r.json()["id"]
    assert (await client.get(f"/api/v2/filters/{fid}", headers=h(mod))).json()["regex"] == "forbidden"
    r = await client.patch(f"/api/v2/filters/{fid}", json={"description": "d"}, headers=h(mod))
    assert r.json()["description"] == "d"
    check = await client.post("/api/v2/filters", json={"prompt": "a forbidden cat"}, headers=h(mod))
    assert check.json() == {"suspicion": 1, "matches": [20]}
    blocked = await client.post("/api/v2/generate/async", json={**IMAGE, "prompt": "forbidden"}, headers=h(user))
    assert blocked.json()["rc"] == "CorruptPrompt"
    assert (await client.get("/api/v2/filters?filter_type=20", headers=h(mod))).json()[0]["id"] == fid
    assert (await client.delete(f"/api/v2/filters/{fid}", headers=h(mod))).status_code == 200
    assert (await client.get(f"/api/v2/filters/{fid}", headers=h(mod))).json()["rc"] == "FilterNotFound"
    timeouts = (await client.get("/api/v2/operations/ipaddr", headers=h(mod))).json()
    assert timeouts[0]["ipaddr"] == "203.0.113.7"  # the blocked prompt put the caller's IP in timeout
    r = await client.request("DELETE", "/api/v2/operations/ipaddr", json={"ipaddr": "203.0.113.7"}, headers=h(mod))
    assert r.status_code == 200
    r = await client.post("/api/v2/operations/ipaddr", json={"ipaddr": "198.51.100.1", "hours": 2}, headers=h(mod))
    assert r.status_code == 200
    r = await client.post("/api/v2/operations/ipaddr", json={"ipaddr": "nope", "hours": 2}, headers=h(mod))
    assert r.status_code == 400
