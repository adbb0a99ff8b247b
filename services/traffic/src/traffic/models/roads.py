"""Road conditions: API models only (computed on read by traffic.roads, nothing stored)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlmodel import Field, SQLModel


class RoadSegmentPublic(SQLModel):
    """One road segment at the snapshot: speed, status 0-4 and its map colour."""

    code: str = Field(description="路段编号")
    road: str = Field(description="道路名称")
    section: str = Field(description="路段")
    road_class: Literal["expressway", "arterial", "secondary"]
    road_class_text: str
    length_km: float
    speed_kmh: int | None = Field(description="平均车速（公里/小时）")
    status: int = Field(description="0 未知 | 1 畅通 | 2 缓行 | 3 拥堵 | 4 严重拥堵")
    status_text: str
    colour: str = Field(description="地图颜色：绿 畅通，黄 缓行，红 拥堵，深红 严重拥堵")


class RoadConditionsPage(SQLModel):
    """Segments matching the filters at one snapshot, with the city's index over all segments."""

    snapshot_at: datetime = Field(description="路况快照时间（北京时间，每5分钟更新）")
    index: float = Field(description="全市交通指数 0-10")
    index_level: str = Field(description="畅通 | 基本畅通 | 轻度拥堵 | 中度拥堵 | 严重拥堵")
    congested_roads: list[str] = Field(description="有拥堵（红色）路段的道路")
    clear_roads: list[str] = Field(description="全线畅通（绿色）的道路")
    items: list[RoadSegmentPublic]
    total: int
