import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from servicekit.testing import mint_token


def admin(request_id: str | None = None) -> dict[str, str]:
    """Headers of a registry admin, minted now: internal tokens live 60 s at most."""
    headers = mint_token("accounts", "staff-lin", ["registry_admin"], kind="staff")
    return headers | ({"X-Request-ID": request_id} if request_id else {})


RULE_FIELDS = [
    "position",
    "match",
    "patterns",
    "reply_type",
    "reply_text",
    "articles",
    "intent",
    "params",
]
# Keys deliberately not in WeChat's documented order, and every kind of button.
MENU = {
    "button": [
        {
            "sub_button": [
                {"key": "WEATHER_TODAY", "name": "今日天气", "type": "click"},
                {"type": "view", "name": "东莞政府网", "url": "https://www.dg.gov.cn/?a=1&b=2"},
                {
                    "type": "miniprogram",
                    "name": "小程序",
                    "url": "https://www.dg.gov.cn/",
                    "appid": "wx286b93c14bbf93aa",
                    "pagepath": "pages/index?x=1",
                },
                {"type": "location_select", "name": "发送位置", "key": "LOC"},
                {"type": "media_id", "name": "图片", "media_id": "MEDIA_ID_1"},
            ],
            "name": "天气预报",
        },
        {"type": "scancode_push", "name": "扫一扫", "key": "SCAN"},
        {"type": "click", "name": "AB天气预报", "key": "K" * 128},
    ]
}


def audit(client: TestClient, **params: str) -> list[dict[str, Any]]:
    return client.get("/v1/audit", params={"limit": 100, **params}, headers=admin()).json()["items"]


def test_chat_config_contract(registry_client: TestClient) -> None:
    response = registry_client.get("/v1/accounts/lxdl/chat-config")
    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["account_code", "menu", "welcome_text", "keyword_rules"]
    assert body["account_code"] == "lxdl"
    assert body["welcome_text"].startswith("欢迎关注荔香大朗")
    assert [b["name"] for b in body["menu"]["button"]] == ["最新推送", "便民服务"]
    rules = body["keyword_rules"]
    assert [r["position"] for r in rules] == list(range(len(rules)))
    assert all(list(rule) == RULE_FIELDS for rule in rules)
    phone = next(r for r in rules if r["match"] == "regex" and r["intent"])
    assert phone == {
        "position": phone["position"],
        "match": "regex",
        "patterns": ["社保.*(电话|号码)", "(电话|号码).*社保"],
        "reply_type": "intent",
        "reply_text": None,
        "articles": None,
        "intent": "socialsec.office_phone",
        "params": {"town": "dalang"},
    }


def test_an_account_without_chat_configuration(registry_client: TestClient) -> None:
    body = registry_client.get("/v1/accounts/dgbj/chat-config").json()
    assert body == {"account_code": "dgbj", "menu": None, "welcome_text": "", "keyword_rules": []}
    response = registry_client.get("/v1/accounts/dgbj/menu")
    assert response.status_code == 404 and "尚未配置自定义菜单" in response.json()["detail"]


@pytest.mark.parametrize("path", ["/v1/accounts/nope/chat-config", "/v1/accounts/nope/menu"])
def test_unknown_account_is_404(registry_client: TestClient, path: str) -> None:
    response = registry_client.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


def test_chat_config_is_public(registry_client: TestClient) -> None:
    assert registry_client.get("/v1/accounts/dgtq/chat-config").status_code == 200
    assert registry_client.get("/v1/accounts/dgtq/menu").status_code == 200


def test_a_valid_menu_round_trips_unchanged(registry_client: TestClient) -> None:
    before = registry_client.get("/v1/accounts/dgtq/menu").json()
    response = registry_client.put("/v1/accounts/dgtq/menu", json=MENU, headers=admin("req-menu-1"))
    assert response.status_code == 200, response.text
    stored = registry_client.get("/v1/accounts/dgtq/menu")
    for answer in (response, stored):
        # Same JSON, same key order: what WeChat gets is exactly what the admin wrote.
        assert json.dumps(answer.json(), ensure_ascii=False) == json.dumps(MENU, ensure_ascii=False)
    assert registry_client.get("/v1/accounts/dgtq/chat-config").json()["menu"] == MENU

    [entry] = audit(registry_client, entity="menu", entity_id="dgtq")
    assert (entry["action"], entry["actor"], entry["request_id"]) == (
        "set_menu",
        "staff-lin",
        "req-menu-1",
    )
    assert entry["changes"] == {"menu": [before, MENU]}


