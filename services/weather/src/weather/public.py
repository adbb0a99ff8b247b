"""The public form of weather's records: every `*_public` mapper of the API in one place.

Times are given in Asia/Shanghai; names come from the reference tables.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from servicekit.clock import local
from weather.models import (
    Bulletin,
    BulletinPublic,
    BulletinPush,
    BulletinPushPublic,
    ForecastIssuance,
    ForecastPublic,
    IndexPublic,
    IndicesPublic,
    IssuanceSummary,
    LocationPublic,
    WarningEvent,
    WarningEventPublic,
    WarningPublic,
    WarningSignal,
)
from weather.reference import (
    ACTION_NAMES,
    COLOUR_NAMES,
    Division,
    hazards,
    location_names,
    signal_name,
)
from weather.serving import ServedForecast, public_source

if TYPE_CHECKING:
    # Only a type here: weather.indices imports weather.signals, which imports this module.
    from weather.indices import IndexReading


def location_public(division: Division) -> LocationPublic:
    """The public form of a location or of the city."""
    d = division
    return LocationPublic(code=d.code, name=d.name, kind=d.kind, lat=d.lat, lon=d.lon)


def _served_header(served: ServedForecast, warnings: list[WarningPublic]) -> dict[str, Any]:
    """What a forecast and its indices both lead with: the signals, the place, the issuance."""
    return {
        "warnings": warnings,
        "location": location_public(served.division),
        "source": served.source,
        "issuance_id": served.issuance_id,
        "issuance_version": served.issuance_version,
    }


def forecast_public(served: ServedForecast, warnings: list[WarningPublic]) -> ForecastPublic:
    """The public answer: warnings first, then the location and its days."""
    return ForecastPublic(
        **_served_header(served, warnings),
        forecast_date=served.forecast_date,
        issued_at=served.issued_at,
        days=served.days,
    )


def indices_public(
    served: ServedForecast,
    day: date,
    warnings: list[WarningPublic],
    readings: Sequence[IndexReading],
) -> IndicesPublic:
    """The indices of one day of a served forecast, the signals in force first."""
    return IndicesPublic(
        **_served_header(served, warnings),
        date=day,
        indices=[IndexPublic(**vars(r)) for r in readings],
    )


def warning_public(signal: WarningSignal) -> WarningPublic:
    """The public form of a signal (times in Asia/Shanghai)."""
    assert signal.id is not None
    return WarningPublic(
        id=signal.id,
        name=signal_name(signal.hazard, signal.colour),
        hazard=signal.hazard,
        hazard_name=hazards()[signal.hazard].name,
        colour=signal.colour,
        colour_name=COLOUR_NAMES[signal.colour],
        area=signal.area,
        area_name=location_names()[signal.area],
        issued_at=local(signal.issued_at),
        updated_at=local(signal.updated_at),
        lifted_at=local(signal.lifted_at) if signal.lifted_at else None,
    )


def event_public(event: WarningEvent, signal: WarningSignal) -> WarningEventPublic:
    """One step of a signal's life, named as it stood after the step."""
    assert event.id is not None
    return WarningEventPublic(
        id=event.id,
        signal_id=event.signal_id,
        action=event.action,
        action_name=ACTION_NAMES[event.action],
        name=signal_name(signal.hazard, event.colour),
        hazard=signal.hazard,
        colour=event.colour,
        previous_colour=event.previous_colour,
        area=signal.area,
        area_name=location_names()[signal.area],
        at=local(event.at),
    )


def issuance_summary(issuance: ForecastIssuance, locations: list[str]) -> IssuanceSummary:
    """An issuance without its days, with the locations it covers."""
    return IssuanceSummary(
        **issuance.model_dump(include={"id", "forecast_date", "version", "note"}),
        issued_at=local(issuance.issued_at),
        source=public_source(issuance.source),
        locations=locations,
    )


def bulletin_public(row: Bulletin) -> BulletinPublic:
    """A bulletin the duty forecaster wrote."""
    return BulletinPublic(
        date=row.bulletin_date,
        text=row.text,
        source="forecaster",
        written_at=local(row.written_at),
    )


def push_public(row: BulletinPush | None, bulletin_date: date) -> BulletinPushPublic:
    """The public view of a date's push row (none: not pushed)."""
    if row is None:
        # Nothing tried yet: every detail of a push is empty.
        empty = dict.fromkeys(
            BulletinPushPublic.model_fields.keys() - {"date", "status", "attempts"}
        )
        return BulletinPushPublic(date=bulletin_date, status="not_pushed", attempts=0, **empty)
    sent = row.status == "sent"
    failed = row.status == "failed"
    return BulletinPushPublic(
        date=bulletin_date,
        status=row.status,
        msg_id=row.msg_id,
        sent_at=local(row.sent_at) if row.sent_at else None,
        attempts=row.attempts,
        last_attempt_at=local(row.claimed_at),
        title=row.title if sent else None,
        text=row.text if sent else None,
        source=row.source if sent else None,
        error=row.error if failed else None,
        errcode=row.errcode if failed else None,
    )
