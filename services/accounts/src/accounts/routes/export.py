"""`/v1/internal/export`: everything accounts holds on a citizen, for the gateway's data export."""

from accounts.access import ACCESS_LOG
from accounts.personal_data import personal_data
from servicekit.export import export_router

router = export_router(personal_data, access_log=ACCESS_LOG)
