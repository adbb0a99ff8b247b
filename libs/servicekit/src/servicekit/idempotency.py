"""`Idempotency-Key` (DESIGN §5) for create calls a client may retry: the header, and the hash
stored with the key that tells a retry (same body: the original result) from another request
under a reused key (409)."""

import hashlib
import json
from typing import Any, Protocol, TypeVar

from fastapi import Header
from pydantic import BaseModel
from sqlmodel import Session, col, select

from servicekit.errors import Conflict


class KeyedRequest(Protocol):
    """A row made under an `Idempotency-Key`: the key and the hash of the body it was made for."""

    idempotency_key: str
    request_hash: str


Row = TypeVar("Row", bound=KeyedRequest)


def idempotency_header(description: str) -> Any:
    """The `Idempotency-Key` header: required, 1 to 64 characters, described for its route."""
    return Header(alias="Idempotency-Key", min_length=1, max_length=64, description=description)


def request_hash(*, body: BaseModel) -> str:
    """SHA-256 of the request body in a canonical form, to tell a retry from a new request."""
    canonical = json.dumps(body.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def made_earlier(
    session: Session, table: type[Row], *, owner: Any, key: str, digest: str, reused: str
) -> Row | None:
    """The `table` row `owner` (a column compared with the caller) made under `key`, or None;
    a 409 with the `reused` detail when it was made for another body."""
    earlier = session.exec(
        select(table).where(owner, col(table.idempotency_key) == key)  # type: ignore[arg-type]
    ).first()
    if earlier is not None and earlier.request_hash != digest:
        raise Conflict(reused)
    return earlier
