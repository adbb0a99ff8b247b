"""Editors write, preview and schedule an account's articles; the pusher sends each push once."""

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from accounts.main import create_app
from accounts.models import ArticlePush, AuditEntry
from accounts.pusher import ArticlePusher
from accounts.settings import AccountsSettings
from servicekit.clock import SHANGHAI, utcnow
from servicekit.db import make_engine
from servicekit.settings import SharedSettings
from servicekit.testing import mint_token, serve_in_thread

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
BASE = "/v1/accounts/{}/editor/articles"
ARTICLE = {
    "title": "莞香花开｜周末去松山湖看花",
    "author": "小莞",
    "body_html": '<p onclick="x()">松山湖的紫荆花开了。</p><script>alert(1)</script>'
    '<p><a href="javascript:alert(1)">链接</a></p>',
    "source_url": "https://www.dg.gov.cn/a/1",
}


def editor(*codes: str, roles: list[str] | None = None) -> dict[str, str]:
    """Headers of a staff member holding `editor:<code>` for each code (minted now)."""
    held = [f"editor:{c}" for c in codes] + (roles or [])
    return mint_token("accounts", "staff-editor", held, kind="staff")


@pytest.fixture
def settings(registry_database_url: str) -> AccountsSettings:
    # No push loop: the tests run the pusher themselves.
    return AccountsSettings(
        database_url=registry_database_url,
        push_interval_seconds=0,
        shared=SharedSettings(env="dev"),
    )


@pytest.fixture
def client(settings: AccountsSettings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def write(client: TestClient, code: str = "gxhk", cover: bytes | None = PNG, **fields: Any) -> int:
    """A new article of `code` (with a cover), as its editor; its id."""
    answer = client.post(BASE.format(code), json=ARTICLE | fields, headers=editor(code))
    assert answer.status_code == 201, answer.text
    article_id = answer.json()["id"]
    if cover is not None:
        put = client.put(
            f"{BASE.format(code)}/{article_id}/cover",
            content=cover,
            headers=editor(code) | {"Content-Type": "image/png"},
        )
        assert put.status_code == 200, put.text
    return article_id


def schedule(client: TestClient, article_id: int, code: str = "gxhk", **body: Any) -> Any:
    return client.post(f"{BASE.format(code)}/{article_id}/push", json=body, headers=editor(code))


# Who may write


@pytest.mark.slow
@pytest.mark.parametrize(
    ("token", "status"),
    [
        (None, 401),
        (("citizen", ["editor:gxhk"]), 403),
        (("staff", ["editor:lxdl"]), 403),
        (("staff", ["forecaster"]), 403),
        (("staff", ["editor:gxhk"]), 201),
        (("staff", ["registry_admin"]), 201),
    ],
    ids=["anonymous", "citizen", "editor of another account", "other role", "editor", "admin"],
)
def test_only_the_account_s_editors_and_admins_write(
    client: TestClient, token: tuple[str, list[str]] | None, status: int
) -> None:
    # Minted here: internal tokens live 60 s.
    headers = mint_token("accounts", "s-1", token[1], kind=token[0]) if token else {}
    answer = client.post(BASE.format("gxhk"), json=ARTICLE, headers=headers)
    assert answer.status_code == status, answer.text
    if status == 403:
        detail = answer.json()["detail"]
        assert "editor:gxhk" in detail if token and token[0] == "staff" else "工作人员" in detail


def test_an_editor_of_another_account_reads_nothing(client: TestClient) -> None:
    article_id = write(client)
    for path in ("", f"/{article_id}", f"/{article_id}/preview", f"/{article_id}/cover"):
        answer = client.get(BASE.format("gxhk") + path, headers=editor("lxdl"))
        assert answer.status_code == 403, path
        assert answer.json()["detail"] == "需要 registry_admin 或 editor:gxhk 角色。"
    # Nor through its own account's path.
    other = client.get(f"{BASE.format('lxdl')}/{article_id}", headers=editor("lxdl"))
    assert other.status_code == 404


# Writing


def test_the_body_is_sanitised_on_input_and_the_write_audited(
    client: TestClient, settings: AccountsSettings
) -> None:
    answer = client.post(BASE.format("gxhk"), json=ARTICLE, headers=editor("gxhk"))
    article = answer.json()
    assert article["body_html"] == (
        '<p>松山湖的紫荆花开了。</p><p><a rel="noopener noreferrer">链接</a></p>'
    )
    assert article["digest"] == "松山湖的紫荆花开了。 链接"
    assert article["has_cover"] is False and article["push_status"] is None
    engine = make_engine(settings.database_url)
    with Session(engine) as session:
        entry = session.exec(select(AuditEntry).where(AuditEntry.entity == "editor_article")).one()
    engine.dispose()
    assert (entry.action, entry.actor, entry.entity_id) == (
        "create",
        "staff-editor",
        str(article["id"]),
    )


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"title": " "}, "title"),
        ({"title": "长" * 65}, "title"),
        ({"author": "作者作者作者作者作"}, "author"),
        ({"body_html": "<script>alert(1)</script>"}, "body_html"),
        ({"source_url": "javascript:alert(1)"}, "source_url"),
        ({"source_url": "ftp://a.cn/x"}, "source_url"),
    ],
)
def test_bad_articles_are_422(client: TestClient, fields: dict[str, Any], field: str) -> None:
    answer = client.post(BASE.format("gxhk"), json=ARTICLE | fields, headers=editor("gxhk"))
    assert answer.status_code == 422
    assert field in [e["field"] for e in answer.json()["errors"]]


