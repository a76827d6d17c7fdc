"""A property-based fuzz of the web forms and query strings: whatever a browser (or a script) sends, a page answers
with its error message and a 4xx, never a 500 (issue 14, defect 11). Derandomized; a few seconds."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from bs4 import BeautifulSoup
from hypothesis import HealthCheck, given, settings, strategies as st
from starlette.testclient import TestClient

from horde.queue.service import SYSTEM, HordeService
from horde.webapp.app import create_app
from horde.webapp.pages import forms, styles
from tests.conftest import make_web_settings

ODD = [
    "",
    " ",
    "0",
    "-1",
    "1.5",
    "0.0001",
    "inf",
    "-inf",
    "nan",
    "1e308",
    "-1e308",
    "1e999",
    "9" * 20,
    "9" * 5000,
    "²",
    "٣",
    "abc",
    "alias#99999999999999999999",
    "x#²",
    "on",
    "\x00",
    "<script>",
    "{p}",
    "###",
]
VALUES = st.one_of(
    st.sampled_from(ODD),
    st.text(max_size=40),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.floats().map(repr),
)
FORMS: dict[str, list[str]] = {
    "/generate": [*forms.IMAGE_DEFAULTS, "_submitted", "source_from"],
    "/generate/estimate": [*forms.IMAGE_DEFAULTS, "_submitted", "has_source", "source_from"],
    "/text": list(forms.TEXT_DEFAULTS),
    "/account/transfer": ["to", "amount"],
    "/account/shared-keys": ["name", "kudos"],
    "/account/api-key": ["confirm"],
    "/styles": list(styles.FORM_DEFAULTS),
    "/login": ["api_key", "next"],
    "/register": ["username"],
}
PAGES = ["/generate", "/text", "/gallery", "/styles", "/login", "/account", "/models", "/workers", "/teams", "/stats"]
PER_ID = ["/requests/{}", "/images/{}", "/images/{}/file", "/generate?from={}", "/generate?source={}"]
POST_PER_ID = ["/requests/{}/cancel", "/requests/{}/retry", "/requests/{}/rate", "/images/{}/mark", "/images/{}/delete"]
FUZZ = settings(
    max_examples=120,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def browser(tmp_path: Path, db_url: str) -> Iterator[TestClient]:
    """A logged-in browser on the whole app, which opens its own service (in the test client's event loop)."""
    settings_ = make_web_settings(tmp_path, db_url, rate_limits="off")
    with TestClient(create_app(settings_), base_url="http://testserver", follow_redirects=False) as client:
        service: HordeService = client.app.state.service  # type: ignore[attr-defined]
        created = client.portal.call(_make_user, service)  # type: ignore[union-attr]
        client.post("/login", data={"api_key": created, "csrf_token": csrf(client)})
        yield client


async def _make_user(service: HordeService) -> str:
    await service.users.create_user(SYSTEM, "someone")
    return (await service.users.create_user(SYSTEM, "fuzzer", kudos=1000)).api_key


def csrf(client: TestClient) -> str:
    field = BeautifulSoup(client.get("/login").text, "html.parser").find("input", attrs={"name": "csrf_token"})
    assert field is not None
    return str(field["value"])


def assert_no_server_error(response: Any, what: str) -> None:
    assert response.status_code < 500, f"{what}: {response.status_code} {response.text[:300]}"


@given(data=st.data())
@FUZZ
def test_no_form_input_makes_a_server_error(browser: TestClient, data: st.DataObject) -> None:
    url = data.draw(st.sampled_from(sorted(FORMS)))
    fields = data.draw(st.dictionaries(st.sampled_from(FORMS[url]), VALUES, max_size=len(FORMS[url])))
    htmx = data.draw(st.booleans())
    headers = {"HX-Request": "true"} if htmx else {}
    response = browser.post(url, data={**fields, "csrf_token": csrf(browser)}, headers=headers)
    assert_no_server_error(response, f"POST {url} {fields!r}")


@given(data=st.data())
@FUZZ
def test_no_query_or_id_makes_a_server_error(browser: TestClient, data: st.DataObject) -> None:
    value = data.draw(VALUES)
    if data.draw(st.booleans()):
        url = data.draw(st.sampled_from(PAGES))
        names = [*forms.IMAGE_DEFAULTS, "page", "show", "next", "from", "source"]
        query = data.draw(st.dictionaries(st.sampled_from(names), VALUES, max_size=4))
        response = browser.get(url, params=query)
        assert_no_server_error(response, f"GET {url} {query!r}")
    elif data.draw(st.booleans()):
        url = data.draw(st.sampled_from(PER_ID)).format(quote(value, safe=""))
        assert_no_server_error(browser.get(url), f"GET {url}")
    else:
        url = data.draw(st.sampled_from(POST_PER_ID)).format(quote(value, safe=""))
        fields = data.draw(st.dictionaries(st.sampled_from(["favourite", "public", "best", "rating-x"]), VALUES))
        response = browser.post(url, data={**fields, "csrf_token": csrf(browser)})
        assert_no_server_error(response, f"POST {url} {fields!r}")
