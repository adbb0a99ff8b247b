from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from accounts.keyword_rules import first_matching_rule, normalise_keyword_rules
from accounts.menu_rules import menu_errors
from accounts.models import KeywordRule
from accounts.reference import divisions, official_accounts
from accounts.registry import account_errors
from accounts.registry_seed import (
    DEMO_MARK,
    chat_configs,
    demo_accounts,
    registry_accounts,
    seed_chat_config,
)
from servicekit.db import make_engine
from servicekit.testing import seed_database
from wechat.menus import FIELDS_BY_TYPE

CHAT_ACCOUNTS = {"dgjj", "dgtq", "dgsb", "gxhk", "lxdl", "dgtj"}


def test_about_a_hundred_accounts_with_unique_codes_and_names() -> None:
    rows = registry_accounts()
    assert 95 <= len(rows) <= 105
    assert len({r.code for r in rows}) == len(rows)
    assert len({r.name for r in rows}) == len(rows)


def test_the_article_accounts_are_kept_exactly() -> None:
    rows = registry_accounts()
    assert rows[: len(official_accounts())] == official_accounts()
    assert not any(DEMO_MARK in r.description for r in official_accounts())


def test_every_added_account_is_marked_as_demo_data_and_states_no_invented_facts() -> None:
    for row in demo_accounts():
        assert DEMO_MARK in row.description, row.code
        assert (row.wechat_id, row.appid, row.launch_date, row.followers) == (None,) * 4
        assert row.verified_entity is None


def test_every_seeded_account_passes_the_staff_field_rules() -> None:
    for row in registry_accounts():
        assert account_errors(values=row.model_dump()) == [], row.code


def test_municipal_bureaus_and_one_account_per_town() -> None:
    names = {r.name for r in registry_accounts()}
    assert {"东莞发布", "东莞公安", "东莞市场监管", "东莞卫健", "东莞教育", "东莞住建"} <= names
    assert {"东莞公积金", "东莞12345", "莞城发布", "南城发布", "大岭山发布", "松山湖发布"} <= names
    towns = [r.town for r in registry_accounts() if r.category == "town"]
    assert sorted(towns) == sorted(d.code for d in divisions())
    assert [r.code for r in registry_accounts() if r.town == "dalang"] == ["lxdl"]


def test_a_retired_demo_account() -> None:
    retired = [r for r in registry_accounts() if r.status == "retired"]
    assert [r.code for r in retired] == ["dgds"]


def configs() -> dict[str, dict[str, Any]]:
    return {c["account_code"]: c for c in chat_configs()}


def test_the_six_chat_accounts_are_configured() -> None:
    assert set(configs()) == CHAT_ACCOUNTS
    assert all(c["welcome_text"] for c in configs().values())


@pytest.mark.parametrize("code", sorted(CHAT_ACCOUNTS))
def test_seeded_menus_pass_the_validator(code: str) -> None:
    assert menu_errors(menu=configs()[code]["menu"]) == []


def menu_keys(menu: dict[str, Any]) -> list[str]:
    leaves = [leaf for b in menu["button"] for leaf in b.get("sub_button", [b])]
    return [leaf["key"] for leaf in leaves if FIELDS_BY_TYPE[leaf["type"]] == ("key",)]


@pytest.mark.parametrize("code", sorted(CHAT_ACCOUNTS))
def test_every_menu_key_is_answered_by_an_exact_rule(code: str) -> None:
    config = configs()[code]
    rules = normalise_keyword_rules(rules=config["keyword_rules"])
    keys = menu_keys(config["menu"])
    assert keys
    for key in keys:
        rule = first_matching_rule(rules=rules, text=key)
        assert rule is not None and rule["match"] == "exact", key


def answer(code: str, text: str) -> dict[str, Any]:
    rules = normalise_keyword_rules(rules=configs()[code]["keyword_rules"])
    rule = first_matching_rule(rules=rules, text=text)
    assert rule is not None, text
    return rule


