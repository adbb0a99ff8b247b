"""Statistics flow back from the platform: an article mass-sent through the gateway is read in the
sandbox over the following days; a day later `python -m accounts import-statistics` brings the
day's reads into the registry, and the account moves up in that day's ranking. Also 莞香花开's
最新推送 button and "你都知道啥？" answering with its latest articles as a news reply.

东莞特检 (dgtj) pushes here: the registry's demo statistics give it no articles (it serves through
its menu), so its place in a day's ranking is the last ones' until its pushed article is read.
"""

from __future__ import annotations

import base64
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from servicekit.identity import service_token
from servicekit.settings import DEV_INTERNAL_TOKEN_SECRET
from tests.integration.conftest import ROOT, LocalSuite

pytestmark = pytest.mark.integration
STAFF = {"X-Api-Key": "dev-staff-key"}
CITIZENS = ("zhangsan", "lisi", "wangwu", "chenxiaomei")
# A 1x1 PNG: the picture of the pushed article.
PIXEL = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108000000003a7e9b55"
    "0000000a49444154789c636800000082008177cd72b60000000049454e44ae426082"
)


@pytest.fixture
def sandbox(suite) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=suite.sandbox, timeout=30) as client:
        yield client


@pytest.fixture
def gateway(suite) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=suite.gateway, timeout=30) as client:
        yield client


def internal_url(suite) -> str:
    if isinstance(suite, LocalSuite):
        return f"http://127.0.0.1:{suite.ports['gateway-internal']}"
    pytest.skip("the gateway's internal listener is not published by compose")


def as_accounts(suite) -> dict[str, str]:
    """accounts' service token for the gateway (minted now: it lives 60 s)."""
    secret = suite.env.get("INTERNAL_TOKEN_SECRET") or DEV_INTERNAL_TOKEN_SECRET
    token = service_token(secret=secret, caller="accounts", audience="gateway")
    return {"Authorization": f"Bearer {token}"}


def import_statistics(suite, day: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "accounts", "import-statistics", "--date", day]
    command += ["--account", "dgtj"]
    return subprocess.run(
        command, capture_output=True, text=True, timeout=120, env=suite.env, cwd=ROOT
    )


def dgtj_in(ranking: dict[str, Any]) -> dict[str, Any]:
    return next(item for item in ranking["items"] if item["code"] == "dgtj")


def test_a_pushed_article_s_reads_come_back_and_move_the_account(
    suite, sandbox: httpx.Client, gateway: httpx.Client
) -> None:
    for citizen in CITIZENS:
        sandbox.put(f"/sandbox/citizens/{citizen}/follows/dgtj").raise_for_status()
    beijing = datetime.now(ZoneInfo("Asia/Shanghai"))
    day = sandbox.get("/sandbox/clock").json()["now"][:10]
    assert day == beijing.date().isoformat()
    title = f"电梯安全小贴士 {uuid.uuid4().hex[:8]}"
    # The registry's article (as an editor's push would write it) and its push, the same day.
    written = gateway.post(
        "/api/v1/accounts/accounts/dgtj/articles/import",
        json=[
            {
                "published_at": beijing.isoformat(),
                "title": title,
                "url": f"https://mp.weixin.qq.com/s/{title[-8:]}",
            }
        ],
        headers=STAFF,
    )
    assert written.status_code == 200, written.text
    pushed = httpx.post(
        f"{internal_url(suite)}/internal/wechat/dgtj/mass-news",
        json={
            "clientmsgid": f"stats-{title[-8:]}",
            "title": title,
            "text": "乘梯时请勿倚靠门，发现异常请拨打96333。",
            "image_png_base64": base64.b64encode(PIXEL).decode(),
        },
        headers=as_accounts(suite),
        timeout=30,
    )
    assert pushed.status_code == 200, pushed.text
    rankings = {"period": "day", "date": day, "formula": "wci-v13"}
    before = dgtj_in(gateway.get("/api/v1/accounts/rankings", params=rankings).json())
    assert before["score"] == 0

    # A day passes on the platform; the day of the push is over.
    sandbox.post("/sandbox/clock", json={"advance_seconds": 86_400}).raise_for_status()
    summary = httpx.get(
        f"{internal_url(suite)}/internal/wechat/dgtj/datacube/getarticlesummary",
        params={"date": day},
        headers=as_accounts(suite),
        timeout=30,
    )
    assert summary.status_code == 200, summary.text
    [read] = [i for i in summary.json()["list"] if i["title"] == title]
    assert 0 < read["int_page_read_user"] <= len(CITIZENS)

    for _ in range(2):  # importing the day again replaces it: nothing counted twice
        done = import_statistics(suite, day)
        assert done.returncode == 0, done.stdout + done.stderr
        assert f"statistics {day} dgtj: imported" in done.stdout
        articles = gateway.get("/api/v1/accounts/accounts/dgtj/articles").json()["items"]
        [article] = [a for a in articles if a["title"] == title]
        assert (article["reads"], article["shares"]) == (
            read["int_page_read_count"],
            read["share_count"],
        )
    # Rankings may be served from cache for their max-age (300 s); this client must see the
    # import at once, so it asks the gateway to revalidate.
    fresh = {"Cache-Control": "no-cache"}
    after = dgtj_in(gateway.get("/api/v1/accounts/rankings", params=rankings, headers=fresh).json())
    assert after["score"] > 0 and after["rank"] < before["rank"]
    assert after["totals"]["reads"] == read["int_page_read_count"]


@pytest.mark.parametrize(
    "message",
    [
        {"kind": "click", "key": "ACCOUNT_ARTICLES"},  # the menu button 最新推送
        {"kind": "text", "content": "你都知道啥？"},
        {"kind": "text", "content": "你都知道啥?"},
    ],
)
def test_gxhk_answers_its_latest_articles(
    sandbox: httpx.Client, gateway: httpx.Client, message: dict[str, str]
) -> None:
    sandbox.put("/sandbox/citizens/chenxiaomei/follows/gxhk").raise_for_status()
    latest = gateway.get("/api/v1/accounts/accounts/gxhk/articles", params={"limit": 5}).json()
    assert latest["total"] > 0  # the demo statistics give 莞香花开 its pushes
    answer = sandbox.post("/sandbox/citizens/chenxiaomei/conversations/gxhk/messages", json=message)
    assert answer.status_code == 201, answer.text
    replies = [line for line in answer.json()["items"] if line["direction"] == "to_citizen"]
    assert [r["msgtype"] for r in replies] == ["news"], replies
    cards = replies[0]["content"]["articles"]
    assert [(c["title"], c["url"]) for c in cards] == [
        (a["title"], a["url"]) for a in latest["items"]
    ]
