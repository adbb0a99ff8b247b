"""The demo registry: about 5,000 pieces of equipment of 700 companies in Dongguan's 33 divisions,
generated deterministically from a fixed random seed and the anchor day (the seed's "today").

All registrations were made in Dongguan (division code 441900, certificates 粤S). Dates spread
so that most equipment is in date, some is due within a month and some is overdue. Two items are
fixed for the README and the tests: `DEMO_LIFT` (in date) and `DEMO_OVERDUE_LIFT`.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta

from inspection.codes import CREDIT_ALPHABET, credit_check_char
from inspection.intervals import conclusions_of, first_due, next_due
from inspection.towns import town_names
from inspection.varieties import VARIETIES, Variety

SEED = "dongguan-inspection-v1"
DONGGUAN = "441900"
UNITS = 700
EQUIPMENT = 5000
DEMO_LIFT = "31104419002015060001"
DEMO_OVERDUE_LIFT = "31104419002012030001"
# Shares of the registry by variety code, roughly as a manufacturing city's registry runs.
WEIGHTS = {
    "3110": 30,
    "3120": 6,
    "3310": 5,
    "3320": 1,
    "3430": 2,
    "1100": 3,
    "1200": 2,
    "2150": 12,
    "2170": 8,
    "4110": 8,
    "4210": 2,
    "4310": 1,
    "4410": 1,
    "4860": 1,
    "5110": 16,
    "5210": 2,
}
TRADE_NAMES = [
    "华信",
    "永盛",
    "大兴",
    "宏达",
    "新宇",
    "金源",
    "恒通",
    "立德",
    "荣昌",
    "嘉和",
    "汇丰",
    "德邦",
    "正泰",
    "鸿运",
    "利民",
    "长安",
]
TRADES = [
    "电子",
    "五金",
    "塑胶",
    "模具",
    "家具",
    "纺织",
    "物业管理",
    "酒店",
    "物流",
    "食品",
    "印刷",
    "化工",
    "机械",
    "置业",
]
ROADS = [
    "东莞大道",
    "莞太路",
    "宏图路",
    "银丰路",
    "环城路",
    "体育路",
    "新城路",
    "工业大道",
    "振兴路",
    "鸿福路",
]


@dataclass
class Registry:
    """Rows to insert: user units and equipment, as dicts of column values."""

    units: list[dict[str, object]] = field(default_factory=list)
    equipment: list[dict[str, object]] = field(default_factory=list)


class _Builder:
    """Draws the registry from one random generator, counting registrations as the authority
    numbers them (per variety and month; certificate serials per class)."""

    def __init__(self, anchor: date) -> None:
        self.anchor = anchor
        self.random = random.Random(SEED)
        self.registry = Registry()
        self.month_orders: Counter[str] = Counter()
        self.serials: Counter[str] = Counter()
        self.towns = list(town_names())

    def unit(self, index: int) -> tuple[str, str]:
        """A company: its credit code and town."""
        body = "".join(self.random.choice(CREDIT_ALPHABET) for _ in range(7))
        first17 = f"91{DONGGUAN}MA{body}"
        code = first17 + credit_check_char(first17=first17)
        town = self.towns[index % len(self.towns)]
        name = (
            f"东莞市{self.random.choice(TRADE_NAMES)}{self.random.choice(TRADES)}"
            f"{'有限公司' if index % 5 else '股份有限公司'}"
        )
        self.registry.units.append({"credit_code": code, "name": name, "town": town})
        return code, town

    def codes(self, variety: Variety, registered: date) -> tuple[str, str]:
        """The next registration code and certificate number of `variety` in `registered`'s
        month."""
        month = f"{registered:%Y%m}"
        self.month_orders[variety.code + month] += 1
        self.serials[variety.class_char] += 1
        order, serial = self.month_orders[variety.code + month], self.serials[variety.class_char]
        return (
            f"{variety.code}{DONGGUAN}{month}{order:04d}",
            f"{variety.class_char}{variety.certificate_code}粤S{serial:05d}({registered:%y})",
        )

    def standing(self, variety: Variety, in_service: date) -> dict[str, object]:
        """The last inspection, its conclusion and what follows from it."""
        never = (self.anchor - in_service).days < 3 * 365 and variety.category == "压力容器"
        if never and self.random.random() < 0.7:
            due = first_due(variety=variety, in_service=in_service)
            return {
                "last_inspection": None,
                "conclusion": None,
                "safety_level": None,
                "next_due": due,
                "status": "在用",
            }
        # Up to two months past a whole interval ago: about one in twelve is overdue.
        span = variety.interval_months * 30 + 60
        last = max(in_service, self.anchor - timedelta(days=self.random.randrange(span)))
        passing, passing_too, failing = conclusions_of(variety)
        roll = self.random.random()
        conclusion = passing if roll < 0.9 else passing_too if roll < 0.97 else failing
        level = None
        if variety.category == "压力容器":
            level = self.random.choices((1, 2, 3, 4), weights=(40, 40, 15, 5))[0]
        status = self.random.choices(("在用", "停用", "报废"), weights=(90, 7, 3))[0]
        if conclusion == failing and self.random.random() < 0.8:
            status = "停用"
        due = next_due(variety=variety, last=last, conclusion=conclusion, safety_level=level)
        return {
            "last_inspection": last,
            "conclusion": conclusion,
            "safety_level": level,
            "next_due": None if status == "报废" else due,
            "status": status,
        }

    def equipment(self, variety: Variety, unit: tuple[str, str]) -> None:
        """One piece of equipment of `unit`."""
        in_service = self.anchor - timedelta(days=self.random.randrange(40, 20 * 365))
        registration_code, certificate = self.codes(variety, in_service)
        town = unit[1] if self.random.random() < 0.85 else self.random.choice(self.towns)
        place = f"{self.random.choice(ROADS)}{self.random.randrange(1, 400)}号"
        if variety.is_lift:
            place += f"{self.random.randrange(1, 12)}栋{self.random.randrange(1, 5)}号梯"
        self.registry.equipment.append(
            {
                "registration_code": registration_code,
                "certificate_number": certificate,
                "variety_code": variety.code,
                "user_unit_code": unit[0],
                "address": town_names()[town] + place,
                "town": town,
                "in_service": in_service,
                **self.standing(variety, in_service),
            }
        )

    def demo(self, code: str, unit: tuple[str, str], *, last: date) -> None:
        """A fixed passenger lift of `unit`, registered in the month its code says."""
        lift = VARIETIES[0]
        in_service = date(int(code[10:14]), int(code[14:16]), 15)
        self.month_orders[lift.code + code[10:16]] += 1
        self.serials[lift.class_char] += 1
        due = next_due(variety=lift, last=last, conclusion="合格")
        serial = self.serials[lift.class_char]
        self.registry.equipment.append(
            {
                "registration_code": code,
                "variety_code": lift.code,
                "user_unit_code": unit[0],
                "certificate_number": f"梯11粤S{serial:05d}({in_service:%y})",
                "address": f"{town_names()[unit[1]]}鸿福路100号1栋{serial}号梯",
                "town": unit[1],
                "in_service": in_service,
                "last_inspection": last,
                "conclusion": "合格",
                "safety_level": None,
                "next_due": due,
                "status": "在用",
            }
        )


def generate_registry(*, anchor: date) -> Registry:
    """The whole demo registry anchored on `anchor`."""
    builder = _Builder(anchor)
    units = [builder.unit(i) for i in range(UNITS)]
    builder.demo(DEMO_LIFT, units[1], last=anchor - timedelta(days=100))
    builder.demo(DEMO_OVERDUE_LIFT, units[1], last=anchor - timedelta(days=400))
    codes, weights = list(WEIGHTS), list(WEIGHTS.values())
    by_code = {v.code: v for v in VARIETIES}
    for _ in range(EQUIPMENT - 2):
        variety = by_code[builder.random.choices(codes, weights=weights)[0]]
        builder.equipment(variety, builder.random.choice(units))
    return builder.registry
