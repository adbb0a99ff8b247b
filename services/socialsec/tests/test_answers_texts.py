"""东莞社保's chat texts as pure functions: months, money, and each answer's text (within
WeChat's 2048 bytes)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from servicekit.chattext import TEXT_LIMIT_BYTES, utf8_len
from servicekit.deps import Page
from socialsec.answers.texts import (
    CARD_NEXT_STEP,
    MONTH_STATUS_TEXT,
    MonthLine,
    format_balances,
    format_card,
    format_contributions,
    format_office,
    format_pension,
    format_rule,
    mentions_identifier,
    month_item,
    month_lines,
    month_span,
    recent_months,
)
from socialsec.models import (
    AccountPublic,
    CardPublic,
    ContributionRowPublic,
    ContributionSummaryPublic,
    OfficePublic,
    PensionPaymentPublic,
    ProfilePublic,
    RulePublic,
    RuleResultPublic,
)

EMPLOYER = "东莞市南城云帆科技有限公司"


def profile(name: str, id_number: str, status: str, status_text: str) -> ProfilePublic:
    return ProfilePublic.model_validate(
        {
            "name": name,
            "id_number": id_number,
            "card_number": "*****0123",
            "gender": "男",
            "age": 36,
            "status": status,
            "status_text": status_text,
            "insured_since": "2013-12",
            "employer": None,
            "town_name": "东城街道",
            "household": "东莞户籍",
            "residence_permit": False,
        }
    )


PROFILE = profile("张*", "441***********1231", "active", "在职参保")
RETIREE = profile("刘**", "430***********1230", "retired", "退休")


@pytest.mark.parametrize(
    ("today", "period"),
    [
        (date(2026, 11, 26), (date(2026, 5, 1), date(2026, 10, 1))),
        (date(2026, 11, 1), (date(2026, 5, 1), date(2026, 10, 1))),
        (date(2026, 1, 15), (date(2025, 7, 1), date(2025, 12, 1))),
        (date(2026, 6, 30), (date(2025, 12, 1), date(2026, 5, 1))),
    ],
)
def test_recent_months_are_the_six_whole_months_before_this_one(
    today: date, period: tuple[date, date]
) -> None:
    assert recent_months(today) == period


def test_month_span_is_newest_first() -> None:
    assert month_span("2025-11", "2026-02") == ["2026-02", "2026-01", "2025-12", "2025-11"]
    assert month_span("2026-02", "2026-02") == ["2026-02"]


def row(month: str, insurance: str, status: str = "paid", **kw: Any) -> ContributionRowPublic:
    parts = {"pension": (80000, 40000), "medical": (25000, 10000), "work_injury": (2000, 0)}
    employer_fen, employee_fen = parts[insurance]
    return ContributionRowPublic.model_validate(
        {
            "month": month,
            "insurance": insurance,
            "insurance_name": insurance,
            "employer": EMPLOYER,
            "base_fen": 500000,
            "employer_fen": employer_fen,
            "employee_fen": employee_fen,
            "total_fen": employer_fen + employee_fen,
            "status": status,
            "status_text": {"paid": "已缴", "owed": "欠缴"}[status],
            **kw,
        }
    )


@pytest.mark.parametrize(
    ("rows", "gaps", "expected"),
    [
        (
            [row("2026-10", "pension"), row("2026-10", "medical"), row("2026-10", "work_injury")],
            [],
            MonthLine("2026-10", "paid", 107000, 50000, 500000, (EMPLOYER,)),
        ),
        (
            [row("2026-10", "pension", "owed"), row("2026-10", "medical", "owed")],
            [],
            MonthLine("2026-10", "owed", 105000, 50000, 500000, (EMPLOYER,)),
        ),
        (
            [row("2026-10", "pension"), row("2026-10", "medical", "owed")],
            [],
            MonthLine("2026-10", "partly_owed", 105000, 50000, 500000, (EMPLOYER,)),
        ),
        (
            [
                row("2026-10", "pension", base_fen=400000),
                row("2026-10", "pension", employer="东莞市虎门服装设计有限公司"),
            ],
            [],
            MonthLine(
                "2026-10", "paid", 160000, 80000, 500000, (EMPLOYER, "东莞市虎门服装设计有限公司")
            ),
        ),
        ([row("2026-09", "pension")], ["2026-10"], MonthLine("2026-10", "gap")),
        ([], [], MonthLine("2026-10", "none")),
    ],
)
def test_month_lines_add_up_a_months_insurances(
    rows: list[ContributionRowPublic], gaps: list[str], expected: MonthLine
) -> None:
    assert month_lines(["2026-10"], rows, gaps) == [expected]


@pytest.mark.parametrize(
    ("line", "text"),
    [
        (
            MonthLine("2026-10", "owed", 183024, 91512, 1143900, (EMPLOYER,)),
            f"2026-10 欠缴：个人915.12元，单位1830.24元\n  基数11439元，{EMPLOYER}",
        ),
        (
            MonthLine("2026-08", "paid", 100000, 50050, 500000, (EMPLOYER, "乙公司")),
            f"2026-08 已缴：个人500.50元，单位1000元\n  基数5000元，{EMPLOYER}、乙公司",
        ),
        (
            MonthLine("2026-07", "partly_owed", 1, 1, 1, ("甲",)),
            "2026-07 部分欠缴：个人0.01元，单位0.01元\n  基数0.01元，甲",
        ),
        (MonthLine("2026-06", "gap"), "2026-06 断缴：未缴费"),
        (MonthLine("2026-05", "none"), "2026-05 无缴费记录"),
    ],
)
def test_month_item(line: MonthLine, text: str) -> None:
    assert month_item(line) == text


def summary(**kw: Any) -> ContributionSummaryPublic:
    return ContributionSummaryPublic.model_validate(
        {
            "from_month": "2026-05",
            "to_month": "2026-10",
            "totals": {
                "months_paid": 4,
                "months_owed": 2,
                "employer_fen": 1522308,
                "employee_fen": 700068,
                "total_fen": 2222376,
                "paid_fen": 1481584,
                "owed_fen": 740792,
            },
            "by_insurance": [],
            "gap_months": [],
            "continuous_months": 110,
            **kw,
        }
    )


def test_contributions_month_by_month_with_totals_and_owed_months() -> None:
    lines = [
        MonthLine(m, "owed" if m in ("2026-10", "2026-09") else "paid", 1, 1, 1, (EMPLOYER,))
        for m in month_span("2026-05", "2026-10")
    ]
    text = format_contributions(PROFILE, summary(), lines)
    first, *rest = text.splitlines()
    assert first == "张*（441***********1231）2026-05至2026-10缴费明细（在职参保）："
    assert rest[0].startswith("2026-10 欠缴：") and "2026-05 已缴：" in text
    assert (
        "合计：已缴4个月 14815.84元，欠缴2个月 7407.92元（其中个人7000.68元，单位15223.08元）。"
        in text
    )
    assert "⚠欠缴月份：2026-09、2026-10，请提醒单位及时足额缴纳。" in text
    assert "断缴" not in text
    assert "截至2026-10已连续缴费110个月。" in text


def test_contributions_flag_missed_months() -> None:
    lines = [
        MonthLine("2026-10", "paid", 1, 1, 1, (EMPLOYER,)),
        MonthLine("2026-09", "gap"),
        MonthLine("2026-08", "gap"),
    ]
    totals = summary().totals.model_copy(update={"months_owed": 0, "owed_fen": 0})
    text = format_contributions(
        PROFILE,
        summary(
            from_month="2026-08",
            gap_months=["2026-08", "2026-09", "2019-01"],
            continuous_months=1,
            totals=totals.model_dump(),
        ),
        lines,
    )
    assert "2026-09 断缴：未缴费" in text
    # Gaps outside the period asked for are not this answer's.
    assert "⚠断缴月份：2026-08、2026-09。断缴可能影响医保待遇和养老金" in text
    assert "2019-01" not in text and "欠缴" not in text


def test_a_long_period_is_cut_at_a_whole_month() -> None:
    long = "东莞市某某某某某某某某某某某某某某某某某某某某有限公司"
    lines = [MonthLine(f"20{y:02d}-01", "paid", 1, 1, 1, (long,)) for y in range(99)]
    text = format_contributions(PROFILE, summary(), lines)
    assert utf8_len(text) <= TEXT_LIMIT_BYTES
    assert "个月未列出" in text and text.endswith("更多明细请在东莞社保应用中查看。")


def test_balances() -> None:
    text = format_balances(
        [
            AccountPublic(
                account="pension",
                name="养老保险个人账户",
                balance_fen=10955510,
                as_of=date(2026, 11, 26),
            ),
            AccountPublic(account="medical", name="医疗保险个人账户", balance_fen=0, as_of=None),
        ]
    )
    assert text.splitlines()[:3] == [
        "您的个人账户余额：",
        "养老保险个人账户：109555.10元（截至2026-11-26）",
        "医疗保险个人账户：0元（暂无记账）",
    ]
    assert format_balances([]).startswith("暂未查询到您的个人账户记录")


def card(status: str, stage: str, steps: list[tuple[str, str, str, str]]) -> CardPublic:
    return CardPublic.model_validate(
        {
            "card_number": "*****0808",
            "status": status,
            "status_text": {"normal": "正常", "lost": "挂失", "cancelled": "注销"}[status],
            "stage": stage,
            "stage_text": dict(s[:2] for s in steps)[stage],
            "bank": "中国银行",
            "bank_account": "***************3503",
            "pickup_office": "虎门镇社保分局",
            "progress": [
                {"stage": s, "stage_text": t, "at": at, "note": note} for s, t, at, note in steps
            ],
        }
    )


READY = [
    ("accepted", "受理", "2026-11-05T10:00:00+08:00", "社保卡申领已受理"),
    ("making", "制卡中", "2026-11-13T10:00:00+08:00", "制卡中"),
    ("ready", "待领取", "2026-11-17T02:00:00+00:00", "已到达虎门社保分局，待领取"),
]


@pytest.mark.parametrize(
    ("status", "stage", "steps", "lines"),
    [
        (
            "normal",
            "ready",
            READY,
            [
                "社保卡 *****0808（中国银行）",
                "卡状态：正常",
                "制卡进度：待领取",
                "· 2026-11-05 受理：社保卡申领已受理",
                "· 2026-11-13 制卡中",
                "· 2026-11-17 待领取：已到达虎门社保分局，待领取",
                "社保卡已到达虎门镇社保分局，请本人携带身份证原件前往领取并激活。",
            ],
        ),
        (
            "lost",
            "making",
            READY[:2],
            [
                "社保卡 *****0808（中国银行）",
                "卡状态：挂失",
                "制卡进度：制卡中",
                "· 2026-11-05 受理：社保卡申领已受理",
                "· 2026-11-13 制卡中",
                CARD_NEXT_STEP["making"].format(office="虎门镇社保分局"),
                "您的社保卡已挂失，挂失期间不能使用；补卡进度见上，如已找回可到社保分局办理解挂。",
            ],
        ),
        (
            "normal",
            "collected",
            [*READY, ("collected", "已领卡", "2026-11-20T10:00:00+08:00", "已领卡")],
            [
                "社保卡 *****0808（中国银行）",
                "卡状态：正常",
                "制卡进度：已领卡",
                "· 2026-11-05 受理：社保卡申领已受理",
                "· 2026-11-13 制卡中",
                "· 2026-11-17 待领取：已到达虎门社保分局，待领取",
                "· 2026-11-20 已领卡",
            ],
        ),
    ],
)
def test_card_status_and_progress_with_dates(
    status: str, stage: str, steps: list[tuple[str, str, str, str]], lines: list[str]
) -> None:
    assert format_card(card(status, stage, steps)).splitlines() == lines


def test_pension_payments_or_why_there_are_none() -> None:
    page = Page[PensionPaymentPublic].model_validate(
        {
            "items": [
                {"month": "2026-10", "amount_fen": 265000, "paid_on": "2026-10-15"},
                {"month": "2026-09", "amount_fen": 265050, "paid_on": "2026-09-15"},
            ],
            "total": 98,
        }
    )
    assert format_pension(RETIREE, page).splitlines() == [
        "刘**的养老金发放记录（最近2个月）：",
        "2026-10：2650元（2026-10-15发放）",
        "2026-09：2650.50元（2026-09-15发放）",
        "累计发放98个月。更多明细请在东莞社保应用中查看。",
    ]
    none = Page[PensionPaymentPublic](items=[], total=0)
    assert format_pension(PROFILE, none).startswith(
        "张*，您的参保状态为“在职参保”，尚未办理退休，暂无养老金发放记录。"
    )
    assert format_pension(RETIREE, none).startswith("刘**，暂未查询到您的养老金发放记录。")


RULE = RulePublic(
    rule="provident_fund_withdrawal", title="使用社保卡提取住房公积金", description="规则。"
)


def test_a_rule_with_the_citizens_own_result() -> None:
    mine = RuleResultPublic.model_validate(
        {
            "rule": "provident_fund_withdrawal",
            "title": "使用社保卡提取住房公积金",
            "eligible": False,
            "summary": "暂不能使用社保卡提取住房公积金：制卡进度为“待领取”。",
            "conditions": [
                {"code": "card_normal", "met": True, "text": "社保卡状态为“正常”。"},
                {"code": "card_collected", "met": False, "text": "制卡进度为“待领取”。"},
            ],
        }
    )
    assert format_rule(RULE, mine).splitlines() == [
        "【使用社保卡提取住房公积金】",
        "规则。",
        "您的情况：暂不能使用社保卡提取住房公积金：制卡进度为“待领取”。",
        "√ 社保卡状态为“正常”。",
        "× 制卡进度为“待领取”。",
    ]
    assert format_rule(RULE, note="先绑定。").splitlines() == [
        "【使用社保卡提取住房公积金】",
        "规则。",
        "先绑定。",
    ]
    assert format_rule(RULE) == "【使用社保卡提取住房公积金】\n规则。"


def office(**kw: Any) -> OfficePublic:
    fields = {"town_name": "", "name": "分局", "address": "", "phone": "", "hours": ""}
    return OfficePublic.model_validate(fields | {"demo": False, "phone_demo": False} | kw)


@pytest.mark.parametrize(
    ("office", "lines"),
    [
        (
            office(town="dalang", town_name="大朗镇", phone="0769-83106399", demo=True),
            [
                "大朗镇社保分局电话：0769-83106399",
                "（演示环境：地址和办公时间为演示数据，请以官方公布为准）",
            ],
        ),
        (
            office(town="x", phone="1", hours="周一", address="某路", phone_demo=True),
            [
                "x社保分局电话：1",
                "办公时间：周一",
                "地址：某路",
                "（演示环境：电话等信息为演示数据，请以官方公布为准）",
            ],
        ),
    ],
)
def test_office(office: OfficePublic, lines: list[str]) -> None:
    assert format_office(office).splitlines() == lines


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("社保卡 441900199001011231", True),
        ("缴费441900199001011231", True),
        ("社保卡 44190019950808064x", True),
        ("社保卡号S19000123", True),
        ("社保卡", False),
        ("缴费 2026-10", False),
        ("社保电话 0769-83106399", False),
        ("违章 粤S12345 123456", False),
        ("4419001990010112311", False),
    ],
)
def test_identifiers_in_a_message_are_noticed(text: str, found: bool) -> None:
    assert mentions_identifier(text) is found


def test_every_month_status_has_a_text() -> None:
    assert set(MONTH_STATUS_TEXT) == {"paid", "owed", "partly_owed", "gap", "none"}
