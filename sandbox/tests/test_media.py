"""Media and news: uploads with WeChat's checks and codes, pictures served back, news media, and
mass-sent articles reaching the followers' inboxes and the recorded mass sends."""

from __future__ import annotations

import asyncio
import struct
import zlib
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from sandbox.media import parse_multipart, sniff
from sandbox.state import SandboxState

Token = Callable[[str], str]
Follow = Callable[[str, str], None]
Inbox = Callable[..., list[dict[str, Any]]]


def png(width: int = 4, height: int = 3, pad: int = 0) -> bytes:
    """A valid PNG (grey pixels), padded with an ancillary chunk to reach a size."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    extra = chunk(b"teXt", b"pad\x00" + b"x" * pad) if pad else b""
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + extra
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64 + b"\xff\xd9"
GIF = b"GIF89a" + b"\x00" * 32
CHART = png(pad=2000)


def _upload(
    client: TestClient,
    path: str,
    access: str | None,
    data: bytes | None,
    *,
    filename: str = "chart.png",
    **params: str,
) -> dict[str, Any]:
    query = {**params, **({"access_token": access} if access is not None else {})}
    files = None if data is None else {"media": (filename, data, "application/octet-stream")}
    return client.post(f"/cgi-bin/{path}", params=query, files=files).json()


def _news(client: TestClient, access: str, *articles: dict[str, Any]) -> dict[str, Any]:
    return client.post(
        "/cgi-bin/media/uploadnews",
        params={"access_token": access},
        json={"articles": list(articles)},
    ).json()


def _mass(client: TestClient, access: str, clientmsgid: str, **body: Any) -> dict[str, Any]:
    payload = {"filter": {"is_to_all": True}, "clientmsgid": clientmsgid, **body}
    return client.post(
        "/cgi-bin/message/mass/sendall", params={"access_token": access}, json=payload
    ).json()


def _article(thumb_media_id: str, **fields: Any) -> dict[str, Any]:
    return {
        "thumb_media_id": thumb_media_id,
        "title": "东莞天气 11月26日",
        "content": "<p>今天多云，夜间有小雨。</p><p><img src='x'></p>",
        "digest": "今天多云，夜间有小雨。",
        "author": "值班预报员",
        "content_source_url": "",
        "show_cover_pic": 0,
        **fields,
    }


def _mpnews(client: TestClient, access: str, **fields: Any) -> str:
    """Upload the chart and one article; the news media_id."""
    thumb = _upload(client, "material/add_material", access, CHART, type="image")["media_id"]
    return _news(client, access, _article(thumb, **fields))["media_id"]


# Uploads


def test_uploadimg_answers_a_url_serving_the_picture(client: TestClient, token: Token) -> None:
    answer = _upload(client, "media/uploadimg", token("dgtq"), CHART)
    assert set(answer) == {"url"}
    picture = client.get(answer["url"])
    assert picture.status_code == 200 and picture.content == CHART
    assert picture.headers["content-type"] == "image/png"
    assert picture.headers["x-content-type-options"] == "nosniff"
    assert "url" in _upload(client, "media/uploadimg", token("dgtq"), JPEG, filename="a.jpg")


def test_uploadimg_refusals(client: TestClient, token: Token) -> None:
    access = token("dgtq")
    assert _upload(client, "media/uploadimg", access, GIF, filename="a.gif")["errcode"] == 40005
    assert _upload(client, "media/uploadimg", access, b"%PDF-1.7")["errcode"] == 40005
    big = png(pad=1024 * 1024)
    assert _upload(client, "media/uploadimg", access, big)["errcode"] == 40009
    assert _upload(client, "media/uploadimg", access, None)["errcode"] == 41005
    assert _upload(client, "media/uploadimg", access, b"")["errcode"] == 41005
    as_json = client.post(
        "/cgi-bin/media/uploadimg", params={"access_token": access}, json={"media": "x"}
    )
    assert as_json.json()["errcode"] == 41005
    assert _upload(client, "media/uploadimg", None, CHART)["errcode"] == 41001


def test_add_material_image_and_thumb(client: TestClient, token: Token) -> None:
    access = token("dgtq")
    image = _upload(client, "material/add_material", access, CHART, type="image")
    assert set(image) == {"media_id", "url"} and len(image["media_id"]) == 64
    assert client.get(image["url"]).content == CHART
    thumb = _upload(client, "material/add_material", access, JPEG, type="thumb", filename="t.jpg")
    assert client.get(thumb["url"]).headers["content-type"] == "image/jpeg"
    gif = _upload(client, "material/add_material", access, GIF, type="image", filename="a.gif")
    assert "media_id" in gif


def test_add_material_refusals(client: TestClient, token: Token) -> None:
    access = token("dgtq")

    def errcode(data: bytes | None, **params: str) -> int:
        return _upload(client, "material/add_material", access, data, **params)["errcode"]

    assert errcode(CHART, type="voice") == 40004
    assert errcode(CHART) == 40004  # no type
    assert errcode(CHART, type="thumb") == 40005  # a thumb is a jpg
    assert errcode(JPEG + b"\x00" * 64 * 1024, type="thumb") == 40009
    assert errcode(None, type="image") == 41005


def test_unknown_media_is_not_served(client: TestClient) -> None:
    answer = client.get("/sandbox/media/nothing-here")
    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/problem+json"


# News


def test_uploadnews_answers_a_news_media_id(
    client: TestClient, state: SandboxState, token: Token
) -> None:
    access = token("dgtq")
    thumb = _upload(client, "material/add_material", access, CHART, type="image")["media_id"]
    answer = _news(client, access, _article(thumb), _article(thumb, digest="", title="第二篇"))
    assert answer["type"] == "news" and len(answer["media_id"]) == 64
    assert abs(answer["created_at"] - state.clock.now()) < 5
    stored = state.media[answer["media_id"]].articles
    assert stored[0]["digest"] == "今天多云，夜间有小雨。"
    # Without a digest WeChat takes the start of the content's text.
    assert stored[1]["digest"] == "今天多云，夜间有小雨。"


def test_uploadnews_refusals(client: TestClient, token: Token) -> None:
    access, other = token("dgtq"), token("dgjj")
    thumb = _upload(client, "material/add_material", access, CHART, type="image")["media_id"]
    theirs = _upload(client, "material/add_material", other, CHART, type="image")["media_id"]
    content_image = _upload(client, "media/uploadimg", access, CHART)["url"]

    def errcode(*articles: dict[str, Any]) -> int:
        return _news(client, access, *articles)["errcode"]

    assert errcode(_article("no-such-media")) == 40007
    assert errcode(_article(theirs)) == 40007  # another account's material
    assert errcode(_article(content_image)) == 40007
    assert errcode() == 44003
    assert errcode(*[_article(thumb)] * 9) == 45008
    assert errcode(_article(thumb, title="长" * 65)) == 45003
    assert errcode(_article(thumb, author="作者" * 5)) == 45110
    assert errcode(_article(thumb, digest="字" * 121)) == 45004
    assert errcode(_article(thumb, content="字" * 20001)) == 45002
    assert errcode(_article(thumb, title="")) == 47001
    assert errcode(_article(thumb, content=" ")) == 47001
    assert errcode(_article(thumb, title=7)) == 47001
    assert errcode(_article(thumb, show_cover_pic=2)) == 47001
    assert _news(client, access)["errcode"] == 44003
    missing = client.post("/cgi-bin/media/uploadnews", params={"access_token": access})
    assert missing.json()["errcode"] == 44002


# Mass-sent articles and pictures


def test_mass_news_reaches_followers_as_a_news_card(
    client: TestClient, token: Token, follow: Follow, inbox: Inbox
) -> None:
    follow("zhangsan", "dgtq")
    follow("lisi", "dgtq")
    access = token("dgtq")
    news = _mpnews(client, access)
    answer = _mass(
        client,
        access,
        "2026-11-26",
        msgtype="mpnews",
        mpnews={"media_id": news},
        send_ignore_reprint=0,
    )
    assert answer["errcode"] == 0 and answer["msg_data_id"] == answer["msg_id"]
    for citizen in ("zhangsan", "lisi"):
        [item] = inbox(citizen)
        assert item["kind"] == "mass" and item["msgtype"] == "mpnews"
        [card] = item["content"]["articles"]
        assert card["title"] == "东莞天气 11月26日"
        assert card["description"] == card["digest"] == "今天多云，夜间有小雨。"
        assert client.get(card["picurl"]).content == CHART
    conversation = client.get("/sandbox/citizens/lisi/conversations/dgtq").json()["items"]
    assert conversation[-1]["summary"] == "[图文消息] 东莞天气 11月26日"
    page = client.get(card["url"])
    assert page.status_code == 200 and "今天多云，夜间有小雨。" in page.text
    assert "sandbox" in page.headers["content-security-policy"]
    assert "值班预报员" in page.text and "东莞天气" in page.text
    assert inbox("wangwu") == []


def test_mass_sends_are_recorded_with_their_content(
    client: TestClient, token: Token, follow: Follow
) -> None:
    follow("zhangsan", "dgtq")
    follow("zhangsan", "dgjj")
    access = token("dgtq")
    news = _mpnews(client, access)
    sent = _mass(client, access, "bulletin-1", msgtype="mpnews", mpnews={"media_id": news})
    text = {"msgtype": "text", "text": {"content": "通知"}}
    _mass(client, token("dgjj"), "notice-1", **text)
    everything = client.get("/sandbox/mass-sends").json()
    assert everything["total"] == 2
    page = client.get("/sandbox/mass-sends", params={"account": "dgtq"}).json()
    [record] = page["items"]
    assert record["msg_id"] == sent["msg_id"] and record["clientmsgid"] == "bulletin-1"
    assert record["msgtype"] == "mpnews" and record["recipients"] == 1
    assert record["at"].endswith("+08:00")
    [article] = record["content"]["articles"]
    assert article["content"].startswith("<p>今天多云") and article["picurl"]
    [notice] = client.get("/sandbox/mass-sends", params={"account": "dgjj"}).json()["items"]
    assert notice["content"] == {"content": "通知"}
    assert client.get("/sandbox/mass-sends", params={"account": "nope"}).status_code == 404
    assert client.get(f"/sandbox/mass-sends/{sent['msg_id']}/articles/1").status_code == 404
    assert client.get("/sandbox/mass-sends/1/articles/0").status_code == 404


def test_mass_news_refusals(
    client: TestClient, state: SandboxState, token: Token, follow: Follow
) -> None:
    follow("zhangsan", "dgtq")
    access = token("dgtq")
    thumb = _upload(client, "material/add_material", access, CHART, type="image")["media_id"]
    news = _mpnews(client, access)
    theirs = _mpnews(client, token("dgjj"))

    def errcode(media_id: Any, **body: Any) -> int:
        mpnews = {"msgtype": "mpnews", "mpnews": {"media_id": media_id}}
        return _mass(client, token("dgtq"), "refused", **mpnews, **body)["errcode"]

    assert errcode("unknown") == 40007
    assert errcode(theirs) == 40007
    assert errcode(thumb) == 40007  # a picture is not articles
    assert errcode(None) == 40007
    assert errcode(news, send_ignore_reprint=5) == 47001
    assert client.get("/sandbox/mass-sends").json()["total"] == 0
    # News media is temporary: three days, then it cannot be sent.
    state.clock.advance(3 * 86400 + 1)
    assert errcode(news) == 40007


def test_a_mass_picture_carries_its_url(
    client: TestClient, token: Token, follow: Follow, inbox: Inbox
) -> None:
    follow("zhangsan", "dgtq")
    access = token("dgtq")
    image = _upload(client, "material/add_material", access, CHART, type="image")
    unknown = _mass(client, access, "p0", msgtype="image", image={"media_id": "nope"})
    assert unknown["errcode"] == 40007
    answer = _mass(client, access, "p1", msgtype="image", image={"media_id": image["media_id"]})
    assert answer["errcode"] == 0
    [item] = inbox("zhangsan")
    assert item["content"] == {"media_id": image["media_id"], "picurl": image["url"]}


def test_a_reused_clientmsgid_answers_the_original_send(
    client: TestClient, token: Token, follow: Follow, inbox: Inbox
) -> None:
    follow("zhangsan", "dgtq")
    access = token("dgtq")
    first = _mass(
        client, access, "2026-11-26", msgtype="mpnews", mpnews={"media_id": _mpnews(client, access)}
    )
    again = _mass(
        client, access, "2026-11-26", msgtype="mpnews", mpnews={"media_id": _mpnews(client, access)}
    )
    assert again["errcode"] == 45065 and again["msg_id"] == first["msg_id"]
    assert client.get("/sandbox/mass-sends").json()["total"] == 1
    assert len(inbox("zhangsan")) == 1


async def test_concurrent_sends_with_one_clientmsgid_record_one(
    client: TestClient, token: Token, follow: Follow
) -> None:
    follow("zhangsan", "dgtq")
    follow("zhangsan", "dgjj")
    for code in ("dgtq", "dgjj"):  # a subscription and a service account
        access = token(code)
        news = [_mpnews(client, access) for _ in range(5)]
        transport = httpx.ASGITransport(app=client.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as http:
            answers = await asyncio.gather(
                *(
                    http.post(
                        "/cgi-bin/message/mass/sendall",
                        params={"access_token": access},
                        json={
                            "filter": {"is_to_all": True},
                            "msgtype": "mpnews",
                            "mpnews": {"media_id": media_id},
                            "clientmsgid": f"{code}-2026-11-26",
                        },
                    )
                    for media_id in news
                )
            )
        codes = sorted(a.json()["errcode"] for a in answers)
        assert codes == [0, 45065, 45065, 45065, 45065]
        assert len({a.json()["msg_id"] for a in answers}) == 1
        page = client.get("/sandbox/mass-sends", params={"account": code}).json()
        assert page["total"] == 1


# Plumbing


def test_pictures_are_known_by_their_first_bytes() -> None:
    assert sniff(CHART) == "png" and sniff(JPEG) == "jpeg" and sniff(GIF) == "gif"
    assert sniff(b"BM" + b"\x00" * 40) == "bmp"
    assert sniff(b"<svg/>") is None and sniff(b"") is None


def test_multipart_parts_keep_their_bytes() -> None:
    data = b"\x89PNG\r\n\x1a\n\r\n--not-the-boundary\r\n\x00\xff"
    body = (
        b"preamble\r\n--b0undary\r\n"
        b'Content-Disposition: form-data; name="description"\r\n\r\nhello\r\n'
        b"--b0undary\r\n"
        b'Content-Disposition: form-data; name="media"; filename="chart.png"\r\n'
        b"Content-Type: image/png\r\n\r\n" + data + b"\r\n--b0undary--\r\n"
    )
    parts = parse_multipart(body, 'multipart/form-data; boundary="b0undary"')
    assert parts["media"].data == data and parts["media"].filename == "chart.png"
    assert parts["media"].content_type == "image/png"
    assert parts["description"].data == b"hello" and parts["description"].filename is None
    assert parse_multipart(body, "application/json") == {}
    assert parse_multipart(body, "multipart/form-data") == {}


@pytest.mark.parametrize("limits", [{"public_base_url": "http://127.0.0.1:18009"}])
def test_urls_handed_out_are_where_browsers_reach_the_sandbox(
    client: TestClient, token: Token, follow: Follow, inbox: Inbox
) -> None:
    follow("zhangsan", "dgtq")
    access = token("dgtq")
    picture = _upload(client, "media/uploadimg", access, CHART)["url"]
    assert picture.startswith("http://127.0.0.1:18009/")
    # The path is the sandbox's own: the address it was called at only changes the host.
    assert client.get(picture.removeprefix("http://127.0.0.1:18009")).content == CHART
    news = _mpnews(client, access)
    _mass(client, access, "2026-11-27", msgtype="mpnews", mpnews={"media_id": news})
    [card] = inbox("zhangsan")[0]["content"]["articles"]
    assert card["url"].startswith("http://127.0.0.1:18009/")
    assert client.get(card["url"].removeprefix("http://127.0.0.1:18009")).status_code == 200
