"""The gateway's shared objects live in one typed `GatewayState`, built once by `create_app` and
shared with the internal listener; the gateway and the sandbox know services only by HTTP."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from fastapi.testclient import TestClient

from gateway.internal import create_internal_app
from gateway.main import create_app
from gateway.settings import GatewaySettings
from gateway.state import GatewayState, gateway_state
from servicekit.settings import SharedSettings

ROOT = Path(__file__).resolve().parents[2]
SERVICE_PACKAGES = {"accounts", "traffic", "weather", "socialsec", "inspection"}


def test_create_app_builds_one_state_the_internal_listener_shares() -> None:
    settings = GatewaySettings(shared=SharedSettings(env="dev"))
    public = create_app(settings)
    state = gateway_state(public)
    assert isinstance(state, GatewayState)
    assert state.settings is settings
    assert state.internal_token_secret == settings.shared.internal_token_secret
    internal = create_internal_app(public)
    # One platform client (one cache of access tokens) for both listeners.
    assert gateway_state(internal) is state


def test_the_circuit_breakers_are_in_the_metrics() -> None:
    with TestClient(create_app(GatewaySettings(shared=SharedSettings(env="dev")))) as client:
        metrics = client.get("/metrics").text
    assert re.search(r'gateway_upstream_circuit_state\{upstream="traffic"\} 0', metrics)


def test_only_the_state_module_touches_app_state() -> None:
    source = ROOT / "gateway" / "src" / "gateway"
    readers = [
        str(path.relative_to(source))
        for path in sorted(source.rglob("*.py"))
        if path.name != "state.py" and re.search(r"app\.state|getattr\(state", path.read_text())
    ]
    assert readers == []


def _imported_roots(path: Path) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_the_gateway_and_the_sandbox_import_no_service() -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(_imported_roots(path) & SERVICE_PACKAGES)
        for part in ("gateway", "sandbox")
        for folder in ("src", "tests")
        for path in sorted((ROOT / part / folder).rglob("*.py"))
        if _imported_roots(path) & SERVICE_PACKAGES
    }
    assert offenders == {}
