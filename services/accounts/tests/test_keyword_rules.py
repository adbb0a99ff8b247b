from typing import Any

import pytest

from accounts.chat_intents import INTENTS
from accounts.keyword_rules import (
    first_matching_rule,
    keyword_rules_errors,
    normalise_keyword_rules,
)


def text_rule(**overrides: Any) -> dict[str, Any]:
    return {
        "match": "contains",
        "patterns": ["你好"],
        "reply_type": "text",
        "reply_text": "您好",
    } | (overrides)


def intent_rule(intent: str = "weather.today", **params: str) -> dict[str, Any]:
    return {"match": "regex", "patterns": ["天气"], "reply_type": "intent", "intent": intent} | (
        {"params": params} if params else {}
    )


def news_rule(*articles: dict[str, Any]) -> dict[str, Any]:
    return {
        "match": "exact",
        "patterns": ["新闻"],
        "reply_type": "news",
        "articles": list(articles),
    }


ARTICLE = {"title": "东莞社保卡可提取住房公积金", "url": "https://www.dg.gov.cn/a"}

VALID: list[tuple[str, list[Any]]] = [
    ("no rules", []),
    ("text", [text_rule()]),
    ("exact", [text_rule(match="exact")]),
    ("regex", [text_rule(match="regex", patterns=["^违章", "路况|不堵"])]),
    ("2000-character text", [text_rule(reply_text="字" * 2000)]),
    ("one article", [news_rule(ARTICLE)]),
    ("eight articles", [news_rule(*[ARTICLE] * 8)]),
    (
        "article with every field",
        [news_rule(ARTICLE | {"description": "摘要", "picurl": "https://a.cn/p.jpg"})],
    ),
    ("intent without params", [intent_rule()]),
    ("intent with optional param", [intent_rule(location="dalang")]),
    ("intent with required param", [intent_rule("weather.index", kind="umbrella")]),
    ("office phone for a town", [intent_rule("socialsec.office_phone", town="dalang")]),
    ("free-text param", [intent_rule("traffic.guides", topic="驾驶证")]),
    ("explicit nulls of other types", [text_rule(articles=None, intent=None, params={})]),
    ("positions in order", [text_rule(position=0), text_rule(position=1)]),
]


@pytest.mark.parametrize(("case", "rules"), VALID, ids=[case for case, _ in VALID])
def test_valid_rules(case: str, rules: list[Any]) -> None:
    assert keyword_rules_errors(body={"rules": rules}) == []


