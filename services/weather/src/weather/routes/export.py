"""`/v1/internal/export`: weather holds nothing personal (no bindings, no citizen ids), so a
citizen's data export gets an empty section from it, said by the service that knows."""

from sqlmodel import Session

from servicekit.export import PersonalData, export_router


def nothing_personal(session: Session, citizen_id: str) -> PersonalData:
    """Weather keeps no record of any citizen."""
    return {}


router = export_router(nothing_personal, access_log=None)
