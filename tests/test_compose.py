"""docker-compose.yml, the Procfile, the Dockerfile and the settings classes must agree; and the
image recipes install what the suite needs at run time, from the lock, by hash."""

from __future__ import annotations

import importlib
import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

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
MEMBERS = ("libs/servicekit", "libs/wechat", *DIRS.values())


def _load_runtime_requirements() -> ModuleType:
    path = ROOT / "deploy/images/runtime_requirements.py"
    spec = importlib.util.spec_from_file_location("runtime_requirements", path)
    module = importlib.util.module_from_spec(spec)
    # Its dataclasses look their module up by name.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


RUNTIME = _load_runtime_requirements()


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


def test_each_service_has_its_own_postgres_database_migrated_once_before_it_starts() -> None:
    compose = _compose()
    init_sql = (ROOT / "deploy/postgres/init-databases.sql").read_text()
    migrate = compose["migrate"]
    script = migrate["command"][-1]
    for service in SERVICES:
        var = _env_var(service, "database_url")
        url = compose[service]["environment"][var]
        assert re.fullmatch(rf"postgresql\+psycopg://postgres@postgres:5432/{service}", url)
        assert f"CREATE DATABASE {service};" in init_sql
        # Replicas never race to migrate or seed: the one-shot migrate service did, before.
        assert compose[service]["depends_on"] == {
            "migrate": {"condition": "service_completed_successfully"}
        }
        assert migrate["environment"][var] == url
        assert service in script.split("for s in ")[1].split(";")[0].split()
    assert "python -m $$s migrate && python -m $$s seed" in script
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_healthchecks_and_healthy_dependencies() -> None:
    compose = _compose()
    for name, svc in compose.items():
        assert "healthcheck" in svc, name
        for dep, condition in svc.get("depends_on", {}).items():
            wanted = "service_completed_successfully" if dep == "migrate" else "service_healthy"
            assert condition["condition"] == wanted, name
    assert compose["migrate"]["healthcheck"] == {"disable": True}
    assert set(compose["gateway"]["depends_on"]) >= set(SERVICES)
    for part in PARTS:
        probe = " ".join(compose[part]["healthcheck"]["test"])
        assert f"127.0.0.1:{_container_port(compose[part])}/" in probe, part


def test_every_part_runs_the_one_image_as_itself_on_its_port() -> None:
    compose = _compose()
    for part in (*PARTS, "migrate"):
        assert compose[part]["image"] == "${GUANWEI_IMAGE:-guanwei:dev}", part
        assert compose[part]["build"] == {
            "context": ".",
            "args": {"BASE_IMAGE": "${GUANWEI_BASE_IMAGE:-python:3.11-slim}"},
        }
    for part in PARTS:
        env = compose[part]["environment"]
        assert env["PART"] == part
        assert int(env["PORT"]) == _container_port(compose[part])
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert 'CMD exec python -m "$PART" serve --host 0.0.0.0 --port "$PORT"' in dockerfile


def test_replicas_can_scale_and_public_images_can_be_replaced() -> None:
    """`--scale` needs no fixed container names nor fixed host ports; the image variables are
    the ones `make images` writes."""
    compose = _compose()
    for name, svc in compose.items():
        assert "container_name" not in svc, name
    assert compose["gateway"]["ports"] == ["${GUANWEI_GATEWAY_PORTS:-8000}:8000"]
    assert compose["sandbox"]["ports"] == ["${GUANWEI_SANDBOX_PORT:-8009}:8009"]
    assert compose["postgres"]["image"] == "${POSTGRES_IMAGE:-postgres:16}"
    assert compose["redis"]["image"] == "${REDIS_IMAGE:-redis:7}"
    text = (ROOT / "docker-compose.yml").read_text()
    build = (ROOT / "deploy/images/build.sh").read_text()
    images_env = build.split("cat >var/images.env <<ENV\n")[1].split("\nENV\n")[0]
    written = re.findall(r"^([A-Z_]+)=\$", images_env, flags=re.MULTILINE)
    assert sorted(written) == [
        "GUANWEI_BASE_IMAGE",
        "GUANWEI_IMAGE",
        "POSTGRES_IMAGE",
        "REDIS_IMAGE",
    ]
    for variable in written:
        assert f"${{{variable}:-" in text, variable


