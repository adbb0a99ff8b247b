"""`POST /internal/wechat/{account}/mass-news` end to end: the gateway's internal listener
(uvicorn) sending through the real sandbox, which records what followers received. Only the
internal listener serves it; who may call, what is sent, idempotency by clientmsgid (one after the
other, concurrently, from threads) and the errors."""

from __future__ import annotations

import asyncio
import base64
import html
import os
import signal
import struct
import subprocess
import sys
import zlib
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from threading import Barrier
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from gateway.auth.tokens import issue_public_token, token_key
from gateway.internal import article_content, default_digest
from gateway.platform import PlatformClient, PlatformError, Upload
from gateway.settings import GatewaySettings, WechatAccount
from servicekit.identity import issue_token, service_token
from servicekit.settings import SharedSettings
from servicekit.testing import TEST_SECRET, free_port, wait_until

CLOSED = "http://127.0.0.1:9"  # the services are not needed here
PATH = "/internal/wechat/{}/mass-news"
TEXT = "今天多云转小雨，气温18到24℃。\n\n明天起冷空气南下，注意添衣 <保暖> & 防滑。"


def png(width: int = 6, height: int = 4) -> bytes:
    """A small valid PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = b"".join(b"\x00" + bytes(range(width)) for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


CHART = png()


def bulletin(clientmsgid: str = "dgtq-2026-11-26", **fields: Any) -> dict[str, Any]:
    return {
        "clientmsgid": clientmsgid,
        "title": "东莞天气 11月26日",
        "text": TEXT,
        "image_png_base64": base64.b64encode(CHART).decode(),
        **fields,
    }


def caller(name: str = "weather", audience: str = "gateway") -> dict[str, str]:
    """The headers a service sends: its service token for the gateway."""
    return {
        "Authorization": "Bearer "
        + service_token(secret=TEST_SECRET, caller=name, audience=audience)
    }


@pytest.fixture
def sandbox(chat_sandbox_url: str) -> Iterator[httpx.Client]:
    """The sandbox's own API, with two followers of 东莞天气 and one of 东莞交警."""
    with httpx.Client(base_url=chat_sandbox_url, timeout=30) as http:
        for citizen, account in (("zhangsan", "dgtq"), ("lisi", "dgtq"), ("zhangsan", "dgjj")):
            http.put(f"/sandbox/citizens/{citizen}/follows/{account}").raise_for_status()
        yield http


@pytest.fixture
def listeners(
    sandbox: httpx.Client, gateway_listeners: Callable[..., tuple[str, str]]
) -> tuple[str, str]:
    return gateway_listeners(str(sandbox.base_url).rstrip("/"))


@pytest.fixture
def gateway_url(listeners: tuple[str, str]) -> str:
    """The internal listener, where services call."""
    return listeners[1]


@pytest.fixture
def gateway(gateway_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=gateway_url, timeout=30) as http:
        yield http


def mass_sends(sandbox: httpx.Client, account: str = "dgtq") -> list[dict[str, Any]]:
    return sandbox.get("/sandbox/mass-sends", params={"account": account}).json()["items"]


def platform_calls(sandbox: httpx.Client) -> dict[str, int]:
    calls = sandbox.get("/sandbox/stats").json()["api_calls"]
    return {path: n for path, n in calls.items() if path.startswith("/cgi-bin/")}


# What is sent


@pytest.mark.slow
def test_one_article_with_the_text_and_the_picture_reaches_the_followers(
    gateway: httpx.Client, sandbox: httpx.Client
) -> None:
    answer = gateway.post(PATH.format("dgtq"), json=bulletin(), headers=caller())
    assert answer.status_code == 200, answer.text
    sent = answer.json()
    assert sent["duplicate"] is False and isinstance(sent["msg_id"], int)
    [record] = mass_sends(sandbox)
    assert record["msg_id"] == sent["msg_id"] and record["clientmsgid"] == "dgtq-2026-11-26"
    assert record["msgtype"] == "mpnews" and record["recipients"] == 2
    [article] = record["content"]["articles"]
    assert article["title"] == "东莞天气 11月26日"
    # Each line of the text is a paragraph, escaped; the picture follows.
    assert "<p>今天多云转小雨，气温18到24℃。</p>" in article["content"]
    assert "<p>明天起冷空气南下，注意添衣 &lt;保暖&gt; &amp; 防滑。</p>" in article["content"]
    assert (
        article["digest"]
        == "今天多云转小雨，气温18到24℃。 明天起冷空气南下，注意添衣 <保暖> & 防滑。"
    )
    inline = html.unescape(article["content"].split('<img src="')[1].split('"')[0])
    assert sandbox.get(inline).content == CHART
    assert sandbox.get(article["picurl"]).content == CHART
    for citizen in ("zhangsan", "lisi"):
        items = sandbox.get(f"/sandbox/citizens/{citizen}/inbox", params={"account": "dgtq"})
        [item] = items.json()["items"]
        assert item["msgtype"] == "mpnews" and item["msgid"] == sent["msg_id"]
        assert item["content"]["articles"][0]["title"] == "东莞天气 11月26日"


