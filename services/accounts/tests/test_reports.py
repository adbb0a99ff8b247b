"""The operations report: flags, follower growth, and its JSON, CSV and PNG forms."""

import csv
import io
import struct
from collections.abc import Iterator
from datetime import date, datetime

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from accounts import report_chart
from accounts.main import create_app
from accounts.models import FollowerCount
from accounts.report_chart import chart_text, render_png
from accounts.reports import CSV_HEADER, OperationsReport, OperationsRow, flags_of, report_csv
from accounts.settings import AccountsSettings
from servicekit.cjk import CJKFontNotFound, find_cjk_font, missing_glyphs
from servicekit.db import make_engine
from servicekit.settings import SharedSettings
from servicekit.testing import mint_token, require


def staff() -> dict[str, str]:
    """A registry admin's token, minted per request: tokens live at most 60 s."""
    return mint_token("accounts", "staff-1", roles=["registry_admin"], kind="staff")


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def make_client(url: str) -> TestClient:
    return TestClient(
        create_app(AccountsSettings(database_url=url, shared=SharedSettings(env="dev")))
    )


@pytest.fixture
def client(registry_database_url: str) -> Iterator[TestClient]:
    """The registry and its chat configuration, without statistics: tests bring their own."""
    with make_client(registry_database_url) as test_client:
        yield test_client


@pytest.fixture
def seeded(seeded_database_url: str) -> Iterator[TestClient]:
    """The app on the full demo seed, statistics included."""
    with make_client(seeded_database_url) as test_client:
        yield test_client


def push(client: TestClient, code: str, day: str, reads: int, likes: int = 0) -> None:
    body = [
        {
            "published_at": f"{day} 10:00",
            "title": "标题",
            "url": f"https://mp.weixin.qq.com/s/{code}-{day}",
            "is_headline": True,
            "reads": reads,
            "likes": likes,
        }
    ]
    response = client.post(f"/v1/accounts/{code}/articles/import", json=body, headers=staff())
    assert response.status_code == 200, response.text


def cjk_font_or_skip(text: str):  # type: ignore[no-untyped-def]
    try:
        return find_cjk_font(text)
    except CJKFontNotFound:
        require("no CJK font")


@pytest.mark.parametrize(
    ("kind", "has_menu", "pushes", "last_push", "flags"),
    [
        ("service", True, 0, None, ["menu_driven"]),  # 东莞特检
        ("service", False, 0, None, ["no_push_30d"]),  # a service account with nothing at all
        ("subscription", True, 0, None, ["no_push_30d"]),
        (None, False, 0, None, ["no_push_30d"]),
        ("subscription", False, 5, date(2025, 5, 2), ["no_push_30d"]),  # 30 days before the end
        ("subscription", False, 5, date(2025, 5, 3), []),  # the first of the last 30 days
        ("service", True, 2, date(2025, 4, 1), ["no_push_30d"]),  # pushed, then went quiet
        ("service", True, 3, date(2025, 5, 31), []),
    ],
)
def test_flags(
    kind: str | None, has_menu: bool, pushes: int, last_push: date | None, flags: list[str]
) -> None:
    end = date(2025, 6, 1)
    got = flags_of(kind=kind, has_menu=has_menu, pushes=pushes, last_push=last_push, end=end)
    assert got == flags


def row(**fields: object) -> OperationsRow:
    defaults: dict[str, object] = dict.fromkeys(
        ("pushes", "push_days", "articles", "reads", "likes", "wows", "shares"), 0
    )
    defaults |= {
        "followers_start": None,
        "followers_end": None,
        "follower_growth": None,
        "pushes_per_week": 0.0,
        "last_push_at": None,
        "flags": [],
        "kind": None,
    }
    return OperationsRow.model_validate(defaults | fields)


def test_csv_has_a_bom_a_chinese_header_and_one_row_per_account() -> None:
    report = OperationsReport(
        start=date(2014, 12, 1),
        end=date(2014, 12, 31),
        days=31,
        total=2,
        items=[
            row(
                code="lxdl",
                name="荔香大朗",
                kind="subscription",
                pushes=14,
                reads=30000,
                likes=90,
                followers_start=7000,
                followers_end=7300,
                follower_growth=300,
                pushes_per_week=3.16,
                last_push_at=datetime.fromisoformat("2014-12-30T10:00:00+08:00"),
            ),
            row(code="dgtj", name="=东莞特检", kind="service", flags=["menu_driven"]),
        ],
    )
    text = report_csv(report)
    assert text.startswith("\ufeff账号代码,公众号,类型")
    assert "\r\n" in text  # the line ends spreadsheet software expects
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    assert rows[0] == list(CSV_HEADER)
    assert rows[1][:7] == ["lxdl", "荔香大朗", "订阅号", "14", "0", "0", "30000"]
    assert rows[1][10:] == ["7000", "7300", "300", "3.16", "2014-12-30 10:00", ""]
    # A name starting with "=" stays text; the flag reads in Chinese.
    assert rows[2][:3] == ["dgtj", "'=东莞特检", "服务号"]
    assert rows[2][-1] == "菜单服务型（无推送）"


