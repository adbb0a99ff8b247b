"""`/v1/internal/export`: what inspection holds on a citizen, for the gateway's data export: the
user units they are a contact of, their refused binding proofs, and the inspection applications
they submitted. The registry itself holds equipment and companies, nothing personal."""

from inspection.access import ACCESS_LOG
from inspection.personal_data import personal_data
from servicekit.export import export_router

router = export_router(personal_data, access_log=ACCESS_LOG)
