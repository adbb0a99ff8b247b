"""`/v1/internal/export`: the registry holds equipment and companies, no citizen's records (the
contacts of user units come with inspection applications), so a citizen's export gets an empty
section from it."""

from servicekit.export import export_router, nothing_personal

router = export_router(nothing_personal, access_log=None)
