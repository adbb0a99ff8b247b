"""Articles: parsing statistics exports (pure tables), importing them, listing them."""

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlmodel import Session

from accounts.articles import (
    ImportRejected,
    parse_count,
    parse_csv,
    parse_headline,
    parse_json,
    parse_published_at,
)
from accounts.main import create_app
from accounts.models import ArticleSnapshot, AuditEntry
from accounts.registry_seed import seed_registry
from accounts.settings import AccountsSettings
from servicekit.db import make_engine
from servicekit.settings import SharedSettings
from servicekit.testing import mint_token, seed_database


def staff() -> dict[str, str]:
    """A registry admin's token, minted per request: tokens live at most 60 s."""
    return mint_token("accounts", "staff-1", roles=["registry_admin"], kind="staff")


CSV_TYPE = {"Content-Type": "text/csv"}
HEADER = "published_at,title,url,is_headline,reads,likes,wows,shares\r\n"
EXPORT = (
    HEADER
    + "2014-12-18 11:30,为大朗大井头6岁小男孩寻找a型rh阳性血!转起~,https://mp.weixin.qq.com/s/a1,1,"
    "13075,40,0,0\r\n"
    + "2014-12-19T12:30:00+08:00,小辉辉最新情况,https://mp.weixin.qq.com/s/a2,是,2094,9,,\r\n"
    + "2014-12-19T02:30:00Z,大朗周刊,https://mp.weixin.qq.com/s/a3,0,10万+,1200,300,5000\r\n"
)


@pytest.fixture
def client(migrated_database_url: str) -> Iterator[TestClient]:
    """The app on the registry alone: these tests import their own articles."""
    seed_database(migrated_database_url, lambda session: seed_registry(session=session))
    settings = AccountsSettings(
        database_url=migrated_database_url, shared=SharedSettings(env="dev")
    )
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def count_rows(url: str, model: type) -> int:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            return session.execute(select(func.count()).select_from(model)).scalar_one()
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("13075", 13075),
        ("13,075", 13075),
        (" 2094 ", 2094),
        ("", 0),
        (None, 0),
        (0, 0),
        (7029, 7029),
        ("10万+", 100001),
        ("10w+", 100001),
        ("1.2万", 12000),
        ("3万", 30000),
        ("100001", 100001),
    ],
)
def test_parse_count(text: object, expected: int) -> None:
    assert parse_count(text) == expected


@pytest.mark.parametrize("text", ["-5", "abc", "1.5", "万+", -1, True, "12 345"])
def test_parse_count_rejects(text: object) -> None:
    with pytest.raises(ValueError):
        parse_count(text)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        *[("1", True), ("true", True), ("是", True), ("TRUE", True), (True, True)],
        *[("0", False), ("", False), (None, False), ("否", False), ("false", False)],
    ],
)
def test_parse_headline(value: object, expected: bool) -> None:
    assert parse_headline(value) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2014-12-18 16:00", datetime(2014, 12, 18, 8, 0, tzinfo=UTC)),
        ("2014/12/18 16:00:30", datetime(2014, 12, 18, 8, 0, 30, tzinfo=UTC)),
        ("2014-12-18T16:00:00+08:00", datetime(2014, 12, 18, 8, 0, tzinfo=UTC)),
        ("2014-12-18T08:00:00Z", datetime(2014, 12, 18, 8, 0, tzinfo=UTC)),
        ("2014-12-18", datetime(2014, 12, 17, 16, 0, tzinfo=UTC)),
    ],
)
def test_parse_published_at_takes_beijing_time_without_an_offset(
    text: str, expected: datetime
) -> None:
    assert parse_published_at(text) == expected


def test_parse_csv_with_and_without_bom() -> None:
    plain = parse_csv(EXPORT.encode())
    assert parse_csv(b"\xef\xbb\xbf" + EXPORT.encode()) == plain
    assert [(r.reads, r.likes, r.wows, r.shares, r.is_headline) for r in plain] == [
        (13075, 40, 0, 0, True),
        (2094, 9, 0, 0, True),
        (100001, 1200, 300, 5000, False),
    ]
    assert plain[0].title == "为大朗大井头6岁小男孩寻找a型rh阳性血!转起~"