@pytest.mark.slow
def test_a_given_digest_and_author_are_kept(gateway: httpx.Client, sandbox: httpx.Client) -> None:
    body = bulletin(digest="今天多云转小雨。", author="市气象台")
    assert gateway.post(PATH.format("dgtq"), json=body, headers=caller()).status_code == 200
    [article] = mass_sends(sandbox)[0]["content"]["articles"]
    assert article["digest"] == "今天多云转小雨。" and article["author"] == "市气象台"


def test_content_and_digest_helpers() -> None:
    content = article_content("第一段\n  \n<第二段>", "http://x/a?b=1&c=2", "标题")
    assert content == (
        '<p>第一段</p><p>&lt;第二段&gt;</p><p><img src="http://x/a?b=1&amp;c=2" alt="标题"></p>'
    )
    assert default_digest("短\n文本") == "短 文本"
    long = default_digest("字" * 200)
    assert len(long) == 120 and long.endswith("…")


# Once per clientmsgid


@pytest.mark.slow
def test_the_same_clientmsgid_twice_sends_once(
    gateway: httpx.Client, sandbox: httpx.Client
) -> None:
    first = gateway.post(PATH.format("dgtq"), json=bulletin(), headers=caller()).json()
    again = gateway.post(PATH.format("dgtq"), json=bulletin(), headers=caller())
    assert again.status_code == 200
    assert again.json() == {"msg_id": first["msg_id"], "duplicate": True}
    assert len(mass_sends(sandbox)) == 1
    inbox = sandbox.get("/sandbox/citizens/lisi/inbox", params={"account": "dgtq"}).json()
    assert inbox["total"] == 1


@pytest.mark.slow
async def test_concurrent_sends_with_one_clientmsgid_send_once(
    gateway_url: str, sandbox: httpx.Client
) -> None:
    async with httpx.AsyncClient(base_url=gateway_url, timeout=30) as http:
        answers = await asyncio.gather(
            *(http.post(PATH.format("dgtq"), json=bulletin(), headers=caller()) for _ in range(4))
        )
    assert [a.status_code for a in answers] == [200] * 4
    sent = [a.json() for a in answers]
    assert sorted(s["duplicate"] for s in sent) == [False, True, True, True]
    assert len({s["msg_id"] for s in sent}) == 1
    [record] = mass_sends(sandbox)
    assert record["msg_id"] == sent[0]["msg_id"]


@pytest.mark.slow
def test_sends_from_threads_with_one_clientmsgid_send_once(
    gateway_url: str, sandbox: httpx.Client
) -> None:
    # A service account (no daily limit), so only the clientmsgid stops a second send.
    start = Barrier(3)

    def send(_: int) -> httpx.Response:
        with httpx.Client(base_url=gateway_url, timeout=30) as http:
            start.wait()
            return http.post(PATH.format("dgjj"), json=bulletin("dgjj-1"), headers=caller())

    with ThreadPoolExecutor(3) as pool:
        answers = list(pool.map(send, range(3)))
    assert [a.status_code for a in answers] == [200] * 3
    assert sorted(a.json()["duplicate"] for a in answers) == [False, True, True]
    assert len({a.json()["msg_id"] for a in answers}) == 1
    assert len(mass_sends(sandbox, "dgjj")) == 1


# Platform refusals


@pytest.mark.slow
def test_a_platform_refusal_is_a_502_naming_the_errcode(
    gateway: httpx.Client, sandbox: httpx.Client
) -> None:
    assert gateway.post(PATH.format("dgtq"), json=bulletin("day-1"), headers=caller()).is_success
    # A subscription account mass-sends once a day: another clientmsgid is refused (45009).
    refused = gateway.post(PATH.format("dgtq"), json=bulletin("day-1-again"), headers=caller())
    assert refused.status_code == 502
    assert refused.headers["content-type"] == "application/problem+json"
    problem = refused.json()
    assert problem["errcode"] == 45009 and "45009" in problem["detail"]
    assert problem["instance"] == PATH.format("dgtq")
    assert len(mass_sends(sandbox)) == 1


def test_an_unreachable_platform_is_a_502(
    gateway_listeners: Callable[..., tuple[str, str]],
) -> None:
    _, url = gateway_listeners(f"http://127.0.0.1:{free_port()}")
    answer = httpx.post(url + PATH.format("dgtq"), json=bulletin(), headers=caller())
    assert answer.status_code == 502 and answer.json()["errcode"] == -1


