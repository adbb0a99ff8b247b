"""东莞交警's chat intents: each gathers traffic's own records and words them (texts).

Public answers (a vehicle's violations by plate and VIN suffix, road conditions, offices and
guides) need nobody's identity. Personal ones (the citizen's own violations, points, review
study and unpaid fines) read only the bindings of the citizen the gateway identified, as
`/v1/me/...` does; without that citizen they answer `needs_citizen`, and the gateway says why it
could not identify them. The fines answer links to the gateway's H5 payment page (`/h5/fines`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from urllib.parse import urlencode

from sqlmodel import Session, col

from servicekit.answers import (
    Answer,
    AnswerLink,
    AnswerRequest,
    CitizenNeed,
    Question,
    intent_not_served,
)
from servicekit.chattext import clip
from servicekit.clock import local_day
from servicekit.deps import PageParams, paginate
from servicekit.errors import NotFound
from servicekit.identity import Identity
from traffic.answers.reading import asks_where_clear, guide_topic, lookup_args, road_asked
from traffic.answers.texts import (
    ASK_BOTH,
    NO_MATCH,
    NOT_BOUND_FINES,
    NOT_BOUND_POINTS,
    NOT_BOUND_VIOLATIONS,
    REVIEW_EXPLAINED,
    format_appointments,
    format_city_conditions,
    format_guide,
    format_guide_list,
    format_my_violations,
    format_no_guide,
    format_points,
    format_review,
    format_road,
    format_unpaid_fines,
    format_vehicle_violations,
)
from traffic.appointments import businesses_query, office_slots_query, offices_query
from traffic.bindings import bound_items, bound_licence
from traffic.guides import guide_query
from traffic.handling import my_violation_records
from traffic.licences import licence_standing
from traffic.models import (
    AppointmentBusiness,
    AppointmentBusinessPublic,
    AppointmentSlot,
    DriverLicence,
    Guide,
    GuidePublic,
    Office,
    OfficePublic,
    ViolationPage,
)
from traffic.records import ViolationRecord, find_vehicle, violation_records
from traffic.review import review_of
from traffic.roads import city_conditions, matching_segments
from traffic.validators import InvalidIdentifier, validate_plate, validate_vin6
from traffic.views import licence_public, violation_page, violation_public

INTENTS: dict[str, CitizenNeed] = {
    "violations": "optional",
    "points": "required",
    "review_study": "required",
    "road_conditions": "none",
    "appointments": "none",
    "guides": "none",
    "fine_payment": "required",
}
MAP_PATH = "/api/v1/traffic/road-conditions/map.png"
# The gateway's mobile payment page (H5); `account` names the account the citizen chats with.
PAY_PAGE_PATH = "/h5/fines"
# A chat answer lists at most one page of records; the text says how many more there are.
FIRST_PAGE = PageParams(limit=100, offset=0)


def answer(
    *,
    session: Session,
    name: str,
    request: AnswerRequest,
    citizen: Identity | None,
    now: datetime,
) -> Answer:
    """The answer of intent `name` to `request`; a 404 problem for an intent not served."""
    intent = _INTENTS.get(name)
    if intent is None:
        raise intent_not_served(name)
    citizen_id = None if citizen is None else citizen.subject
    return intent(Question(session=session, request=request, citizen_id=citizen_id, now=now))


def first_page(records: list[ViolationRecord], *, asked: Question) -> ViolationPage:
    """The first page of `records` as of today, with the amount due over all of them."""
    return violation_page(records, page=FIRST_PAGE, wanted=None, on=local_day(asked.now))


def violations(asked: Question) -> Answer:
    """'违章 <plate> <vin6>': that vehicle's violations; '违章' alone: the citizen's own."""
    args = lookup_args(asked.words())
    if len(args) == 1:
        return Answer(text=ASK_BOTH)
    if len(args) == 2:
        return vehicle_violations(asked, plate=args[0], vin6=args[1])
    return my_violations(asked)


def vehicle_violations(asked: Question, *, plate: str, vin6: str) -> Answer:
    """Anyone's lookup of one vehicle by its plate and the last six characters of its VIN."""
    try:
        number = validate_plate(plate=plate).number
        suffix = validate_vin6(vin6=vin6)
    except InvalidIdentifier as exc:
        return Answer(text=clip(str(exc)))
    vehicle = find_vehicle(asked.session, plate=number, vin6=suffix)
    if vehicle is None or vehicle.id is None:
        return Answer(text=NO_MATCH)
    records = violation_records(asked.session, vehicle_ids=[vehicle.id])
    return Answer(text=format_vehicle_violations(vehicle.plate, first_page(records, asked=asked)))


def my_violations(asked: Question) -> Answer:
    """The citizen's bound vehicles' violations and those charged to their bound licence."""
    if asked.citizen_id is None:
        return Answer(needs_citizen=True)
    bound = bound_items(asked.session, citizen_id=asked.citizen_id)
    if not bound:
        return Answer(text=NOT_BOUND_VIOLATIONS, personal=True)
    vehicles = [i.vehicle for i in bound if i.vehicle is not None]
    licence = next((i.licence for i in bound if i.licence is not None), None)
    records = violation_records(
        asked.session,
        vehicle_ids=[v.id for v in vehicles if v.id is not None],
        licence_id=None if licence is None else licence.id,
    )
    shown = bound[: FIRST_PAGE.limit]
    text = format_my_violations(
        [i.vehicle.plate for i in shown if i.vehicle is not None],
        any(i.licence is not None for i in shown),
        first_page(records, asked=asked),
    )
    return Answer(text=text, personal=True)


