"""``PUT/GET /api/v2/users/{id}`` take and show role flags by upstream's names; moderators set all but moderator."""

from __future__ import annotations

import httpx

from horde.queue.domain.roles import Role
from tests.api.conftest import Keys, h


async def user_id(client: httpx.AsyncClient, key: str) -> int:
    return int((await client.get("/api/v2/find_user", headers=h(key))).json()["id"])


async def test_a_moderator_sets_trusted_and_other_flags_but_not_moderator(
    client: httpx.AsyncClient, keys: Keys
) -> None:
    user, mod = await keys.user("bob"), await keys.user("mod", role=Role.MODERATOR)
    uid = await user_id(client, user)
    r = await client.put(
        f"/api/v2/users/{uid}", json={"trusted": True, "customizer": True, "vpn": True}, headers=h(mod)
    )
    assert r.status_code == 200 and r.json() == {"trusted": True, "customizer": True, "vpn": True}

    for field in ({"moderator": True}, {"kudos": 100}):
        r = await client.put(f"/api/v2/users/{uid}", json=field, headers=h(mod))
        assert (r.status_code, r.json()["rc"]) == (403, "NotAdmin")

    public = (await client.get(f"/api/v2/users/{uid}")).json()
    assert (public["trusted"], public["customizer"], public["moderator"]) == (True, True, False)
    assert "vpn" not in public  # shown to the user and moderators only
    assert (await client.get(f"/api/v2/users/{uid}", headers=h(mod))).json()["vpn"] is True


async def test_setting_moderator_sets_trusted_and_moderators_cannot_touch_each_other(
    client: httpx.AsyncClient, keys: Keys
) -> None:
    admin, mod = await keys.user("boss", role=Role.ADMIN), await keys.user("mod", role=Role.MODERATOR)
    other = await keys.user("carol")
    uid = await user_id(client, other)
    r = await client.put(f"/api/v2/users/{uid}", json={"moderator": True}, headers=h(admin))
    assert r.status_code == 200 and r.json() == {"moderator": True}
    shown = (await client.get(f"/api/v2/users/{uid}")).json()
    assert shown["moderator"] and shown["trusted"]

    r = await client.put(f"/api/v2/users/{uid}", json={"flagged": True}, headers=h(mod))
    assert (r.status_code, r.json()["rc"]) == (403, "NotAdmin")
    admin_id = await user_id(client, admin)
    r = await client.put(f"/api/v2/users/{admin_id}", json={"username": "pwned"}, headers=h(mod))
    assert r.status_code == 403


async def test_the_anonymous_user_holds_no_role(client: httpx.AsyncClient, keys: Keys) -> None:
    admin = await keys.user("boss", role=Role.ADMIN)
    r = await client.put("/api/v2/users/0", json={"trusted": True}, headers=h(admin))
    assert (r.status_code, r.json()["rc"]) == (403, "AnonForbidden")
