"""`/v1/internal/export`: everything traffic holds on a citizen, for the gateway's data export."""

from servicekit.export import export_router
from traffic.access import ACCESS_LOG
from traffic.personal_data import personal_data

router = export_router(personal_data, access_log=ACCESS_LOG)