# Who may call


@pytest.mark.slow
def test_only_an_allowed_service_may_call(gateway: httpx.Client, sandbox: httpx.Client) -> None:
    public = issue_public_token(
        key=token_key(internal_secret=TEST_SECRET),
        citizen_id="c-1",
        account="dgtq",
        ttl_seconds=600,
    )

    def internal(kind: str, audience: str = "gateway", secret: str = TEST_SECRET) -> str:
        token = issue_token(
            secret=secret, audience=audience, subject="c-1", kind=kind, roles=["forecaster"]
        )
        return f"Bearer {token}"

    wrong_secret = service_token(
        secret="another-secret-of-at-least-32-chars!", caller="weather", audience="gateway"
    )
    refused = {
        "no token": ({}, 401),
        "not bearer": ({"Authorization": "Basic d2VhdGhlcjp4"}, 401),
        "garbage": ({"Authorization": "Bearer not-a-token"}, 401),
        "citizen app token": ({"Authorization": f"Bearer {public}"}, 401),
        "staff api key": ({"X-Api-Key": "dev-staff-key"}, 401),
        "for another audience": (caller("weather", audience="weather"), 401),
        "wrong secret": ({"Authorization": f"Bearer {wrong_secret}"}, 401),
        "internal citizen token": ({"Authorization": internal("citizen")}, 403),
        "internal staff token": ({"Authorization": internal("staff")}, 403),
        "another service": (caller("socialsec"), 403),
        "the gateway itself": (caller("gateway"), 403),
    }
    for name, (headers, status) in refused.items():
        answer = gateway.post(PATH.format("dgtq"), json=bulletin(), headers=headers)
        assert answer.status_code == status, name
        assert answer.headers["content-type"] == "application/problem+json", name
    # Refused before anything reached WeChat.
    assert platform_calls(sandbox) == {}
    assert mass_sends(sandbox) == []


@pytest.mark.slow
def test_the_allowed_callers_are_a_setting(
    sandbox: httpx.Client, gateway_listeners: Callable[..., tuple[str, str]]
) -> None:
    base = str(sandbox.base_url).rstrip("/")
    _, url = gateway_listeners(base, internal_callers=["traffic"])
    path = url + PATH.format("dgjj")
    assert httpx.post(path, json=bulletin(), headers=caller("weather")).status_code == 403
    assert httpx.post(path, json=bulletin(), headers=caller("traffic")).status_code == 200
    # By default the services that push through the gateway: weather's bulletin, accounts'
    # articles (and socialsec, which pushes nothing, is not among them).
    default = GatewaySettings(shared=SharedSettings(env="dev")).internal_callers
    assert {"weather", "accounts"} <= set(default) and "socialsec" not in default
    with pytest.raises(ValidationError, match="internal_callers"):
        gateway_listeners(base, internal_callers=["weather", "nobody"])


@pytest.mark.slow
def test_the_endpoint_is_not_in_the_public_openapi(listeners: tuple[str, str]) -> None:
    paths = httpx.get(listeners[0] + "/openapi.json").json()["paths"]
    assert not [path for path in paths if "internal" in path]


# Only on the internal listener


@pytest.mark.slow
def test_the_public_port_answers_404_even_to_an_allowed_service(
    listeners: tuple[str, str], sandbox: httpx.Client
) -> None:
    public, internal = listeners
    for path in (PATH.format("dgtq"), "/internal/wechat/dgtq/mass-news/", "/internal"):
        answer = httpx.post(public + path, json=bulletin(), headers=caller())
        assert answer.status_code == 404, path
        assert answer.headers["content-type"] == "application/problem+json"
    assert platform_calls(sandbox) == {} and mass_sends(sandbox) == []
    sent = httpx.post(internal + PATH.format("dgtq"), json=bulletin(), headers=caller(), timeout=30)
    assert sent.status_code == 200 and len(mass_sends(sandbox)) == 1


@pytest.mark.slow
def test_the_internal_listener_serves_nothing_public(listeners: tuple[str, str]) -> None:
    internal = listeners[1]
    assert httpx.get(internal + "/healthz").status_code == 200
    assert httpx.get(internal + "/api/v1/weather/locations").status_code == 404
    assert httpx.get(internal + "/wechat/dgtq").status_code == 404


