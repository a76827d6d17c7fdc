"""A shared key only generates within its limits: every other use of it answers 403 (issue 14, defect 1)."""

from __future__ import annotations

from typing import Any

import httpx

from horde.queue.domain.roles import Role
from tests.api.conftest import IMAGE, Keys, h


async def shared_key(client: httpx.AsyncClient, owner: str, **fields: Any) -> str:
    r = await client.put("/api/v2/sharedkeys", json={"name": "for a friend", **fields}, headers=h(owner))
    assert r.status_code == 200, r.text
    key_id: str = r.json()["id"]
    return key_id


def refused(r: httpx.Response) -> None:
    assert r.status_code == 403, r.text
    assert r.json()["rc"] == "SharedKeyScope"


async def test_a_shared_key_cannot_spend_or_change_its_owners_account(client: httpx.AsyncClient, keys: Keys) -> None:
    owner = await keys.user("owner", kudos=1000)
    await keys.user("friend")
    key = await shared_key(client, owner, kudos=10)

    refused(await client.post("/api/v2/kudos/transfer", json={"username": "friend#3", "amount": 500}, headers=h(key)))
    refused(await client.patch(f"/api/v2/sharedkeys/{key}", json={"kudos": -1}, headers=h(key)))
    refused(await client.put("/api/v2/sharedkeys", json={"name": "unlimited", "kudos": -1}, headers=h(key)))
    refused(await client.delete(f"/api/v2/sharedkeys/{key}", headers=h(key)))
    refused(await client.get("/api/v2/find_user", headers=h(key)))  # it would list all of the owner's keys
    refused(await client.post("/api/v2/generate/pop", json={"name": "w", "models": ["tiny"]}, headers=h(key)))

    me = (await client.get("/api/v2/find_user", headers=h(owner))).json()
    assert me["kudos"] >= 1000  # nothing moved
    assert (await client.get(f"/api/v2/sharedkeys/{key}")).json()["kudos"] == 10


async def test_an_admins_shared_key_has_no_admin_powers(client: httpx.AsyncClient, keys: Keys) -> None:
    admin = await keys.user("boss", role=Role.ADMIN)
    key = await shared_key(client, admin)

    refused(await client.post("/api/v2/operations/ipaddr", json={"ipaddr": "198.51.100.9", "hours": 1}, headers=h(key)))
    refused(await client.put("/api/v2/users/1", json={"kudos": 1000}, headers=h(key)))
    refused(await client.put("/api/v2/filters", json={"regex": "x", "filter_type": 10}, headers=h(key)))


async def test_a_shared_key_still_generates_follows_and_cancels(client: httpx.AsyncClient, keys: Keys) -> None:
    owner = await keys.user("owner", kudos=1000)
    key = await shared_key(client, owner, kudos=100)

    r = await client.post("/api/v2/generate/async", json=IMAGE, headers=h(key))
    assert r.status_code == 202, r.text
    request_id = r.json()["id"]
    assert (await client.get(f"/api/v2/generate/check/{request_id}", headers=h(key))).status_code == 200
    r = await client.delete(f"/api/v2/generate/status/{request_id}", headers=h(key))
    assert r.status_code == 200, r.text
