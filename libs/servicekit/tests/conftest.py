"""A tiny app built with servicekit alone, to test the plumbing without any domain."""

from collections.abc import Iterator
from typing import ClassVar

import pytest
from fastapi import APIRouter, Query
from fastapi.testclient import TestClient

from servicekit.app import create_service_app
from servicekit.deps import Page, PageDep
from servicekit.errors import NotFound
from servicekit.identity import CitizenDep, Identity, requires_caller, requires_staff
from servicekit.settings import ServiceSettings, SharedSettings


class DemoSettings(ServiceSettings):
    service_name: ClassVar[str] = "demo"


router = APIRouter(prefix="/v1")


@router.get("/things/{code}")
def get_thing(code: str, size: int = Query(default=1, ge=1)) -> dict[str, str]:
    if code != "known":
        raise NotFound(f"未找到“{code}”。")
    return {"code": code}


@router.get("/things")
def list_things(page: PageDep) -> Page[int]:
    items = list(range(250))
    return Page(items=items[page.offset : page.offset + page.limit], total=len(items))


@router.get("/boom")
def boom() -> None:
    raise RuntimeError("secret internals must not leak")


@router.get("/me")
def me(citizen: CitizenDep) -> dict[str, str]:
    return {"citizen": citizen.subject}


@router.get("/staff-only")
def staff_only(identity: Identity = requires_staff("forecaster")) -> dict[str, str]:
    return {"staff": identity.subject}


@router.get("/internal/ping")
def internal_ping(identity: Identity = requires_caller("accounts", "gateway")) -> dict[str, str]:
    return {"caller": identity.issuer}


@pytest.fixture
def client() -> Iterator[TestClient]:
    app = create_service_app(
        DemoSettings(shared=SharedSettings(env="dev")), title="demo", routers=[router]
    )
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client
