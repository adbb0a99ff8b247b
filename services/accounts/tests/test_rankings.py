"""Rankings: periods, the composite, ordering and rank changes, and the article's 2014 figures."""

from collections.abc import Iterator
from datetime import date

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import select
from sqlmodel import Session

from accounts.main import create_app
from accounts.models import Account
from accounts.rankings import (
    CompositeInput,
    CompositeWeights,
    Window,
    composite_scores,
    period_window,
)
from accounts.settings import AccountsSettings
from servicekit.db import make_engine
from servicekit.settings import SharedSettings
from servicekit.testing import mint_token


def staff() -> dict[str, str]:
    """A registry admin's token, minted per request: tokens live at most 60 s."""
    return mint_token("accounts", "staff-1", roles=["registry_admin"], kind="staff")


HEADER = "published_at,title,url,is_headline,reads,likes,wows,shares\n"


def make_client(url: str, **settings: float) -> TestClient:
    return TestClient(
        create_app(AccountsSettings(database_url=url, shared=SharedSettings(env="dev"), **settings))
    )


@pytest.fixture
def client(registry_only_database_url: str) -> Iterator[TestClient]:
    """The app on the registry alone: these tests import the articles they rank."""
    with make_client(registry_only_database_url) as test_client:
        yield test_client


@pytest.fixture
def seeded(seeded_database_url: str) -> Iterator[TestClient]:
    """The app on the full demo seed, statistics included."""
    with make_client(seeded_database_url) as test_client:
        yield test_client


def active_codes(url: str) -> list[str]:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            query = select(Account.code).where(Account.status == "active").order_by(Account.code)
            return list(session.execute(query).scalars())
    finally:
        engine.dispose()


def push(client: TestClient, code: str, day: str, reads: int, likes: int = 0) -> None:
    """Import one headline article of the account on a day."""
    row = f"{day} 10:00,标题,https://mp.weixin.qq.com/s/{code}-{day},1,{reads},{likes},0,0\n"
    response = client.post(
        f"/v1/accounts/{code}/articles/import",
        content=(HEADER + row).encode(),
        headers=staff() | {"Content-Type": "text/csv"},
    )
    assert response.status_code == 200, response.text


def ranking(client: TestClient, **params: str) -> dict:
    response = client.get("/v1/rankings", params=params)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize(
    ("period", "start", "days"),
    [
        ("day", date(2014, 12, 18), 1),
        ("week", date(2014, 12, 12), 7),
        ("month", date(2014, 11, 19), 30),
        ("half-year", date(2014, 6, 20), 182),
    ],
)
def test_a_period_ends_on_its_date(period: str, start: date, days: int) -> None:
    window = period_window(period=period, on=date(2014, 12, 18))  # type: ignore[arg-type]
    assert (window.start, window.end, window.days) == (start, date(2014, 12, 18), days)
    before = window.before()
    assert before.days == days and (window.start - before.end).days == 1


def test_composite_parts() -> None:
    inputs = {
        "big": CompositeInput(
            reads=7000, interactions=70, followers=100_000, has_menu=True, active_weeks=1
        ),
        "lively": CompositeInput(
            reads=900, interactions=100, followers=5_000, has_menu=False, active_weeks=1
        ),
        "menu": CompositeInput(reads=0, interactions=0, followers=0, has_menu=True, active_weeks=0),
    }
    scores = composite_scores(inputs=inputs, days=7, weights=CompositeWeights())
    big, lively, menu = (scores[code][1] for code in ("big", "lively", "menu"))
    assert big.reach == 100 and 0 < lively.reach < 100 and menu.reach == 0
    # (likes + 在看 + shares) / (reads + 100): 100/1000 beats 70/7100.
    assert lively.interaction == 100
    assert big.interaction == pytest.approx(100 * (70 / 7100) / (100 / 1000))
    assert (big.service, lively.service, menu.service) == (100, 50, 50)
    assert scores["menu"][0] == pytest.approx(0.35 * 50)
    assert scores["big"][0] == pytest.approx(0.30 * 100 + 0.35 * 100 + 0.35 * big.interaction)


def test_composite_service_counts_the_share_of_weeks_with_a_push() -> None:
    monthly = CompositeInput(reads=1, interactions=0, followers=0, has_menu=False, active_weeks=2)
    scores = composite_scores(inputs={"a": monthly}, days=28, weights=CompositeWeights())
    assert scores["a"][1].service == 25  # 2 of 4 weeks


def test_composite_of_nothing_is_zero() -> None:
    idle = CompositeInput(reads=0, interactions=0, followers=0, has_menu=False, active_weeks=0)
    assert composite_scores(inputs={"a": idle}, days=1, weights=CompositeWeights())["a"][0] == 0


def test_weights_must_add_up_to_one() -> None:
    with pytest.raises(ValidationError):
        AccountsSettings(composite_reach_weight=0.5, shared=SharedSettings(env="dev"))


def test_rank_change_against_the_previous_period(client: TestClient) -> None:
    push(client, "dgjj", "2025-03-01", 1000)
    push(client, "dgtq", "2025-03-01", 500)
    push(client, "lxdl", "2025-03-02", 3000)
    push(client, "dgtq", "2025-03-02", 2000)
    push(client, "dgjj", "2025-03-02", 100)
    body = ranking(client, period="day", date="2025-03-02")
    assert (body["start"], body["end"], body["days"]) == ("2025-03-02", "2025-03-02", 1)
    assert (body["previous_start"], body["previous_end"]) == ("2025-03-01", "2025-03-01")
    top = [(i["code"], i["rank"], i["previous_rank"], i["rank_change"]) for i in body["items"][:3]]
    assert top == [("lxdl", 1, None, None), ("dgtq", 2, 2, 0), ("dgjj", 3, 1, -2)]
    # Moving up is positive: the next day dgjj climbs back.
    push(client, "dgjj", "2025-03-03", 5000)
    after = ranking(client, period="day", date="2025-03-03")["items"][0]
    assert (after["code"], after["rank"], after["rank_change"]) == ("dgjj", 1, 2)


