"""`/v1/forecasts/{location_code}`: the 5-day forecast of a location or of the whole city."""

from fastapi import APIRouter

from servicekit.deps import SessionDep
from servicekit.errors import NotFound
from weather.clock import now_local
from weather.models import ForecastPublic, Location, LocationPublic
from weather.reference import CITY, Division
from weather.synthetic import synthetic_forecast

router = APIRouter(prefix="/v1/forecasts", tags=["forecasts"])


@router.get("/{location_code}", response_model=ForecastPublic, summary="5 天天气预报")
def get_forecast(location_code: str, session: SessionDep) -> ForecastPublic:
    """Today and the next four days; `dongguan` is the city as a whole."""
    if location_code == CITY.code:
        division = CITY
    else:
        row = session.get(Location, location_code)
        if row is None:
            raise NotFound(
                f"未找到地点“{location_code}”，"
                "请使用 /v1/locations 中的代码，或 dongguan 表示全市。"
            )
        division = Division(row.code, row.name, row.kind, row.lat, row.lon, row.confidence)
    issued = now_local()
    return ForecastPublic(
        location=LocationPublic(
            code=division.code,
            name=division.name,
            kind=division.kind,
            lat=division.lat,
            lon=division.lon,
        ),
        issued_at=issued.replace(microsecond=0),
        source="synthetic",
        days=synthetic_forecast(division=division, start=issued.date()),
    )