def test_covers_are_png_or_jpeg_by_their_bytes(client: TestClient) -> None:
    article_id = write(client, cover=None)
    path = f"{BASE.format('gxhk')}/{article_id}/cover"
    for data in (b"GIF89a" + b"\x00" * 20, b"<svg/>", b"", PNG + b"\x00" * 1024 * 1024):
        answer = client.put(path, content=data, headers=editor("gxhk"))
        assert answer.status_code == 415, answer.text
    answer = client.put(path, content=JPEG, headers=editor("gxhk") | {"Content-Type": "image/png"})
    assert answer.json()["has_cover"] is True
    cover = client.get(path, headers=editor("gxhk"))
    assert cover.content == JPEG and cover.headers["content-type"] == "image/jpeg"


def test_the_preview_is_a_mobile_page_of_the_article(client: TestClient) -> None:
    article_id = write(client)
    page = client.get(f"{BASE.format('gxhk')}/{article_id}/preview", headers=editor("gxhk"))
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "script-src" not in page.headers["content-security-policy"]
    assert "default-src 'none'" in page.headers["content-security-policy"]
    text = page.text
    assert 'name="viewport"' in text and "<h1>莞香花开｜周末去松山湖看花</h1>" in text
    assert "小莞 莞香花开" in text and "<p>松山湖的紫荆花开了。</p>" in text
    assert "data:image/png;base64," in text and "https://www.dg.gov.cn/a/1" in text
    assert "<script" not in text and "javascript:" not in text


# Scheduling


def test_a_push_needs_a_cover(client: TestClient) -> None:
    article_id = write(client, cover=None)
    answer = schedule(client, article_id)
    assert answer.status_code == 422 and "封面" in answer.json()["detail"]


