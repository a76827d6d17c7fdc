"""Bad input answers a 4xx in the API's ``{"message", "rc"}`` shape, never a 500 (issue 14, defect 11)."""

from __future__ import annotations

import base64
import io
import struct
import zlib
from typing import Any

import httpx
import pytest
from PIL import Image

from tests.api.conftest import IMAGE, Keys, h


def png_header(width: int, height: int) -> bytes:
    """A tiny PNG file whose header declares ``width``×``height`` (a decompression bomb's calling card)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0")) + chunk(b"IEND", b"")


def assert_refused(response: httpx.Response, status: int = 400) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert isinstance(body["message"], str) and body["message"]
    assert isinstance(body["rc"], str) and body["rc"]
    return body


@pytest.mark.parametrize("depth", [100, 5_000, 100_000])
async def test_deeply_nested_json_is_refused(client: httpx.AsyncClient, depth: int) -> None:
    body = '{"prompt": "a cat", "params": ' + '{"a": ' * depth + "1" + "}" * depth + "}"
    response = await client.post("/api/v2/generate/async", content=body, headers=h("0000000000"))
    assert_refused(response)
    nested_list = '{"prompt": "a cat", "models": ' + "[" * depth + "]" * depth + "}"
    response = await client.post("/api/v2/generate/async", content=nested_list, headers=h("0000000000"))
    assert_refused(response)


@pytest.mark.parametrize("literal", ["Infinity", "-Infinity", "NaN", "1e999"])
async def test_non_finite_numbers_are_refused(client: httpx.AsyncClient, keys: Keys, literal: str) -> None:
    key = await keys.user("alice", kudos=100)
    await keys.user("bob")
    body = '{"username": "bob#2", "amount": ' + literal + "}"
    assert_refused(await client.post("/api/v2/kudos/transfer", content=body, headers=h(key)))


@pytest.mark.parametrize("field", ["source_image", "source_mask"])
async def test_a_png_header_declaring_20000_by_20000_is_refused(client: httpx.AsyncClient, field: str) -> None:
    bomb = base64.b64encode(png_header(20_000, 20_000)).decode()
    small = base64.b64encode(png_header(64, 64)).decode()
    payload = {**IMAGE, "source_image": small, field: bomb, "dry_run": True}
    body = assert_refused(await client.post("/api/v2/generate/async", json=payload, headers=h("0000000000")))
    assert field in body["message"]


@pytest.mark.parametrize("purpose", ["upload", "download"])
async def test_a_5000_digit_expiry_on_a_signed_url_is_refused(client: httpx.AsyncClient, purpose: str) -> None:
    url = f"/api/v2/r2/{purpose}/7d1f1c8e-4c63-4bd6-9f53-2f1f9c6c2a11?expires={'9' * 5000}&signature=abc"
    method = "PUT" if purpose == "upload" else "GET"
    assert_refused(await client.request(method, url, content=b"x"), 403)


@pytest.mark.parametrize("amount", [1e308, 1e20, -1e308])
async def test_a_huge_transfer_amount_is_refused(client: httpx.AsyncClient, keys: Keys, amount: float) -> None:
    key = await keys.user("alice", kudos=100)
    await keys.user("bob")
    response = await client.post("/api/v2/kudos/transfer", json={"username": "bob#2", "amount": amount}, headers=h(key))
    assert_refused(response)


@pytest.mark.parametrize("username", ["alias#99999999999999999999", "alias#2147483648", f"x#{'9' * 100}", "x#²"])
async def test_an_alias_with_a_huge_id_is_not_found(client: httpx.AsyncClient, keys: Keys, username: str) -> None:
    key = await keys.user("alice", kudos=100)
    response = await client.post("/api/v2/kudos/transfer", json={"username": username, "amount": 1}, headers=h(key))
    assert_refused(response, 404)


async def test_huge_numbers_in_queries_and_paths_are_refused(client: httpx.AsyncClient, keys: Keys) -> None:
    key = await keys.user("mod", kudos=100)
    twenty = "9" * 20
    for url in (
        f"/api/v2/users?page={twenty}",
        f"/api/v2/users/{twenty}",
        f"/api/v2/styles/image?page={twenty}",
        f"/api/v2/filters/{twenty}",
        f"/api/v2/workers/{twenty}",
        f"/api/v2/teams/{twenty}",
        f"/api/v2/sharedkeys/{twenty}",
        f"/api/v2/generate/check/{twenty}",
        f"/api/v2/stats/img/models?model_state={twenty}",
    ):
        response = await client.get(url, headers=h(key))
        assert 400 <= response.status_code < 500, (url, response.status_code, response.text)
        assert_refused(response, response.status_code)


async def test_a_huge_seed_is_refused(client: httpx.AsyncClient) -> None:
    payload = {**IMAGE, "params": {**IMAGE["params"], "seed": "9" * 5000}, "dry_run": True}
    assert_refused(await client.post("/api/v2/generate/async", json=payload, headers=h("0000000000")))


def test_a_result_declaring_20000_by_20000_goes_out_unconverted() -> None:
    """A worker's result is converted to webp for ``generate/status``; a bomb's header is not decoded."""
    from horde.webapp.api.v2.generate import to_webp

    bomb = png_header(20_000, 20_000)
    assert to_webp(bomb) == bomb
    real = io.BytesIO()
    Image.new("RGB", (64, 64)).save(real, "PNG")
    assert to_webp(real.getvalue())[8:12] == b"WEBP"