@pytest.mark.parametrize(
    ("code", "text", "intent", "params"),
    [
        ("lxdl", "要办社保，可是不知道电话咋办。", "socialsec.office_phone", {"town": "dalang"}),
        ("lxdl", "天气", "weather.today", {"location": "dalang"}),
        ("dgjj", "周末不想宅，哪里路不堵?", "traffic.road_conditions", {}),
        ("dgjj", "路况 莞深高速", "traffic.road_conditions", {}),
        ("dgjj", "违章 粤S12345 123456", "traffic.violations", {}),
        ("dgjj", "记分", "traffic.points", {}),
        ("dgjj", "预约", "traffic.appointments", {}),
        ("dgjj", "办事指南 驾驶证", "traffic.guides", {}),
        ("dgtq", "会不会下雨，能不能出去玩?", "weather.index", {"kind": "all"}),
        ("dgtq", "雨伞指数", "weather.index", {"kind": "umbrella"}),
        ("dgtq", "郊游指数", "weather.index", {"kind": "outing"}),
        ("dgtq", "天气", "weather.today", {}),
        ("dgtq", "天气 大朗", "weather.today", {}),
        ("dgtq", "预警", "weather.warnings", {}),
        ("dgsb", "社保电话 大朗", "socialsec.office_phone", {}),
        ("dgsb", "公积金", "socialsec.eligibility", {"rule": "provident_fund"}),
        ("dgsb", "缴费", "socialsec.enquiry", {"topic": "contributions"}),
        ("dgsb", "社保卡", "socialsec.enquiry", {"topic": "card"}),
        ("gxhk", "最新", "accounts.latest_articles", {}),
        ("gxhk", "ACCOUNT_ARTICLES", "accounts.latest_articles", {}),  # 最新推送
        ("gxhk", "你都知道啥?", "accounts.latest_articles", {}),
        ("gxhk", "你都知道啥？", "accounts.latest_articles", {}),
        ("gxhk", "GXHK_ABOUT", "accounts.latest_articles", {}),  # the button 你都知道啥
        ("dgtj", "DGTJ_QUERY", "inspection.query", {}),  # 业务查询
        ("dgtj", "DGTJ_GUIDE", "inspection.guide", {}),  # 办事指南
        ("dgtj", "DGTJ_ABOUT", "inspection.about", {}),  # 关于我们
        ("dgtj", "电梯 31104419002019120001", "inspection.query", {}),
        ("dgtj", " 检验 梯11粤S00001(15)", "inspection.query", {}),
        ("dgtj", "31104419002019120001", "inspection.query", {}),
        ("dgtj", "检验收费标准", "inspection.guide", {}),
        ("dgtj", "办事指南", "inspection.guide", {}),
        ("dgtj", "你好", "inspection.help", {}),
        ("dgtj", "报检进度", "inspection.progress", {}),
        ("dgtj", "报检\n进度", "inspection.progress", {}),
        ("dgtj", "检验进度", "inspection.progress", {}),
        ("dgtj", "查一下进度", "inspection.progress", {}),
        ("dgtj", "报检收费", "inspection.guide", {}),
    ],
)
def test_the_article_dialogues_reach_their_intents(
    code: str, text: str, intent: str, params: dict[str, str]
) -> None:
    rule = answer(code, text)
    assert (rule["reply_type"], rule["intent"], rule["params"]) == ("intent", intent, params)


def test_gxhk_says_what_it_can_do() -> None:
    rule = answer("gxhk", "你能做什么")
    assert rule["reply_type"] == "text" and "吃喝玩乐住用行" in rule["reply_text"]


def test_dgtj_answers_from_the_inspection_service_and_explains_unknown_text() -> None:
    rules = configs()["dgtj"]["keyword_rules"]
    assert all(r["reply_type"] == "intent" for r in rules)
    assert {r["intent"].partition(".")[0] for r in rules} == {"inspection"}
    # The last rule catches any text the others missed, so none goes unanswered.
    assert rules[-1]["intent"] == "inspection.help"


def test_chat_seed_is_idempotent(registry_client: TestClient, registry_database_url: str) -> None:
    def snapshot() -> tuple[Any, ...]:
        engine = make_engine(registry_database_url)
        try:
            with Session(engine) as session:
                rows = session.exec(select(KeywordRule).order_by(KeywordRule.id)).all()
                return tuple(r.model_dump() for r in rows)
        finally:
            engine.dispose()

    configs_before = {
        c: registry_client.get(f"/v1/accounts/{c}/chat-config").json() for c in CHAT_ACCOUNTS
    }
    rules_before = snapshot()
    assert (
        seed_database(registry_database_url, lambda session: seed_chat_config(session=session))
        == "chat config: 6 accounts"
    )
    assert snapshot() == rules_before
    for code in CHAT_ACCOUNTS:
        assert (
            registry_client.get(f"/v1/accounts/{code}/chat-config").json() == configs_before[code]
        )
