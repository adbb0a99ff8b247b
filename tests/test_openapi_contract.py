"""The merged OpenAPI document as client generators read it (issue 18, build item 3).

Every app is built in this process on development settings and the documents merged with the
gateway's own merge code, as `/openapi.json` serves them. The operationIds become the method
names of generated clients, so they are pinned by a snapshot: a renamed handler that silently
renames its operation fails here. To accept a change on purpose:

    UPDATE_OPENAPI_SNAPSHOT=1 .venv/bin/python -m pytest tests/test_openapi_contract.py

and commit `tests/snapshots/operation_ids.txt` with the change.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from gateway.docs_text import dev_signin_note
from gateway.main import create_app as create_gateway
from gateway.openapi_merge import merge_openapi
from gateway.settings import SERVICES, GatewaySettings
from servicekit.errors import PROBLEM_JSON
from servicekit.openapi import CITIZEN, STAFF, operations
from servicekit.settings import ServiceSettings, SharedSettings

SNAPSHOT = Path(__file__).parent / "snapshots" / "operation_ids.txt"
UPDATE = "UPDATE_OPENAPI_SNAPSHOT"
OPERATION_ID = re.compile(
    r"^(gateway|accounts|traffic|weather|socialsec|inspection)_[a-z][A-Za-z0-9]*$"
)
JSON = dict[str, Any]


def _service_app(name: str, database_url: str) -> FastAPI:
    module = __import__(f"{name}.main", fromlist=["create_app"])
    settings_module = __import__(f"{name}.settings", fromlist=["x"])
    kind: type[ServiceSettings] = getattr(settings_module, f"{name.capitalize()}Settings")
    settings = kind(database_url=database_url, shared=SharedSettings(env="dev"))  # type: ignore[call-arg]
    create: Callable[[ServiceSettings], FastAPI] = module.create_app
    return create(settings)


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> dict[str, JSON]:
    """Each service's own document (its app is built, never started: no database is opened)."""
    folder = tmp_path_factory.mktemp("openapi")
    return {
        name: _service_app(name, f"sqlite:///{folder / name}.db").openapi() for name in SERVICES
    }


@pytest.fixture(scope="module")
def merged(services: dict[str, JSON]) -> JSON:
    """The suite's document as the gateway serves it with every service up."""
    gateway = create_gateway(GatewaySettings(shared=SharedSettings(env="dev")))
    return merge_openapi(gateway.openapi(), dict(services), {})


def snapshot_lines(doc: JSON) -> list[str]:
    """`METHOD path operationId`, one per operation, sorted."""
    return sorted(f"{m.upper()} {p} {op['operationId']}" for m, p, op in operations(doc))


@pytest.mark.slow
def test_operation_ids_match_the_snapshot(merged: JSON) -> None:
    lines = snapshot_lines(merged)
    if os.environ.get(UPDATE) == "1":
        SNAPSHOT.parent.mkdir(exist_ok=True)
        SNAPSHOT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    expected = SNAPSHOT.read_text(encoding="utf-8").splitlines()
    added = sorted(set(lines) - set(expected))
    removed = sorted(set(expected) - set(lines))
    assert lines == expected, (
        "operationIds changed (generated clients' method names change with them):\n"
        + "".join(f"+ {line}\n" for line in added)
        + "".join(f"- {line}\n" for line in removed)
        + f"If intended, run with {UPDATE}=1 and commit {SNAPSHOT.relative_to(Path.cwd())}."
    )


def test_operation_ids_are_unique_and_service_prefixed(
    merged: JSON, services: dict[str, JSON]
) -> None:
    ids = [op["operationId"] for _, _, op in operations(merged)]
    assert len(ids) == len(set(ids))
    assert [i for i in ids if not OPERATION_ID.match(i)] == []
    for method, path, op in operations(merged):
        owner = path.split("/")[3] if path.startswith("/api/v1/") else "gateway"
        if owner in services:
            assert op["operationId"].startswith(f"{owner}_"), (method, path)
    # A service's own document (internal routes included) has the same names.
    for name, doc in services.items():
        own = [op["operationId"] for _, _, op in operations(doc)]
        assert len(own) == len(set(own)), name
        assert all(i.startswith(f"{name}_") for i in own), name