def test_parse_csv_needs_only_the_required_columns() -> None:
    records = parse_csv("url,title,published_at\nhttps://x.cn/1,标题,2025-01-01 09:00\n".encode())
    assert (records[0].reads, records[0].is_headline) == (0, False)


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        (HEADER + "2014-12-18 11:30,标题,https://x.cn/1,1,many,0,0,0\n", ["rows[1].reads"]),
        (
            HEADER
            + "2014-12-18 11:30,标题,https://x.cn/1,1,1,0,0,0\n"
            + "2014-13-18 11:30,,ftp://x.cn/2,maybe,1,-1,0,0\n",
            [
                "rows[2].published_at",
                "rows[2].title",
                "rows[2].url",
                "rows[2].is_headline",
                "rows[2].likes",
            ],
        ),
        (
            HEADER
            + "2014-12-18 11:30,a,https://x.cn/1,1,1,0,0,0\n"
            + "2014-12-19 11:30,b,https://x.cn/1,1,1,0,0,0\n",
            ["rows[2].url"],
        ),
        (HEADER + "2014-12-18 11:30,a,https://x.cn/1,1,1,0,0,0,extra\n", ["rows[1]"]),
        ("published_at,title,link\n2014-12-18,a,https://x.cn/1\n", ["header"]),
        (HEADER, ["body"]),
    ],
)
def test_parse_csv_names_row_and_column_of_each_error(body: str, fields: list[str]) -> None:
    with pytest.raises(ImportRejected) as caught:
        parse_csv(body.encode())
    assert [e["field"] for e in caught.value.errors] == fields


def test_a_bad_row_error_says_which_row_and_column_in_chinese() -> None:
    with pytest.raises(ImportRejected) as caught:
        parse_csv((HEADER + "2014-12-18 11:30,标题,https://x.cn/1,1,many,0,0,0\n").encode())
    error = caught.value.errors[0]
    assert (error["row"], error["column"]) == (1, "reads")
    assert "第 1 行 reads 列" in caught.value.detail


def test_parse_json() -> None:
    records = parse_json(
        b'[{"published_at": "2014-12-18 11:30", "title": "t", "url": "https://x.cn/1",'
        b' "is_headline": true, "reads": "10\xe4\xb8\x87+", "likes": 40}]'
    )
    assert (records[0].reads, records[0].likes, records[0].is_headline) == (100001, 40, True)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b"{}", "body"),
        (b"[1]", "rows[1]"),
        (b'[{"published_at": "2014-12-18", "title": "t", "url": "https://x.cn/1", "read": 1}]',
         "rows[1].read"),
        (b"not json", "body"),
        (b"[" * 100_000 + b"]" * 100_000, "body"),  # deeper than Python's parser goes
    ],
)  # fmt: skip
def test_parse_json_rejects(body: bytes, field: str) -> None:
    with pytest.raises(ImportRejected) as caught:
        parse_json(body)
    assert caught.value.errors[0]["field"] == field


def test_import_upserts_by_url_and_snapshots_every_import(
    client: TestClient, migrated_database_url: str
) -> None:
    path = "/v1/accounts/lxdl/articles/import"
    first = client.post(path, content=EXPORT.encode("utf-8-sig"), headers=staff() | CSV_TYPE)
    assert first.status_code == 200, first.text
    assert first.json() == {"created": 3, "updated": 0, "snapshots": 3}

    updated = EXPORT.replace("13075,40", "13100,41")
    again = client.post(path, content=updated.encode(), headers=staff() | CSV_TYPE)
    assert again.json() == {"created": 0, "updated": 3, "snapshots": 3}
    assert count_rows(migrated_database_url, ArticleSnapshot) == 6

    items = client.get("/v1/accounts/lxdl/articles").json()["items"]
    assert [i["url"][-2:] for i in items] == ["a2", "a3", "a1"]  # newest first
    first_article = items[-1]
    assert first_article["published_at"] == "2014-12-18T11:30:00+08:00"
    assert (first_article["reads"], first_article["likes"]) == (13100, 41)
    assert items[1]["reads"] == 100001
    assert count_rows(migrated_database_url, AuditEntry) == 2


