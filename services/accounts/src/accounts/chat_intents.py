"""The catalogue of chat intents a keyword rule may answer with, and their parameters.

An intent `<service>.<name>` is answered by its service (`POST /v1/internal/answers/<name>`,
servicekit.answers); the gateway routes a rule's intent there. A rule names the intent and fixes
some of its parameters. A parameter a rule leaves out is taken from the citizen's message where
the description says so (e.g. "天气 大朗" -> location dalang), otherwise the intent's default
applies. Parameter values are strings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from accounts.reference import divisions

CITY = "dongguan"
TOWNS = tuple(d.code for d in divisions())


@dataclass(frozen=True)
class Param:
    """One parameter of an intent."""

    description: str
    required: bool = False
    choices: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Intent:
    """A chat intent: what it answers, and its parameters."""

    description: str
    params: dict[str, Param] = field(default_factory=dict)


LOCATION = Param(
    f"地点：镇街代码或 {CITY}（全市）；缺省时从消息中识别镇街名（如“天气 大朗”），否则为全市",
    choices=(CITY, *TOWNS),
)

INTENTS: dict[str, Intent] = {
    "weather.today": Intent("今日天气和未来几天预报（weather 服务）", {"location": LOCATION}),
    "weather.forecast": Intent("未来 5 天天气预报", {"location": LOCATION}),
    "weather.index": Intent(
        "生活指数",
        {
            "kind": Param(
                "umbrella 雨伞指数 | outing 郊游指数 | all 两者一并回答",
                required=True,
                choices=("umbrella", "outing", "all"),
            ),
            "location": LOCATION,
        },
    ),
    "weather.warnings": Intent("当前生效的预警信号"),
    "socialsec.office_phone": Intent(
        "社保分局（网点）电话（socialsec 服务的网点目录）",
        {
            "town": Param(
                "镇街代码；缺省时从消息中识别镇街名（如“社保电话 大朗”），识别不到时请市民说明镇街",
                choices=TOWNS,
            )
        },
    ),
    "socialsec.enquiry": Intent(
        "本人社保查询（须已绑定社保身份，结果脱敏）",
        {
            "topic": Param(
                "contributions 缴费明细 | balances 个人账户余额 | card 社保卡进度 | "
                "pension 养老金发放；缺省时为概览",
                choices=("contributions", "balances", "card", "pension"),
            )
        },
    ),
    "socialsec.eligibility": Intent(
        "政策资格说明",
        {
            "rule": Param(
                "provident_fund 社保卡提取住房公积金 | free_bus 非莞籍老年人免费乘公交",
                required=True,
                choices=("provident_fund", "free_bus"),
            )
        },
    ),
    "traffic.violations": Intent(
        "交通违法查询：消息“违章 <号牌> <车架号后6位>”，或已绑定的车辆和驾驶证（traffic 服务）"
    ),
    "traffic.points": Intent("驾驶证记分查询（须已绑定驾驶证）"),
    "traffic.road_conditions": Intent(
        "路况：拥堵（红）与畅通（绿）路段和路况图",
        {"road": Param("道路名；缺省时从消息中识别（如“路况 莞深高速”），否则为全市")},
    ),
    "traffic.appointments": Intent("车驾管业务预受理（预约）"),
    "traffic.review_study": Intent("大中型客货车驾驶人审验学习"),
    "traffic.fine_payment": Intent("交通罚款微信支付入口"),
    "traffic.guides": Intent(
        "交警业务办理指南",
        {"topic": Param("搜索词（如 驾驶证）；缺省时取消息中“办事指南”之后的文字，否则列出目录")},
    ),
    "accounts.latest_articles": Intent("本公众号最近推送的文章（图文回复）"),
    "inspection.query": Intent(
        "特种设备查询：消息“电梯 <注册代码>”或“检验 <使用登记证编号>”答检验结论与下次检验日期"
        "（inspection 服务）；缺省时说明查询方法"
    ),
    "inspection.progress": Intent(
        "报检进度：单位联系人本单位在办（及近30天出具报告）的定期检验报检（须已绑定使用单位）"
    ),
    "inspection.guide": Intent("特种设备办事指南与检验收费标准"),
    "inspection.about": Intent("东莞特检（广东省特种设备检测研究院东莞检测院）简介"),
    "inspection.help": Intent("东莞特检能办什么：未识别的消息时的说明"),
}


class IntentParamInfo(BaseModel):
    """One parameter of a chat intent."""

    name: str
    description: str
    required: bool
    choices: list[str] | None


class IntentDescription(BaseModel):
    """One chat intent a keyword rule may name."""

    intent: str
    service: str
    name: str
    description: str
    params: list[IntentParamInfo]


def intent_catalogue() -> list[IntentDescription]:
    """Every intent a keyword rule may name, with its parameters."""
    return [
        IntentDescription(
            intent=intent,
            service=intent.partition(".")[0],
            name=intent.partition(".")[2],
            description=spec.description,
            params=[
                IntentParamInfo(
                    name=name,
                    description=param.description,
                    required=param.required,
                    choices=None if param.choices is None else list(param.choices),
                )
                for name, param in spec.params.items()
            ],
        )
        for intent, spec in INTENTS.items()
    ]


def intent_errors(*, intent: Any, params: Any, path: str) -> list[dict[str, str]]:
    """Problems of a rule's `intent` and `params`, with fields under `path` (e.g. `rules[0]`)."""
    if not isinstance(intent, str) or intent not in INTENTS:
        return [{"field": f"{path}.intent", "message": f"未知的意图 {intent}"}]
    if not isinstance(params, dict):
        return [{"field": f"{path}.params", "message": "params 须为 JSON 对象"}]
    spec = INTENTS[intent]
    errors = []
    for name, value in params.items():
        param = spec.params.get(name)
        where = f"{path}.params.{name}"
        if param is None:
            errors.append({"field": where, "message": f"意图 {intent} 没有参数 {name}"})
        elif not isinstance(value, str) or not value:
            errors.append({"field": where, "message": "参数值须为非空字符串"})
        elif param.choices is not None and value not in param.choices:
            errors.append(
                {"field": where, "message": f"参数 {name} 须为 {'、'.join(param.choices)} 之一"}
            )
    for name, param in spec.params.items():
        if param.required and name not in params:
            errors.append(
                {"field": f"{path}.params.{name}", "message": f"意图 {intent} 须提供参数 {name}"}
            )
    return errors
