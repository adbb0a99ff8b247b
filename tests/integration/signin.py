"""Signing a demo citizen in as an app does: WeChat OAuth through the sandbox's consent page."""

from __future__ import annotations

import html
import re
from urllib.parse import urljoin

import httpx


def sign_in(
    browser: httpx.Client, gateway: str, name: str, *, account: str = "dgjj"
) -> dict[str, str]:
    """authorize -> the platform's page -> choose `name` -> callback; the bearer headers."""
    start = browser.get(f"{gateway}/api/v1/auth/wechat/authorize", params={"account": account})
    assert start.status_code == 302, start.text
    page_url = start.headers["location"]
    page = browser.get(page_url).text
    action = re.search(r'<form method="post" action="([^"]+)"', page)
    choice = re.search(rf'name="citizen" value="([^"]+)">以「{name}」的身份登录', page)
    assert action and choice, page
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page))
    form = {k: html.unescape(v) for k, v in hidden.items()} | {"citizen": choice.group(1)}
    chosen = browser.post(urljoin(page_url, html.unescape(action.group(1))), data=form)
    assert chosen.status_code == 302, chosen.text
    answer = browser.get(chosen.headers["location"])
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}