def test_import_accepts_json(client: TestClient) -> None:
    body = [
        {
            "published_at": "2025-03-01T16:05:00+08:00",
            "title": "东莞天气：3月1日天气预报",
            "url": "https://mp.weixin.qq.com/s/w1",
            "is_headline": True,
            "reads": 4012,
            "likes": 12,
        }
    ]
    response = client.post("/v1/accounts/dgtq/articles/import", json=body, headers=staff())
    assert response.json() == {"created": 1, "updated": 0, "snapshots": 1}


def test_a_bad_row_is_a_422_naming_row_and_column_and_nothing_is_imported(
    client: TestClient,
) -> None:
    body = EXPORT + "2014-12-20 10:00,标题,https://mp.weixin.qq.com/s/a4,1,lots,0,0,0\r\n"
    response = client.post(
        "/v1/accounts/lxdl/articles/import", content=body.encode(), headers=staff() | CSV_TYPE
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert [(e["field"], e["row"], e["column"]) for e in problem["errors"]] == [
        ("rows[4].reads", 4, "reads")
    ]
    assert "第 4 行 reads 列" in problem["detail"]
    assert client.get("/v1/accounts/lxdl/articles").json()["total"] == 0


@pytest.mark.parametrize(
    ("caller", "status"),
    [
        (None, 401),
        (("c-1", [], "citizen"), 403),
        (("staff-2", ["forecaster"], "staff"), 403),
        (("c-1", ["registry_admin"], "citizen"), 403),
    ],
)
def test_import_is_for_registry_admins(
    client: TestClient, caller: tuple[str, list[str], str] | None, status: int
) -> None:
    headers = {} if caller is None else mint_token("accounts", caller[0], caller[1], caller[2])
    response = client.post(
        "/v1/accounts/lxdl/articles/import", content=EXPORT.encode(), headers=headers | CSV_TYPE
    )
    assert response.status_code == status


@pytest.mark.slow
def test_import_problems(client: TestClient) -> None:
    unknown = client.post(
        "/v1/accounts/nope/articles/import", content=EXPORT.encode(), headers=staff() | CSV_TYPE
    )
    assert unknown.status_code == 404
    wrong_type = client.post(
        "/v1/accounts/lxdl/articles/import",
        content=EXPORT.encode(),
        headers=staff() | {"Content-Type": "text/plain"},
    )
    assert wrong_type.status_code == 415
    assert wrong_type.headers["content-type"] == "application/problem+json"
    too_big = client.post(
        "/v1/accounts/lxdl/articles/import",
        content=EXPORT.encode() + b"x" * (5 * 1024 * 1024),
        headers=staff() | CSV_TYPE,
    )
    assert too_big.status_code == 413


@pytest.mark.slow
def test_articles_are_filtered_by_local_days_and_paged(client: TestClient) -> None:
    client.post(
        "/v1/accounts/lxdl/articles/import", content=EXPORT.encode(), headers=staff() | CSV_TYPE
    )

    def urls(**params: str) -> list[str]:
        body = client.get("/v1/accounts/lxdl/articles", params=params).json()
        assert body["total"] == len(body["items"]) or "limit" in params
        return [i["url"][-2:] for i in body["items"]]

    assert urls(**{"from": "2014-12-19"}) == ["a2", "a3"]
    assert urls(to="2014-12-18") == ["a1"]
    assert urls(**{"from": "2014-12-18", "to": "2014-12-18"}) == ["a1"]
    assert urls(limit="1", offset="1") == ["a3"]
    assert client.get("/v1/accounts/nope/articles").status_code == 404
    reversed_range = client.get(
        "/v1/accounts/lxdl/articles", params={"from": "2014-12-19", "to": "2014-12-18"}
    )
    assert reversed_range.status_code == 422
    assert [e["field"] for e in reversed_range.json()["errors"]] == ["from"]
    bad_date = client.get("/v1/accounts/lxdl/articles", params={"to": "2014-02-30"})
    assert [e["field"] for e in bad_date.json()["errors"]] == ["to"]