@pytest.mark.slow
def test_names_read_as_verb_and_noun(merged: JSON) -> None:
    ids = {f"{m.upper()} {p}": op["operationId"] for m, p, op in operations(merged)}
    assert ids["GET /api/v1/weather/forecasts/{location_code}"] == "weather_getForecast"
    assert ids["GET /api/v1/traffic/me/violations"] == "traffic_listMyViolations"
    assert ids["POST /api/v1/inspection/me/applications"] == "inspection_createApplication"
    assert ids["POST /api/v1/weather/warnings/{signal_id}/upgrade"] == "weather_upgradeWarning"
    assert ids["GET /api/v1/me/export"] == "gateway_exportMyData"


def test_one_tag_per_operation_each_described(merged: JSON) -> None:
    declared = {tag["name"]: tag for tag in merged["tags"]}
    for method, path, op in operations(merged):
        assert len(op["tags"]) == 1, (method, path, op["tags"])
        tag = op["tags"][0]
        owner = path.split("/")[3] if path.startswith("/api/v1/") else "gateway"
        owner = owner if owner in SERVICES else "gateway"
        assert tag.startswith(f"{owner} · "), (method, path, tag)
        assert declared[tag].get("description"), f"tag {tag} has no description"


def test_security_schemes_let_swagger_authorize(merged: JSON) -> None:
    schemes = merged["components"]["securitySchemes"]
    assert {CITIZEN, STAFF} <= set(schemes)
    assert schemes[CITIZEN]["type"] == "http"
    assert schemes[CITIZEN]["scheme"] == "bearer"
    assert schemes[STAFF] == {**schemes[STAFF], "type": "apiKey", "in": "header"}
    assert schemes[STAFF]["name"] == "X-Api-Key"


def _security(op: JSON) -> set[str]:
    return {name for requirement in op.get("security", []) for name in requirement}


def test_citizen_operations_need_the_citizen_token(merged: JSON) -> None:
    personal = [
        (m, p, op)
        for m, p, op in operations(merged)
        if re.match(r"^/api/v1/(\w+/)?me(/|$)", p) and "certificates" not in p
    ]
    assert len(personal) > 40
    for method, path, op in personal:
        assert CITIZEN in _security(op), (method, path)


# Staff-only operations of each service, named independently of how security is derived.
STAFF_OPERATIONS = [
    "accounts_createAccount",
    "accounts_retireAccount",
    "accounts_updateMenu",
    "accounts_listAudit",
    "accounts_createArticle",
    "traffic_refundPayment",
    "weather_createWarning",
    "weather_upgradeWarning",
    "weather_liftWarning",
    "weather_createIssuance",
    "weather_updateBulletin",
    "inspection_listApplications",
    "inspection_moveApplication",
]
PUBLIC_OPERATIONS = [
    "weather_getForecast",
    "weather_listLocations",
    "traffic_listOffices",
    "socialsec_listOffices",
    "accounts_getRanking",
    "inspection_getEquipment",
    "gateway_startWechatSignIn",
]


def test_staff_operations_need_the_staff_key_and_public_ones_nothing(merged: JSON) -> None:
    by_id = {op["operationId"]: op for _, _, op in operations(merged)}
    for name in STAFF_OPERATIONS:
        assert _security(by_id[name]) == {STAFF}, name
    for name in PUBLIC_OPERATIONS:
        assert "security" not in by_id[name], name
    # An order is read by its citizen or by a traffic officer: either credential.
    assert by_id["traffic_getPayment"]["security"] == [{CITIZEN: []}, {STAFF: []}]