@pytest.mark.parametrize(
    ("menu", "field", "message"),
    [
        (
            {"button": [{"type": "click", "name": f"菜单{i}", "key": f"K{i}"} for i in range(4)]},
            "button",
            "最多 3 个一级菜单",
        ),
        (
            {"button": [{"type": "click", "name": "天气预报查询", "key": "K"}]},
            "button[0].name",
            "一级菜单名称不能超过 16 字节",
        ),
        (
            {"button": [{"name": "天气", "sub_button": [{"type": "view", "name": "官网"}]}]},
            "button[0].sub_button[0].url",
            "view 类型的菜单须填写 url",
        ),
    ],
)
def test_an_invalid_menu_is_a_422_naming_the_field(
    registry_client: TestClient, menu: dict[str, Any], field: str, message: str
) -> None:
    before = registry_client.get("/v1/accounts/dgtq/menu").json()
    response = registry_client.put("/v1/accounts/dgtq/menu", json=menu, headers=admin())
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert [e["field"] for e in problem["errors"]] == [field]
    assert problem["errors"][0]["message"].startswith(message)
    assert problem["detail"].startswith("自定义菜单不符合微信的限制")
    assert registry_client.get("/v1/accounts/dgtq/menu").json() == before
    assert audit(registry_client) == []


def test_a_menu_body_must_be_an_object(registry_client: TestClient) -> None:
    response = registry_client.put("/v1/accounts/dgtq/menu", json=[1], headers=admin())
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"


def test_the_same_menu_twice_is_recorded_once(registry_client: TestClient) -> None:
    for _ in range(2):
        assert (
            registry_client.put("/v1/accounts/gxhk/menu", json=MENU, headers=admin()).status_code
            == 200
        )
    assert len(audit(registry_client, entity="menu")) == 1


def test_a_menu_for_an_account_without_configuration(registry_client: TestClient) -> None:
    assert (
        registry_client.put("/v1/accounts/dgbj/menu", json=MENU, headers=admin()).status_code == 200
    )
    assert registry_client.get("/v1/accounts/dgbj/menu").json() == MENU
    config = registry_client.get("/v1/accounts/dgbj/chat-config").json()
    assert (config["welcome_text"], config["keyword_rules"]) == ("", [])


def test_replace_keyword_rules(registry_client: TestClient) -> None:
    rules = [
        {
            "match": "exact",
            "patterns": ["WEATHER_TODAY"],
            "reply_type": "intent",
            "intent": "weather.today",
        },
        {
            "match": "contains",
            "patterns": ["你好", "您好"],
            "reply_type": "text",
            "reply_text": "您好！",
        },
        {
            "match": "regex",
            "patterns": ["^新闻"],
            "reply_type": "news",
            "articles": [{"title": "东莞社保卡可提取住房公积金", "url": "https://www.dg.gov.cn/a"}],
        },
        {
            "match": "regex",
            "patterns": ["雨伞"],
            "reply_type": "intent",
            "intent": "weather.index",
            "params": {"kind": "umbrella", "location": "humen"},
        },
    ]
    old = registry_client.get("/v1/accounts/dgtq/chat-config").json()["keyword_rules"]
    response = registry_client.put(
        "/v1/accounts/dgtq/keyword-rules",
        json={"rules": rules},
        headers=admin("req-rules-1"),
    )
    assert response.status_code == 200, response.text
    stored = registry_client.get("/v1/accounts/dgtq/chat-config").json()["keyword_rules"]
    assert response.json() == {"rules": stored}
    assert [r["position"] for r in stored] == [0, 1, 2, 3]
    assert stored[0]["params"] == {} and stored[0]["reply_text"] is None
    assert stored[2]["articles"] == [
        {
            "title": "东莞社保卡可提取住房公积金",
            "description": None,
            "url": "https://www.dg.gov.cn/a",
            "picurl": None,
        }
    ]
    assert stored[3]["params"] == {"kind": "umbrella", "location": "humen"}

    [entry] = audit(registry_client, entity="keyword_rules")
    assert (entry["entity_id"], entry["action"], entry["request_id"]) == (
        "dgtq",
        "set_keyword_rules",
        "req-rules-1",
    )
    assert entry["changes"] == {"rules": [old, stored]}


def test_rules_read_from_chat_config_can_be_written_back_unchanged(
    registry_client: TestClient,
) -> None:
    rules = registry_client.get("/v1/accounts/dgjj/chat-config").json()["keyword_rules"]
    response = registry_client.put(
        "/v1/accounts/dgjj/keyword-rules", json={"rules": rules}, headers=admin()
    )
    assert response.status_code == 200 and response.json() == {"rules": rules}
    assert audit(registry_client) == []


def test_an_empty_list_clears_the_rules(registry_client: TestClient) -> None:
    response = registry_client.put(
        "/v1/accounts/dgjj/keyword-rules", json={"rules": []}, headers=admin()
    )
    assert response.json() == {"rules": []}
    assert registry_client.get("/v1/accounts/dgjj/chat-config").json()["keyword_rules"] == []


