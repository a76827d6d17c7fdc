"""``/v2/interrogate/*`` over HTTP (issue 17): the requester's and the alchemist's sides, the signed image URLs,
and clear errors for bad input."""

from __future__ import annotations

import base64
import io

import httpx
from PIL import Image

from tests.api.conftest import Keys, h


def png_b64(width: int = 64, height: int = 48) -> str:
    out = io.BytesIO()
    Image.new("RGB", (width, height), "green").save(out, format="PNG")
    return base64.b64encode(out.getvalue()).decode()


async def ask(client: httpx.AsyncClient, key: str, *names: str) -> str:
    body = {"forms": [{"name": name} for name in names], "source_image": png_b64()}
    r = await client.post("/api/v2/interrogate/async", json=body, headers=h(key))
    assert r.status_code == 202, r.text
    return str(r.json()["id"])


async def test_an_interrogation_round_trip_over_http(client: httpx.AsyncClient, keys: Keys) -> None:
    requester = await keys.user("asker", kudos=100)
    alchemist = await keys.user("alchemist")
    request_id = await ask(client, requester, "caption", "RealESRGAN_x4plus")
    r = await client.get(f"/api/v2/interrogate/status/{request_id}")
    assert r.json() == {
        "state": "waiting",
        "forms": [
            {"form": "caption", "state": "waiting", "result": None},
            {"form": "RealESRGAN_x4plus", "state": "waiting", "result": None},
        ],
    }

    pop = {"name": "my alchemist", "forms": ["caption", "RealESRGAN_x4plus", "nsfw"], "amount": 2, "max_tiles": 4}
    r = await client.post("/api/v2/interrogate/pop", json=pop, headers=h(alchemist))
    assert r.status_code == 200, r.text
    handed = {form["form"]: form for form in r.json()["forms"]}
    assert set(handed) == {"caption", "RealESRGAN_x4plus"}
    assert handed["caption"]["r2_upload"] is None and handed["RealESRGAN_x4plus"]["r2_upload"]
    source = await client.get(handed["caption"]["source_image"])
    assert source.status_code == 200 and Image.open(io.BytesIO(source.content)).size == (64, 48)

    caption = {"id": handed["caption"]["id"], "result": {"caption": "a green field"}, "state": "ok"}
    r = await client.post("/api/v2/interrogate/submit", json=caption, headers=h(alchemist))
    assert r.json() == {"reward": 1.0}
    upscaled = io.BytesIO()
    Image.new("RGB", (256, 192), "green").save(upscaled, format="WEBP")
    put = await client.put(handed["RealESRGAN_x4plus"]["r2_upload"], content=upscaled.getvalue())
    assert put.status_code == 200
    submit = {"id": handed["RealESRGAN_x4plus"]["id"], "result": {"RealESRGAN_x4plus": "R2"}}
    assert (await client.post("/api/v2/interrogate/submit", json=submit, headers=h(alchemist))).status_code == 200

    status = (await client.get(f"/api/v2/interrogate/status/{request_id}")).json()
    assert status["state"] == "done"
    results = {form["form"]: form["result"] for form in status["forms"]}
    assert results["caption"] == {"caption": "a green field"}
    image = await client.get(results["RealESRGAN_x4plus"]["RealESRGAN_x4plus"])
    assert image.status_code == 200 and Image.open(io.BytesIO(image.content)).size == (256, 192)

    workers = (await client.get("/api/v2/workers", params={"type": "interrogation"})).json()
    assert [(w["name"], w["type"]) for w in workers] == [("my alchemist", "interrogation")]
    performance = (await client.get("/api/v2/status/performance")).json()
    assert (performance["interrogator_count"], performance["queued_forms"]) == (1, 0)
    await ask(client, requester, "nsfw")
    assert (await client.get("/api/v2/status/performance")).json()["queued_forms"] == 1


async def test_the_alchemist_is_paid_what_the_requester_could_be_charged(client: httpx.AsyncClient, keys: Keys) -> None:
    requester = await keys.user("asker", kudos=100)
    alchemist = await keys.user("alchemist", kudos=0)
    await ask(client, requester, "interrogation")
    r = await client.post(
        "/api/v2/interrogate/pop", json={"name": "a", "forms": ["interrogation"]}, headers=h(alchemist)
    )
    [form] = r.json()["forms"]
    details = {"tags": [{"text": "grass", "confidence": 0.7}], "artists": []}
    body = {"id": form["id"], "result": {"interrogation": details}}
    assert (await client.post("/api/v2/interrogate/submit", json=body, headers=h(alchemist))).json() == {"reward": 3.0}
    anon_request = await ask(client, "0000000000", "nsfw")
    r = await client.post("/api/v2/interrogate/pop", json={"name": "a", "forms": ["nsfw"]}, headers=h(alchemist))
    [form] = r.json()["forms"]
    body = {"id": form["id"], "result": {"nsfw": True}}
    # the anonymous user has no kudos to spare: the result is delivered, the alchemist earns nothing from nothing
    assert (await client.post("/api/v2/interrogate/submit", json=body, headers=h(alchemist))).json() == {"reward": 0.0}
    status = (await client.get(f"/api/v2/interrogate/status/{anon_request}")).json()
    assert status["forms"] == [{"form": "nsfw", "state": "done", "result": {"nsfw": True}}]


async def test_bad_input_gets_a_clear_error(client: httpx.AsyncClient, keys: Keys) -> None:
    key = await keys.user("asker", kudos=10)
    cases = [
        ({"forms": [{"name": "sharpen"}], "source_image": png_b64()}, 400, "Unknown form"),
        ({"forms": [], "source_image": png_b64()}, 400, "forms"),
        ({"forms": [{"name": "caption"}], "source_image": "not base64!"}, 400, "base64"),
        ({"forms": [{"name": "caption"}], "source_image": base64.b64encode(b"text").decode()}, 400, "not an image"),
    ]
    for body, status, words in cases:
        r = await client.post("/api/v2/interrogate/async", json=body, headers=h(key))
        assert r.status_code == status, (body, r.text)
        assert words in r.json()["message"] and r.json()["rc"]
    r = await client.get("/api/v2/interrogate/status/00000000-0000-0000-0000-000000000000")
    assert r.status_code == 404 and r.json()["rc"] == "RequestNotFound"
    r = await client.post("/api/v2/interrogate/pop", json={"name": "a", "forms": ["caption"]}, headers=h("0000000000"))
    assert r.status_code == 403
    r = await client.post("/api/v2/interrogate/pop", json={"name": "a", "forms": ["paint"]}, headers=h(key))
    assert r.status_code == 400 and "Serve at least one form" in r.json()["message"]
    request_id = await ask(client, key, "caption")
    r = await client.get(f"/api/v2/r2/source/{request_id}?expires=99999999999&signature=forged")
    assert r.status_code == 403 and r.json()["rc"] == "InvalidSignature"


async def test_cancelling_without_a_key_is_the_requesters(client: httpx.AsyncClient, keys: Keys) -> None:
    key = await keys.user("asker", kudos=10)
    request_id = await ask(client, key, "caption", "nsfw")
    r = await client.delete(f"/api/v2/interrogate/status/{request_id}")
    assert r.status_code == 200 and r.json()["state"] == "cancelled"
    assert {form["state"] for form in r.json()["forms"]} == {"cancelled"}
    other = await keys.user("other")
    r = await client.delete(f"/api/v2/interrogate/status/{request_id}", headers=h(other))
    assert r.status_code == 403
