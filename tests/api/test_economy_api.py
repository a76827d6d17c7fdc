"""The economy over the wire (issue 16): monthly kudos set by ``PUT /v2/users/{id}`` and shown as upstream shows
them; a paused worker's decoys popped, uploaded and submitted like real jobs, and its pause hidden from it."""

from __future__ import annotations

import io
from typing import Any

import httpx
from PIL import Image

from horde.queue.domain.roles import Role
from horde.queue.service import HordeService
from tests.api.conftest import IMAGE, POP, Keys, h


def webp() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 64), (10, 200, 30)).save(out, format="WEBP")
    return out.getvalue()


async def me(client: httpx.AsyncClient, key: str) -> dict[str, Any]:
    r = await client.get("/api/v2/find_user", headers=h(key))
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def test_an_admin_sets_monthly_kudos_and_the_user_sees_them_paid(
    client: httpx.AsyncClient, keys: Keys, api_service: HordeService
) -> None:
    admin, mod = await keys.user("boss", role=Role.ADMIN), await keys.user("mod", role=Role.MODERATOR)
    patron = await keys.user("patron")
    uid = (await me(client, patron))["id"]

    r = await client.put(f"/api/v2/users/{uid}", json={"monthly_kudos": 500}, headers=h(mod))
    assert (r.status_code, r.json()["rc"]) == (403, "NotAdmin")
    r = await client.put(f"/api/v2/users/{uid}", json={"monthly_kudos": -1}, headers=h(admin))
    assert r.status_code == 400
    r = await client.put(f"/api/v2/users/{uid}", json={"monthly_kudos": 500}, headers=h(admin))
    assert r.status_code == 200 and r.json() == {"monthly_kudos": 500}

    before = await me(client, patron)
    assert before["monthly_kudos"] == {"amount": 500}  # never paid yet
    assert before["kudos_details"] == {"recurring": 0}
    await api_service.sweeps.monthly.pay_due()
    after = await me(client, patron)
    assert after["kudos"] == before["kudos"] + 500
    assert after["kudos_details"] == {"recurring": 500}
    assert after["monthly_kudos"]["last_received"].startswith("2026-01-01")

    public = (await client.get(f"/api/v2/users/{uid}")).json()
    assert public["kudos_details"] == {"recurring": 500} and "monthly_kudos" not in public
    assert "evaluating_kudos" not in public
    seen = (await client.get(f"/api/v2/users/{uid}", headers=h(mod))).json()
    assert seen["monthly_kudos"]["amount"] == 500 and seen["evaluating_kudos"] == 0


async def test_a_paused_worker_pops_uploads_and_submits_a_decoy(client: httpx.AsyncClient, keys: Keys) -> None:
    asker, cheat, mod = await keys.user("asker", kudos=100), await keys.user("cheat"), await keys.user("mod", role=Role.MODERATOR)  # fmt: skip
    assert (await client.post("/api/v2/generate/pop", json=POP, headers=h(cheat))).json()["id"] is None
    [worker] = (await client.get("/api/v2/workers")).json()
    r = await client.put(f"/api/v2/workers/{worker['id']}", json={"paused": True}, headers=h(mod))
    assert r.status_code == 200, r.text
    made = await client.post("/api/v2/generate/async", json=IMAGE, headers=h(asker))
    kudos_before = (await me(client, asker))["kudos"]

    job = (await client.post("/api/v2/generate/pop", json=POP, headers=h(cheat))).json()

    assert job["id"] and job["payload"]["prompt"] == IMAGE["prompt"] and job["model"] == "tiny"
    assert (await client.put(job["r2_upload"], content=webp())).status_code == 200
    r = await client.post("/api/v2/generate/submit", json={"id": job["id"], "generation": "R2"}, headers=h(cheat))
    assert (r.status_code, r.json()) == (200, {"reward": 0})
    status = (await client.get(f"/api/v2/generate/check/{made.json()['id']}")).json()
    assert (status["waiting"], status["finished"]) == (1, 0)
    assert (await me(client, asker))["kudos"] == kudos_before

    for viewer in ({}, h(cheat)):  # nobody but a moderator learns that it is paused
        assert "paused" not in (await client.get(f"/api/v2/workers/{worker['id']}", headers=viewer)).json()
    assert (await client.get(f"/api/v2/workers/{worker['id']}", headers=h(mod))).json()["paused"] is True
    assert (await client.get("/api/v2/workers", headers=h("not-a-key"))).status_code == 200
