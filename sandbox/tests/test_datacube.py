"""The data APIs (`/datacube/...`): simulated reads of mass-sent articles, WeChat's shapes, spans
and errcodes, and follower counts, on the sandbox's clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from sandbox.datacube import READING_DAYS, day_counts, readers_by
from sandbox.state import SandboxState

Token = Callable[[str], str]
Follow = Callable[[str, str], None]
CITIZENS = ("zhangsan", "lisi", "wangwu", "chenxiaomei")
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64 + b"\xff\xd9"
DAY = 86_400


def _post(client: TestClient, path: str, access: str, body: Any) -> dict[str, Any]:
    return client.post(path, params={"access_token": access}, json=body).json()


def _push(client: TestClient, access: str, *titles: str, source: str = "") -> int:
    """Mass-send one news message with an article per title; its msg_id."""
    files = {"media": ("t.jpg", JPEG, "image/jpeg")}
    thumb = client.post(
        "/cgi-bin/material/add_material",
        params={"access_token": access, "type": "thumb"},
        files=files,
    ).json()["media_id"]
    articles = [
        {
            "thumb_media_id": thumb,
            "title": title,
            "content": f"<p>{title}</p>",
            "content_source_url": source,
        }
        for title in titles
    ]
    media_id = _post(client, "/cgi-bin/media/uploadnews", access, {"articles": articles})
    sent = _post(
        client,
        "/cgi-bin/message/mass/sendall",
        access,
        {"filter": {"is_to_all": True}, "msgtype": "mpnews", "mpnews": media_id},
    )
    assert sent["errcode"] == 0, sent
    return int(sent["msg_id"])


def _cube(client: TestClient, name: str, access: str, begin: date, end: date) -> dict[str, Any]:
    body = {"begin_date": begin.isoformat(), "end_date": end.isoformat()}
    return _post(client, f"/datacube/{name}", access, body)


@pytest.fixture
def pushed(
    client: TestClient, state: SandboxState, token: Token, follow: Follow
) -> tuple[str, int, date]:
    """东莞天气 followed by the four citizens pushes two articles today; a week passes."""
    for citizen in CITIZENS:
        follow(citizen, "dgtq")
    access = token("dgtq")
    msg_id = _push(
        client, access, "东莞天气 周报", "回南天防潮小贴士", source="https://example.cn/a"
    )
    sent_on = state.clock.local().date()
    state.clock.advance(8 * DAY)
    return token("dgtq"), msg_id, sent_on


# The simulation, pure


def test_readers_never_outnumber_the_followers_reached_and_stop_after_a_week() -> None:
    for reach in (0, 1, 4, 1000):
        totals = [readers_by(reach, 0.95, 0.45, day) for day in range(-1, 12)]
        assert totals[0] == 0 and totals == sorted(totals)
        assert totals[-1] <= reach and totals[-1] == totals[READING_DAYS]


def test_a_day_after_the_reading_week_and_before_the_send_has_no_reads() -> None:
    for day in (-1, READING_DAYS, READING_DAYS + 3):
        counts = day_counts(msg_id=1, index=1, reach=1000, day=day, has_source=True)
        assert counts["int_page_read_user"] == counts["share_count"] == 0


def test_the_same_send_has_the_same_figures_and_reads_decay_day_by_day() -> None:
    days = [day_counts(msg_id=7, index=1, reach=5000, day=d, has_source=False) for d in range(7)]
    again = [day_counts(msg_id=7, index=1, reach=5000, day=d, has_source=False) for d in range(7)]
    assert days == again
    reads = [d["int_page_read_user"] for d in days]
    assert reads == sorted(reads, reverse=True) and reads[0] > reads[-1] > 0
    assert sum(reads) <= 5000
    for d in days:
        assert d["int_page_read_count"] >= d["int_page_read_user"] >= d["share_user"]
        assert d["share_count"] >= d["share_user"]
        assert d["ori_page_read_user"] == 0  # no 阅读原文 without a source URL
    other = day_counts(msg_id=8, index=1, reach=5000, day=0, has_source=False)
    assert other != days[0]


# The APIs


def test_article_summary_lists_the_day_s_reads_of_each_article(
    client: TestClient, pushed: tuple[str, int, date]
) -> None:
    access, msg_id, sent_on = pushed
    items = _cube(client, "getarticlesummary", access, sent_on, sent_on)["list"]
    assert [(i["msgid"], i["title"]) for i in items] == [
        (f"{msg_id}_1", "东莞天气 周报"),
        (f"{msg_id}_2", "回南天防潮小贴士"),
    ]
    first = items[0]
    assert first["ref_date"] == sent_on.isoformat()
    assert set(first) == {
        "ref_date",
        "user_source",
        "msgid",
        "title",
        "int_page_read_user",
        "int_page_read_count",
        "ori_page_read_user",
        "ori_page_read_count",
        "share_user",
        "share_count",
        "add_to_fav_user",
        "add_to_fav_count",
    }
    assert 0 < first["int_page_read_user"] <= len(CITIZENS)
    # Nobody reads before the send, nor after the reading week.
    before = sent_on - timedelta(days=1)
    assert _cube(client, "getarticlesummary", access, before, before)["list"] == []
    late = sent_on + timedelta(days=READING_DAYS)
    assert _cube(client, "getarticlesummary", access, late, late)["list"] == []


def test_article_total_adds_the_days_up_to_each_stat_date(
    client: TestClient, pushed: tuple[str, int, date]
) -> None:
    access, msg_id, sent_on = pushed
    totals = _cube(client, "getarticletotal", access, sent_on, sent_on)["list"]
    assert [t["msgid"] for t in totals] == [f"{msg_id}_1", f"{msg_id}_2"]
    details = totals[0]["details"]
    assert [d["stat_date"] for d in details] == [
        (sent_on + timedelta(days=n)).isoformat() for n in range(READING_DAYS)
    ]
    assert {d["target_user"] for d in details} == {len(CITIZENS)}
    running = 0
    for detail in details:
        day = date.fromisoformat(detail["stat_date"])
        summary = _cube(client, "getarticlesummary", access, day, day)["list"]
        running += sum(i["int_page_read_count"] for i in summary if i["msgid"] == f"{msg_id}_1")
        assert detail["int_page_read_count"] == running
    assert details[-1]["int_page_read_user"] <= len(CITIZENS)
    # The day after the send, nothing was sent.
    after = sent_on + timedelta(days=1)
    assert _cube(client, "getarticletotal", access, after, after)["list"] == []


def test_article_total_stops_at_yesterday(
    client: TestClient, state: SandboxState, token: Token, follow: Follow
) -> None:
    follow("zhangsan", "dgtq")
    _push(client, token("dgtq"), "今日天气")
    sent_on = state.clock.local().date()
    state.clock.advance(2 * DAY)
    totals = _cube(client, "getarticletotal", token("dgtq"), sent_on, sent_on)["list"]
    assert len(totals[0]["details"]) == 2


def test_user_summary_and_cumulate_count_follows_per_day(
    client: TestClient, state: SandboxState, token: Token, follow: Follow
) -> None:
    first = state.clock.local().date()
    follow("zhangsan", "dgtq")
    follow("lisi", "dgtq")
    state.clock.advance(DAY)
    follow("wangwu", "dgtq")
    follow("zhangsan", "dgjj")  # another account's follower
    state.clock.advance(2 * DAY)
    access = token("dgtq")
    end = first + timedelta(days=2)
    summary = _cube(client, "getusersummary", access, first, end)["list"]
    assert [(s["ref_date"], s["new_user"], s["cancel_user"]) for s in summary] == [
        (first.isoformat(), 2, 0),
        ((first + timedelta(days=1)).isoformat(), 1, 0),
        (end.isoformat(), 0, 0),
    ]
    cumulate = _cube(client, "getusercumulate", access, first, end)["list"]
    assert [c["cumulate_user"] for c in cumulate] == [2, 3, 3]


@pytest.mark.parametrize(
    ("name", "begin", "end", "errcode"),
    [
        ("getarticlesummary", -3, -2, 61501),  # the span of article data is one day
        ("getarticletotal", -3, -2, 61501),
        ("getusersummary", -9, -2, 61501),  # 8 days: the span is seven
        ("getusercumulate", -9, -2, 61501),
        ("getusersummary", -2, -3, 61501),  # the end before the start
        ("getarticlesummary", 0, 0, 61501),  # today is not over
        ("getusersummary", -1, "2026/12/01", 61500),
        ("getusersummary", "yesterday", -1, 61500),
    ],
)
def test_dates_outside_what_wechat_serves_are_refused(
    client: TestClient,
    state: SandboxState,
    token: Token,
    name: str,
    begin: int | str,
    end: int | str,
    errcode: int,
) -> None:
    today = state.clock.local().date()

    def day(value: int | str) -> str:
        return value if isinstance(value, str) else (today + timedelta(days=value)).isoformat()

    answer = _post(
        client, f"/datacube/{name}", token("dgtq"), {"begin_date": day(begin), "end_date": day(end)}
    )
    assert answer["errcode"] == errcode


def test_seven_days_of_followers_at_once_are_served(
    client: TestClient, state: SandboxState, token: Token
) -> None:
    yesterday = state.clock.local().date() - timedelta(days=1)
    summary = _cube(
        client, "getusersummary", token("dgtq"), yesterday - timedelta(days=6), yesterday
    )
    assert len(summary["list"]) == 7


def test_the_data_apis_take_the_account_s_token(client: TestClient) -> None:
    answer = _post(client, "/datacube/getarticlesummary", "x" * 40, {})
    assert answer["errcode"] == 40001
    assert client.post("/datacube/getusersummary").json()["errcode"] == 41001
