"""The seeded population: about 2,000 vehicles and licences with two years of violations.

Everything is generated from a fixed random seed and an anchor day, so the same anchor always
gives the same rows. `python -m traffic seed` anchors on the day it first runs (today in
Asia/Shanghai): violations fall in the two years before it, so unhandled records, deadlines,
surcharges and scoring cycles look current whenever the demo starts from a fresh database.
Seeding again leaves existing rows alone, so decisions and studies made since survive it.

Four demo citizens own known vehicles and licences (identifiers in `DEMO_PEOPLE`); the
README lists them. Most vehicles are Dongguan's (粤S), a quarter of them new-energy.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from servicekit.clock import SHANGHAI
from traffic.penalties import amount_due_fen
from traffic.points import anniversary
from traffic.reference import ViolationCodeRow, division_names, violation_codes
from traffic.validators import (
    PLATE_LETTERS,
    PLATE_SERIAL_CHARS,
    VIN_CHARS,
    resident_id_check_char,
    vin_check_digit,
)
from wechat.demo_citizens import DemoCitizen, demo_citizen

POPULATION = 2000
HISTORY_DAYS = 730
RANDOM_SEED = "guanwei-traffic-population-v1"

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蔡叶钟"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰文辉建国志红梅海波宇婷健斌鹏浩晓燕"
# Area codes of resident IDs: Dongguan's, and the home areas many of the city's workers come from.
HOME_AREAS = (
    ("441900", 55),
    ("441581", 6),  # 陆丰
    ("430521", 6),  # 邵东
    ("360781", 5),  # 瑞金
    ("450881", 6),  # 桂平
    ("411421", 5),  # 民权
    ("510922", 5),  # 射洪
    ("421125", 6),  # 浠水
    ("445281", 6),  # 普宁
)
# Where plates come from: Dongguan mostly, then neighbours and home provinces.
PLATE_PREFIXES = (
    ("粤S", 85),
    ("粤A", 3),
    ("粤B", 3),
    ("粤L", 2),
    ("湘E", 2),
    ("赣B", 2),
    ("桂R", 2),
    ("豫N", 1),
)
LICENCE_CLASSES = (("C1", 82), ("C2", 7), ("B2", 6), ("A2", 2), ("B1", 1), ("A1", 1), ("A3", 1))
LARGE_CLASSES = frozenset({"A1", "A2", "A3", "B1", "B2"})
# World manufacturer identifiers of makers building cars for the Chinese market.
CAR_WMIS = ("LSV", "LFV", "LGB", "LVS", "LSG", "LHG", "LVG", "LBV", "LGW", "LS5")
NEV_WMIS = ("LGX", "LRW", "LC0", "LFP", "LMG")
TRUCK_WMIS = ("LGA", "LFW", "LZZ", "LFN")
# VIN position 10: model year codes from 2010 (A) on.
MODEL_YEARS = "ABCDEFGHJKLMNPRSTVWXY"
# How often each code is recorded, relative to one another (parking and speeding dominate).
CODE_WEIGHTS = {
    "1039": 30,
    "1352A": 18,
    "1636": 6,
    "1625": 10,
    "1345": 8,
    "1344": 6,
    "1208": 9,
    "4204": 3,
    "4008": 2,
    "1018": 5,
    "1357": 4,
    "1223": 5,
}
# Codes of roads outside the city: recorded on expressways.
HIGHWAY_CODES = frozenset({"4204", "4008", "1636"})
# Energy letters of small new-energy plates as they occur: mostly D (electric), some F (hybrid).
NEV_ENERGY_LETTERS = "DDDDDDDFFA"
ROADS = (
    "东莞大道",
    "莞太路",
    "莞樟路",
    "东城大道",
    "鸿福路",
    "元美路",
    "环城路",
    "莞龙路",
    "松山湖大道",
    "石大路",
    "107国道",
    "三环路",
    "东部快速路",
    "莞长路",
)
PLACE_SUFFIXES = ("与", "路段", "（公交站附近）", "路口")
CROSS_STREETS = ("中心路", "振兴路", "新城大道", "人民路", "工业大道", "体育路", "银湖路")
HIGHWAYS = ("广深高速东莞段", "莞深高速", "常虎高速", "从莞高速", "虎门大桥连接线")
SERIOUS_OFFENCES = ("饮酒后驾驶", "肇事逃逸", "使用伪造、变造号牌")


@dataclass(frozen=True)
class DemoViolation:
    """A demo violation, days counted back from the anchor day."""

    code: str
    days_ago: int
    place: str
    decided_days_ago: int | None = None
    paid_days_ago: int | None = None


@dataclass(frozen=True)
class DemoPerson:
    """A demo citizen's licence and vehicle. `cycle_days_ago`: how long ago the current scoring
    cycle began (the first-issue anniversary), so points stay meaningful on any anchor."""

    citizen: DemoCitizen
    file_number: str
    licence_class: str
    first_issued_year: int
    cycle_days_ago: int
    plate: str
    vin: str
    vehicle_type: str
    bound: bool
    violations: tuple[DemoViolation, ...]
    full_score_days_ago: int | None = None


# The demo citizens of wechat.demo_citizens, under the citizen_ids accounts seeds for them and the
# names and resident IDs every service knows them by.
_ZHANGSAN, _LISI, _WANGWU, _CHENXIAOMEI = map(
    demo_citizen, ("zhangsan", "lisi", "wangwu", "chenxiaomei")
)
DEMO_PEOPLE = (
    DemoPerson(
        citizen=_ZHANGSAN,
        file_number="441912345678",
        licence_class="C1",
        first_issued_year=2012,
        cycle_days_ago=200,
        plate="粤S12345",
        vin="LSVAU2187N2123456",
        vehicle_type="小型汽车",
        bound=True,
        violations=(
            DemoViolation("1039", 3, "东城街道东城大道东城万达广场段"),
            DemoViolation("1345", 12, "南城街道鸿福路与元美路交叉口"),
            DemoViolation("1625", 45, "莞城街道莞太路与环城路交叉口", 30),
            DemoViolation("1636", 150, "广深高速东莞段K52+300", 140, 135),
            DemoViolation("1352A", 400, "松山湖松山湖大道与工业南路路段", 390, 380),
        ),
    ),
    DemoPerson(
        citizen=_LISI,
        file_number="441987654321",
        licence_class="C1",
        first_issued_year=2008,
        cycle_days_ago=30,
        plate="粤SD66888",
        vin="LGXCE4CB0P0654321",
        vehicle_type="小型新能源汽车",
        bound=False,
        violations=(
            DemoViolation("1208", 6, "大朗镇富民中路与美景大道交叉口"),
            DemoViolation("1223", 20, "大朗镇松山湖大道路段"),
            DemoViolation("4204", 100, "莞深高速K28+600", 90, 85),
        ),
    ),
    DemoPerson(
        citizen=_WANGWU,
        file_number="441920080315",
        licence_class="B2",
        first_issued_year=2005,
        cycle_days_ago=120,
        plate="粤SB7788",
        vin="LGAG4DY30M1778899",
        vehicle_type="大型汽车",
        bound=True,
        violations=(
            DemoViolation("1018", 5, "松山湖工业北路路段"),
            DemoViolation("1625", 40, "寮步镇莞樟路与香市路交叉口", 35, 30),
            DemoViolation("4008", 100, "常虎高速K15+200", 95, 90),
        ),
        full_score_days_ago=35,
    ),
    DemoPerson(
        citizen=_CHENXIAOMEI,
        file_number="441919950808",
        licence_class="C1",
        first_issued_year=2019,
        cycle_days_ago=300,
        plate="粤SF36999",
        vin="LGXCH4CD1R1369990",
        vehicle_type="小型新能源汽车",
        bound=True,
        violations=(
            DemoViolation("1344", 15, "虎门镇虎门大道路段"),
            DemoViolation("1357", 80, "虎门镇连升路人行横道", 70, 60),
            DemoViolation("1345", 330, "长安镇长安广场路段", 320),
        ),
    ),
)


@dataclass
class Population:
    """Rows to insert; violations point at vehicles and decisions at violations and licences by
    their index in these lists (ids exist only once inserted)."""

    licences: list[dict] = field(default_factory=list)
    vehicles: list[dict] = field(default_factory=list)
    violations: list[dict] = field(default_factory=list)
    decisions: list[dict] = field(default_factory=list)
    # (citizen_id, vehicle index, licence index) of the demo bindings.
    bindings: list[tuple[str, int, int]] = field(default_factory=list)
    # (licence index, reached_on) of 12-point events.
    full_scores: list[tuple[int, date]] = field(default_factory=list)


def _at(day: date, hour: int, minute: int) -> datetime:
    """A local moment on `day`, in UTC for storage."""
    return datetime.combine(day, time(hour, minute), SHANGHAI).astimezone(UTC)


def _weighted(rng: random.Random, table: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([v for v, _ in table], weights=[w for _, w in table])[0]


def _with_check_digit(vin16: str) -> str:
    """A VIN from its 16 other characters, the check digit put at position 9."""
    draft = vin16[:8] + "0" + vin16[8:]
    return draft[:8] + vin_check_digit(vin=draft) + draft[9:]


class _Generator:
    """Draws unique identifiers and realistic records from one random stream."""

    def __init__(self, anchor: date) -> None:
        self.anchor = anchor
        self.rng = random.Random(RANDOM_SEED)
        self.codes = {row.code: row for row in violation_codes()}
        self.divisions = division_names()
        self.plates = {p.plate for p in DEMO_PEOPLE}
        self.vins = {p.vin for p in DEMO_PEOPLE}
        self.ids = {p.citizen.id_number for p in DEMO_PEOPLE}
        self.files = {p.file_number for p in DEMO_PEOPLE}

    def _unique(self, used: set[str], draw: Callable[[], str]) -> str:
        while True:
            value = draw()
            if value not in used:
                used.add(value)
                return value

    def name(self) -> str:
        given = "".join(self.rng.choices(GIVEN, k=self.rng.choice((1, 2, 2))))
        return self.rng.choice(SURNAMES) + given

    def id_number(self, birth: date) -> str:
        def draw() -> str:
            area = _weighted(self.rng, HOME_AREAS)
            first17 = f"{area}{birth:%Y%m%d}{self.rng.randrange(1, 1000):03d}"
            return first17 + resident_id_check_char(first17=first17)

        return self._unique(self.ids, draw)

    def file_number(self) -> str:
        return self._unique(self.files, lambda: f"4419{self.rng.randrange(10**8):08d}")

    def plate(self, *, new_energy: bool) -> str:
        def draw() -> str:
            prefix = _weighted(self.rng, PLATE_PREFIXES)
            digits = "".join(self.rng.choices("0123456789", k=4))
            if new_energy:
                second = self.rng.choice(PLATE_SERIAL_CHARS)
                return f"{prefix}{self.rng.choice(NEV_ENERGY_LETTERS)}{second}{digits}"
            if self.rng.random() < 0.7:
                return f"{prefix}{self.rng.choice(PLATE_LETTERS)}{digits}"
            mixed = self.rng.choices(PLATE_SERIAL_CHARS, k=5)
            return prefix + "".join(mixed)

        return self._unique(self.plates, draw)

    def vin(self, *, wmis: tuple[str, ...], year: int) -> str:
        def draw() -> str:
            vds = "".join(self.rng.choices(VIN_CHARS, k=5))
            model_year = MODEL_YEARS[(year - 2010) % len(MODEL_YEARS)]
            plant = self.rng.choice(VIN_CHARS)
            serial = f"{self.rng.randrange(10**6):06d}"
            return _with_check_digit(f"{self.rng.choice(wmis)}{vds}{model_year}{plant}{serial}")

        return self._unique(self.vins, draw)

    def days_ago(self, low: int, high: int) -> date:
        return self.anchor - timedelta(days=self.rng.randint(low, high))

    def place(self, code: str) -> str:
        if code in HIGHWAY_CODES:
            return (
                f"{self.rng.choice(HIGHWAYS)}K{self.rng.randint(1, 90)}+{self.rng.randrange(10)}00"
            )
        suffix = self.rng.choice(PLACE_SUFFIXES)
        if suffix == "与":
            suffix = f"与{self.rng.choice(CROSS_STREETS)}交叉口"
        return f"{self.rng.choice(self.divisions)}{self.rng.choice(ROADS)}{suffix}"


def _violation_row(*, vehicle: int, code: ViolationCodeRow, at: datetime, place: str) -> dict:
    return {
        "vehicle": vehicle,
        "code": code.code,
        "occurred_at": at,
        "place": place,
        "points": code.points,
        "fine_fen": code.fine_fen,
    }


def _decision_row(
    *, violation: int, licence: int, code: ViolationCodeRow, decided_on: date, paid_on: date | None
) -> dict:
    return {
        "violation": violation,
        "licence": licence,
        "fine_fen": code.fine_fen,
        "points": code.points,
        "decided_on": decided_on,
        "paid_on": paid_on,
        "paid_fen": None
        if paid_on is None
        else amount_due_fen(fine_fen=code.fine_fen, decided_on=decided_on, on=paid_on),
    }


def _add_demo_people(population: Population, *, anchor: date, codes: dict) -> None:
    for person in DEMO_PEOPLE:
        cycle_start = anchor - timedelta(days=person.cycle_days_ago)
        licence = len(population.licences)
        population.licences.append(
            {
                "licence_number": person.citizen.id_number,
                "file_number": person.file_number,
                "holder_name": person.citizen.name,
                "licence_class": person.licence_class,
                "first_issued_on": anniversary(
                    first_issued_on=cycle_start, year=person.first_issued_year
                ),
                "serious_offence": None,
                "serious_offence_on": None,
            }
        )
        vehicle = len(population.vehicles)
        population.vehicles.append(
            {
                "plate": person.plate,
                "vin": person.vin,
                "vehicle_type": person.vehicle_type,
                "owner_name": person.citizen.name,
                "owner_id_number": person.citizen.id_number,
                "registered_on": date(2022, 3, 18),
            }
        )
        for item in person.violations:
            code = codes[item.code]
            at = _at(anchor - timedelta(days=item.days_ago), 8 + item.days_ago % 12, 32)
            population.violations.append(
                _violation_row(vehicle=vehicle, code=code, at=at, place=item.place)
            )
            if item.decided_days_ago is not None:
                population.decisions.append(
                    _decision_row(
                        violation=len(population.violations) - 1,
                        licence=licence,
                        code=code,
                        decided_on=anchor - timedelta(days=item.decided_days_ago),
                        paid_on=None
                        if item.paid_days_ago is None
                        else anchor - timedelta(days=item.paid_days_ago),
                    )
                )
        if person.bound:
            population.bindings.append((person.citizen.citizen_id, vehicle, licence))
        if person.full_score_days_ago is not None:
            population.full_scores.append(
                (licence, anchor - timedelta(days=person.full_score_days_ago))
            )


def generate_population(*, anchor: date) -> Population:
    """The demo people, then `POPULATION` minus them generated people, each with a licence and a
    vehicle, and the vehicles' violations of the `HISTORY_DAYS` before `anchor`."""
    gen = _Generator(anchor)
    population = Population()
    _add_demo_people(population, anchor=anchor, codes=gen.codes)
    rng = gen.rng
    code_list = list(CODE_WEIGHTS)
    code_weights = list(CODE_WEIGHTS.values())
    for _ in range(POPULATION - len(DEMO_PEOPLE)):
        name = gen.name()
        birth = gen.days_ago(18 * 365 + 30, 62 * 365)
        id_number = gen.id_number(birth)
        licence_class = _weighted(rng, LICENCE_CLASSES)
        earliest = max(birth + timedelta(days=18 * 366), anchor - timedelta(days=25 * 365))
        span = max(60, (anchor - earliest).days)
        licence = len(population.licences)
        row = {
            "licence_number": id_number,
            "file_number": gen.file_number(),
            "holder_name": name,
            "licence_class": licence_class,
            "first_issued_on": anchor - timedelta(days=rng.randint(60, span)),
            "serious_offence": None,
            "serious_offence_on": None,
        }
        if rng.random() < 0.01:
            row["serious_offence"] = rng.choice(SERIOUS_OFFENCES)
            row["serious_offence_on"] = gen.days_ago(30, HISTORY_DAYS)
        population.licences.append(row)
        large = licence_class in LARGE_CLASSES and rng.random() < 0.7
        new_energy = not large and rng.random() < 0.27
        registered_on = gen.days_ago(90, 12 * 365)
        if large:
            wmis, vehicle_type = TRUCK_WMIS, "大型汽车"
        elif new_energy:
            wmis, vehicle_type = NEV_WMIS, "小型新能源汽车"
        else:
            wmis, vehicle_type = CAR_WMIS, "小型汽车"
        vehicle = len(population.vehicles)
        population.vehicles.append(
            {
                "plate": gen.plate(new_energy=new_energy),
                "vin": gen.vin(wmis=wmis, year=registered_on.year),
                "vehicle_type": vehicle_type,
                "owner_name": name,
                "owner_id_number": id_number,
                "registered_on": registered_on,
            }
        )
        count = rng.choices(range(6), weights=(45, 25, 15, 8, 5, 2))[0]
        for _ in range(count):
            code = gen.codes[rng.choices(code_list, weights=code_weights)[0]]
            day = gen.days_ago(0, min(HISTORY_DAYS, (anchor - registered_on).days))
            at = _at(day, rng.randint(6, 22), rng.randrange(60))
            population.violations.append(
                _violation_row(vehicle=vehicle, code=code, at=at, place=gen.place(code.code))
            )
            age = (anchor - day).days
            if rng.random() >= (0.92 if age > 45 else 0.5 if age > 7 else 0.1):
                continue
            decided_on = day + timedelta(days=rng.randint(min(age, 2), min(age, 30)))
            settled = rng.random() < (0.93 if (anchor - decided_on).days > 15 else 0.6)
            paid_on = decided_on + timedelta(
                days=rng.randint(0, min(20, (anchor - decided_on).days))
            )
            # Now and then someone else drove: the points went to another licence.
            # (never a demo person, whose points the README documents).
            driver = (
                licence if rng.random() < 0.95 else rng.randrange(len(DEMO_PEOPLE), licence + 1)
            )
            population.decisions.append(
                _decision_row(
                    violation=len(population.violations) - 1,
                    licence=driver,
                    code=code,
                    decided_on=decided_on,
                    paid_on=paid_on if settled else None,
                )
            )
    return population