def test_every_active_account_is_ranked_and_ties_go_by_code(
    client: TestClient, registry_only_database_url: str
) -> None:
    push(client, "dgsb", "2025-03-02", 800, 5)
    push(client, "dggs", "2025-03-02", 800, 5)
    body = ranking(client, period="week", date="2025-03-07")
    codes = [i["code"] for i in body["items"]]
    active = active_codes(registry_only_database_url)
    assert sorted(codes) == active and body["total"] == len(active)
    assert codes[:2] == ["dggs", "dgsb"]  # same figures, same score: by code
    # Accounts without articles follow, by code, with nothing to compare with.
    assert codes[2:] == sorted(codes[2:])
    assert all(i["score"] == 0 and i["rank_change"] is None for i in body["items"][2:])
    assert [i["rank"] for i in body["items"]] == list(range(1, len(codes) + 1))


def test_totals_show_what_the_score_came_from(client: TestClient) -> None:
    push(client, "lxdl", "2025-03-02", 3000, 12)
    push(client, "lxdl", "2025-03-05", 1000, 4)
    item = ranking(client, period="week", date="2025-03-07", formula="wci-v2")["items"][0]
    assert item["code"] == "lxdl" and item["components"] is None
    assert item["totals"] | {"followers": None} == {
        "days": 7,
        "articles": 2,
        "pushes": 2,
        "reads": 4000,
        "likes": 16,
        "wows": 0,
        "shares": 0,
        "max_reads": 3000,
        "max_likes": 12,
        "max_wows": 0,
        "max_shares": 0,
        "headline_reads": 4000,
        "headline_likes": 16,
        "headline_wows": 0,
        "headline_shares": 0,
        "followers": None,
    }
    assert item["totals"]["followers"] == 7000  # the registry's figure: no daily counts here


@pytest.mark.slow
def test_composite_weights_come_from_settings(registry_only_database_url: str) -> None:
    with make_client(
        registry_only_database_url,
        composite_reach_weight=1,
        composite_service_weight=0,
        composite_interaction_weight=0,
    ) as client:
        push(client, "lxdl", "2025-03-02", 3000, 12)
        items = ranking(client, period="week", date="2025-03-07", formula="composite")["items"]
    assert all(i["score"] == pytest.approx(i["components"]["reach"], abs=1e-4) for i in items)
    assert items[0]["components"]["reach"] == 100


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"period": "year"}, "period"),
        ({"date": "2014-13-01"}, "date"),
        ({"date": "yesterday"}, "date"),
        ({"formula": "wci-v99"}, "formula"),
    ],
)
def test_bad_parameters_are_a_422_naming_the_field(
    client: TestClient, params: dict[str, str], field: str
) -> None:
    response = client.get("/v1/rankings", params=params)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in response.json()["errors"]] == [field]


@pytest.mark.slow
def test_the_day_ranking_of_2014_12_18_shows_the_articles_figures(seeded: TestClient) -> None:
    body = ranking(seeded, period="day", date="2014-12-18")
    top = body["items"][0]
    assert (top["code"], top["name"], top["rank"]) == ("lxdl", "荔香大朗", 1)
    assert (top["totals"]["reads"], top["totals"]["likes"]) == (13075, 40)
    assert top["score"] == pytest.approx(802.0721, abs=1e-4)  # WCI v13 of that one article
    weather = next(i for i in body["items"] if i["code"] == "dgtq")
    assert (weather["rank"], weather["totals"]["articles"]) == (2, 1)
    assert 3300 <= weather["totals"]["reads"] <= 4700
    # The week ending 2014-12-20 holds 东莞天气's best bulletin, 7029 reads.
    week = ranking(seeded, period="week", date="2014-12-20")
    assert next(i for i in week["items"] if i["code"] == "dgtq")["totals"]["max_reads"] == 7029


@pytest.mark.slow
def test_the_week_ranking_lists_every_active_account_with_rank_and_change(
    seeded: TestClient, seeded_database_url: str
) -> None:
    active = active_codes(seeded_database_url)
    for formula in ("wci-v13", "wci-v2", "wci-v14.2", "composite"):
        body = ranking(seeded, formula=formula)  # default: the week ending today
        assert (body["period"], body["formula"], body["days"]) == ("week", formula, 7)
        items = body["items"]
        assert sorted(i["code"] for i in items) == active and body["total"] == len(active)
        assert [i["rank"] for i in items] == list(range(1, len(items) + 1))
        keys = [(-i["score"], -i["totals"]["reads"], i["code"]) for i in items]
        assert keys == sorted(keys)
        assert all("rank_change" in i for i in items)
        assert any(i["rank_change"] is not None for i in items)
        assert all(
            i["rank_change"] == i["previous_rank"] - i["rank"]
            for i in items
            if i["previous_rank"] is not None
        )
        assert all((i["components"] is None) == (formula != "composite") for i in items)
    menu_only = next(i for i in items if i["code"] == "dgtj")
    assert menu_only["totals"]["articles"] == 0
    assert menu_only["components"]["service"] == 50  # its menu, and no push


def test_window_before_is_contiguous() -> None:
    window = Window(start=date(2025, 1, 1), end=date(2025, 1, 30))
    assert window.before() == Window(start=date(2024, 12, 2), end=date(2024, 12, 31))
