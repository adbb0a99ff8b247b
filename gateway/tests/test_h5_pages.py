"""The gateway's H5 fine payment page: served from the package with a strict policy, nothing
from elsewhere, and a script that never turns an answer into HTML. (The journey in a real
browser is tests/integration/test_h5_fine_payment.py.)"""

from __future__ import annotations

import re
from importlib.resources import files

import pytest
from fastapi.testclient import TestClient

from gateway.main import create_app
from gateway.settings import GatewaySettings
from servicekit.settings import SharedSettings

STATIC = files("gateway.h5") / "static"


@pytest.fixture(scope="module")
def client() -> TestClient:
    closed = "http://127.0.0.1:9"  # no upstream is called for the page itself
    settings = GatewaySettings(
        accounts_url=closed,
        traffic_url=closed,
        weather_url=closed,
        socialsec_url=closed,
        inspection_url=closed,
        shared=SharedSettings(env="dev"),
    )
    return TestClient(create_app(settings))


def test_the_page_signs_in_through_the_account_asked_for(client: TestClient) -> None:
    page = client.get("/h5/fines", params={"account": "dgjj"})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert 'data-account="dgjj"' in page.text and "罚款缴纳" in page.text
    policy = page.headers["content-security-policy"]
    for directive in ("default-src 'none'", "script-src 'self'", "connect-src 'self'"):
        assert directive in policy
    assert page.headers["referrer-policy"] == "no-referrer"
    assert 'data-account="dgjj"' in client.get("/h5/fines").text  # 东莞交警 by default


def test_an_unknown_account_is_404(client: TestClient) -> None:
    for account in ("nope", '"><script>'):
        answer = client.get("/h5/fines", params={"account": account})
        assert answer.status_code == 404
        assert answer.headers["content-type"] == "application/problem+json"
        assert "<script>" not in answer.text


@pytest.mark.parametrize(
    ("name", "media_type"), [("fines.js", "text/javascript"), ("fines.css", "text/css")]
)
def test_assets_are_served_by_the_gateway(client: TestClient, name: str, media_type: str) -> None:
    answer = client.get(f"/h5/assets/{name}")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith(media_type)
    assert answer.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("name", ["fines.html", "routes.py", "..%2Froutes.py", "nope.js"])
def test_nothing_else_is_served_as_an_asset(client: TestClient, name: str) -> None:
    assert client.get(f"/h5/assets/{name}").status_code == 404


def test_the_pages_load_nothing_from_elsewhere() -> None:
    for name in ("fines.html", "fines.js", "fines.css"):
        text = (STATIC / name).read_text("utf-8")
        assert not re.search(r"https?://|//cdn|@import|url\(", text), name


def test_the_script_writes_text_never_html() -> None:
    script = (STATIC / "fines.js").read_text("utf-8")
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in script, sink
    # The token is kept for the tab only and leaves the address bar at once.
    assert "localStorage" not in script and "sessionStorage.setItem(TOKEN_KEY" in script
    assert "history.replaceState" in script
    # The outcome is the order's state, looked up; the bridge's answer is not read.
    assert re.search(r'"getBrandWCPayRequest", order\.jsapi, function \(\) \{', script)
