"""The moderation panel in Chromium, logged in as a moderator (maintenance: an admin): find a user and flag them,
pause a worker, add a filter and test it and see a request refused, cancel a queued request, turn maintenance on
and off. Screenshots of the panel go to ``HORDE_SCREENSHOTS_DIR`` (see ``test_pages``)."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from horde.queue.domain.roles import Role
from tests.browser.conftest import LiveHorde

pytestmark = pytest.mark.browser


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


def api(live: LiveHorde, method: str, path: str, key: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
    """One call to the live server's API: (status, JSON answer)."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(  # noqa: S310 - our loopback server
        f"{live.url}/api/v2{path}",
        data=data,
        method=method,
        headers={"apikey": key, "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def log_in(page: Page, key: str) -> None:
    page.goto("/login")
    page.get_by_label("API key").fill(key)
    page.get_by_role("button", name="Log in").click()
    page.on("dialog", lambda dialog: dialog.accept())  # the confirmations of destructive actions


def moderator(page: Page, live: LiveHorde) -> None:
    key, _ = live.make_user(unique("mod"), role=Role.MODERATOR)
    log_in(page, key)


def shot(page: Page, name: str) -> None:
    folder = os.environ.get("HORDE_SCREENSHOTS_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / name), full_page=True)


def test_find_a_user_and_flag_them(page: Page, live_horde: LiveHorde) -> None:
    name = unique("suspect")
    _, user_id = live_horde.make_user(name, kudos=10)
    moderator(page, live_horde)
    page.goto("/admin/users")
    page.get_by_label("Name, id or name#id").fill(name)
    page.get_by_role("button", name="Find").click()
    page.get_by_role("link", name=f"{name}#{user_id}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{name}#{user_id}")
    page.get_by_label("Flagged").check()
    page.get_by_label("Moderators' comment").fill("spam from a script")
    page.get_by_role("button", name="Save flags and limits").click()
    expect(page.get_by_test_id("notice")).to_contain_text("flagged")
    expect(page.get_by_test_id("role-flagged")).to_be_visible()
    expect(page.locator("#user-audit")).to_contain_text("user_modified")
    assert page.locator("h1").count() == 1
    shot(page, "admin-user.png")


def test_pause_a_worker(page: Page, live_horde: LiveHorde) -> None:
    owner_key, _ = live_horde.make_user(unique("owner"))
    worker = unique("rogue")
    status, _ = api(live_horde, "POST", "/generate/pop", owner_key, {"name": worker, "models": ["rogue-model"]})
    assert status == 200
    moderator(page, live_horde)
    page.goto("/admin/workers")
    row = page.get_by_test_id(f"worker-{worker}")
    row.get_by_role("button", name=f"Pause {worker}").click()
    expect(page.get_by_test_id("notice")).to_contain_text(f"{worker} paused")
    expect(page.get_by_test_id(f"worker-{worker}")).to_contain_text("paused")
    shot(page, "admin-workers.png")
    status, answer = api(live_horde, "POST", "/generate/pop", owner_key, {"name": worker, "models": ["rogue-model"]})
    assert status == 200 and answer["ids"] == []


def test_add_a_filter_test_a_prompt_and_see_a_request_refused(page: Page, live_horde: LiveHorde) -> None:
    word = unique("zorblax").replace("-", "")
    moderator(page, live_horde)
    page.goto("/admin/filters")
    page.get_by_label("Regular expression").fill(word)
    page.get_by_label("Description").fill("a browser test's filter")
    page.get_by_role("button", name="Add filter").click()
    expect(page.get_by_test_id("notice")).to_contain_text("applies to new requests now")
    page.get_by_label("Prompt to test").fill(f"a {word.upper()} in the garden")
    page.get_by_role("button", name="Test prompt").click()
    expect(page.get_by_test_id("test-result")).to_contain_text("would be refused")
    shot(page, "admin-filters.png")
    try:
        page.goto("/generate")
        page.get_by_label("Prompt", exact=True).fill(f"a {word} in the garden")
        page.get_by_role("button", name="Generate").click()
        expect(page.get_by_role("alert")).to_contain_text("prompt")
    finally:
        page.goto("/admin/filters")
        page.locator("#filter-list").get_by_role("button").first.click()
        expect(page.get_by_test_id("notice")).to_contain_text("removed")


def test_cancel_a_queued_request(page: Page, live_horde: LiveHorde) -> None:
    asker_key, _ = live_horde.make_user(unique("asker"), kudos=100)
    prompt = unique("a lonely queued lighthouse")
    body = {"prompt": prompt, "models": ["nobody-serves-this"], "params": {"width": 64, "height": 64, "steps": 4}}
    status, created = api(live_horde, "POST", "/generate/async", asker_key, body)
    assert status == 202, created
    moderator(page, live_horde)
    page.goto("/admin/queue")
    row = page.get_by_test_id(f"queued-{created['id']}")
    expect(row).to_contain_text(prompt)
    shot(page, "admin-queue.png")
    row.get_by_role("button", name="Cancel request").click()
    expect(page.get_by_test_id("notice")).to_contain_text("Request cancelled")
    expect(page.get_by_test_id(f"queued-{created['id']}")).to_have_count(0)
    status, state = api(live_horde, "GET", f"/generate/check/{created['id']}", asker_key)
    assert status == 200 and state["faulted"] is False and state["waiting"] == 0  # cancelled before any job ran


def test_turn_maintenance_on_and_off(page: Page, live_horde: LiveHorde) -> None:
    admin_key, _ = live_horde.make_user(unique("boss"), role=Role.ADMIN)
    user_key, _ = live_horde.make_user(unique("user"), kudos=100)
    log_in(page, admin_key)
    page.goto("/admin/modes")
    try:
        page.get_by_role("button", name="Turn maintenance on").click()
        expect(page.get_by_test_id("mode-maintenance")).to_have_text("on")
        body = {"prompt": "refused", "models": ["tiny"], "params": {"width": 64, "height": 64, "steps": 4}}
        status, answer = api(live_horde, "POST", "/generate/async", user_key, body)
        assert (status, answer["rc"]) == (503, "MaintenanceMode")
        shot(page, "admin-modes.png")
    finally:
        page.get_by_role("button", name="Turn maintenance off").click()
        expect(page.get_by_test_id("mode-maintenance")).to_have_text("off")