def test_every_error_response_is_a_problem(merged: JSON) -> None:
    assert merged["components"]["schemas"]["Problem"]["required"] == [
        "type",
        "title",
        "status",
        "detail",
        "instance",
    ]
    for method, path, op in operations(merged):
        responses = op["responses"]
        errors = {code: r for code, r in responses.items() if code[0] in "45"}
        assert errors, (method, path)
        for code, response in errors.items():
            content = response["content"]
            assert list(content) == [PROBLEM_JSON], (method, path, code)
            assert content[PROBLEM_JSON]["schema"] == {"$ref": "#/components/schemas/Problem"}
        if _security(op):
            assert "401" in responses, (method, path)
        if "{" in path:
            assert "404" in responses, (method, path)
        if path.startswith("/api/v1/") and path.split("/")[3] in SERVICES:
            assert {"429", "503", "504"} <= set(responses), (method, path)
            if _security(op):
                assert "403" in responses, (method, path)
    assert "HTTPValidationError" not in merged["components"]["schemas"]


def test_validation_errors_are_documented(merged: JSON) -> None:
    by_id = {op["operationId"]: op for _, _, op in operations(merged)}
    assert "422" in by_id["traffic_createBinding"]["responses"]
    assert "422" in by_id["weather_getForecast"]["responses"]


def test_docs_tell_how_to_get_a_citizen_token_in_dev_only() -> None:
    dev = create_gateway(GatewaySettings(shared=SharedSettings(env="dev"))).openapi()
    assert dev_signin_note() in dev["info"]["description"]
    assert "/api/v1/auth/wechat/authorize?account=dgjj" in dev["info"]["description"]
    assert "/api/v1/auth/wechat/authorize" in dev["paths"]


def _example_models() -> list[type[Any]]:
    """The request and response models of the most used operations, each with an example."""
    from accounts.models import AccountPublic
    from accounts.rankings import RankedAccount
    from inspection.models import ApplicationCreate, ApplicationPublic, EquipmentPublic, Transition
    from socialsec.models import BindingCreate as SocialsecBindingCreate
    from socialsec.models import ContributionRowPublic, ContributionSummaryPublic
    from socialsec.models import OfficePublic as SocialsecOffice
    from traffic.models.appointments import (
        AppointmentBusinessPublic,
        AppointmentCreate,
        AppointmentPublic,
    )
    from traffic.models.appointments import OfficePublic as TrafficOffice
    from traffic.models.payments import PaymentPublic
    from traffic.models.records import (
        BindingPublic,
        LicenceBindingCreate,
        VehicleBindingCreate,
        ViolationPublic,
    )
    from weather.models import ForecastPublic, LocationPublic, WarningPublic
    from weather.routes.warnings import WarningIssue

    return [
        ForecastPublic,
        LocationPublic,
        WarningPublic,
        WarningIssue,
        ViolationPublic,
        BindingPublic,
        VehicleBindingCreate,
        LicenceBindingCreate,
        AppointmentCreate,
        AppointmentPublic,
        AppointmentBusinessPublic,
        TrafficOffice,
        PaymentPublic,
        ContributionRowPublic,
        ContributionSummaryPublic,
        SocialsecOffice,
        SocialsecBindingCreate,
        AccountPublic,
        RankedAccount,
        EquipmentPublic,
        ApplicationCreate,
        ApplicationPublic,
        Transition,
    ]


def test_examples_are_valid_instances_of_their_models() -> None:
    for model in _example_models():
        examples = model.model_json_schema().get("examples")
        assert examples, f"{model.__name__} has no example"
        for example in examples:
            # Strict: an example must be what the model would emit, not what it could coerce.
            model.model_validate(example)
            dumped = model.model_validate(example).model_dump(mode="json", exclude_unset=True)
            assert dumped == example, model


def test_examples_reach_the_merged_document(merged: JSON) -> None:
    schemas = merged["components"]["schemas"]
    assert schemas["LocationPublic"]["examples"][0]["code"] == "dalang"
    assert schemas["WarningIssue"]["examples"]