def test_the_dockerfile_is_small_non_root_hash_checked_and_healthchecked() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "ARG BASE_IMAGE=python:3.11-slim\n" in dockerfile
    stages = re.findall(r"^FROM (\S+)", dockerfile, flags=re.MULTILINE)
    assert stages == ["${BASE_IMAGE}", "${BASE_IMAGE}"]
    build, final = dockerfile.split("\nFROM ${BASE_IMAGE}\n")
    assert "--require-hashes" in build and "-r runtime.lock" in build
    for member in MEMBERS:
        assert f"{member}/src" in build, member
    # The final stage copies the built venv and sources: no pip, no build tools, no compiler.
    assert "pip install" not in final and "gcc" not in final and "build-essential" not in final
    assert "COPY --from=build /opt/venv /opt/venv" in final
    assert re.search(r"^USER guanwei$", final, flags=re.MULTILINE)
    assert "useradd --system --uid 10001" in final
    assert re.search(r"^HEALTHCHECK ", final, flags=re.MULTILINE)
    ignore = (ROOT / ".dockerignore").read_text().splitlines()
    assert {".venv", "var", "!var/wheels", "**/tests", ".git"} <= set(ignore)
    for recipe in ("python", "postgres", "redis"):
        text = (ROOT / f"deploy/images/{recipe}.Dockerfile").read_text()
        assert "ARG DEBIAN_IMAGE=guanwei/debian:bookworm" in text, recipe
        assert "rm -rf /var/lib/apt/lists/*" in text, recipe
    for recipe in ("postgres", "redis"):
        text = (ROOT / f"deploy/images/{recipe}.Dockerfile").read_text()
        assert re.search(r"^USER (postgres|redis)$", text, flags=re.MULTILINE), recipe
        assert re.search(r"^HEALTHCHECK ", text, flags=re.MULTILINE), recipe


LOCK = """\
alpha==1.0 \\
    --hash=sha256:aa
    # via servicekit
beta==2.0 ; python_full_version < '3.11.3' \\
    --hash=sha256:bb
    # via alpha
beta==3.0 ; python_full_version >= '3.11.3' \\
    --hash=sha256:cc
    # via alpha
pytest==8.0 \\
    --hash=sha256:dd
shared==1.0 \\
    --hash=sha256:ee
    # via
    #   pytest
    #   gateway
pluggy==1.5 \\
    --hash=sha256:ff
    # via pytest
"""


@pytest.mark.parametrize(
    ("members", "pins"),
    [
        # A member's dependency and theirs, each version with its marker; dev roots left out.
        ({"servicekit"}, ["alpha", "beta", "beta"]),
        # Needed by a member and by a dev tool: kept; the dev tool itself is not.
        ({"gateway"}, ["shared"]),
        ({"servicekit", "gateway"}, ["alpha", "beta", "beta", "shared"]),
        (set(), []),
    ],
)
def test_runtime_requirements_keep_what_the_members_pull_in(
    members: set[str], pins: list[str]
) -> None:
    kept = RUNTIME.runtime(RUNTIME.parse(LOCK), members)
    assert [p.name for p in kept] == pins
    rendered = RUNTIME.render(kept)
    for pin in kept:
        assert "\n".join(pin.lines) + "\n" in rendered


@pytest.mark.parametrize(
    ("members", "unknown"),
    [
        ({"servicekit", "gateway"}, set()),
        ({"servicekit"}, {"gateway"}),
        ({"gateway"}, {"servicekit"}),
    ],
)
def test_a_member_missing_from_the_list_is_named(members: set[str], unknown: set[str]) -> None:
    assert RUNTIME.unknown_vias(RUNTIME.parse(LOCK), members) == unknown


@pytest.mark.parametrize(
    ("python", "beta", "digest"),
    [
        ("3.11.2", "beta==2.0 \\", "    --hash=sha256:bb"),
        ("3.11.7", "beta==3.0 \\", "    --hash=sha256:cc"),
        ("3.12.1", "beta==3.0 \\", "    --hash=sha256:cc"),
    ],
)
def test_the_wheelhouse_gets_the_pins_of_the_images_python(
    python: str, beta: str, digest: str
) -> None:
    environment = RUNTIME.environment() | {"python_full_version": python}
    runtime = RUNTIME.runtime(RUNTIME.parse(LOCK), {"servicekit"})
    kept = RUNTIME.for_environment(runtime, environment)
    assert [p.lines for p in kept] == [["alpha==1.0 \\", "    --hash=sha256:aa"], [beta, digest]]


def test_the_real_lock_installs_the_runtime_without_test_tools() -> None:
    pins = RUNTIME.parse((ROOT / "requirements.lock").read_text())
    names = {p.name for p in RUNTIME.runtime(pins, {Path(m).name for m in MEMBERS})}
    assert {"fastapi", "uvicorn", "psycopg", "matplotlib", "aiohttp", "redis"} <= names
    assert not names & {"pytest", "playwright", "schemathesis", "ruff", "hypothesis", "honcho"}
    # The Dockerfile names the same members.
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert " ".join(Path(m).name for m in MEMBERS) in dockerfile


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


def test_compose_defaults_the_gateways_deadlines_to_its_settings() -> None:
    env = _compose()["gateway"]["environment"]
    for field in (
        "upstream_timeout_seconds",
        "readiness_timeout_seconds",
        "openapi_timeout_seconds",
    ):
        var = _env_var("gateway", field)
        default = GatewaySettings.model_fields[field].default
        assert env[var] == f"${{{var}:-{default:g}}}", var


def test_the_gateways_payment_budget_outlasts_traffics_wechat_pay_calls() -> None:
    budgets = GatewaySettings(shared=SharedSettings(env="dev")).route_timeouts
    wechat_pay = TrafficSettings.model_fields["wechatpay_timeout_seconds"].default
    upstream = GatewaySettings.model_fields["upstream_timeout_seconds"].default
    for route in ("POST traffic decisions/*/payments", "POST traffic payments/*/refunds"):
        assert budgets[route] > wechat_pay > upstream
