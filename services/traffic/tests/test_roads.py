"""Road conditions: status by speed and road class, the city index, the synthetic daily rhythm,
`/v1/road-conditions` and its map."""

import io
from datetime import datetime

import pytest
from fastapi.testclient import TestClient

from servicekit.cjk import CJKFontNotFound, missing_glyphs
from servicekit.clock import SHANGHAI
from servicekit.testing import require
from traffic.roadmap import find_map_font, map_text
from traffic.roads import (
    ROADS,
    SEGMENTS,
    SegmentCondition,
    city_conditions,
    demand,
    index_level,
    segment_status,
    snapshot_time,
    traffic_index,
)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment of June 2026 in Dongguan (15 June is a Monday, 20 June a Saturday)."""
    return datetime(2026, 6, day, hour, minute, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("road_class", "speed", "status"),
    [
        ("expressway", None, 0),
        ("expressway", 90, 1),
        ("expressway", 66, 1),
        ("expressway", 65, 1),  # 50-65 基本畅通: green too
        ("expressway", 51, 1),
        ("expressway", 50, 2),
        ("expressway", 36, 2),
        ("expressway", 35, 3),
        ("expressway", 21, 3),
        ("expressway", 20, 4),
        ("expressway", 0, 4),
        ("arterial", 41, 1),
        ("arterial", 31, 1),
        ("arterial", 30, 2),
        ("arterial", 20, 3),
        ("arterial", 15, 4),
        ("secondary", 36, 1),
        ("secondary", 26, 1),
        ("secondary", 25, 2),
        ("secondary", 15, 3),
        ("secondary", 10, 4),
        ("secondary", 10.5, 3),
    ],
)
def test_status_from_speed_by_road_class(road_class, speed, status) -> None:
    assert segment_status(road_class=road_class, speed_kmh=speed) == status


@pytest.mark.parametrize(
    ("index", "level"),
    [
        (0, "畅通"),
        (1.9, "畅通"),
        (2, "基本畅通"),
        (4, "轻度拥堵"),
        (6, "中度拥堵"),
        (7.9, "中度拥堵"),
        (8, "严重拥堵"),
        (10, "严重拥堵"),
    ],
)
def test_index_levels(index: float, level: str) -> None:
    assert index_level(index=index) == level


def test_the_index_weighs_segments_by_length_and_skips_missing_data() -> None:
    free, jammed = SEGMENTS[0], SEGMENTS[1]  # two expressway segments
    conditions = (
        SegmentCondition(free, 90, 1),
        SegmentCondition(jammed, 30, 3),  # three times the free-flow travel time: 10
        SegmentCondition(SEGMENTS[2], None, 0),
    )
    expected = round(10 * jammed.length_km / (free.length_km + jammed.length_km), 1)
    assert traffic_index(conditions=conditions) == expected
    assert traffic_index(conditions=(SegmentCondition(free, None, 0),)) == 0


@pytest.mark.parametrize(
    ("moment", "low", "high"),
    [
        (at(15, 3), 0, 0.1),
        (at(15, 8, 15), 0.9, 1),  # Monday morning rush
        (at(15, 12), 0.3, 0.5),
        (at(15, 18, 30), 0.95, 1),  # Monday evening rush
        (at(15, 23), 0.1, 0.3),
        (at(20, 8, 15), 0.1, 0.4),  # Saturday: no morning rush
        (at(20, 16), 0.7, 0.85),  # but an afternoon outing peak
    ],
)
def test_daily_rhythm(moment: datetime, low: float, high: float) -> None:
    assert low <= demand(at=moment) <= high


def test_the_feed_is_deterministic_per_five_minute_snapshot() -> None:
    assert snapshot_time(at=at(15, 8, 17)) == at(15, 8, 15)
    assert city_conditions(at=at(15, 8, 15)) == city_conditions(at=at(15, 8, 19))
    rush, night = city_conditions(at=at(15, 18, 30)), city_conditions(at=at(15, 3))
    assert rush.index >= 6 > 2 > night.index
    assert {c.status for c in night.segments} == {1}
    assert {3, 4} & {c.status for c in rush.segments}
    weekend = city_conditions(at=at(20, 18, 30))
    assert night.index < weekend.index < rush.index


def test_road_conditions_at_the_evening_rush(client: TestClient, clock) -> None:
    clock.now = at(15, 18, 30)
    body = client.get("/v1/road-conditions", params={"limit": 100}).json()
    assert body["snapshot_at"] == "2026-06-15T18:30:00+08:00"
    assert body["total"] == len(SEGMENTS) == len(body["items"])
    assert 6 <= body["index"] <= 10 and body["index_level"] in ("中度拥堵", "严重拥堵")
    assert "广深高速" in body["congested_roads"] and set(body["congested_roads"]) <= set(ROADS)
    segment = body["items"][0]
    assert set(segment) >= {"road", "section", "speed_kmh", "status", "status_text", "colour"}
    red = client.get("/v1/road-conditions", params=[("status", 3), ("status", 4)]).json()
    assert red["total"] and {i["status"] for i in red["items"]} <= {3, 4}
    one = client.get("/v1/road-conditions", params={"road": "莞太"}).json()
    assert one["total"] == 3 and {i["road"] for i in one["items"]} == {"莞太路"}


def test_bad_road_condition_filters(client: TestClient) -> None:
    unknown = client.get("/v1/road-conditions", params={"road": "长江路"})
    assert unknown.status_code == 404 and "广深高速" in unknown.json()["detail"]
    assert client.get("/v1/road-conditions", params={"status": 5}).status_code == 422


def font_or_skip(moment: datetime):
    try:
        return find_map_font(map_text(city_conditions(at=moment)))
    except CJKFontNotFound:
        require("no CJK font installed (Debian: fonts-wqy-microhei)")


def test_the_map_font_covers_every_character_drawn() -> None:
    from matplotlib.ft2font import FT2Font, LoadFlags

    text = map_text(city_conditions(at=at(15, 8, 15)))
    font = font_or_skip(at(15, 8, 15))
    assert missing_glyphs(font, text.all_text()) == set()
    face = FT2Font(str(font))
    for ch in set(text.all_text()) - {" "}:
        face.load_char(ord(ch), flags=LoadFlags.NO_HINTING)
        assert len(face.get_path()[0]), f"{ch!r} draws nothing"


@pytest.mark.slow
def test_the_map_is_a_png_with_red_and_green_segments(client: TestClient, clock) -> None:
    from PIL import Image

    font_or_skip(at(20, 16))
    clock.now = at(20, 16)  # Saturday afternoon: 广深高速 red, 常虎高速 green
    response = client.get("/v1/road-conditions/map.png")
    assert response.status_code == 200 and response.headers["content-type"] == "image/png"
    image = Image.open(io.BytesIO(response.content)).convert("RGB")
    colours = {colour for _count, colour in image.getcolors(maxcolors=1 << 20)}
    assert (0x2E, 0x9E, 0x44) in colours and (0xD9, 0x30, 0x25) in colours


def test_without_a_cjk_font_the_map_is_a_503_problem(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_font(text):
        raise CJKFontNotFound("未找到中文字体，请安装 fonts-wqy-microhei")

    monkeypatch.setattr("traffic.routes.road_conditions.find_map_font", no_font)
    response = client.get("/v1/road-conditions/map.png")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
