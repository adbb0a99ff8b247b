"""An editor's journey through the running suite: with the development editor key, write an
article of 莞香花开 with a cover, preview it, schedule its push for now; accounts' scheduler sends
it once through the gateway, and the sandbox (playing WeChat) shows the news card in the chat of
every follower. A push to one town's followers of 荔香大朗 reaches only that town's.

Both are subscription accounts: one mass send a day each, so these are the suite's only pushes
of them.
"""

from __future__ import annotations

import struct
import subprocess
import sys
import time
import zlib
from typing import Any

import httpx
import pytest

from tests.integration.conftest import LocalSuite

pytestmark = pytest.mark.integration
EDITOR = {"X-Api-Key": "dev-editor-key"}  # editor:gxhk and editor:lxdl in development
# accounts' push loop runs every 5 s; the send itself is a few platform calls.
SENT_WITHIN_SECONDS = 90


def png() -> bytes:
    """A small valid PNG (a grey square)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + bytes([128] * 16) for _ in range(16))
    header = struct.pack(">IIBBBBB", 16, 16, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def articles(suite: Any, account: str) -> str:
    return f"{suite.gateway}/api/v1/accounts/accounts/{account}/editor/articles"


def follow(suite: Any, account: str, *citizens: str) -> None:
    for citizen in citizens:
        answer = httpx.put(f"{suite.sandbox}/sandbox/citizens/{citizen}/follows/{account}")
        assert answer.status_code == 200, answer.text


def followers(suite: Any, account: str) -> list[str]:
    """The simulated citizens following `account` now."""
    answer = httpx.get(f"{suite.sandbox}/sandbox/citizens", params={"limit": 100})
    assert answer.status_code == 200, answer.text
    return [c["id"] for c in answer.json()["items"] if account in c["following"]]


def write_with_cover(suite: Any, account: str, title: str) -> int:
    """An article written by the editor with a cover; its id."""
    body = {
        "title": title,
        "author": "编辑部",
        "body_html": "<h2>看点</h2><p>松山湖紫荆花开，周末去走走。</p>"
        '<script>alert(1)</script><p><img src="https://img.dg.gov.cn/a.png" onerror="x()"></p>',
        "source_url": "https://www.dg.gov.cn/",
    }
    created = httpx.post(articles(suite, account), json=body, headers=EDITOR)
    assert created.status_code == 201, created.text
    assert "<script" not in created.json()["body_html"]
    article_id = created.json()["id"]
    cover = httpx.put(
        f"{articles(suite, account)}/{article_id}/cover",
        content=png(),
        headers=EDITOR | {"Content-Type": "image/png"},
    )
    assert cover.status_code == 200 and cover.json()["has_cover"], cover.text
    return article_id


def pushed(suite: Any, account: str, article_id: int) -> dict[str, Any]:
    """The push once it has settled (sent or failed), polled as the editor would."""
    deadline = time.monotonic() + SENT_WITHIN_SECONDS
    while True:
        state = httpx.get(f"{articles(suite, account)}/{article_id}/push", headers=EDITOR).json()
        if state["status"] != "scheduled" or time.monotonic() > deadline:
            return state
        time.sleep(0.5)


def news_cards(suite: Any, citizen: str, account: str) -> list[dict[str, Any]]:
    """The mass-sent news cards in the citizen's chat with the account, as the chat page shows."""
    answer = httpx.get(
        f"{suite.sandbox}/sandbox/citizens/{citizen}/conversations/{account}",
        params={"limit": 100},
    )
    assert answer.status_code == 200, answer.text
    return [
        article
        for entry in answer.json()["items"]
        if entry["kind"] == "mass" and entry["msgtype"] == "mpnews"
        for article in entry["content"]["articles"]
    ]


def test_an_editor_writes_previews_and_pushes_to_every_follower(suite) -> None:
    follow(suite, "gxhk", "zhangsan", "lisi")
    # The editor of 莞香花开 and 荔香大朗 writes neither for 东莞天气.
    body = {"title": "天气", "body_html": "<p>晴</p>"}
    refused = httpx.post(articles(suite, "dgtq"), json=body, headers=EDITOR)
    assert refused.status_code == 403 and "editor:dgtq" in refused.json()["detail"]
    title = "莞香花开｜周末去松山湖看紫荆花"
    article_id = write_with_cover(suite, "gxhk", title)

    preview = httpx.get(f"{articles(suite, 'gxhk')}/{article_id}/preview", headers=EDITOR)
    assert preview.status_code == 200 and preview.headers["content-type"].startswith("text/html")
    assert f"<h1>{title}</h1>" in preview.text and "data:image/png;base64," in preview.text

    scheduled = httpx.post(f"{articles(suite, 'gxhk')}/{article_id}/push", json={}, headers=EDITOR)
    assert scheduled.status_code == 201, scheduled.text
    state = pushed(suite, "gxhk", article_id)
    assert state["status"] == "sent", state
    assert state["attempts"] == 1 and isinstance(state["msg_id"], int)

    # The cron command finds nothing more to send; the sandbox recorded exactly one send.
    if isinstance(suite, LocalSuite):
        run = subprocess.run(
            [sys.executable, "-m", "accounts", "push-articles"],
            env=suite.env,
            cwd=suite.workdir,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert run.returncode == 0 and "0 sent" in run.stdout, run.stdout + run.stderr
    sends = httpx.get(f"{suite.sandbox}/sandbox/mass-sends", params={"account": "gxhk"}).json()
    mine = [s for s in sends["items"] if s["clientmsgid"] == f"article-push-{article_id}"]
    assert len(mine) == 1 and mine[0]["msg_id"] == state["msg_id"]
    # Other scenarios of the shared suite may have followed gxhk too: every follower is reached.
    assert mine[0]["recipients"] == len(followers(suite, "gxhk")) >= 2

    for citizen in ("zhangsan", "lisi"):
        [card] = news_cards(suite, citizen, "gxhk")
        assert card["title"] == title and card["picurl"] and card["url"]
        assert httpx.get(card["picurl"]).content == png()
        page = httpx.get(card["url"]).text
        assert "松山湖紫荆花开" in page and "<script" not in page and "阅读原文" in page
    # Once pushed, the article no longer changes, and it is not pushed twice.
    again = httpx.post(f"{articles(suite, 'gxhk')}/{article_id}/push", json={}, headers=EDITOR)
    assert again.status_code == 409


def test_a_push_to_one_town_reaches_only_its_followers(suite) -> None:
    # 张三 lives in 东城, 李四 in 大朗, 王五 in 松山湖.
    follow(suite, "lxdl", "zhangsan", "lisi", "wangwu")
    article_id = write_with_cover(suite, "lxdl", "大朗镇本周停水通知")
    scheduled = httpx.post(
        f"{articles(suite, 'lxdl')}/{article_id}/push",
        json={"audience": "town", "town": "dalang"},
        headers=EDITOR,
    )
    assert scheduled.status_code == 201, scheduled.text
    state = pushed(suite, "lxdl", article_id)
    assert state["status"] == "sent", state
    [card] = news_cards(suite, "lisi", "lxdl")
    assert card["title"] == "大朗镇本周停水通知"
    assert news_cards(suite, "zhangsan", "lxdl") == [] and news_cards(suite, "wangwu", "lxdl") == []
    # 荔香大朗 is a subscription account: its one push today is used.
    second = write_with_cover(suite, "lxdl", "第二篇")
    refused = httpx.post(f"{articles(suite, 'lxdl')}/{second}/push", json={}, headers=EDITOR)
    assert refused.status_code == 409 and "每天最多群发 1 次" in refused.json()["detail"]
