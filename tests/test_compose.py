"""docker-compose.yml, the Procfile, the Dockerfiles and the settings classes must agree."""

from __future__ import annotations

import importlib
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from gateway.settings import SERVICES, GatewaySettings
from servicekit.settings import ServiceSettings, SharedSettings
from servicekit.testing import require
from traffic.settings import TrafficSettings

ROOT = Path(__file__).resolve().parent.parent
PARTS = (*SERVICES, "gateway", "sandbox")
PUBLIC = {"gateway", "sandbox"}
DIRS = {**{s: f"services/{s}" for s in SERVICES}, "gateway": "gateway", "sandbox": "sandbox"}


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]


def _procfile_ports() -> dict[str, int]:
    ports = {}
    for line in (ROOT / "Procfile").read_text().splitlines():
        if not line.strip():
            continue
        name, command = line.split(":", 1)
        assert f"-m {name} serve" in command, line
        ports[name] = int(re.search(r"--port \$\{\w+:-(\d+)\}", command).group(1))
    return ports


def _settings_class(part: str) -> type[ServiceSettings]:
    module = importlib.import_module(f"{part}.settings")
    return next(
        v
        for v in vars(module).values()
        if isinstance(v, type)
        and issubclass(v, ServiceSettings)
        and v is not ServiceSettings
        and v.service_name == part
    )


def _env_var(part: str, field: str) -> str:
    cls = _settings_class(part)
    assert field in cls.model_fields, f"{cls.__name__} has no field {field}"
    return (cls.model_config["env_prefix"] + field).upper()


def _container_port(service: dict) -> int:
    if "ports" in service:
        return int(str(service["ports"][0]).split(":")[-1])
    return int(service["expose"][0])


def test_every_procfile_process_is_a_compose_service_on_the_same_port() -> None:
    compose = _compose()
    procfile = _procfile_ports()
    assert set(procfile) == set(PARTS)
    for part, port in procfile.items():
        assert _container_port(compose[part]) == port, part


def test_only_the_gateway_and_the_sandbox_publish_ports() -> None:
    published = {name for name, svc in _compose().items() if "ports" in svc}
    assert published == PUBLIC


def test_gateway_upstream_urls_match_the_services() -> None:
    compose = _compose()
    env = compose["gateway"]["environment"]
    for service in SERVICES:
        var = _env_var("gateway", f"{service}_url")
        assert env[var] == f"http://{service}:{_container_port(compose[service])}"
    assert env[_env_var("gateway", "redis_url")].startswith("redis://redis:")


def test_services_reach_the_gateway_only_on_its_unpublished_internal_port() -> None:
    compose = _compose()
    gateway = compose["gateway"]
    internal = int(gateway["environment"][_env_var("gateway", "internal_port")])
    assert internal == _settings_class("gateway").model_fields["internal_port"].default
    assert [int(p) for p in gateway["expose"]] == [internal]
    assert all(int(str(p).split(":")[-1]) != internal for p in gateway["ports"])
    bulletin = compose["weather"]["environment"][_env_var("weather", "gateway_url")]
    assert bulletin == f"http://gateway:{internal}"
    procfile = (ROOT / "Procfile").read_text()
    assert f"WEATHER_GATEWAY_URL:-http://127.0.0.1:${{GATEWAY_INTERNAL_PORT:-{internal}}}" in (
        procfile
    )
    weather_default = _settings_class("weather").model_fields["gateway_url"].default
    assert weather_default == f"http://127.0.0.1:{internal}"


def test_accounts_delivers_consent_withdrawals_to_the_services() -> None:
    compose = _compose()
    env = compose["accounts"]["environment"]
    for service in ("traffic", "socialsec", "inspection"):
        var = _env_var("accounts", f"{service}_url")
        assert env[var] == f"http://{service}:{_container_port(compose[service])}"


def test_each_service_has_its_own_postgres_database() -> None:
    compose = _compose()
    init_sql = (ROOT / "deploy/postgres/init-databases.sql").read_text()
    for service in SERVICES:
        url = compose[service]["environment"][_env_var(service, "database_url")]
        assert re.fullmatch(rf"postgresql\+psycopg://postgres@postgres:5432/{service}", url)
        assert f"CREATE DATABASE {service};" in init_sql
        assert compose[service]["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_healthchecks_and_healthy_dependencies() -> None:
    compose = _compose()
    for name, svc in compose.items():
        assert "healthcheck" in svc, name
        for dep in svc.get("depends_on", {}).values():
            assert dep["condition"] == "service_healthy", name
    assert set(compose["gateway"]["depends_on"]) >= set(SERVICES)
    for part in PARTS:
        probe = " ".join(compose[part]["healthcheck"]["test"])
        assert f"127.0.0.1:{_container_port(compose[part])}/" in probe, part


@pytest.mark.parametrize("part", PARTS)
def test_dockerfile_builds_its_part_from_the_root(part: str) -> None:
    compose = _compose()
    build = compose[part]["build"]
    assert build["context"] == "."
    dockerfile = (ROOT / build["dockerfile"]).read_text()
    assert build["dockerfile"] == f"{DIRS[part]}/Dockerfile"
    assert "uv pip sync requirements.lock" in dockerfile
    assert f"COPY {DIRS[part]} {DIRS[part]}" in dockerfile
    port = _container_port(compose[part])
    assert f"EXPOSE {port}" in dockerfile and f"--port {port}" in dockerfile.replace('", "', " ")


@pytest.mark.slow
def test_compose_file_is_valid() -> None:
    if shutil.which("docker-compose") is None:
        require("docker-compose is not installed (Debian package docker-compose)")
    result = subprocess.run(
        ["docker-compose", "-f", str(ROOT / "docker-compose.yml"), "config", "-q"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_the_gateways_payment_budget_outlasts_traffics_wechat_pay_calls() -> None:
    budgets = GatewaySettings(shared=SharedSettings(env="dev")).route_timeouts
    wechat_pay = TrafficSettings.model_fields["wechatpay_timeout_seconds"].default
    upstream = GatewaySettings.model_fields["upstream_timeout_seconds"].default
    for route in ("POST traffic decisions/*/payments", "POST traffic payments/*/refunds"):
        assert budgets[route] > wechat_pay > upstream
