"""How traffic's routes declare what they answer: `created` routes (201 with the function's
return type), each status `described`, and the `Idempotency-Key` header of the requests a
citizen may retry (DESIGN §5)."""

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from fastapi import APIRouter, Header, status

F = TypeVar("F", bound=Callable[..., Any])


def created(
    router: APIRouter, path: str, *, summary: str, errors: Mapping[int, str]
) -> Callable[[F], F]:
    """Declare a POST route answering 201 with its function's return type, documenting each
    error status with its description."""
    return router.post(
        path, status_code=status.HTTP_201_CREATED, summary=summary, responses=described(errors)
    )


def described(statuses: Mapping[int, str]) -> dict[int | str, dict[str, Any]]:
    """A route's `responses`: each status with its description."""
    return {code: {"description": text} for code, text in statuses.items()}


def idempotency_header(description: str) -> Any:
    """The `Idempotency-Key` header: required, 1 to 64 characters, described for its route."""
    return Header(alias="Idempotency-Key", min_length=1, max_length=64, description=description)
