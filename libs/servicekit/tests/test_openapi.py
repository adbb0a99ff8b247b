"""servicekit.openapi: operationIds from routes, security from dependencies, problems."""

from __future__ import annotations

from typing import Annotated, Any

import pytest
from fastapi import APIRouter, Depends, FastAPI
from fastapi.routing import APIRoute
from pydantic import BaseModel

from servicekit.deps import Page, SessionDep
from servicekit.errors import PROBLEM_JSON
from servicekit.identity import CitizenDep, Identity, IdentityDep, requires_staff, staff_only
from servicekit.openapi import CITIZEN, STAFF, document, operations, verb_noun


class Item(BaseModel):
    name: str


def _route(name: str, method: str, response_model: Any = None, **options: Any) -> APIRoute:
    def endpoint() -> None:
        return None

    endpoint.__name__ = name
    return APIRoute("/x", endpoint, methods=[method], response_model=response_model, **options)


@pytest.mark.parametrize(
    ("name", "method", "response_model", "expected"),
    [
        ("get_forecast", "GET", Item, "getForecast"),
        ("list_my_payments", "GET", Page[Item], "listMyPayments"),
        ("my_violations", "GET", Page[Item], "listMyViolations"),
        ("eligibility", "GET", list[Item], "listEligibility"),
        ("card", "GET", Item, "getCard"),
        ("post_account", "POST", Item, "createAccount"),
        ("put_menu", "PUT", Item, "updateMenu"),
        ("patch_account", "PATCH", Item, "updateAccount"),
        ("consent", "DELETE", None, "deleteConsent"),
        ("handle_violation", "POST", Item, "handleViolation"),
        ("signout", "POST", None, "createSignout"),
    ],
)
def test_verb_noun_from_name_and_method(
    name: str, method: str, response_model: Any, expected: str
) -> None:
    assert verb_noun(_route(name, method, response_model), method) == expected


def test_an_explicit_operation_id_wins() -> None:
    route = _route("submit", "POST", operation_id="createApplication")
    assert verb_noun(route, "POST") == "createApplication"


@staff_only
def _editor(identity: IdentityDep) -> Identity:
    return identity


def _app() -> FastAPI:
    router = APIRouter(prefix="/v1")

    @router.get("/me/items/{item_id}")
    def get_my_item(item_id: int, citizen: CitizenDep) -> Item:
        return Item(name="x")

    @router.post("/items", dependencies=[requires_staff("forecaster")])
    def post_item(item: Item) -> Item:
        return item

    @router.put("/items/{item_id}")
    def put_item(item_id: int, editor: Annotated[Identity, Depends(_editor)]) -> Item:
        return Item(name="x")

    @router.get("/orders")
    def orders(identity: IdentityDep, session: SessionDep) -> Page[Item]:
        return Page(items=[], total=0)

    @router.get("/items")
    def list_items() -> list[Item]:
        return []

    app = FastAPI()
    app.include_router(router)
    return app


def test_security_and_errors_come_from_the_dependencies() -> None:
    doc = document(_app(), "demo")
    ops = {op["operationId"]: op for _, _, op in operations(doc)}
    assert set(ops) == {
        "demo_getMyItem",
        "demo_createItem",
        "demo_updateItem",
        "demo_listOrders",
        "demo_listItems",
    }
    assert ops["demo_getMyItem"]["security"] == [{CITIZEN: []}]
    assert ops["demo_createItem"]["security"] == [{STAFF: []}]
    assert ops["demo_updateItem"]["security"] == [{STAFF: []}]
    assert ops["demo_listOrders"]["security"] == [{CITIZEN: []}, {STAFF: []}]
    assert "security" not in ops["demo_listItems"]
    assert set(ops["demo_getMyItem"]["responses"]) == {"200", "401", "403", "404", "422"}
    assert "503" in ops["demo_listOrders"]["responses"]  # it waits for a database place
    assert set(ops["demo_listItems"]["responses"]) == {"200"}
    problem = ops["demo_createItem"]["responses"]["422"]["content"]
    assert problem == {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    assert set(doc["components"]["securitySchemes"]) == {CITIZEN, STAFF}
    assert "HTTPValidationError" not in doc["components"]["schemas"]


def test_two_operations_with_one_id_are_refused() -> None:
    app = FastAPI()

    @app.get("/a", operation_id="getThing")
    def first() -> None:
        return None

    @app.get("/b", operation_id="getThing")
    def second() -> None:
        return None

    with pytest.warns(UserWarning), pytest.raises(ValueError, match="demo_getThing"):
        document(app, "demo")
