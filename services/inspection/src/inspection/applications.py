"""Inspection applications (定期检验报检): a contact of a user unit applies for the periodic
inspection of one piece of its equipment, inspectors move the application along
(`inspection.transitions`), and the report updates the equipment's standing in the registry,
which the public lookups then show.

- `Idempotency-Key` (DESIGN §5): the key is stored with a hash of the body, unique per
  applicant. The same key and body find the application made first (also when two retries race:
  the loser's insert violates the unique key, rolls back, and reads the winner's); the same key
  with another body is a 409.
- A piece of equipment has one open application at most; a partial unique index holds this
  when two contacts apply at once, and the loser is told the winner's number.
- A move is one UPDATE conditional on the state it starts from: of two inspectors moving the
  same application at once, one succeeds and the other gets a 409.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select

from inspection.codes import validate_registration_code
from inspection.contacts import require_contact, unit_codes_of
from inspection.models import (
    Application,
    ApplicationCreate,
    ApplicationPublic,
    ApplicationState,
    ApplicationStep,
    ApplicationStepPublic,
    AuditEntry,
    Equipment,
    Transition,
    UserUnit,
)
from inspection.registry import NOT_REGISTERED
from inspection.towns import town_names
from inspection.transitions import (
    FIRST,
    REPORTED,
    accepted_remark,
    plan_move,
    preferred_date_errors,
)
from inspection.varieties import BY_CODE
from servicekit.audit import Actor, field_changes
from servicekit.clock import local_day, utcnow
from servicekit.deps import Page, PageParams, paginate
from servicekit.errors import Conflict, NotFound, ValidationFailed, valid
from servicekit.idempotency import made_earlier, request_hash
from servicekit.verification import new_code

NUMBER_PREFIX = "BJ"
MAX_SEQUENCE = 999_999
# Tries at a free number when concurrent submissions take the same one.
SUBMIT_ATTEMPTS = 5
# Issued reports stay among a contact's current applications this long.
REPORT_WINDOW_DAYS = 30
# At most this many current applications are listed at once (chat shows fewer still).
CURRENT_LIMIT = 50
NOT_FOUND = "未找到该报检申请，请核对报检编号。"
SCRAPPED = "该设备已报废，不能申请定期检验。"
OPEN_ALREADY = "该设备已有未办结的报检申请（报检编号 {number}），请勿重复申请。"
KEY_REUSED = "该 Idempotency-Key 已用于另一份报检申请，请为新的申请使用新的键。"
BUSY = "报检申请提交繁忙，请稍后用同一 Idempotency-Key 重试。"
MOVED_MEANWHILE = "该申请刚被其他检验员更新，请刷新后再试。"
# An application's fields an inspector's move may change, as the audit trail records them.
MOVED_FIELDS = {
    "state",
    "scheduled_date",
    "inspected_on",
    "conclusion",
    "safety_level",
    "next_due",
    "report_code",
}


def application_number(*, day: date, sequence: int) -> str:
    """The 报检编号 of the `sequence`th application on `day`, e.g. BJ20261203000123."""
    if not 1 <= sequence <= MAX_SEQUENCE:
        raise ValueError(f"sequence {sequence} outside 1..{MAX_SEQUENCE}")
    return f"{NUMBER_PREFIX}{day:%Y%m%d}{sequence:06d}"


def _next_sequence(session: Session, *, day: date) -> int:
    """One past the last number given on `day`."""
    prefix = application_number(day=day, sequence=1)[:-6]
    last = session.exec(
        select(func.max(Application.number)).where(col(Application.number).startswith(prefix))
    ).one()
    return 1 if last is None else int(last[len(prefix) :]) + 1


def _replay(session: Session, *, citizen_id: str, key: str, digest: str) -> Application | None:
    """The application made earlier with this key, or None; 409 if made with another body."""
    owner = col(Application.applicant_id) == citizen_id
    return made_earlier(
        session, Application, owner=owner, key=key, digest=digest, reused=KEY_REUSED
    )


def _open_number(session: Session, *, registration_code: str) -> str | None:
    """The number of the equipment's open application, if it has one."""
    return session.exec(
        select(Application.number).where(
            Application.registration_code == registration_code,
            col(Application.state) != REPORTED,
        )
    ).first()