def test_report_counts_pushes_growth_and_flags(
    client: TestClient, registry_database_url: str
) -> None:
    push(client, "lxdl", "2025-03-02", 3000, 12)
    push(client, "lxdl", "2025-05-20", 1000, 4)
    push(client, "dgtq", "2025-03-03", 4000, 9)
    engine = make_engine(registry_database_url)
    with Session(engine) as session:
        session.add(FollowerCount(account_code="lxdl", day=date(2025, 2, 20), followers=7000))
        session.add(FollowerCount(account_code="lxdl", day=date(2025, 5, 30), followers=7450))
        session.add(FollowerCount(account_code="dgtq", day=date(2025, 3, 10), followers=36100))
        session.commit()
    engine.dispose()
    response = client.get(
        "/v1/reports/operations", params={"from": "2025-03-01", "to": "2025-05-31"}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["start"], body["end"], body["days"]) == ("2025-03-01", "2025-05-31", 92)
    items = {i["code"]: i for i in body["items"]}
    lxdl, dgtq = items["lxdl"], items["dgtq"]
    assert (lxdl["pushes"], lxdl["push_days"], lxdl["articles"]) == (2, 2, 2)
    assert (lxdl["reads"], lxdl["likes"]) == (4000, 16)
    assert (lxdl["followers_start"], lxdl["followers_end"], lxdl["follower_growth"]) == (
        7000,
        7450,
        450,
    )
    assert lxdl["pushes_per_week"] == round(2 * 7 / 92, 2)
    assert lxdl["last_push_at"] == "2025-05-20T10:00:00+08:00"
    assert lxdl["flags"] == []
    # Counted only from the middle of the range: growth starts from its first count.
    assert (dgtq["followers_start"], dgtq["follower_growth"]) == (36100, 0)
    assert dgtq["flags"] == ["no_push_30d"]
    assert items["dgtj"]["flags"] == ["menu_driven"]
    # Without pushes, a service account with a menu serves through it; others are dormant.
    assert items["dgjj"]["flags"] == ["menu_driven"]
    assert items["gxhk"]["flags"] == ["no_push_30d"]
    assert [i["code"] for i in body["items"][:2]] == ["dgtq", "lxdl"]  # most read first


@pytest.mark.parametrize(
    ("params", "field"),
    [({"from": "2025-06-01", "to": "2025-05-01"}, "from"), ({"to": "2025-02-30"}, "to")],
)
def test_bad_ranges_are_a_422_naming_the_field(
    client: TestClient, params: dict[str, str], field: str
) -> None:
    for path in ("/v1/reports/operations", "/v1/reports/operations.csv"):
        response = client.get(path, params=params)
        assert response.status_code == 422
        assert [e["field"] for e in response.json()["errors"]] == [field]


@pytest.mark.slow
def test_the_half_year_report_as_json_csv_and_png(seeded: TestClient) -> None:
    body = seeded.get("/v1/reports/operations").json()  # default: the half year ending today
    assert body["days"] == 182
    items = {i["code"]: i for i in body["items"]}
    assert items["dgtj"]["flags"] == ["menu_driven"] and items["dgtj"]["pushes"] == 0
    assert items["dgtq"]["push_days"] >= 150 and items["dgtq"]["flags"] == []
    assert items["lxdl"]["follower_growth"] > 0
    assert all(i["pushes"] <= 4 * 7 for i in body["items"] if i["kind"] == "service")

    response = seeded.get("/v1/reports/operations.csv")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["content-disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:2] == ["账号代码", "公众号"]
    assert len(rows) - 1 == body["total"]
    assert sorted(r[0] for r in rows[1:]) == sorted(items)
    by_code = {r[0]: r for r in rows[1:]}
    assert by_code["lxdl"][1] == "荔香大朗" and by_code["dgtj"][1] == "东莞特检"
    assert by_code["dgtj"][-1] == "菜单服务型（无推送）"

    text = chart_text(OperationsReport.model_validate(body), top=10)
    font = cjk_font_or_skip(text.all_text())
    assert missing_glyphs(font, text.all_text()) == set()
    assert len(text.names) == 10 and text.reads == sorted(text.reads, reverse=True)
    png = seeded.get("/v1/reports/operations.png")
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    assert png.content.startswith(PNG_SIGNATURE)
    width, height = struct.unpack(">II", png.content[16:24])  # the IHDR chunk
    assert (width, height) == (900, int(100 * (1.2 + 0.45 * 10)))


def test_every_drawn_label_is_covered_by_the_chosen_font() -> None:
    report = OperationsReport(
        start=date(2014, 12, 1),
        end=date(2014, 12, 31),
        days=31,
        total=3,
        items=[
            row(code="lxdl", name="荔香大朗", reads=30000),
            row(code="dgtq", name="东莞天气", reads=120000),
            row(code="gxhk", name="莞香花开", reads=9000),
        ],
    )
    text = chart_text(report, top=2)
    assert text.names == ["东莞天气", "荔香大朗"]
    assert text.title == "阅读数前 2 名公众号（2014-12-01 至 2014-12-31）"
    font = cjk_font_or_skip(text.all_text())
    for label in (text.title, text.axis_label, *text.names):
        assert missing_glyphs(font, label) == set(), label
    png = render_png(text, font=font)
    assert png.startswith(PNG_SIGNATURE) and len(png) > 5000


def test_rendering_with_a_font_lacking_glyphs_is_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import matplotlib

    dejavu = f"{matplotlib.get_data_path()}/fonts/ttf/DejaVuSans.ttf"
    report = OperationsReport(
        start=date(2014, 12, 1), end=date(2014, 12, 31), days=31, total=1,
        items=[row(code="lxdl", name="荔香大朗", reads=1)],
    )  # fmt: skip
    with pytest.raises(ValueError, match="no glyph"):
        render_png(chart_text(report), font=dejavu)  # type: ignore[arg-type]


def test_without_a_cjk_font_the_png_is_a_503_in_chinese(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_font(_text: object) -> None:
        raise CJKFontNotFound("未找到中文字体，请安装 fonts-wqy-microhei")

    monkeypatch.setattr(report_chart, "find_cjk_font", no_font)
    response = client.get("/v1/reports/operations.png")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == "未找到中文字体，请安装 fonts-wqy-microhei"
