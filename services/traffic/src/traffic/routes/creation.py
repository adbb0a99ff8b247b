"""How traffic's routes declare what they answer: `created` routes (201 with the function's
return type) and each status `described` (the `Idempotency-Key` header of the requests a
citizen may retry is `servicekit.idempotency`'s)."""

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from fastapi import APIRouter, status

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
