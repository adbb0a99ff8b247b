"""Road conditions (路况): the city's main road segments, their speed, status and the city index.

Status from speed by road class follows reference/traffic-and-payment.md ("Road conditions"):
0 unknown, 1 畅通, 2 缓行, 3 拥堵, 4 严重拥堵; of the reference's five speed bands, the top two
(畅通 and 基本畅通) are both status 1, green on the map. The city's traffic index (0-10) is the
length-weighted mean of each segment's index, itself derived from the ratio of free-flow travel
time to current travel time.

There is no real detector feed here: a synthetic feed computes every segment's speed from the
time of day on read. It is deterministic given a time (same 5-minute snapshot, same speeds on
every replica, nothing stored, nothing to refresh), with rush hours on working days (7:30-9:00,
17:30-19:30), a lighter midday, lighter weekends with a leisure peak in the afternoon, and a
small per-segment wobble from a hash of the segment and the snapshot.
"""

from __future__ import annotations

import hashlib
from bisect import bisect_right
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from servicekit.clock import SHANGHAI
from servicekit.errors import NotFound

RoadClass = Literal["expressway", "arterial", "secondary"]
SNAPSHOT_MINUTES = 5

STATUS_TEXT = {0: "未知", 1: "畅通", 2: "缓行", 3: "拥堵", 4: "严重拥堵"}
ROAD_CLASS_TEXT = {"expressway": "高速公路/快速路", "arterial": "主干道", "secondary": "次干道"}
# The reference's five speed bands by class (km/h): above the first bound, then down to each
# next bound (lower bound exclusive), and at or below the last.
SPEED_BANDS: dict[str, tuple[int, int, int, int]] = {
    "expressway": (65, 50, 35, 20),
    "arterial": (40, 30, 20, 15),
    "secondary": (35, 25, 15, 10),
}
# Five bands, four colours: 畅通 and 基本畅通 are both green on the map, as on the national app.
BAND_STATUS = (1, 1, 2, 3, 4)
FREE_FLOW_KMH: dict[str, int] = {"expressway": 90, "arterial": 50, "secondary": 45}


@dataclass(frozen=True)
class Segment:
    """One direction-agnostic stretch of a road, drawn on the schematic map from `points`.

    `sensitivity`: the share of its free-flow speed the segment loses at the heaviest demand
    (known bottlenecks lose more).
    """

    code: str
    road: str
    section: str
    road_class: RoadClass
    length_km: float
    sensitivity: float
    points: tuple[tuple[float, float], ...]  # (longitude, latitude), roughly where the road runs


def _seg(
    code: str,
    road: str,
    section: str,
    road_class: RoadClass,
    length_km: float,
    sensitivity: float,
    *points: tuple[float, float],
) -> Segment:
    return Segment(code, road, section, road_class, length_km, sensitivity, points)


