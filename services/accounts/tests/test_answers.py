"""Accounts' chat answers (servicekit.answers): the account's latest articles."""

import json
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from accounts.answers import NO_ARTICLES
from servicekit.testing import mint_token, service_headers


def gateway() -> dict[str, str]:
    """The gateway's service token, minted per request: tokens live at most 60 s."""
    return service_headers("gateway", "accounts")


def import_articles(client: TestClient, code: str, articles: list[dict[str, str]]) -> None:
    staff = mint_token("accounts", "staff-1", roles=["registry_admin"], kind="staff")
    response = client.post(
        f"/v1/accounts/{code}/articles/import",
        content=json.dumps(articles).encode(),
        headers=staff | {"Content-Type": "application/json"},
    )
    assert response.status_code == 200, response.text


def ask(client: TestClient, name: str, account: str = "lxdl") -> dict[str, Any]:
    response = client.post(
        f"/v1/internal/answers/{name}",
        json={"account": account, "text": "ACCOUNT_ARTICLES", "menu_click": True},
        headers=gateway(),
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_the_latest_five_articles_newest_first_as_a_news_answer(
    registry_client: TestClient,
) -> None:
    import_articles(
        registry_client,
        "lxdl",
        [
            {
                "published_at": f"2026-11-{day:02d}T08:00:00+08:00",
                "title": f"大朗要闻 {day}",
                "url": f"https://mp.weixin.qq.com/s/lx{day}",
            }
            for day in range(1, 8)
        ],
    )
    import_articles(
        registry_client,
        "dgtq",
        [{"published_at": "2026-11-30", "title": "天气", "url": "https://mp.weixin.qq.com/s/t"}],
    )
    answer = ask(registry_client, "latest_articles")
    assert answer["text"] == "" and not answer["personal"] and not answer["needs_citizen"]
    assert [(a["title"], a["url"]) for a in answer["articles"]] == [
        (f"大朗要闻 {day}", f"https://mp.weixin.qq.com/s/lx{day}") for day in range(7, 2, -1)
    ]


def test_old_articles_are_still_the_latest_whatever_their_date(
    registry_client: TestClient,
) -> None:
    # 莞香花开 asked with only the source article's December 2014 pushes: they are its latest.
    import_articles(
        registry_client,
        "gxhk",
        [
            {"published_at": "2014-12-18 16:00", "title": "东莞可园", "url": "https://x.cn/1"},
            {"published_at": "2014-12-20 09:30", "title": "莞香花开", "url": "https://x.cn/2"},
        ],
    )
    answer = ask(registry_client, "latest_articles", "gxhk")
    assert [a["title"] for a in answer["articles"]] == ["莞香花开", "东莞可园"]


def test_a_long_title_is_cut_to_what_a_news_card_holds(registry_client: TestClient) -> None:
    title = "荔" * 200
    import_articles(
        registry_client,
        "lxdl",
        [{"published_at": "2026-11-30", "title": title, "url": "https://mp.weixin.qq.com/s/x"}],
    )
    assert ask(registry_client, "latest_articles")["articles"][0]["title"] == title[:128]


@pytest.mark.parametrize("account", ["lxdl", "nope"])
def test_no_articles_is_a_short_text(registry_client: TestClient, account: str) -> None:
    answer = ask(registry_client, "latest_articles", account)
    assert answer["text"] == NO_ARTICLES == "暂时还没有最近推送的文章，敬请关注。"
    assert answer["articles"] == []


def test_an_intent_not_served_is_a_404_problem(registry_client: TestClient) -> None:
    response = registry_client.post(
        "/v1/internal/answers/weather_today", json={"account": "lxdl"}, headers=gateway()
    )
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


def test_the_catalogue_names_the_served_intents(registry_client: TestClient) -> None:
    response = registry_client.get("/v1/internal/answers", headers=gateway())
    assert response.json() == {
        "service": "accounts",
        "intents": [{"name": "latest_articles", "citizen": "none"}],
    }


# Headers are minted when the test runs: internal tokens live at most 60 s.
@pytest.mark.parametrize(
    ("headers", "status"),
    [
        (dict, 401),
        (lambda: mint_token("accounts", "c-1"), 403),
        (lambda: mint_token("accounts", "staff-1", roles=["registry_admin"], kind="staff"), 403),
        (lambda: service_headers("traffic", "accounts"), 403),
    ],
)
def test_answers_take_the_gateways_service_token(
    registry_client: TestClient, headers: Callable[[], dict[str, str]], status: int
) -> None:
    for method, path in [
        ("POST", "/v1/internal/answers/latest_articles"),
        ("GET", "/v1/internal/answers"),
    ]:
        response = registry_client.request(
            method, path, json={"account": "lxdl"}, headers=headers()
        )
        assert response.status_code == status