def _equipment_to_apply_for(
    session: Session, *, citizen_id: str, body: ApplicationCreate, today: date
) -> Equipment:
    """The equipment `body` names, checked: 422 naming the field, 404 unknown or not the
    citizen's unit's, 409 scrapped."""
    code = valid(
        "registration_code",
        "body",
        lambda: validate_registration_code(code=body.registration_code, today=today),
    )
    errors = preferred_date_errors(preferred_date=body.preferred_date, today=today)
    if errors:
        raise ValidationFailed(errors[0]["message"], errors=errors)
    equipment = session.get(Equipment, code)
    if equipment is None:
        raise NotFound(NOT_REGISTERED)
    require_contact(session, citizen_id=citizen_id, unit_code=equipment.user_unit_code)
    if equipment.status == "报废":
        raise Conflict(SCRAPPED)
    return equipment


def submit(
    session: Session,
    *,
    citizen_id: str,
    body: ApplicationCreate,
    idempotency_key: str,
    now: datetime,
) -> tuple[Application, bool]:
    """Apply for an inspection; (the application, True if new or False if replayed for the key)."""
    digest = request_hash(body=body)
    earlier = _replay(session, citizen_id=citizen_id, key=idempotency_key, digest=digest)
    if earlier is not None:
        return earlier, False
    today = local_day(now)
    equipment = _equipment_to_apply_for(session, citizen_id=citizen_id, body=body, today=today)
    for _ in range(SUBMIT_ATTEMPTS):
        number = _open_number(session, registration_code=equipment.registration_code)
        if number is not None:
            # Perhaps opened by a concurrent retry carrying this very key.
            earlier = _replay(session, citizen_id=citizen_id, key=idempotency_key, digest=digest)
            if earlier is not None:
                return earlier, False
            raise Conflict(OPEN_ALREADY.format(number=number))
        application = Application(
            number=application_number(day=today, sequence=_next_sequence(session, day=today)),
            registration_code=equipment.registration_code,
            unit_code=equipment.user_unit_code,
            applicant_id=citizen_id,
            idempotency_key=idempotency_key,
            request_hash=digest,
            preferred_date=body.preferred_date,
            note=body.note.strip(),
            state=FIRST,
            created_at=now,
            updated_at=now,
        )
        try:
            session.add(application)
            session.flush()
            assert application.id is not None
            remark = accepted_remark(preferred_date=body.preferred_date)
            session.add(
                ApplicationStep(application_id=application.id, state=FIRST, at=now, remark=remark)
            )
            session.commit()
        except IntegrityError:
            # A concurrent request took the key, the equipment's open place, or the number.
            session.rollback()
            earlier = _replay(session, citizen_id=citizen_id, key=idempotency_key, digest=digest)
            if earlier is not None:
                return earlier, False
            continue
        session.refresh(application)
        return application, True
    raise Conflict(BUSY)


def application_by_number(session: Session, *, number: str) -> Application:
    """The application of a number (404 when none)."""
    application = session.exec(select(Application).where(Application.number == number)).first()
    if application is None:
        raise NotFound(NOT_FOUND)
    return application


def application_for_contact(session: Session, *, citizen_id: str, number: str) -> Application:
    """One application of the citizen's units; another unit's is as unknown as a missing one."""
    application = application_by_number(session, number=number)
    if application.unit_code not in unit_codes_of(session, citizen_id=citizen_id):
        raise NotFound(NOT_FOUND)
    return application


def _record_standing(
    session: Session, *, equipment: Equipment, changes: dict[str, Any], actor: Actor
) -> None:
    """Give the equipment the standing its report states, audited."""
    standing = {
        "last_inspection": changes["inspected_on"],
        "conclusion": changes["conclusion"],
        "safety_level": changes["safety_level"],
        "next_due": changes["next_due"],
    }
    old = equipment.model_dump(include=set(standing))
    for name, value in standing.items():
        setattr(equipment, name, value)
    session.add(equipment)
    AuditEntry.record(
        session=session,
        actor=actor,
        action="inspect",
        entity="equipment",
        entity_id=equipment.registration_code,
        changes=field_changes(old=old, new=standing),
    )


