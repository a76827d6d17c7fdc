"""Styles through the API: create (trusted only), list, get by id and name, change, delete, and generate with one."""

from __future__ import annotations

import httpx

from horde.queue.domain.roles import Role
from tests.api.conftest import IMAGE, POP, Keys, h

STYLE = {
    "name": "tiny oil",
    "prompt": "{p}, oil painting ### {np}, blurry",
    "params": {"steps": 3, "width": 64, "height": 64, "sampler_name": "k_lms"},
    "models": ["tiny"],
}


async def test_style_lifecycle(client: httpx.AsyncClient, keys: Keys) -> None:
    plain, trusted = await keys.user("plain"), await keys.user("stylist", role=Role.TRUSTED)
    r = await client.post("/api/v2/styles/image", json=STYLE, headers=h(plain))
    assert (r.status_code, r.json()["rc"]) == (403, "StylesRequiresCustomizer")
    r = await client.post("/api/v2/styles/image", json={**STYLE, "prompt": "{p} only"}, headers=h(trusted))
    assert (r.status_code, r.json()["rc"]) == (400, "StylePromptMissingVars")
    r = await client.post("/api/v2/styles/image", json=STYLE, headers=h(trusted))
    assert r.status_code == 200, r.text
    style_id = r.json()["id"]

    listed = (await client.get("/api/v2/styles/image")).json()
    assert [s["id"] for s in listed] == [style_id]
    assert listed[0]["params"] == STYLE["params"] and listed[0]["creator"].startswith("stylist#")
    assert (await client.get("/api/v2/styles/image_by_name/tiny oil")).json()["id"] == style_id
    assert (await client.get("/api/v2/styles/text")).json() == []
    assert (await client.get(f"/api/v2/styles/text/{style_id}")).status_code == 404

    r = await client.patch(f"/api/v2/styles/image/{style_id}", json={"info": "thick paint"}, headers=h(plain))
    assert r.json()["rc"] == "NotOwner"
    r = await client.patch(f"/api/v2/styles/image/{style_id}", json={"info": "thick paint"}, headers=h(trusted))
    assert (
        r.status_code == 200 and (await client.get(f"/api/v2/styles/image/{style_id}")).json()["info"] == "thick paint"
    )
    assert (await client.delete(f"/api/v2/styles/image/{style_id}", headers=h(trusted))).json() == {"message": "OK"}
    assert (await client.get(f"/api/v2/styles/image/{style_id}")).json()["rc"] == "StyleNotFound"


async def test_generate_with_a_style(client: httpx.AsyncClient, keys: Keys) -> None:
    trusted, asker, worker = await keys.user("stylist", role=Role.TRUSTED), await keys.user("a"), await keys.user("w")
    await client.post("/api/v2/styles/image", json=STYLE, headers=h(trusted))
    body = {"prompt": "a cat ### dogs", "style": "tiny oil", "params": {"steps": 40, "n": 2}, "models": ["other"]}
    r = await client.post("/api/v2/generate/async", json=body, headers=h(asker))
    assert r.status_code == 202, r.text
    job = (await client.post("/api/v2/generate/pop", json=POP, headers=h(worker))).json()
    assert job["model"] == "tiny"
    check = (await client.get(f"/api/v2/generate/check/{r.json()['id']}")).json()
    assert (check["processing"], check["waiting"]) == (1, 1)  # the request kept its n
    payload = job["payload"]
    assert payload["prompt"] == "a cat, oil painting ### , dogs, blurry"
    assert (payload["ddim_steps"], payload["sampler_name"], payload["width"]) == (3, "k_lms", 64)
    assert (await client.get("/api/v2/styles/image_by_name/tiny oil")).json()["use_count"] == 1
    r = await client.post("/api/v2/generate/async", json={**IMAGE, "style": "nope"}, headers=h(asker))
    assert (r.status_code, r.json()["rc"]) == (404, "StyleNotFound")
