"""The literal tables the seeded population is drawn from, and the demo people with fixed
identifiers (`socialsec.population` generates the rest)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from wechat.demo_citizens import DEMO_CITIZENS, DemoCitizen, demo_citizen

POPULATION = 2000
HISTORY_MONTHS = 180
PAYMENT_HISTORY_MONTHS = 36
REGION = "dongguan"
RANDOM_SEED = "guanwei-socialsec-population-v1"

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蔡叶钟"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰文辉建国志红梅海波宇婷健斌鹏浩晓燕"
# Area codes of resident IDs: Dongguan's, and the home areas many of the city's workers come from.
# An ID with Dongguan's code stands for a Dongguan household (户籍) in the seeded population.
DONGGUAN_AREA = "441900"
HOME_AREAS = (
    (DONGGUAN_AREA, 45),
    ("441581", 6),
    ("430521", 7),
    ("360781", 6),
    ("450881", 7),
    ("411421", 6),
    ("510922", 6),
    ("421125", 7),
    ("445281", 10),
)
INDUSTRIES = (
    "电子",
    "精密五金",
    "毛织",
    "服装",
    "家具",
    "物流",
    "模具",
    "塑胶制品",
    "食品",
    "科技",
    "玩具",
    "印刷",
)
BRANDS = ("华盛", "鸿达", "永利", "新兴", "恒丰", "宏远")
BANKS = (
    ("中国工商银行", "622202"),
    ("中国农业银行", "622848"),
    ("中国建设银行", "621700"),
    ("中国银行", "621661"),
    ("东莞农村商业银行", "622439"),
    ("东莞银行", "622526"),
)
CARD_STAGES = (("collected", 92), ("ready", 3), ("posted", 2), ("making", 2), ("accepted", 1))
# The note each step of a card's making is logged with, in the order a card goes through them.
STAGE_NOTES = {
    "accepted": "社保卡申领已受理",
    "making": "制卡中",
    "posted": "已寄送",
    "ready": "已到达网点，待领取",
    "collected": "已领卡",
}
PHARMACY_NOTES = ("定点药店购药", "门诊就医", "普通门诊统筹个人支付")
PENSION_RAISE_BP = 400


@dataclass(frozen=True)
class DemoJob:
    """A demo job: months counted back from the anchor's month (1 = the month before it)."""

    employer: str
    town: str
    first_ago: int
    last_ago: int
    base_yuan: int
    owed_months: int = 0


class NewCard(NamedTuple):
    """A person's social-security card as seeded, and the bank its account is opened with."""

    number: str
    status: str
    stage: str
    bank: str


@dataclass(frozen=True)
class DemoPerson:
    """A demo insured person with fixed identifiers: a demo citizen, or the demo retiree."""

    citizen: DemoCitizen
    card: NewCard
    jobs: tuple[DemoJob, ...]
    bound: bool = True  # bound to their citizen_id: all but 李四 and the retiree
    retired_on: date | None = None
    pension_yuan: int = 0

    @property
    def citizen_id(self) -> str | None:
        """The suite's citizen_id; None for the retiree, whom accounts does not know."""
        return self.citizen.citizen_id if self.citizen in DEMO_CITIZENS else None

    @property
    def household_dongguan(self) -> bool:
        """Whether the person has a Dongguan household, as their resident ID's area code says."""
        return self.citizen.id_number.startswith(DONGGUAN_AREA)

    @property
    def residence_permit(self) -> bool:
        """Whether the person holds a Dongguan residence permit (every demo migrant does)."""
        return not self.household_dongguan


# Not a WeChat user: only social security knows him, so he has no citizen_id and no binding.
RETIREE = DemoCitizen("liujianguo", "刘建国", "430521195804121230", "dalang")

DEMO_PEOPLE = (
    DemoPerson(
        demo_citizen("zhangsan"),
        NewCard("S19000123", "normal", "collected", "中国工商银行"),
        jobs=(
            DemoJob("东莞市东城精密电子有限公司", "dongcheng", 150, 117, 4200),
            # Six months without a job (断缴), then a new employer two months behind on payment.
            DemoJob("东莞市南城云帆科技有限公司", "nancheng", 110, 1, 6500, owed_months=2),
        ),
    ),
    DemoPerson(
        demo_citizen("lisi"),
        NewCard("S19850520", "normal", "collected", "中国农业银行"),
        bound=False,
        jobs=(DemoJob("东莞市大朗毛织贸易有限公司", "dalang", 180, 1, 5200),),
    ),
    DemoPerson(
        demo_citizen("wangwu"),
        NewCard("S19780315", "lost", "making", "中国建设银行"),
        jobs=(
            DemoJob("东莞市松山湖顺达物流有限公司", "songshanhu", 170, 100, 4800),
            DemoJob("东莞市寮步恒通运输有限公司", "liaobu", 87, 1, 5800),
        ),
    ),
    DemoPerson(
        demo_citizen("chenxiaomei"),
        NewCard("S19950808", "normal", "ready", "中国银行"),
        jobs=(DemoJob("东莞市虎门服装设计有限公司", "humen", 108, 1, 5600),),
    ),
    DemoPerson(
        RETIREE,
        NewCard("S19580412", "normal", "collected", "东莞农村商业银行"),
        bound=False,
        jobs=(DemoJob("东莞市大朗毛织贸易有限公司", "dalang", 180, 1, 3800),),
        retired_on=date(2018, 5, 1),
        pension_yuan=2650,
    ),
)
