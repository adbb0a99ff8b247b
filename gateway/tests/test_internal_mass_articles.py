"""`POST /internal/wechat/{account}/mass-news` with an editor's article (HTML, cover, source URL)
and a town audience, through the gateway's internal listener and the real sandbox."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from gateway.internal import MassNewsIn
from servicekit.identity import service_token
from servicekit.testing import TEST_SECRET

PATH = "/internal/wechat/gxhk/mass-news"
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
CONTENT = "<h2>松山湖</h2><p>紫荆花开了。</p>"


def article(**fields: Any) -> dict[str, Any]:
    return {
        "clientmsgid": "article-push-1",
        "title": "周末去松山湖看花",
        "content_html": CONTENT,
        "cover_base64": base64.b64encode(JPEG).decode(),
        "digest": "紫荆花开了",
        "author": "小莞",
        "content_source_url": "https://www.dg.gov.cn/a/1",
        **fields,
    }


def caller(name: str = "accounts") -> dict[str, str]:
    token = service_token(secret=TEST_SECRET, caller=name, audience="gateway")
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def sandbox(chat_sandbox_url: str) -> Iterator[httpx.Client]:
    """The sandbox with 莞香花开 followed by 张三 (东城), 李四 (大朗) and 王五 (松山湖)."""
    with httpx.Client(base_url=chat_sandbox_url, timeout=30) as http:
        for citizen in ("zhangsan", "lisi", "wangwu"):
            http.put(f"/sandbox/citizens/{citizen}/follows/gxhk").raise_for_status()
        yield http


@pytest.fixture
def gateway(
    sandbox: httpx.Client, gateway_listeners: Callable[..., tuple[str, str]]
) -> Iterator[httpx.Client]:
    """A client of the internal listener (both listeners served in a thread)."""
    _, internal = gateway_listeners(str(sandbox.base_url).rstrip("/"))
    with httpx.Client(base_url=internal, timeout=30) as http:
        yield http


def inbox(sandbox: httpx.Client, citizen: str) -> list[dict[str, Any]]:
    items = sandbox.get(f"/sandbox/citizens/{citizen}/inbox").json()["items"]
    return [m for m in items if m["kind"] == "mass"]


@pytest.mark.slow
def test_an_editor_s_article_reaches_every_follower_as_written(
    gateway: httpx.Client, sandbox: httpx.Client
) -> None:
    answer = gateway.post(PATH, json=article(), headers=caller())
    assert answer.status_code == 200, answer.text
    msg_id = answer.json()["msg_id"]
    for citizen in ("zhangsan", "lisi", "wangwu"):
        [message] = inbox(sandbox, citizen)
        assert message["msgid"] == msg_id and message["msgtype"] == "mpnews"
        [card] = message["content"]["articles"]
        assert card["title"] == "周末去松山湖看花" and card["description"] == "紫荆花开了"
    [card] = inbox(sandbox, "lisi")[0]["content"]["articles"]
    assert card["content"] == CONTENT and card["author"] == "小莞"
    assert card["content_source_url"] == "https://www.dg.gov.cn/a/1"
    assert sandbox.get(card["picurl"]).content == JPEG  # the cover, as permanent material
    page = sandbox.get(card["url"]).text
    assert "紫荆花开了。" in page and "阅读原文" in page
    calls = sandbox.get("/sandbox/stats").json()["api_calls"]
    assert "/cgi-bin/media/uploadimg" not in calls  # no picture inside the content
    again = gateway.post(PATH, json=article(), headers=caller())
    assert again.json() == {"msg_id": msg_id, "duplicate": True}


@pytest.mark.slow
def test_a_town_audience_reaches_only_that_town_s_followers(
    gateway: httpx.Client, sandbox: httpx.Client
) -> None:
    answer = gateway.post(PATH, json=article(town="dalang"), headers=caller())
    assert answer.status_code == 200, answer.text
    assert [m["msgid"] for m in inbox(sandbox, "lisi")] == [answer.json()["msg_id"]]
    assert inbox(sandbox, "zhangsan") == [] and inbox(sandbox, "wangwu") == []


@pytest.mark.slow
def test_a_town_without_a_tag_is_a_409_before_anything_is_uploaded(
    gateway: httpx.Client, sandbox: httpx.Client
) -> None:
    answer = gateway.post(PATH, json=article(town="humen"), headers=caller())
    assert answer.status_code == 409 and "humen" in answer.json()["detail"]
    calls = sandbox.get("/sandbox/stats").json()["api_calls"]
    assert "/cgi-bin/material/add_material" not in calls
    assert all(inbox(sandbox, c) == [] for c in ("zhangsan", "lisi", "wangwu"))


@pytest.mark.slow
@pytest.mark.parametrize(
    "body",
    [
        article(content_html=None),
        article(cover_base64=None),
        article(text="正文"),
        article(image_png_base64=base64.b64encode(PNG).decode()),
        article(cover_base64=base64.b64encode(b"GIF89a" + b"\x00" * 8).decode()),
        article(content_source_url="javascript:alert(1)"),
        article(town="大朗"),
        article(content_html="字" * 20001),
    ],
    ids=["no content", "no cover", "text too", "png too", "gif", "js url", "bad town", "long"],
)
def test_bad_article_shapes_are_422(gateway: httpx.Client, body: dict[str, Any]) -> None:
    body = {key: value for key, value in body.items() if value is not None}
    assert gateway.post(PATH, json=body, headers=caller()).status_code == 422


def test_the_two_shapes() -> None:
    png = base64.b64encode(PNG).decode()
    MassNewsIn(clientmsgid="a", title="t", text="x", image_png_base64=png)
    MassNewsIn(clientmsgid="a", title="t", content_html="<p>x</p>", cover_base64=png)
    with pytest.raises(ValueError):
        MassNewsIn(clientmsgid="a", title="t", text="x", cover_base64=png)