@pytest.mark.slow
@pytest.mark.parametrize("same_port", [False, True])
def test_python_m_gateway_serve_runs_both_listeners(same_port: bool, tmp_path: Any) -> None:
    port = free_port()
    internal_port = port if same_port else free_port()
    env = {
        **os.environ,
        "ENV": "dev",
        "GATEWAY_INTERNAL_PORT": str(internal_port),
        "GATEWAY_WECHAT_MENU_SYNC_SECONDS": "0",
        "GATEWAY_WECHAT_API_BASE_URL": CLOSED,
        **{
            f"GATEWAY_{name}_URL": CLOSED
            for name in ("ACCOUNTS", "TRAFFIC", "WEATHER", "SOCIALSEC")
        },
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "gateway", "serve", "--port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        if same_port:
            assert proc.wait(timeout=60) != 0
            assert b"GATEWAY_INTERNAL_PORT" in proc.stderr.read()
            return
        public, internal = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{internal_port}"
        wait_until(f"{public}/healthz", seconds=60)
        wait_until(f"{internal}/healthz", seconds=60)
        assert httpx.post(public + PATH.format("dgtq"), headers=caller()).status_code == 404
        # Routed on the internal port: the body is checked only after the caller.
        assert httpx.post(internal + PATH.format("dgtq"), headers=caller()).status_code == 422
        assert httpx.post(internal + PATH.format("dgtq")).status_code == 401
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


# Bad input


@pytest.mark.slow
def test_bad_input_is_a_422_naming_the_field(gateway: httpx.Client, sandbox: httpx.Client) -> None:
    jpeg = base64.b64encode(b"\xff\xd8\xff\xe0" + b"\x00" * 32).decode()
    cases = {
        "clientmsgid": bulletin(clientmsgid=""),
        "title": bulletin(title=" "),
        "text": bulletin(text=""),
        "digest": bulletin(digest="字" * 121),
        "author": bulletin(author="作者" * 5),
        "image_png_base64": bulletin(image_png_base64="not base64!"),
        "extra": bulletin(extra="?"),
    }
    for field, body in cases.items():
        answer = gateway.post(PATH.format("dgtq"), json=body, headers=caller())
        assert answer.status_code == 422, field
        assert field in [e["field"] for e in answer.json()["errors"]], field
    others = [
        bulletin(clientmsgid="x" * 65),
        bulletin(clientmsgid="有空格 id"),
        bulletin(title="长" * 65),
        bulletin(image_png_base64=jpeg),
        bulletin(image_png_base64=base64.b64encode(CHART + b"\x00" * 1024 * 1024).decode()),
        {key: value for key, value in bulletin().items() if key != "image_png_base64"},
    ]
    for body in others:
        assert gateway.post(PATH.format("dgtq"), json=body, headers=caller()).status_code == 422
    broken = gateway.post(
        PATH.format("dgtq"),
        content=b'{"clientmsgid": ',
        headers={**caller(), "Content-Type": "application/json"},
    )
    assert broken.status_code == 422
    huge = gateway.post(
        PATH.format("dgtq"), json=bulletin(text="字" * 3 * 1024 * 1024), headers=caller()
    )
    assert huge.status_code == 413
    unknown = gateway.post(PATH.format("nope"), json=bulletin(), headers=caller())
    assert unknown.status_code == 404
    assert platform_calls(sandbox) == {}


# The client's media calls on their own


@pytest.fixture
async def platform(
    chat_sandbox_url: str, chat_accounts: list[WechatAccount]
) -> AsyncIterator[PlatformClient]:
    client = PlatformClient(chat_sandbox_url, chat_accounts)
    await client.start()
    yield client
    await client.close()


@pytest.mark.slow
async def test_media_calls_of_the_platform_client(
    platform: PlatformClient, chat_sandbox_url: str
) -> None:
    url = await platform.upload_image("dgtq", Upload(CHART))
    material = await platform.add_material("dgtq", "image", Upload(CHART, "chart.png"))
    async with httpx.AsyncClient() as http:
        assert (await http.get(url)).content == CHART
        assert (await http.get(material.url)).content == CHART
    article = {"thumb_media_id": material.media_id, "title": "标题", "content": "<p>正文</p>"}
    news = await platform.upload_news("dgtq", [article])
    assert len(news.media_id) == 64 and news.created_at > 0
    with pytest.raises(PlatformError) as unknown:
        await platform.upload_news("dgtq", [{**article, "thumb_media_id": "nope"}])
    assert unknown.value.errcode == 40007
    with pytest.raises(PlatformError) as wrong_type:
        await platform.add_material("dgtq", "thumb", Upload(CHART))  # a thumb must be a jpg
    assert wrong_type.value.errcode == 40005
    with pytest.raises(PlatformError) as bad_kind:
        await platform.add_material("dgtq", "voice", Upload(CHART))
    assert bad_kind.value.errcode == 40004
    # A refused token is refetched and the upload (a new multipart form) sent again.
    async with httpx.AsyncClient(base_url=chat_sandbox_url) as http:
        appid = platform.account("dgtq").appid
        (await http.post(f"/sandbox/tokens/{appid}/invalidate")).raise_for_status()
    assert await platform.upload_image("dgtq", Upload(CHART))
