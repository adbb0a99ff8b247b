"""`/v1/internal/export`: weather holds nothing personal (no bindings, no citizen ids), so a
citizen's data export gets an empty section from it, said by the service that knows."""

from servicekit.export import export_router, nothing_personal

router = export_router(nothing_personal, access_log=None)