def test_a_push_is_scheduled_once_and_fixes_the_article(client: TestClient) -> None:
    article_id = write(client)
    at = (datetime.now(SHANGHAI) + timedelta(days=2)).replace(microsecond=0)
    answer = schedule(client, article_id, send_at=at.isoformat(), audience="town", town="dalang")
    assert answer.status_code == 201, answer.text
    push = answer.json()
    assert (push["status"], push["audience"], push["town"]) == ("scheduled", "town", "dalang")
    assert datetime.fromisoformat(push["send_at"]) == at
    again = schedule(client, article_id)
    assert again.status_code == 409 and "每篇只推送一次" in again.json()["detail"]
    edit = client.put(f"{BASE.format('gxhk')}/{article_id}", json=ARTICLE, headers=editor("gxhk"))
    assert edit.status_code == 409
    state = client.get(f"{BASE.format('gxhk')}/{article_id}/push", headers=editor("gxhk"))
    assert state.json() == push


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"send_at": "2020-01-01T08:00:00+08:00"}, "send_at"),
        ({"audience": "town"}, "body"),
        ({"audience": "all", "town": "dalang"}, "body"),
        ({"audience": "town", "town": "atlantis"}, "town"),
        ({"audience": "tag"}, "audience"),
    ],
)
def test_bad_schedules_are_422(client: TestClient, body: dict[str, Any], field: str) -> None:
    answer = schedule(client, write(client), **body)
    assert answer.status_code == 422, answer.text
    assert field in [e["field"] for e in answer.json()["errors"]]


@pytest.mark.slow
def test_a_subscription_account_pushes_once_a_day(client: TestClient) -> None:
    day = (datetime.now(SHANGHAI) + timedelta(days=3)).replace(hour=9, minute=0, microsecond=0)
    first, second, third = (write(client, "lxdl") for _ in range(3))
    assert schedule(client, first, "lxdl", send_at=day.isoformat()).status_code == 201
    refused = schedule(client, second, "lxdl", send_at=(day + timedelta(hours=10)).isoformat())
    assert refused.status_code == 409
    assert "订阅号每天最多群发 1 次" in refused.json()["detail"]
    next_day = day + timedelta(days=1)
    assert schedule(client, third, "lxdl", send_at=next_day.isoformat()).status_code == 201


def test_a_service_account_pushes_four_times_a_month(client: TestClient) -> None:
    month = (datetime.now(SHANGHAI).replace(day=1) + timedelta(days=40)).replace(
        day=1, hour=9, minute=0, second=0, microsecond=0
    )
    admin = mint_token("accounts", "staff-lin", ["registry_admin"], kind="staff")
    ids = []
    for _ in range(5):
        answer = client.post(BASE.format("dgjj"), json=ARTICLE, headers=admin)
        ids.append(answer.json()["id"])
        client.put(f"{BASE.format('dgjj')}/{ids[-1]}/cover", content=PNG, headers=admin)
    path = BASE.format("dgjj") + "/{}/push"
    for n, article_id in enumerate(ids):
        at = (month + timedelta(days=n)).isoformat()
        answer = client.post(path.format(article_id), json={"send_at": at}, headers=admin)
        assert answer.status_code == (201 if n < 4 else 409), (n, answer.text)
    assert "服务号每月最多群发 4 次" in answer.json()["detail"]


# Sending