def licence_answer(
    asked: Question, *, unbound: str, word: Callable[[DriverLicence, date], str]
) -> Answer:
    """A personal answer about the citizen's bound licence, worded by `word` as of today;
    `unbound` when they have bound none."""
    if asked.citizen_id is None:
        return Answer(needs_citizen=True)
    licence = bound_licence(asked.session, citizen_id=asked.citizen_id)
    if licence is None:
        return Answer(text=unbound, personal=True)
    return Answer(text=word(licence, local_day(asked.now)), personal=True)


def points(asked: Question) -> Answer:
    """'记分': the bound licence's points in the cycle, and its status (holder masked)."""
    return licence_answer(
        asked,
        unbound=NOT_BOUND_POINTS,
        word=lambda licence, on: format_points(
            licence_public(licence_standing(asked.session, licence=licence, on=on))
        ),
    )


def review_study(asked: Question) -> Answer:
    """'审验': the bound bus or truck driver's review study; without a licence, what it is."""
    return licence_answer(
        asked,
        unbound=REVIEW_EXPLAINED,
        word=lambda licence, on: format_review(review_of(asked.session, licence=licence, on=on)),
    )


def road_conditions(asked: Question) -> Answer:
    """'路况': the city's red and green roads now; '路况 <road>': that road's segments."""
    map_url = asked.link(MAP_PATH)
    conditions = city_conditions(at=asked.now)
    road = road_asked(asked.words())
    if road is None:
        text = format_city_conditions(
            conditions, map_url, asked_where_clear=asks_where_clear(asked.words())
        )
        return Answer(text=text)
    try:
        segments = matching_segments(conditions, road=road, statuses=None)
    except NotFound as exc:
        return Answer(text=clip(exc.detail))
    return Answer(text=format_road(road, conditions.snapshot_at, segments, map_url))


def appointments(asked: Question) -> Answer:
    """'预约': offices with their next free slot, the business types, how to book."""
    session = asked.session
    offices = paginate(
        session, offices_query(), FIRST_PAGE, order_by=Office.code, public=OfficePublic
    ).items
    businesses = paginate(
        session,
        businesses_query(),
        FIRST_PAGE,
        order_by=AppointmentBusiness.code,
        public=AppointmentBusinessPublic,
    ).items
    slots = [next_free_slot(session, office_code=o.code, now=asked.now) for o in offices]
    return Answer(
        text=format_appointments(
            list(zip(offices, slots, strict=True)), [b.name for b in businesses]
        )
    )


def next_free_slot(session: Session, *, office_code: str, now: datetime) -> AppointmentSlot | None:
    """The office's earliest slot not yet started with a place left, if any."""
    query = office_slots_query(session, office_code=office_code, now=now, day=None, available=True)
    return session.exec(query.order_by(col(AppointmentSlot.starts_at))).first()


def guides(asked: Question) -> Answer:
    """'办事指南 <topic>' (or the rule's params.topic): matching guides; one in full."""
    topic = asked.request.params.get("topic") or guide_topic(asked.words())
    found = paginate(
        asked.session, guide_query(q=topic), FIRST_PAGE, order_by=Guide.id, public=GuidePublic
    )
    if not found.items:
        return Answer(text=format_no_guide(topic or ""))
    exact = next((g for g in found.items if topic and g.title == topic), None)
    if exact is None and len(found.items) > 1:
        return Answer(text=format_guide_list(topic, found.items, found.total))
    return Answer(text=format_guide(exact or found.items[0]))


def fine_payment(asked: Question) -> Answer:
    """'交罚款': the citizen's unpaid decisions priced today, and the link to the payment page."""
    if asked.citizen_id is None:
        return Answer(needs_citizen=True)
    if not bound_items(asked.session, citizen_id=asked.citizen_id):
        return Answer(text=NOT_BOUND_FINES, personal=True)
    today = local_day(asked.now)
    shown = [
        violation_public(r, on=today)
        for r in my_violation_records(asked.session, citizen_id=asked.citizen_id)
    ]
    unpaid = [v for v in shown if v.status == "decided_unpaid"]
    pay_url = asked.link(f"{PAY_PAGE_PATH}?{urlencode({'account': asked.request.account})}")
    text = format_unpaid_fines(
        unpaid,
        unhandled=sum(1 for v in shown if v.status == "unhandled"),
        on=today,
        pay_url=pay_url,
    )
    links = [AnswerLink(title="缴纳罚款", url=pay_url)] if pay_url and unpaid else []
    return Answer(text=text, links=links, personal=True)


_INTENTS: dict[str, Callable[[Question], Answer]] = {
    "violations": violations,
    "points": points,
    "review_study": review_study,
    "road_conditions": road_conditions,
    "appointments": appointments,
    "guides": guides,
    "fine_payment": fine_payment,
}