INVALID: list[tuple[str, Any, str, str]] = [
    ("not an object", [], "rules", "JSON 对象"),
    ("no rules field", {}, "rules", "rules 须为规则数组"),
    ("extra field", {"rules": [], "x": 1}, "x", "只能包含 rules"),
    ("too many rules", {"rules": [text_rule()] * 101}, "rules", "最多 100 条规则"),
    ("rule not an object", {"rules": ["天气"]}, "rules[0]", "规则须为 JSON 对象"),
    ("unknown match", {"rules": [text_rule(match="fuzzy")]}, "rules[0].match", "匹配方式"),
    ("no patterns", {"rules": [text_rule(patterns=[])]}, "rules[0].patterns", "至少需要 1 个"),
    ("patterns missing", {"rules": [text_rule(patterns=None)]}, "rules[0].patterns", "至少"),
    ("blank pattern", {"rules": [text_rule(patterns=["a", " "])]}, "rules[0].patterns[1]", "空"),
    (
        "bad regex",
        {"rules": [text_rule(), text_rule(match="regex", patterns=["天气", "(未闭合"])]},
        "rules[1].patterns[1]",
        "正则表达式无效",
    ),
    (
        "pattern too long",
        {"rules": [text_rule(patterns=["字" * 201])]},
        "rules[0].patterns[0]",
        "200",
    ),
    (
        "unknown reply type",
        {"rules": [text_rule(reply_type="voice")]},
        "rules[0].reply_type",
        "回复类型",
    ),
    (
        "text without text",
        {"rules": [text_rule(reply_text=None)]},
        "rules[0].reply_text",
        "不能为空",
    ),
    (
        "text too long",
        {"rules": [text_rule(reply_text="字" * 2001)]},
        "rules[0].reply_text",
        "不能超过 2000 个字符",
    ),
    (
        "text with an intent",
        {"rules": [text_rule(intent="weather.today")]},
        "rules[0].intent",
        "reply_type 为 text 时不能设置 intent",
    ),
    (
        "text with params",
        {"rules": [text_rule(params={"town": "dalang"})]},
        "rules[0].params",
        "只有 reply_type 为 intent",
    ),
    ("news without articles", {"rules": [news_rule()]}, "rules[0].articles", "至少需要 1 篇"),
    ("nine articles", {"rules": [news_rule(*[ARTICLE] * 9)]}, "rules[0].articles", "最多 8 篇"),
    (
        "article without url",
        {"rules": [news_rule({"title": "标题"})]},
        "rules[0].articles[0].url",
        "须填写 url",
    ),
    (
        "article without title",
        {"rules": [news_rule({"url": "https://a.cn/"})]},
        "rules[0].articles[0].title",
        "须填写 title",
    ),
    (
        "article url without scheme",
        {"rules": [news_rule(ARTICLE | {"url": "a.cn"})]},
        "rules[0].articles[0].url",
        "http://",
    ),
    (
        "article unknown field",
        {"rules": [news_rule(ARTICLE | {"author": "x"})]},
        "rules[0].articles[0].author",
        "不支持",
    ),
    (
        "unknown intent",
        {"rules": [intent_rule("weather.tomorrow")]},
        "rules[0].intent",
        "未知的意图 weather.tomorrow",
    ),
    (
        "intent missing",
        {"rules": [intent_rule() | {"intent": None}]},
        "rules[0].intent",
        "未知",
    ),
    (
        "missing required param",
        {"rules": [intent_rule("weather.index")]},
        "rules[0].params.kind",
        "须提供参数 kind",
    ),
    (
        "param outside its choices",
        {"rules": [intent_rule("weather.index", kind="uv")]},
        "rules[0].params.kind",
        "umbrella",
    ),
    (
        "unknown town",
        {"rules": [intent_rule("socialsec.office_phone", town="shenzhen")]},
        "rules[0].params.town",
        "dalang",
    ),
    (
        "unknown param",
        {"rules": [intent_rule("traffic.points", plate="粤S12345")]},
        "rules[0].params.plate",
        "没有参数 plate",
    ),
    (
        "params not an object",
        {"rules": [intent_rule() | {"params": ["dalang"]}]},
        "rules[0].params",
        "JSON 对象",
    ),
    ("unknown field", {"rules": [text_rule(priority=1)]}, "rules[0].priority", "不支持"),
    ("position out of order", {"rules": [text_rule(position=3)]}, "rules[0].position", "序号 0"),
]


@pytest.mark.parametrize(
    ("case", "body", "field", "message"), INVALID, ids=[case for case, *_ in INVALID]
)
def test_invalid_rules_name_the_field(case: str, body: Any, field: str, message: str) -> None:
    errors = keyword_rules_errors(body=body)
    assert any(e["field"] == field and message in e["message"] for e in errors), errors


def test_the_catalogue_holds_the_intents_the_chat_accounts_need() -> None:
    assert {
        "weather.today", "weather.forecast", "weather.index", "socialsec.office_phone",
        "socialsec.enquiry", "traffic.violations", "traffic.points", "traffic.road_conditions",
        "traffic.appointments", "traffic.guides", "accounts.latest_articles",
    } <= set(INTENTS)  # fmt: skip
    assert INTENTS["weather.index"].params["kind"].required
    assert {"umbrella", "outing"} <= set(INTENTS["weather.index"].params["kind"].choices or ())
    assert "dalang" in (INTENTS["socialsec.office_phone"].params["town"].choices or ())
    assert all(intent.description for intent in INTENTS.values())


def test_normalised_rules_have_every_field_and_their_position() -> None:
    rules = normalise_keyword_rules(
        rules=[text_rule(), intent_rule(location="dalang"), news_rule(ARTICLE)]
    )
    assert [r["position"] for r in rules] == [0, 1, 2]
    assert rules[0] == {
        "position": 0,
        "match": "contains",
        "patterns": ["你好"],
        "reply_type": "text",
        "reply_text": "您好",
        "articles": None,
        "intent": None,
        "params": {},
    }
    assert rules[1]["params"] == {"location": "dalang"}
    assert rules[2]["articles"] == [ARTICLE | {"description": None, "picurl": None}]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("新闻", 0),
        (" 新闻 ", 0),
        ("新闻联播", None),
        ("今天天气怎样", 1),
        ("你好，天气", 1),
        ("你好", 2),
        ("违章 粤S12345 123456", 3),
        ("查违章", None),
    ],
)
def test_first_matching_rule(text: str, expected: int | None) -> None:
    rules = normalise_keyword_rules(
        rules=[
            news_rule(ARTICLE),
            intent_rule(),
            text_rule(),
            text_rule(match="regex", patterns=["^违章"]),
        ]
    )
    rule = first_matching_rule(rules=rules, text=text)
    assert (rule and rule["position"]) == expected
