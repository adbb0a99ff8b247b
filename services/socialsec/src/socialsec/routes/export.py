"""`/v1/internal/export`: everything socialsec holds on a citizen, for the gateway's data export."""

from servicekit.export import export_router
from socialsec.access import ACCESS_LOG
from socialsec.personal_data import personal_data

router = export_router(personal_data, access_log=ACCESS_LOG)
