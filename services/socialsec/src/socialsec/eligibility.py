"""Policy rules of the city's accounts as explained results: eligible or not, and why.

Each rule is a pure function of the facts it needs and returns every condition it checked, met
or not, so a citizen learns what to do rather than just "no" (reference/socialsec-and-accounts.md):
- the social-security card can be used to withdraw the housing provident fund: the card's bank
  account (金融账户) is the payee, so the card must be in hand and in normal use;
- elderly residents without Dongguan household registration ride buses free from an age that is
  a setting (commonly 65), with a Dongguan residence permit (居住证).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from socialsec.clock import age_on

PROVIDENT_FUND = "provident_fund_withdrawal"
FREE_BUS = "elderly_free_bus"
RULE_TITLES = {
    PROVIDENT_FUND: "使用社保卡提取住房公积金",
    FREE_BUS: "非东莞户籍老年人免费乘坐公交",
}
STATUS_TEXT = {"normal": "正常", "lost": "挂失", "cancelled": "注销"}
STAGE_TEXT = {
    "accepted": "受理",
    "making": "制卡中",
    "posted": "已寄送",
    "ready": "待领取",
    "collected": "已领卡",
}


def descriptions(*, free_bus_age: int) -> dict[str, str]:
    """Each rule's conditions in plain Chinese, by rule code."""
    return {
        PROVIDENT_FUND: (
            "社保卡具有金融账户功能，提取住房公积金时可选择社保卡的银行账户作为收款账户。"
            "条件：社保卡状态为“正常”，且已领卡并启用金融账户。"
        ),
        FREE_BUS: (
            f"非东莞户籍老年人年满{free_bus_age}周岁并持有东莞居住证，可免费乘坐东莞市内公交；"
            "东莞户籍老年人按本市户籍老年人优待政策办理。"
        ),
    }


@dataclass(frozen=True)
class Condition:
    """One checked condition of a rule."""

    code: str
    met: bool
    text: str


@dataclass(frozen=True)
class RuleResult:
    """A rule's verdict with every condition it checked."""

    rule: str
    title: str
    eligible: bool
    summary: str
    conditions: tuple[Condition, ...]


@dataclass(frozen=True)
class CardFacts:
    """What the provident-fund rule needs to know about a card."""

    status: str
    stage: str
    bank: str
    bank_account: str


def provident_fund_withdrawal(*, card: CardFacts | None) -> RuleResult:
    """Whether the social-security card can be the payee of a housing provident fund withdrawal."""
    if card is None:
        conditions = (Condition("has_card", False, "未查询到您的社保卡，请先申领社保卡。"),)
    else:
        conditions = (
            Condition(
                "card_normal",
                card.status == "normal",
                f"社保卡状态为“{STATUS_TEXT.get(card.status, card.status)}”"
                + ("。" if card.status == "normal" else "，需为“正常”，请先办理解挂或补换卡。"),
            ),
            Condition(
                "card_collected",
                card.stage == "collected",
                f"制卡进度为“{STAGE_TEXT.get(card.stage, card.stage)}”"
                + (
                    "。"
                    if card.stage == "collected"
                    else "，领卡并启用金融账户后方可作为收款账户。"
                ),
            ),
            Condition(
                "bank_account",
                bool(card.bank_account),
                f"社保卡金融账户：{card.bank}（尾号{card.bank_account[-4:]}）。"
                if card.bank_account
                else "社保卡未开通金融账户。",
            ),
        )
    eligible = all(c.met for c in conditions)
    if eligible and card is not None:
        summary = (
            f"可以。提取住房公积金时可选择社保卡作为收款账户，款项将转入{card.bank}"
            f"尾号{card.bank_account[-4:]}的社保卡金融账户。"
        )
    else:
        summary = "暂不能使用社保卡提取住房公积金：" + "".join(
            c.text for c in conditions if not c.met
        )
    return RuleResult(PROVIDENT_FUND, RULE_TITLES[PROVIDENT_FUND], eligible, summary, conditions)


def elderly_free_bus(
    *,
    birth_date: date,
    on: date,
    household_dongguan: bool,
    residence_permit: bool,
    age_threshold: int,
) -> RuleResult:
    """Whether an elderly resident without Dongguan household registration rides buses free."""
    age = age_on(birth=birth_date, day=on)
    conditions = (
        Condition(
            "age",
            age >= age_threshold,
            f"年满{age_threshold}周岁（您现年{age}周岁）。"
            if age >= age_threshold
            else f"需年满{age_threshold}周岁，您现年{age}周岁。",
        ),
        Condition(
            "not_dongguan_household",
            not household_dongguan,
            "非东莞户籍。"
            if not household_dongguan
            else "本规则适用于非东莞户籍老年人；东莞户籍老年人按本市户籍老年人优待政策办理。",
        ),
        Condition(
            "residence_permit",
            residence_permit,
            "持有东莞居住证。" if residence_permit else "需持有有效的东莞居住证。",
        ),
    )
    eligible = all(c.met for c in conditions)
    summary = (
        "可以免费乘坐东莞市内公交，请携带身份证和居住证到镇街办理老年人乘车卡。"
        if eligible
        else "暂不符合免费乘车条件：" + "".join(c.text for c in conditions if not c.met)
    )
    return RuleResult(FREE_BUS, RULE_TITLES[FREE_BUS], eligible, summary, conditions)
