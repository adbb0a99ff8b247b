"""Examples of the public models in the OpenAPI document: the seeded synthetic forecast of
大朗镇 for 2026-12-04, with a rainstorm signal a forecaster issued for it."""

from typing import Any

DALANG = {"code": "dalang", "name": "大朗镇", "kind": "town", "lat": 22.92, "lon": 113.91}
WARNING: dict[str, Any] = {
    "id": 1,
    "name": "暴雨黄色预警信号",
    "hazard": "rainstorm",
    "hazard_name": "暴雨",
    "colour": "yellow",
    "colour_name": "黄色",
    "area": "dalang",
    "area_name": "大朗镇",
    "issued_at": "2026-12-04T07:30:00+08:00",
    "updated_at": "2026-12-04T07:30:00+08:00",
    "lifted_at": None,
}
WARNING_ISSUE = {"hazard": "rainstorm", "colour": "yellow", "area": "dalang"}


def _day(date: str, text: str, codes: str, temps: tuple[int, int], rain: int, wind: str) -> Any:
    direction, force = wind[:-1], int(wind[-1])
    return {
        "date": date,
        "text": text,
        "day_code": codes[:2],
        "night_code": codes[2:],
        "temp_min_c": temps[0],
        "temp_max_c": temps[1],
        "rain_mm": 0.0,
        "rain_probability": rain,
        "wind_direction": direction,
        "wind_force": force,
        "wind_text": f"{direction}{force}级",
        "uv_index": 4 if date < "2026-12-06" else 5,
    }


FORECAST: dict[str, Any] = {
    "warnings": [WARNING],
    "location": DALANG,
    "forecast_date": "2026-12-04",
    "issued_at": "2026-12-04T00:00:00+08:00",
    "source": "synthetic",
    "issuance_id": None,
    "issuance_version": None,
    "days": [
        _day("2026-12-04", "多云", "0101", (13, 21), 12, "北风2"),
        _day("2026-12-05", "多云", "0101", (13, 20), 20, "北风3"),
        _day("2026-12-06", "晴转多云", "0001", (14, 22), 20, "西北风2"),
        _day("2026-12-07", "晴", "0000", (14, 22), 6, "北风3"),
        _day("2026-12-08", "晴", "0000", (14, 22), 18, "北风2"),
    ],
}
