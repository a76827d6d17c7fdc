"""Alchemy in the browser: pick an image (a wrong file is refused before it is sent), ask for a caption while no
alchemist is online, and watch the caption appear when one comes (an alchemist over HTTP with a real user's key);
then use it as a prompt."""

from __future__ import annotations

import re
import time
import uuid
from pathlib import Path

import httpx
import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from horde.queue.domain.roles import Role
from tests.browser.conftest import LiveHorde

pytestmark = pytest.mark.browser
WAIT = 15_000  #: ms: the page polls every second


def serve_one_caption(url: str, key: str, caption: str) -> None:
    """Pop the waiting caption form and send its result, as an alchemist does."""
    headers = {"apikey": key}
    with httpx.Client(base_url=f"{url}/api/v2", headers=headers, timeout=10) as api:
        deadline = time.monotonic() + 10
        while True:
            forms = api.post("/interrogate/pop", json={"name": f"alc-{key[:6]}", "forms": ["caption"]}).json()["forms"]
            if forms or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert forms, "no caption form was waiting"
        assert api.get(forms[0]["source_image"]).status_code == 200
        answer = api.post("/interrogate/submit", json={"id": forms[0]["id"], "result": {"caption": caption}})
        assert answer.status_code == 200, answer.text


def test_caption_an_uploaded_image_and_use_it_as_a_prompt(page: Page, live_horde: LiveHorde, tmp_path: Path) -> None:
    key, _ = live_horde.make_user(f"asker-{uuid.uuid4().hex[:6]}", kudos=50)
    alchemist_key, _ = live_horde.make_user(f"alchemist-{uuid.uuid4().hex[:6]}", role=Role.TRUSTED)
    page.goto("/login")
    page.get_by_label("API key").fill(key)
    page.get_by_role("button", name="Log in").click()
    notes = tmp_path / "notes.txt"
    notes.write_text("not a picture")
    picture = tmp_path / "square.png"
    Image.new("RGB", (96, 64), "green").save(picture)

    page.get_by_role("link", name="Alchemy").click()
    image_input = page.get_by_label("Image", exact=True)
    image_input.set_input_files(notes)
    expect(page.get_by_text("This file is not a PNG, JPEG or WebP image.")).to_be_visible()
    page.get_by_label("Caption", exact=True).check()
    page.get_by_role("button", name="Ask the alchemists").click()
    expect(page).to_have_url(re.compile(r"/alchemy$"))  # refused in the browser, nothing sent
    image_input.set_input_files(picture)
    expect(page.get_by_alt_text("Preview of the image you chose")).to_be_visible()
    page.get_by_role("button", name="Ask the alchemists").click()

    expect(page).to_have_url(re.compile(r"/alchemy/[0-9a-f-]{36}$"))
    expect(page.get_by_test_id("waiting-caption")).to_be_visible()  # no alchemist online yet
    assert page.get_by_alt_text("The image you sent").evaluate("img => img.naturalWidth") == 96
    serve_one_caption(live_horde.url, alchemist_key, "a green rectangle")
    expect(page.get_by_test_id("caption")).to_have_text("a green rectangle", timeout=WAIT)
    expect(page.get_by_test_id("alchemy-progress")).to_have_text("1 of 1 done")
    expect(page.locator("[hx-trigger]")).to_have_count(0)  # final: no more polling
    assert page.locator("h1").count() == 1
    page.get_by_role("link", name="Use as prompt").click()
    expect(page.get_by_label("Prompt", exact=True)).to_have_value("a green rectangle")