@pytest.mark.parametrize(
    ("rules", "field"),
    [
        (
            [
                {"match": "exact", "patterns": ["A"], "reply_type": "text", "reply_text": "a"},
                {
                    "match": "regex",
                    "patterns": ["(未闭合"],
                    "reply_type": "text",
                    "reply_text": "b",
                },
            ],
            "rules[1].patterns[0]",
        ),
        (
            [
                {
                    "match": "regex",
                    "patterns": ["天气"],
                    "reply_type": "intent",
                    "intent": "weather.tomorrow",
                }
            ],
            "rules[0].intent",
        ),
        (
            [
                {
                    "match": "regex",
                    "patterns": ["伞"],
                    "reply_type": "intent",
                    "intent": "weather.index",
                }
            ],
            "rules[0].params.kind",
        ),
        (
            [{"match": "fuzzy", "patterns": ["天气"], "reply_type": "text", "reply_text": "a"}],
            "rules[0].match",
        ),
        (
            [{"match": "exact", "patterns": [], "reply_type": "text", "reply_text": "a"}],
            "rules[0].patterns",
        ),
        ([{"match": "exact", "patterns": ["A"], "reply_type": "text"}], "rules[0].reply_text"),
        (
            [{"match": "exact", "patterns": ["A"], "reply_type": "news", "articles": []}],
            "rules[0].articles",
        ),
    ],
)
def test_invalid_rules_are_a_422_naming_the_field(
    registry_client: TestClient, rules: list[dict[str, Any]], field: str
) -> None:
    before = registry_client.get("/v1/accounts/dgjj/chat-config").json()["keyword_rules"]
    response = registry_client.put(
        "/v1/accounts/dgjj/keyword-rules", json={"rules": rules}, headers=admin()
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert [e["field"] for e in problem["errors"]] == [field]
    assert problem["detail"].startswith("关键词规则无效")
    assert registry_client.get("/v1/accounts/dgjj/chat-config").json()["keyword_rules"] == before
    assert audit(registry_client) == []


def test_set_the_welcome_text(registry_client: TestClient) -> None:
    old = registry_client.get("/v1/accounts/dgsb/chat-config").json()["welcome_text"]
    response = registry_client.put(
        "/v1/accounts/dgsb/welcome", json={"welcome_text": "欢迎关注东莞社保。"}, headers=admin()
    )
    assert response.status_code == 200 and response.json() == {"welcome_text": "欢迎关注东莞社保。"}
    assert (
        registry_client.get("/v1/accounts/dgsb/chat-config").json()["welcome_text"]
        == "欢迎关注东莞社保。"
    )
    [entry] = audit(registry_client, entity="welcome", entity_id="dgsb")
    assert entry["changes"] == {"welcome_text": [old, "欢迎关注东莞社保。"]}


def test_a_welcome_text_too_long_is_a_422(registry_client: TestClient) -> None:
    response = registry_client.put(
        "/v1/accounts/dgsb/welcome", json={"welcome_text": "字" * 601}, headers=admin()
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["welcome_text"]


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/accounts/dgds/menu", MENU),
        ("/v1/accounts/dgds/keyword-rules", {"rules": []}),
        ("/v1/accounts/dgds/welcome", {"welcome_text": "你好"}),
    ],
)
def test_a_retired_account_chat_cannot_be_changed(
    registry_client: TestClient, path: str, body: dict[str, Any]
) -> None:
    response = registry_client.put(path, json=body, headers=admin())
    assert response.status_code == 409 and "已停用" in response.json()["detail"]


@pytest.mark.parametrize(
    ("path", "body"),
    [("menu", MENU), ("keyword-rules", {"rules": []}), ("welcome", {"welcome_text": "你好"})],
)
def test_chat_writes_to_an_unknown_account_are_404(
    registry_client: TestClient, path: str, body: dict[str, Any]
) -> None:
    response = registry_client.put(f"/v1/accounts/nope/{path}", json=body, headers=admin())
    assert response.status_code == 404 and "未找到公众号" in response.json()["detail"]


def test_the_intent_catalogue_is_published(registry_client: TestClient) -> None:
    intents = {i["intent"]: i for i in registry_client.get("/v1/chat-intents").json()}
    assert "socialsec.office_phone" in intents and "accounts.latest_articles" in intents
    assert {k: intents["traffic.violations"][k] for k in ("service", "name")} == {
        "service": "traffic",
        "name": "violations",
    }
    assert registry_client.get("/v1/chat-handlers").status_code == 404
    kind = next(p for p in intents["weather.index"]["params"] if p["name"] == "kind")
    assert kind["required"] and {"umbrella", "outing"} <= set(kind["choices"])


def test_the_contract_is_documented_in_openapi(registry_client: TestClient) -> None:
    paths = registry_client.get("/openapi.json").json()["paths"]
    chat_config = paths["/v1/accounts/{code}/chat-config"]["get"]
    assert "keyword_rules" in chat_config["description"] and "exact" in chat_config["description"]
    assert "16 字节" in paths["/v1/accounts/{code}/menu"]["put"]["description"]
    body = paths["/v1/accounts/{code}/keyword-rules"]["put"]["requestBody"]
    assert body["content"]["application/json"]["schema"]["$ref"].endswith("/KeywordRules")
