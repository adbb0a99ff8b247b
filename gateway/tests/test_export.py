"""The citizen's data export at the edge: the gateway gathers every service's export for the
signed-in citizen, whole or not at all. The services are fakes whose side of the contract (the
gateway's service token plus the citizen's token) is checked by servicekit.export for real."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any, ClassVar

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse

from gateway.auth.tokens import issue_public_token, token_key
from gateway.main import create_app as create_gateway_app
from gateway.settings import SERVICES, GatewaySettings
from servicekit.app import create_service_app
from servicekit.export import ExportReadingDep, PersonalData
from servicekit.settings import ServiceSettings, SharedSettings
from servicekit.testing import TEST_SECRET, serve_in_thread

PUBLIC_KEY = token_key(internal_secret=TEST_SECRET)
CLOSED = "http://127.0.0.1:9"


def fake_service(name: str) -> FastAPI:
    """A service whose export holds one record naming the citizen whose token came with it."""

    class Settings(ServiceSettings):
        service_name: ClassVar[str] = name

    router = APIRouter()

    @router.get("/v1/internal/export")
    def export(reading: ExportReadingDep) -> PersonalData:
        return {"records": [{"service": name, "citizen_id": reading.citizen_id}]}

    settings = Settings(shared=SharedSettings(env="dev"))
    return create_service_app(settings, title=f"{name} (fake)", routers=[router])


def failing_service() -> FastAPI:
    """A service whose export breaks."""
    router = APIRouter()

    @router.get("/v1/internal/export")
    def export() -> JSONResponse:
        return JSONResponse({"detail": "boom"}, status_code=500)

    app = FastAPI()
    app.include_router(router)
    return app


def gateway_on(urls: dict[str, str]) -> GatewaySettings:
    return GatewaySettings(
        **{f"{name}_url": url for name, url in urls.items()},
        rate_limit_enabled=False,
        shared=SharedSettings(env="dev"),
    )


@pytest.fixture(scope="module")
def service_urls() -> Iterator[dict[str, str]]:
    with ExitStack() as stack:
        yield {name: stack.enter_context(serve_in_thread(fake_service(name))) for name in SERVICES}


@pytest.fixture(scope="module")
def gateway(service_urls: dict[str, str]) -> Iterator[str]:
    with serve_in_thread(create_gateway_app(gateway_on(service_urls))) as url:
        yield url


def bearer(citizen_id: str) -> dict[str, str]:
    token = issue_public_token(
        key=PUBLIC_KEY, citizen_id=citizen_id, account="dgjj", ttl_seconds=600
    )
    return {"Authorization": f"Bearer {token}"}


def export(gateway: str, headers: dict[str, str]) -> httpx.Response:
    return httpx.get(f"{gateway}/api/v1/me/export", headers=headers, timeout=30)


def test_the_export_holds_every_service_for_the_signed_in_citizen(gateway: str) -> None:
    answer = export(gateway, bearer("c-0123456789abcdef"))
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/json"
    disposition = answer.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="guanwei-personal-data-')
    assert answer.headers["cache-control"] == "no-store"
    document: dict[str, Any] = answer.json()
    assert document["citizen_id"] == "c-0123456789abcdef"
    assert document["generated_at"].endswith("+08:00")
    assert sorted(document["services"]) == sorted(SERVICES)
    for name, sections in document["services"].items():
        # Each service was asked about this citizen, through the citizen's own token.
        assert sections == {"records": [{"service": name, "citizen_id": "c-0123456789abcdef"}]}


def test_another_citizen_gets_only_their_own(gateway: str) -> None:
    document = export(gateway, bearer("c-fedcba9876543210")).json()
    assert document["citizen_id"] == "c-fedcba9876543210"
    assert "c-0123456789abcdef" not in json.dumps(document)


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic abc"}],
    ids=["none", "forged", "not-bearer"],
)
def test_without_a_valid_token_there_is_no_export(gateway: str, headers: dict[str, str]) -> None:
    answer = export(gateway, headers)
    assert answer.status_code == 401
    assert answer.headers["content-type"] == "application/problem+json"
    assert "services" not in answer.text


def test_a_staff_key_gets_no_export(gateway: str) -> None:
    assert export(gateway, {"X-Api-Key": "dev-staff-key"}).status_code == 401


@pytest.mark.slow
@pytest.mark.parametrize("broken", ["unreachable", "failing"])
def test_a_service_that_fails_makes_the_export_a_503(
    service_urls: dict[str, str], broken: str
) -> None:
    with ExitStack() as stack:
        failing = CLOSED if broken == "unreachable" else None
        if failing is None:
            failing = stack.enter_context(serve_in_thread(failing_service()))
        urls = {**service_urls, "traffic": failing}
        gateway = stack.enter_context(serve_in_thread(create_gateway_app(gateway_on(urls))))
        answer = export(gateway, bearer("c-0123456789abcdef"))
    assert answer.status_code == 503
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.headers["retry-after"] == "30"
    problem = answer.json()
    assert "traffic" in problem["detail"] and "accounts" not in problem["detail"]
    # Nothing of the services that did answer leaks out as if it were the whole export.
    assert "records" not in answer.text and "content-disposition" not in answer.headers


@pytest.mark.slow
def test_exports_count_against_the_citizens_rate_limit(service_urls: dict[str, str]) -> None:
    settings = gateway_on(service_urls).model_copy(
        update={"rate_limit_enabled": True, "rate_limit_general": 1}
    )
    with serve_in_thread(create_gateway_app(settings)) as gateway:
        assert export(gateway, bearer("c-0123456789abcdef")).status_code == 200
        again = export(gateway, bearer("c-0123456789abcdef"))
        assert again.status_code == 429 and again.headers["retry-after"]
        # Another citizen has a count of their own.
        assert export(gateway, bearer("c-fedcba9876543210")).status_code == 200
