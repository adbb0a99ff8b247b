"""CORS as a browser sees it: pages of another origin `fetch` the gateway's public JSON.

Playwright for Python drives Debian's chromium. Two tiny pages are served with Python's
http.server, one on an origin the suite's gateway allows (ENV=dev, GATEWAY_CORS_ORIGINS unset:
any port of http://127.0.0.1 and http://localhost) and one on http://127.0.0.2, which it does
not. The allowed page reads the forecast (after a preflight, as its request carries X-Request-Id)
and an exposed header; the same page may not send a staff key nor credentials; the other page's
fetch fails for CORS alone (its request reaches the gateway: an opaque `no-cors` fetch gets an
answer).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from servicekit.testing import require
from tests.integration.test_chat_page import CHROMIUM, CHROMIUM_ARGS

pytestmark = pytest.mark.integration

FORECAST = "/api/v1/weather/forecasts/dalang"
PAGE = b"<!doctype html><html lang='zh-CN'><meta charset='utf-8'><title>H5</title></html>"
# Runs in the page: fetch `url` with `init`; what the page could read, or why it could not.
FETCH = """async ([url, init]) => {
  try {
    const response = await fetch(url, init);
    if (response.type === "opaque") return {opaque: true};
    const body = await response.json();
    return {status: response.status, requestId: response.headers.get("X-Request-Id"), body};
  } catch (error) {
    return {error: `${error.name}: ${error.message}`};
  }
}"""


class _Page(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(PAGE)))
        self.end_headers()
        self.wfile.write(PAGE)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the test says what matters."""


@contextmanager
def page_origin(host: str) -> Iterator[str]:
    """A one-page site on `host` and a free port; its origin."""
    server = ThreadingHTTPServer((host, 0), _Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_an_allowed_origin_reads_the_api_and_another_is_refused(suite) -> None:
    if not CHROMIUM.exists():
        require(f"Debian's chromium is not installed at {CHROMIUM}")
    sync_api = pytest.importorskip("playwright.sync_api")
    forecast = f"{suite.gateway}{FORECAST}"
    with (
        page_origin("127.0.0.1") as allowed,
        page_origin("127.0.0.2") as refused,
        sync_api.sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page()
            page.goto(f"{allowed}/")
            # X-Request-Id is not a "simple" header: the browser asks first (a preflight).
            read = page.evaluate(FETCH, [forecast, {"headers": {"X-Request-Id": "h5-cors-1"}}])
            assert read.get("status") == 200, read
            assert read["body"]["location"]["code"] == "dalang"
            assert read["requestId"] == "h5-cors-1"  # an exposed header
            # A staff key never leaves a page, and the API takes no cookies.
            staff = page.evaluate(FETCH, [forecast, {"headers": {"X-Api-Key": "dev-staff-key"}}])
            assert staff["error"].startswith("TypeError"), staff
            cookies = page.evaluate(FETCH, [forecast, {"credentials": "include"}])
            assert cookies["error"].startswith("TypeError"), cookies

            other = browser.new_page()
            blocked: list[str] = []
            other.on("console", lambda message: blocked.append(message.text))
            other.goto(f"{refused}/")
            simple = other.evaluate(FETCH, [forecast, {}])
            assert simple["error"].startswith("TypeError"), simple
            assert any("blocked by CORS policy" in text for text in blocked), blocked
            # The gateway answered all the same; only reading the answer was refused.
            assert other.evaluate(FETCH, [forecast, {"mode": "no-cors"}]) == {"opaque": True}
        finally:
            browser.close()
