"""The literal tables the seeded population is drawn from, and the demo people with fixed
identifiers (`socialsec.population` generates the rest)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from wechat.demo_citizens import demo_citizen

POPULATION = 2000
HISTORY_MONTHS = 180
PAYMENT_HISTORY_MONTHS = 36
REGION = "dongguan"
RANDOM_SEED = "guanwei-socialsec-population-v1"

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蔡叶钟"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰文辉建国志红梅海波宇婷健斌鹏浩晓燕"
# Area codes of resident IDs: Dongguan's, and the home areas many of the city's workers come from.
HOME_AREAS = (
    ("441900", 45),
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
STAGE_ORDER = ("accepted", "making", "posted", "ready", "collected")
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


@dataclass(frozen=True)
class DemoPerson:
    """A demo insured person with fixed identifiers; `citizen_id` None for the demo retiree."""

    key: str
    citizen_id: str | None
    name: str
    id_number: str
    card_number: str
    town: str
    household_dongguan: bool
    residence_permit: bool
    bound: bool
    card_status: str
    card_stage: str
    bank: str
    jobs: tuple[DemoJob, ...]
    retired_on: date | None = None
    pension_yuan: int = 0


DEMO_PEOPLE = (
    DemoPerson(
        key="zhangsan",
        citizen_id=demo_citizen("zhangsan").citizen_id,
        name="张三",
        id_number="441900199001011231",
        card_number="S19000123",
        town="dongcheng",
        household_dongguan=True,
        residence_permit=False,
        bound=True,
        card_status="normal",
        card_stage="collected",
        bank="中国工商银行",
        jobs=(
            DemoJob("东莞市东城精密电子有限公司", "dongcheng", 150, 117, 4200),
            # Six months without a job (断缴), then a new employer two months behind on payment.
            DemoJob("东莞市南城云帆科技有限公司", "nancheng", 110, 1, 6500, owed_months=2),
        ),
    ),
    DemoPerson(
        key="lisi",
        citizen_id=demo_citizen("lisi").citizen_id,
        name="李四",
        id_number="441900198505203523",
        card_number="S19850520",
        town="dalang",
        household_dongguan=True,
        residence_permit=False,
        bound=False,
        card_status="normal",
        card_stage="collected",
        bank="中国农业银行",
        jobs=(DemoJob("东莞市大朗毛织贸易有限公司", "dalang", 180, 1, 5200),),
    ),
    DemoPerson(
        key="wangwu",
        citizen_id=demo_citizen("wangwu").citizen_id,
        name="王五",
        id_number="36233019780315571X",
        card_number="S19780315",
        town="songshanhu",
        household_dongguan=False,
        residence_permit=True,
        bound=True,
        card_status="lost",
        card_stage="making",
        bank="中国建设银行",
        jobs=(
            DemoJob("东莞市松山湖顺达物流有限公司", "songshanhu", 170, 100, 4800),
            DemoJob("东莞市寮步恒通运输有限公司", "liaobu", 87, 1, 5800),
        ),
    ),
    DemoPerson(
        key="chenxiaomei",
        citizen_id=demo_citizen("chenxiaomei").citizen_id,
        name="陈晓梅",
        id_number="44190019950808064X",
        card_number="S19950808",
        town="humen",
        household_dongguan=True,
        residence_permit=False,
        bound=True,
        card_status="normal",
        card_stage="ready",
        bank="中国银行",
        jobs=(DemoJob("东莞市虎门服装设计有限公司", "humen", 108, 1, 5600),),
    ),
    DemoPerson(
        key="liujianguo",
        citizen_id=None,
        name="刘建国",
        id_number="430521195804121230",
        card_number="S19580412",
        town="dalang",
        household_dongguan=False,
        residence_permit=True,
        bound=False,
        card_status="normal",
        card_stage="collected",
        bank="东莞农村商业银行",
        jobs=(DemoJob("东莞市大朗毛织贸易有限公司", "dalang", 180, 1, 3800),),
        retired_on=date(2018, 5, 1),
        pension_yuan=2650,
    ),
)
