"""Seed of the registry: the article's accounts, demo bureaus and town accounts, chat configuration.

The accounts named in the source article keep exactly its facts (`data/accounts.json`). To reach
the "about a hundred" accounts the article speaks of, municipal bureaus (`data/demo_accounts.csv`)
and one account per town without one are added; their descriptions say they are demo data and
nothing beyond name, kind, agency and topic is set. The six chat accounts get the menus, keyword
rules and welcome texts of `data/chat_config.json`. Deterministic; running it again changes nothing.
"""

from __future__ import annotations

import csv
import json
from functools import cache
from importlib import resources
from typing import Any

from sqlmodel import Session

from accounts.chat_config import config_row, store_rules, stored_rules
from accounts.keyword_rules import keyword_rules_errors, normalise_keyword_rules
from accounts.menu_rules import menu_errors
from accounts.models import Account, AccountPublic
from accounts.reference import Division, divisions, official_accounts

DEMO_MARK = "（演示数据）"


def _data(name: str) -> str:
    return resources.files("accounts.data").joinpath(name).read_text("utf-8")


def _town_account(division: Division) -> AccountPublic:
    short = division.name.removesuffix("街道").removesuffix("镇")
    agency = {
        "subdistrict": f"东莞市{division.name}办事处",
        "town": f"东莞市{division.name}人民政府",
        "zone": f"东莞{division.name}高新技术产业开发区管理委员会",
    }[division.kind]
    return AccountPublic(
        code=f"{division.code}fb",
        name=f"{short}发布",
        kind="subscription",
        agency=agency,
        category="town",
        town=division.code,
        description=f"{agency}的政务公众号：{short}政务信息和便民服务{DEMO_MARK}。",
    )


@cache
def demo_accounts() -> tuple[AccountPublic, ...]:
    """Municipal bureaus and town accounts added as demo data, marked so in their description."""
    bureaus = [
        AccountPublic(
            code=r["code"],
            name=r["name"],
            kind=r["kind"],
            agency=r["agency"],
            category=r["category"],
            description=f"{r['agency']}的政务公众号：{r['topic']}{DEMO_MARK}。",
            status=r["status"],
        )
        for r in csv.DictReader(_data("demo_accounts.csv").splitlines())
    ]
    covered = {row.town for row in official_accounts() if row.town}
    towns = [_town_account(d) for d in divisions() if d.code not in covered]
    return (*bureaus, *towns)


def registry_accounts() -> tuple[AccountPublic, ...]:
    """Every seeded account: the article's, then the demo ones."""
    return (*official_accounts(), *demo_accounts())


@cache
def chat_configs() -> tuple[dict[str, Any], ...]:
    """The seeded chat configurations, checked by the same rules as staff writes."""
    configs = json.loads(_data("chat_config.json"))
    for config in configs:
        errors = menu_errors(menu=config["menu"]) + keyword_rules_errors(
            body={"rules": config["keyword_rules"]}
        )
        if errors:
            raise ValueError(f"chat_config.json, {config['account_code']}: {errors}")
    return tuple(configs)


def seed_registry(*, session: Session) -> str:
    """Insert or update every seeded account."""
    rows = registry_accounts()
    for row in rows:
        session.merge(Account(**row.model_dump()))
    session.commit()
    return f"accounts: {len(rows)} official accounts ({len(demo_accounts())} demo)"


def seed_chat_config(*, session: Session) -> str:
    """Set the menu, welcome text and keyword rules of the six chat accounts."""
    configs = chat_configs()
    for config in configs:
        code = config["account_code"]
        row = config_row(session=session, code=code)
        if (row.menu, row.welcome_text) != (config["menu"], config["welcome_text"]):
            row.menu, row.welcome_text = config["menu"], config["welcome_text"]
            session.add(row)
        rules = normalise_keyword_rules(rules=config["keyword_rules"])
        if stored_rules(session=session, code=code) != rules:
            store_rules(session=session, code=code, rules=rules)
    session.commit()
    return f"chat config: {len(configs)} accounts"