SEGMENTS: tuple[Segment, ...] = (
    _seg(
        "gsgs-1",
        "广深高速",
        "望洪至厚街",
        "expressway",
        14.0,
        0.80,
        (113.66, 23.07),
        (113.67, 22.94),
    ),
    _seg(
        "gsgs-2",
        "广深高速",
        "厚街至虎门",
        "expressway",
        11.0,
        0.85,
        (113.67, 22.94),
        (113.70, 22.84),
    ),
    _seg(
        "gsgs-3",
        "广深高速",
        "虎门至长安",
        "expressway",
        12.0,
        0.90,
        (113.70, 22.84),
        (113.79, 22.76),
    ),
    _seg(
        "gsz-1",
        "莞深高速",
        "石碣至东城",
        "expressway",
        10.0,
        0.55,
        (113.81, 23.09),
        (113.80, 23.00),
    ),
    _seg(
        "gsz-2",
        "莞深高速",
        "东城至黄江",
        "expressway",
        20.0,
        0.65,
        (113.80, 23.00),
        (113.97, 22.88),
    ),
    _seg(
        "gsz-3",
        "莞深高速",
        "黄江至凤岗",
        "expressway",
        19.0,
        0.75,
        (113.97, 22.88),
        (114.06, 22.79),
        (114.13, 22.73),
    ),
    _seg(
        "gfgs-1",
        "莞佛高速",
        "厚街至虎门",
        "expressway",
        10.0,
        0.60,
        (113.71, 22.93),
        (113.66, 22.84),
    ),
    _seg(
        "gfgs-2",
        "莞佛高速",
        "虎门至虎门大桥",
        "expressway",
        7.0,
        0.80,
        (113.66, 22.84),
        (113.60, 22.79),
    ),
    _seg(
        "chgs-1",
        "常虎高速",
        "常平至大朗",
        "expressway",
        12.0,
        0.45,
        (114.00, 22.98),
        (113.92, 22.93),
    ),
    _seg(
        "chgs-2",
        "常虎高速",
        "大朗至虎门",
        "expressway",
        24.0,
        0.55,
        (113.92, 22.93),
        (113.70, 22.85),
    ),
    _seg(
        "dbks-1",
        "东部快速路",
        "石碣至东城",
        "expressway",
        9.0,
        0.50,
        (113.79, 23.08),
        (113.79, 23.01),
    ),
    _seg(
        "dbks-2",
        "东部快速路",
        "东城至大朗",
        "expressway",
        17.0,
        0.60,
        (113.79, 23.01),
        (113.92, 22.92),
    ),
    _seg(
        "dbks-3",
        "东部快速路",
        "大朗至清溪",
        "expressway",
        22.0,
        0.45,
        (113.92, 22.92),
        (114.12, 22.83),
    ),
    _seg(
        "dgdd-1",
        "东莞大道",
        "鸿福路至南城",
        "arterial",
        5.0,
        0.70,
        (113.75, 23.02),
        (113.745, 22.98),
    ),
    _seg(
        "dgdd-2", "东莞大道", "南城至厚街", "arterial", 8.0, 0.60, (113.745, 22.98), (113.72, 22.92)
    ),
    _seg("gtl-1", "莞太路", "莞城至南城", "arterial", 5.0, 0.80, (113.75, 23.04), (113.73, 22.99)),
    _seg("gtl-2", "莞太路", "南城至厚街", "arterial", 9.0, 0.75, (113.73, 22.99), (113.68, 22.93)),
    _seg("gtl-3", "莞太路", "厚街至虎门", "arterial", 12.0, 0.70, (113.68, 22.93), (113.67, 22.83)),
    _seg(
        "ssh-1",
        "松山湖大道",
        "寮步至松山湖",
        "arterial",
        7.0,
        0.55,
        (113.87, 22.98),
        (113.89, 22.92),
    ),
    _seg(
        "ssh-2",
        "松山湖大道",
        "松山湖至大朗",
        "arterial",
        6.0,
        0.45,
        (113.89, 22.92),
        (113.94, 22.90),
    ),
    _seg("hcl-1", "环城路", "环城东路", "arterial", 5.0, 0.65, (113.77, 23.05), (113.78, 23.00)),
    _seg("hcl-2", "环城路", "环城南路", "arterial", 5.0, 0.70, (113.78, 23.00), (113.73, 22.99)),
    _seg("hcl-3", "环城路", "环城西路", "arterial", 6.0, 0.60, (113.73, 22.99), (113.72, 23.05)),
    _seg("dczl-1", "东城中路", "东城段", "secondary", 4.0, 0.65, (113.76, 23.03), (113.80, 23.02)),
)
ROADS: tuple[str, ...] = tuple(dict.fromkeys(s.road for s in SEGMENTS))

# Traffic demand (0-1) through the day at (minute of day, demand); linear in between.
WORKDAY_DEMAND = (
    (0, 0.05),
    (360, 0.10),
    (420, 0.45),
    (450, 0.95),
    (540, 0.95),
    (600, 0.50),
    (720, 0.40),
    (1020, 0.55),
    (1050, 1.00),
    (1170, 1.00),
    (1230, 0.55),
    (1320, 0.25),
    (1440, 0.05),
)
WEEKEND_DEMAND = (
    (0, 0.05),
    (420, 0.10),
    (600, 0.45),
    (720, 0.50),
    (900, 0.80),
    (1110, 0.80),
    (1260, 0.35),
    (1440, 0.05),
)


@dataclass(frozen=True)
class SegmentCondition:
    """A segment's speed and status at one snapshot."""

    segment: Segment
    speed_kmh: int | None
    status: int


@dataclass(frozen=True)
class CityConditions:
    """Every segment at one snapshot, and the city's traffic index."""

    snapshot_at: datetime
    index: float
    segments: tuple[SegmentCondition, ...]


def segment_status(*, road_class: RoadClass, speed_kmh: float | None) -> int:
    """Status 0-4 of a segment of `road_class` moving at `speed_kmh` (None: no data, 0)."""
    if speed_kmh is None:
        return 0
    band = sum(speed_kmh <= bound for bound in SPEED_BANDS[road_class])
    return BAND_STATUS[band]