def advance(
    session: Session, *, number: str, move: Transition, actor: Actor, now: datetime
) -> Application:
    """Move an application one step forward (inspection.transitions), with its step, its audit
    entry and, on the report, the equipment's new standing; 409 if another move won."""
    application = application_by_number(session, number=number)
    equipment = session.get(Equipment, application.registration_code)
    assert equipment is not None and application.id is not None
    step = plan_move(
        state=application.state,
        move=move,
        variety=BY_CODE[equipment.variety_code],
        scheduled_date=application.scheduled_date,
        today=local_day(now),
    )
    values: dict[str, Any] = {"state": step.state, **step.changes}
    if step.state == REPORTED:
        values["report_code"] = new_code()
    old = application.model_dump(include=MOVED_FIELDS)
    moved = session.execute(
        update(Application)
        .where(col(Application.id) == application.id, col(Application.state) == application.state)
        .values(updated_at=now, **values)
    )
    if moved.rowcount != 1:
        session.rollback()
        raise Conflict(MOVED_MEANWHILE)
    session.add(
        ApplicationStep(application_id=application.id, state=step.state, at=now, remark=step.remark)
    )
    AuditEntry.record(
        session=session,
        actor=actor,
        action="transition",
        entity="application",
        entity_id=number,
        changes=field_changes(old=old, new=values),
    )
    if step.state == REPORTED:
        _record_standing(session, equipment=equipment, changes=step.changes, actor=actor)
    session.commit()
    session.refresh(application)
    return application


def contact_query(
    *, unit_codes: Sequence[str], state: ApplicationState | None, open_only: bool = False
) -> Select[Any]:
    """Applications of the units, in `state` if given, only those without a report yet if
    `open_only` (order it before running)."""
    query = select(Application).where(col(Application.unit_code).in_(unit_codes))
    if open_only:
        query = query.where(col(Application.state) != REPORTED)
    return query if state is None else query.where(Application.state == state)


def town_code(town: str) -> str:
    """A town's division code from its code or its name (422 naming `town` when unknown)."""
    names = town_names()
    if town in names:
        return town
    for code, name in names.items():
        if name == town:
            return code
    message = f"未知的镇街“{town}”，请用镇街名称（如南城街道）或代码（如nancheng）。"
    raise ValidationFailed(
        message, errors=[{"field": "town", "in": "query", "message": message, "type": "town"}]
    )


def staff_query(*, state: ApplicationState | None, town: str | None) -> Select[Any]:
    """All applications, in `state` and of equipment in `town` when given."""
    query = select(Application)
    if state is not None:
        query = query.where(Application.state == state)
    if town is not None:
        query = query.join(
            Equipment, col(Equipment.registration_code) == Application.registration_code
        ).where(Equipment.town == town_code(town))
    return query


def views(session: Session, applications: Sequence[Application]) -> list[ApplicationPublic]:
    """The public form of applications, each with its equipment, unit and steps."""
    codes = {a.registration_code for a in applications}
    rows = session.exec(
        select(Equipment, UserUnit)
        .join(UserUnit, col(UserUnit.credit_code) == Equipment.user_unit_code)
        .where(col(Equipment.registration_code).in_(codes))
    ).all()
    places = {equipment.registration_code: (equipment, unit) for equipment, unit in rows}
    steps: dict[int, list[ApplicationStepPublic]] = {a.id: [] for a in applications if a.id}
    for step in session.exec(
        select(ApplicationStep)
        .where(col(ApplicationStep.application_id).in_(steps))
        .order_by(col(ApplicationStep.id))
    ).all():
        steps[step.application_id].append(ApplicationStepPublic.model_validate(step.model_dump()))
    out = []
    for application in applications:
        equipment, unit = places[application.registration_code]
        variety = BY_CODE[equipment.variety_code]
        out.append(
            ApplicationPublic(
                **application.model_dump(include=set(ApplicationPublic.model_fields)),
                category=variety.category,
                variety=variety.name,
                address=equipment.address,
                town=town_names().get(equipment.town, equipment.town),
                user_unit=unit.name,
                steps=steps.get(application.id or 0, []),
            )
        )
    return out


def page_of(session: Session, query: Select[Any], page: PageParams) -> Page[ApplicationPublic]:
    """One page of the applications `query` finds, newest first, in their public form."""
    return paginate(
        session,
        query,
        page,
        order_by=col(Application.id).desc(),
        public=lambda rows: views(session, rows),
    )


def view(session: Session, application: Application) -> ApplicationPublic:
    """The public form of one application."""
    return views(session, [application])[0]


def open_applications(
    session: Session, *, citizen_id: str, now: datetime | None = None
) -> list[ApplicationPublic]:
    """The applications of the citizen's units still in progress, and those whose report was
    issued in the last 30 days, newest first (at most CURRENT_LIMIT)."""
    since = (now or utcnow()) - timedelta(days=REPORT_WINDOW_DAYS)
    query = contact_query(unit_codes=unit_codes_of(session, citizen_id=citizen_id), state=None)
    found = session.exec(
        query.where(or_(col(Application.state) != REPORTED, col(Application.updated_at) >= since))
        .order_by(col(Application.id).desc())
        .limit(CURRENT_LIMIT)
    ).all()
    return views(session, found)
