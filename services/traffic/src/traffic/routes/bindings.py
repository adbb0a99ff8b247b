"""`/v1/internal/citizens/{citizen_id}/bindings`: the consent-withdrawal contract (DESIGN §6)."""

import logging

from fastapi import APIRouter, Response, status

from servicekit.identity import requires_caller

router = APIRouter(prefix="/v1/internal/citizens", tags=["internal"])
log = logging.getLogger("traffic.bindings")


@router.delete(
    "/{citizen_id}/bindings",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="删除市民的全部绑定",
    dependencies=[requires_caller("accounts")],
)
def delete_bindings(citizen_id: str) -> Response:
    """Delete every binding the citizen holds here; only accounts calls it, after a withdrawal.

    Traffic holds no bindings yet (binding a vehicle or a driving licence comes in a later
    issue), so this deletes nothing and always answers 204. When binding tables are added, they
    are emptied for `citizen_id` here; the call must stay idempotent, because accounts retries
    it until it gets a 2xx (or 404).
    """
    log.info("bindings deleted", extra={"citizen_id": citizen_id, "deleted": 0})
    return Response(status_code=status.HTTP_204_NO_CONTENT)
