"""Bindings: a citizen proves knowledge of a vehicle or a licence before seeing its records.

A vehicle is bound with its plate and the last six characters of its VIN, a licence with its
number and its file number (DESIGN §6). A refused proof never says which half was wrong, and
refusals are throttled per citizen (servicekit.bindings). A citizen holds at most one licence
(their own), and any number of vehicles.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlmodel import Session, col, select

from servicekit.bindings import Attempt, BindingTables
from servicekit.db import save_or_conflict
from servicekit.errors import Conflict, ValidationFailed
from traffic.models import Binding, BindingFailure, DriverLicence, Vehicle
from traffic.records import find_vehicle

BINDINGS = BindingTables(Binding, BindingFailure, log=logging.getLogger("traffic.bindings"))


@dataclass(frozen=True)
class BoundItem:
    """A binding with the vehicle or licence it points to."""

    binding: Binding
    vehicle: Vehicle | None
    licence: DriverLicence | None


@dataclass(frozen=True)
class _Proof:
    """One kind of binding proof: what its refusal says, and the fields it names (all of them)."""

    refusal: str
    fields: tuple[str, ...]


_VEHICLE_PROOF = _Proof(
    "号牌号码与车架号后六位核验未通过，请对照行驶证核对后重试。", ("plate", "vin6")
)
_LICENCE_PROOF = _Proof(
    "驾驶证号与档案编号核验未通过，请对照驾驶证核对后重试。", ("licence_number", "file_number")
)


def _refused(session: Session, proof: _Proof, attempt: Attempt) -> ValidationFailed:
    """Count a refused `proof` of the citizen and build the 422 that refuses it."""
    return BINDINGS.refuse(session, attempt, detail=proof.refusal, fields=list(proof.fields))


def bind_vehicle(session: Session, attempt: Attempt, *, plate: str, vin6: str) -> BoundItem:
    """Bind the vehicle if plate and VIN suffix belong together; plate and vin6 are validated."""
    BINDINGS.check_throttle(session, attempt)
    vehicle = find_vehicle(session, plate=plate, vin6=vin6)
    if vehicle is None:
        raise _refused(session, _VEHICLE_PROOF, attempt)
    existing = select(Binding).where(
        Binding.citizen_id == attempt.citizen_id, Binding.vehicle_id == vehicle.id
    )
    if session.exec(existing).first() is not None:
        raise Conflict(f"您已绑定机动车{vehicle.plate}。")
    binding = Binding(citizen_id=attempt.citizen_id, vehicle_id=vehicle.id, created_at=attempt.now)
    return BoundItem(
        save_or_conflict(session, binding, conflict=f"您已绑定机动车{vehicle.plate}。"),
        vehicle,
        None,
    )


def bind_licence(
    session: Session, attempt: Attempt, *, licence_number: str, file_number: str
) -> BoundItem:
    """Bind the licence if its number and file number belong together; both are validated."""
    BINDINGS.check_throttle(session, attempt)
    citizen_id = attempt.citizen_id
    licence = session.exec(
        select(DriverLicence).where(DriverLicence.licence_number == licence_number)
    ).first()
    if licence is None or licence.file_number != file_number:
        raise _refused(session, _LICENCE_PROOF, attempt)
    held = session.exec(
        select(Binding).where(
            Binding.citizen_id == citizen_id, col(Binding.licence_id).is_not(None)
        )
    ).first()
    if held is not None:
        same = held.licence_id == licence.id
        raise Conflict(
            "您已绑定该驾驶证。" if same else "您已绑定一本驾驶证；如需更换，请先解除原绑定。"
        )
    binding = Binding(citizen_id=citizen_id, licence_id=licence.id, created_at=attempt.now)
    return BoundItem(
        save_or_conflict(session, binding, conflict="您已绑定该驾驶证。"), None, licence
    )


def bound_items(session: Session, *, citizen_id: str) -> list[BoundItem]:
    """The citizen's bindings, oldest first."""
    query = (
        select(Binding, Vehicle, DriverLicence)
        .outerjoin(Vehicle, col(Vehicle.id) == Binding.vehicle_id)
        .outerjoin(DriverLicence, col(DriverLicence.id) == Binding.licence_id)
        .where(Binding.citizen_id == citizen_id)
        .order_by(col(Binding.created_at), col(Binding.id))
    )
    return [BoundItem(*row) for row in session.exec(query).all()]


def bound_vehicle_ids(session: Session, *, citizen_id: str) -> list[int]:
    """Ids of the vehicles the citizen has bound."""
    query = select(Binding.vehicle_id).where(
        Binding.citizen_id == citizen_id, col(Binding.vehicle_id).is_not(None)
    )
    return [v for v in session.exec(query).all() if v is not None]


def bound_licence(session: Session, *, citizen_id: str) -> DriverLicence | None:
    """The licence the citizen has bound, if any."""
    query = (
        select(DriverLicence)
        .join(Binding, col(Binding.licence_id) == DriverLicence.id)
        .where(Binding.citizen_id == citizen_id)
    )
    return session.exec(query).first()