class FakeGateway:
    """The gateway's internal mass-news endpoint as a recorder answering `status`."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any], str]] = []
        self.answer: tuple[int, dict[str, Any]] = (200, {"msg_id": 1000000123, "duplicate": False})
        self.app = FastAPI()

        @self.app.post("/internal/wechat/{account}/mass-news")
        async def mass_news(account: str, request: Request) -> JSONResponse:
            self.calls.append((account, await request.json(), request.headers["authorization"]))
            status, body = self.answer
            return JSONResponse(body, status_code=status)


@pytest.fixture
def gateway() -> Iterator[tuple[FakeGateway, str]]:
    fake = FakeGateway()
    with serve_in_thread(fake.app) as url:
        yield fake, url


def pusher(settings: AccountsSettings, gateway_url: str, owner: str = "test") -> ArticlePusher:
    """A sender to `gateway_url` giving up after 3 attempts."""
    configured = settings.model_copy(update={"gateway_url": gateway_url, "push_max_attempts": 3})
    return ArticlePusher(make_engine(settings.database_url), configured, owner=owner)


def push_row(settings: AccountsSettings, article_id: int) -> ArticlePush:
    engine = make_engine(settings.database_url)
    with Session(engine) as session:
        row = session.exec(select(ArticlePush).where(ArticlePush.article_id == article_id)).one()
    engine.dispose()
    return row


@pytest.mark.slow
def test_a_due_push_is_claimed_by_one_sender_and_sent_once(
    client: TestClient, settings: AccountsSettings, gateway: tuple[FakeGateway, str]
) -> None:
    fake, url = gateway
    article_id = write(client)
    assert schedule(client, article_id, audience="town", town="dalang").status_code == 201
    first, second = pusher(settings, url, "a"), pusher(settings, url, "b")
    now = utcnow()
    assert first.claim_due(now=now) == [push_row(settings, article_id).id]
    assert second.claim_due(now=now) == []  # held by the first
    assert second.push_due().sent == 0 and fake.calls == []
    assert first.send(push_row(settings, article_id).id or 0) == "sent"
    assert first.push_due().sent == 0 and second.push_due().sent == 0
    assert len(fake.calls) == 1
    account, body, authorization = fake.calls[0]
    assert account == "gxhk" and authorization.startswith("Bearer ")
    assert body["clientmsgid"] == f"article-push-{push_row(settings, article_id).id}"
    assert body["town"] == "dalang" and body["title"] == ARTICLE["title"]
    assert body["content_html"].startswith("<p>松山湖") and body["author"] == "小莞"
    assert body["content_source_url"] == ARTICLE["source_url"] and body["cover_base64"]
    row = push_row(settings, article_id)
    assert (row.status, row.msg_id, row.attempts, row.lease_owner) == ("sent", 1000000123, 1, None)
    state = client.get(f"{BASE.format('gxhk')}/{article_id}/push", headers=editor("gxhk"))
    assert state.json()["status"] == "sent" and state.json()["sent_at"]
    # Published: it joins the account's articles (rankings, statistics, the 最新 answer), once.
    [published] = client.get("/v1/accounts/gxhk/articles").json()["items"]
    assert published["title"] == ARTICLE["title"] and published["is_headline"] is True
    assert published["url"].endswith("&mid=1000000123&idx=1")


def test_a_push_not_yet_due_waits(
    client: TestClient, settings: AccountsSettings, gateway: tuple[FakeGateway, str]
) -> None:
    fake, url = gateway
    later = (datetime.now(SHANGHAI) + timedelta(hours=2)).isoformat()
    assert schedule(client, write(client), send_at=later).status_code == 201
    assert pusher(settings, url).push_due().sent == 0 and fake.calls == []


@pytest.mark.slow
def test_a_refusal_of_wechat_fails_the_push_with_the_reason(
    client: TestClient, settings: AccountsSettings, gateway: tuple[FakeGateway, str]
) -> None:
    fake, url = gateway
    fake.answer = (502, {"detail": "微信平台拒绝了群发：errcode 45009", "errcode": 45009})
    article_id = write(client)
    schedule(client, article_id)
    assert pusher(settings, url).push_due().failed == 1
    row = push_row(settings, article_id)
    assert row.status == "failed" and "45009" in (row.error or "")
    # Fixed and scheduled again, it goes out under the same row.
    fake.answer = (200, {"msg_id": 7, "duplicate": False})
    assert schedule(client, article_id).status_code == 201
    assert pusher(settings, url).push_due().sent == 1
    assert push_row(settings, article_id).msg_id == 7


def test_an_unreachable_gateway_leaves_the_push_scheduled_for_later(
    client: TestClient, settings: AccountsSettings
) -> None:
    article_id = write(client)
    schedule(client, article_id)
    sender = pusher(settings, "http://127.0.0.1:9")
    assert sender.push_due().retrying == 1
    row = push_row(settings, article_id)
    assert row.status == "scheduled" and row.attempts == 1 and "网关不可达" in (row.error or "")
    assert sender.claim_due(now=utcnow()) == []  # paused before the next attempt
    later = utcnow() + timedelta(minutes=10)
    for attempt in (2, 3):
        assert sender.claim_due(now=later) == [row.id]
        assert sender.send(row.id or 0) == ("scheduled" if attempt < 3 else "failed")
        later += timedelta(minutes=10)
    assert push_row(settings, article_id).status == "failed"