def segment_index(*, road_class: RoadClass, speed_kmh: float) -> float:
    """Index 0-10 of one segment: 0 at free flow, 10 when travel takes 3 times as long."""
    ratio = FREE_FLOW_KMH[road_class] / max(speed_kmh, 1.0)
    return min(10.0, max(0.0, (ratio - 1.0) * 5.0))


def traffic_index(*, conditions: tuple[SegmentCondition, ...]) -> float:
    """The city's index 0-10: segment indexes weighted by length, segments without data left out."""
    known = [c for c in conditions if c.speed_kmh is not None]
    if not known:
        return 0.0
    weighted = sum(
        c.segment.length_km
        * segment_index(road_class=c.segment.road_class, speed_kmh=c.speed_kmh or 0)
        for c in known
    )
    return round(weighted / sum(c.segment.length_km for c in known), 1)


def index_level(*, index: float) -> str:
    """The level of a city index: 0-2 畅通, 2-4 基本畅通, 4-6 轻度, 6-8 中度, 8-10 严重拥堵."""
    for upper, text in ((2, "畅通"), (4, "基本畅通"), (6, "轻度拥堵"), (8, "中度拥堵")):
        if index < upper:
            return text
    return "严重拥堵"


def snapshot_time(*, at: datetime) -> datetime:
    """The 5-minute snapshot `at` falls in, in Asia/Shanghai."""
    local = at.astimezone(SHANGHAI).replace(second=0, microsecond=0)
    return local - timedelta(minutes=local.minute % SNAPSHOT_MINUTES)


def demand(*, at: datetime) -> float:
    """Traffic demand 0-1 at a moment: working-day rush hours, lighter weekends."""
    local = at.astimezone(SHANGHAI)
    curve = WEEKEND_DEMAND if local.weekday() >= 5 else WORKDAY_DEMAND
    minute = local.hour * 60 + local.minute + local.second / 60
    i = bisect_right([m for m, _ in curve], minute) - 1
    (m0, d0), (m1, d1) = curve[i], curve[min(i + 1, len(curve) - 1)]
    return d0 if m1 == m0 else d0 + (d1 - d0) * (minute - m0) / (m1 - m0)


def _wobble(*, code: str, snapshot: datetime) -> float:
    """A deterministic factor in [-1, 1] for one segment at one snapshot."""
    digest = hashlib.sha256(f"{code}@{snapshot.isoformat()}".encode()).digest()
    return int.from_bytes(digest[:4], "big") / 0xFFFFFFFF * 2 - 1


def synthetic_speed(*, segment: Segment, snapshot: datetime) -> int:
    """The feed's speed (km/h) of a segment at a snapshot: free flow slowed by demand."""
    load = demand(at=snapshot) ** 1.5 * segment.sensitivity
    factor = (1 - load) * (1 + 0.08 * _wobble(code=segment.code, snapshot=snapshot))
    return max(5, round(FREE_FLOW_KMH[segment.road_class] * factor))


def city_conditions(*, at: datetime) -> CityConditions:
    """Every segment's speed and status at the snapshot `at` falls in, and the city index."""
    snapshot = snapshot_time(at=at)
    conditions = []
    for segment in SEGMENTS:
        speed = synthetic_speed(segment=segment, snapshot=snapshot)
        status = segment_status(road_class=segment.road_class, speed_kmh=speed)
        conditions.append(SegmentCondition(segment=segment, speed_kmh=speed, status=status))
    found = tuple(conditions)
    return CityConditions(
        snapshot_at=snapshot, index=traffic_index(conditions=found), segments=found
    )


def road_summary(*, conditions: tuple[SegmentCondition, ...]) -> tuple[list[str], list[str]]:
    """(roads with a congested segment, status 3 or worse; roads clear on every segment)."""
    worst: dict[str, int] = {}
    for c in conditions:
        worst[c.segment.road] = max(worst.get(c.segment.road, 0), c.status)
    congested = [road for road, status in worst.items() if status >= 3]
    clear = [road for road, status in worst.items() if status == 1]
    return congested, clear


def matching_segments(
    conditions: CityConditions, *, road: str | None, statuses: list[int] | None
) -> list[SegmentCondition]:
    """The snapshot's segments on a road whose name contains `road`, in one of `statuses`;
    404 when no road matches."""
    items = list(conditions.segments)
    if road:
        wanted = road.strip()
        items = [c for c in items if wanted in c.segment.road]
        if not items:
            raise NotFound(f"未找到道路“{wanted}”。可查询的道路：{'、'.join(ROADS)}。")
    if statuses:
        items = [c for c in items if c.status in statuses]
    return items
