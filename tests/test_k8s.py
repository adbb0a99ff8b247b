"""deploy/k8s: both overlays render with kubectl's kustomize, validate offline against the
Kubernetes schemas, and agree with the settings classes, the command lines and the Procfile."""

from __future__ import annotations

import base64
import os
import re
import runpy
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from fastapi import FastAPI

from gateway.settings import SERVICES, GatewaySettings
from servicekit.cli import PORTS
from servicekit.health import install_health
from servicekit.testing import require
from tests.test_compose import _env_var, _procfile_ports, _settings_class
from traffic.settings import DEV_PAYMENT_NOTIFY_URL, WECHATPAY_FIELDS

ROOT = Path(__file__).resolve().parent.parent
K8S = ROOT / "deploy" / "k8s"
# The schemas every document is checked against: the kubectl this test was written with.
KUBERNETES_VERSION = "1.32"
OVERLAYS = ("dev", "prod")
PARTS = ("gateway", *SERVICES)
SHARED_VARIABLES = {"ENV", "INTERNAL_TOKEN_SECRET", "TRACING_EXPORTER"}
# Values no ConfigMap or literal `env` may carry: they go in Secrets.
SECRET_VARIABLE = re.compile(
    r"(SECRET|DATABASE_URL|REDIS_URL|STAFF_KEYS|WECHAT_ACCOUNTS|APIV3_KEY)$"
)
# The scheduled commands (DESIGN §10) and the in-service scheduler each replaces.
SCHEDULED = {
    ("weather", "push-bulletin"): "WEATHER_BULLETIN_SCHEDULE",
    ("traffic", "reconcile"): "TRAFFIC_RECONCILE_EVERY_SECONDS",
    ("accounts", "import-statistics"): "ACCOUNTS_STATISTICS_IMPORT_ENABLED",
    ("inspection", "send-reminders"): "INSPECTION_REMINDERS_ENABLED",
}
KUBECTL_MISSING = (
    "kubectl is not installed: `apt-get install kubernetes-client` (Debian; its kubectl 1.20 "
    "renders these files) or another kubectl, 1.20 or newer, on PATH"
)

Doc = dict[str, Any]

# Rendering and validating take a few seconds: `make check` leaves these out, `make test` runs them.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def k8s_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """deploy/k8s with the dev secrets make-secrets.sh writes (the real secrets/ is never read)."""
    copy = tmp_path_factory.mktemp("k8s") / "k8s"
    shutil.copytree(K8S, copy, ignore=shutil.ignore_patterns("secrets"))
    subprocess.run(
        [str(copy / "overlays" / "dev" / "make-secrets.sh")],
        env={**os.environ, "PYTHON": sys.executable},
        check=True,
        capture_output=True,
    )
    return copy


@pytest.fixture(scope="module")
def kubectl() -> str:
    found = shutil.which("kubectl")
    if found is None:
        require(KUBECTL_MISSING)
    assert found is not None
    return found


@pytest.fixture(scope="module")
def rendered(kubectl: str, k8s_copy: Path) -> dict[str, list[Doc]]:
    """Each overlay as `kubectl kustomize` prints it."""
    out = {}
    for overlay in OVERLAYS:
        result = subprocess.run(
            [kubectl, "kustomize", str(k8s_copy / "overlays" / overlay)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        out[overlay] = [d for d in yaml.safe_load_all(result.stdout) if d]
    return out


def _named(docs: list[Doc], kind: str) -> dict[str, Doc]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def _template(workload: Doc) -> Doc:
    """The pod template of a Deployment, a Job or a CronJob."""
    if workload["kind"] == "CronJob":
        return workload["spec"]["jobTemplate"]["spec"]["template"]
    return workload["spec"]["template"]


def _pods(docs: list[Doc]) -> Iterator[tuple[Doc, Doc]]:
    """(workload, pod template) of every Deployment, Job and CronJob."""
    for doc in docs:
        if doc["kind"] in ("Deployment", "Job", "CronJob"):
            yield doc, _template(doc)


def _suite_pods(docs: list[Doc]) -> Iterator[tuple[str, Doc, Doc]]:
    """(part, workload, its one container) of the gateway's, the services' and the sandbox's."""
    for doc, template in _pods(docs):
        part = template["metadata"]["labels"].get("app.kubernetes.io/name")
        if part in (*PARTS, "sandbox"):
            (container,) = template["spec"]["containers"]
            yield part, doc, container


def _server(docs: list[Doc], part: str) -> Doc:
    (container,) = _named(docs, "Deployment")[part]["spec"]["template"]["spec"]["containers"]
    return container


def _documented_secrets() -> dict[str, set[str]]:
    """The production secrets deploy/k8s/README.md says to create, with their keys."""
    text = (K8S / "README.md").read_text()
    commands = re.findall(r"create secret generic (\S+)((?: \\\n\s+--from-\w+=\S+)+)", text)
    return {
        name: set(re.findall(r"--from-(?:literal|file)=([\w.]+)=", flags))
        for name, flags in commands
    }


def _variables(docs: list[Doc], container: Doc) -> dict[str, str | None]:
    """Every variable the container gets, with its value (None: a key of a production secret
    that deploy/k8s/README.md documents)."""
    configmaps, secrets = _named(docs, "ConfigMap"), _named(docs, "Secret")
    documented = _documented_secrets()
    values: dict[str, str | None] = {}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            values.update(configmaps[source["configMapRef"]["name"]]["data"])
        else:
            name = source["secretRef"]["name"]
            if name in secrets:
                data = secrets[name]["data"]
                values.update({k: base64.b64decode(v).decode() for k, v in data.items()})
            else:
                assert name in documented, f"secret {name} is neither generated nor documented"
                values.update(dict.fromkeys(documented[name]))
    for entry in container.get("env", []):
        values[entry["name"]] = entry.get("value")
    return values


def _settings_variables(part: str) -> set[str]:
    cls = _settings_class(part)
    names = {_env_var(part, field) for field in cls.model_fields if field != "shared"}
    aliases = {f.validation_alias for f in cls.model_fields.values() if f.validation_alias}
    return names | {str(a) for a in aliases} | SHARED_VARIABLES


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_document_is_valid_for_kubernetes(
    rendered: dict[str, list[Doc]], overlay: str
) -> None:
    kinds = set()
    for doc in rendered[overlay]:
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
        kinds.add(doc["kind"])
    assert kinds >= {
        "Namespace",
        "Deployment",
        "Service",
        "ConfigMap",
        "Job",
        "CronJob",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "NetworkPolicy",
    }


def test_the_validation_refuses_a_misspelt_field(rendered: dict[str, list[Doc]]) -> None:
    deployment = _named(rendered["prod"], "Deployment")["gateway"]
    broken = yaml.safe_load(yaml.safe_dump(deployment))
    broken["spec"]["template"]["spec"]["containers"][0]["readinessprobe"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_part_serves_on_its_port(rendered: dict[str, list[Doc]], overlay: str) -> None:
    docs = rendered[overlay]
    services = _named(docs, "Service")
    procfile = _procfile_ports()
    parts = (*PARTS, "sandbox") if overlay == "dev" else PARTS
    assert {p for p, doc, _ in _suite_pods(docs) if doc["kind"] == "Deployment"} == set(parts)
    for part in parts:
        container = _server(docs, part)
        port = PORTS[part]
        assert port == procfile[part], part
        assert container["command"] == [
            "python",
            "-m",
            part,
            "serve",
            "--host",
            "0.0.0.0",
            "--port",
            str(port),
        ]
        named = {p["name"]: p["containerPort"] for p in container["ports"]}
        assert named["http"] == port, part
        assert {(p["port"], p["targetPort"]) for p in services[part]["spec"]["ports"]} >= {
            (port, "http")
        }
    internal = GatewaySettings.model_fields["internal_port"].default
    gateway = _server(docs, "gateway")
    assert {p["name"]: p["containerPort"] for p in gateway["ports"]}["internal"] == internal
    assert _variables(docs, gateway)["GATEWAY_INTERNAL_PORT"] == str(internal)
    # Only the in-cluster Service has the internal port; the one to publish does not.
    assert [p["port"] for p in services["gateway-public"]["spec"]["ports"]] == [PORTS["gateway"]]
    exposing = {
        n for n, s in services.items() if internal in [p["port"] for p in s["spec"]["ports"]]
    }
    assert exposing == {"gateway"}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_probes_ask_the_health_routes(rendered: dict[str, list[Doc]], overlay: str) -> None:
    app = FastAPI()
    install_health(app, {})
    routes = {route.path for route in app.routes}
    docs = rendered[overlay]
    for part in PARTS:
        container = _server(docs, part)
        probes = {
            k: container[k]["httpGet"] for k in ("readinessProbe", "livenessProbe", "startupProbe")
        }
        assert all(p["port"] == "http" for p in probes.values()), part
        assert probes["livenessProbe"]["path"] == probes["startupProbe"]["path"] == "/healthz"
        # The gateway's /readyz asks every service's: as its readiness probe, one service down
        # would take every gateway out of rotation.
        ready = "/healthz" if part == "gateway" else "/readyz"
        assert probes["readinessProbe"]["path"] == ready, part
        assert {p["path"] for p in probes.values()} <= routes


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_variable_is_a_setting_of_its_part(
    rendered: dict[str, list[Doc]], overlay: str
) -> None:
    docs = rendered[overlay]
    for part, doc, container in _suite_pods(docs):
        unknown = set(_variables(docs, container)) - _settings_variables(part)
        assert not unknown, f"{doc['kind']} {doc['metadata']['name']}: {sorted(unknown)}"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_secrets_are_referenced_never_inlined(rendered: dict[str, list[Doc]], overlay: str) -> None:
    docs = rendered[overlay]
    for configmap in _named(docs, "ConfigMap").values():
        assert not [k for k in configmap["data"] if SECRET_VARIABLE.search(k)], configmap
    for _, _, container in _suite_pods(docs):
        assert not [e for e in container.get("env", []) if SECRET_VARIABLE.search(e["name"])]
    secrets = _named(docs, "Secret")
    if overlay == "prod":
        assert secrets == {}
    else:
        # Generated from make-secrets.sh's untracked files or development literals, hashed so a
        # change rolls the pods.
        assert all(re.search(r"-[a-z0-9]{10}$", name) for name in secrets)
    assert "kind: Secret" not in "".join(p.read_text() for p in K8S.rglob("*.yaml"))


def test_production_secrets_are_documented_with_their_parts_settings(
    rendered: dict[str, list[Doc]],
) -> None:
    docs = rendered["prod"]
    documented = _documented_secrets()
    wanted: set[str] = set()
    for part, _, container in _suite_pods(docs):
        for source in container["envFrom"]:
            if "secretRef" in source:
                name = source["secretRef"]["name"]
                wanted.add(name)
                assert documented[name] <= _settings_variables(part), name
    (keys,) = {
        v["secret"]["secretName"]
        for _, t in _pods(docs)
        for v in t["spec"].get("volumes", [])
        if "secret" in v
    }
    wanted.add(keys)
    assert set(documented) == wanted
    traffic = _variables(docs, _server(docs, "traffic"))
    (mount,) = _server(docs, "traffic")["volumeMounts"]
    files = {
        traffic[f"TRAFFIC_WECHATPAY_{side}_KEY_PATH"]
        for side in ("MERCHANT_PRIVATE", "PLATFORM_PUBLIC")
    }
    assert files == {f"{mount['mountPath']}/{name}" for name in documented[keys]}
    # Outside development traffic refuses to start without any of these.
    assert {_env_var("traffic", field) for field in WECHATPAY_FIELDS} <= set(traffic)
    gateway = _variables(docs, _server(docs, "gateway"))
    assert {"GATEWAY_REDIS_URL", "GATEWAY_WECHAT_ACCOUNTS", "GATEWAY_STAFF_KEYS"} <= set(gateway)


def test_dev_settings_start_from_the_rendered_configuration(
    rendered: dict[str, list[Doc]],
    k8s_copy: Path,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    docs = rendered["dev"]
    keys = str(k8s_copy / "overlays" / "dev" / "secrets" / "wechatpay")
    for part in (*PARTS, "sandbox"):
        variables = _variables(docs, _server(docs, part))
        for name in list(os.environ):
            if name.startswith(f"{part.upper()}_") or name in SHARED_VARIABLES:
                monkeypatch.delenv(name)
        for name, value in variables.items():
            assert value is not None
            # The key set is mounted at /etc/guanwei/wechatpay in the pods.
            monkeypatch.setenv(name, value.replace("/etc/guanwei/wechatpay", keys))
        monkeypatch.chdir(tmp_path)
        settings = _settings_class(part)()
        assert settings.shared.env == "dev"
        if part in SERVICES:
            host = f"{part}-db"
            assert settings.database_url == f"postgresql+psycopg://postgres@{host}:5432/{part}"
            assert _named(docs, "Service")[host]["spec"]["ports"][0]["port"] == 5432


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_parts_find_each_other(rendered: dict[str, list[Doc]], overlay: str) -> None:
    docs = rendered[overlay]
    services = _named(docs, "Service")
    internal = GatewaySettings.model_fields["internal_port"].default
    gateway = _variables(docs, _server(docs, "gateway"))
    for service in SERVICES:
        assert (
            gateway[_env_var("gateway", f"{service}_url")] == f"http://{service}:{PORTS[service]}"
        )
        assert service in services
        env = _variables(docs, _server(docs, service))
        if "gateway_url" in _settings_class(service).model_fields:
            assert env[_env_var(service, "gateway_url")] == f"http://gateway:{internal}", service
    accounts = _variables(docs, _server(docs, "accounts"))
    for service in SERVICES:
        if f"{service}_url" in _settings_class("accounts").model_fields:
            assert (
                accounts[_env_var("accounts", f"{service}_url")]
                == f"http://{service}:{PORTS[service]}"
            )
    if overlay == "dev":
        sandbox = f"http://sandbox:{PORTS['sandbox']}"
        traffic = _variables(docs, _server(docs, "traffic"))
        assert (
            gateway["GATEWAY_WECHAT_API_BASE_URL"]
            == traffic["TRAFFIC_WECHATPAY_BASE_URL"]
            == sandbox
        )
        path = DEV_PAYMENT_NOTIFY_URL.split(str(PORTS["gateway"]), 1)[1]
        assert traffic["TRAFFIC_PAYMENT_NOTIFY_URL"] == f"http://gateway:{PORTS['gateway']}{path}"
        redis = gateway["GATEWAY_REDIS_URL"]
        assert redis == f"redis://redis:{services['redis']['spec']['ports'][0]['port']}/0"
        sandbox_env = _variables(docs, _server(docs, "sandbox"))
        assert sandbox_env["SANDBOX_GATEWAY_URL"] == f"http://gateway:{PORTS['gateway']}"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_migrations_run_as_jobs_with_the_servers_configuration(
    rendered: dict[str, list[Doc]], overlay: str
) -> None:
    docs = rendered[overlay]
    jobs = _named(docs, "Job")
    assert set(jobs) == {f"{s}-migrate" for s in SERVICES}
    for service in SERVICES:
        (container,) = jobs[f"{service}-migrate"]["spec"]["template"]["spec"]["containers"]
        server = _server(docs, service)
        assert container["image"] == server["image"]
        assert container["envFrom"] == server["envFrom"]
        assert container.get("volumeMounts") == server.get("volumeMounts")
        command = " ".join(container["command"])
        expected = f"python -m {service} migrate"
        if overlay == "dev":
            expected += f" && python -m {service} seed"
        assert command.endswith(expected), command


def _cli_exit_code(part: str, argv: list[str], monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(sys, "argv", [part, *argv])
    with pytest.raises(SystemExit) as stop:
        runpy.run_module(part, run_name="__main__", alter_sys=False)
    return int(stop.value.code or 0)


def test_the_scheduled_commands_exist(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for part, command in SCHEDULED:
        # Its help is printed, where an unknown command is a usage error.
        assert _cli_exit_code(part, [command, "--help"], monkeypatch) == 0, command
        assert _cli_exit_code(part, [f"no-{command}"], monkeypatch) == 2, command
    capsys.readouterr()


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_cronjobs_run_the_scheduled_commands_instead_of_the_in_service_schedulers(
    rendered: dict[str, list[Doc]], overlay: str
) -> None:
    docs = rendered[overlay]
    found = {}
    for name, cronjob in _named(docs, "CronJob").items():
        (container,) = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"]
        python, flag, part, command = container["command"]
        assert (python, flag, name) == ("python", "-m", f"{part}-{command}")
        assert container["envFrom"] == _server(docs, part)["envFrom"]
        assert cronjob["spec"]["timeZone"] == "Asia/Shanghai"
        assert cronjob["spec"]["concurrencyPolicy"] == "Forbid"
        found[(part, command)] = cronjob["spec"]["schedule"]
    assert set(found) == set(SCHEDULED)
    for (part, _), setting in SCHEDULED.items():
        value = _variables(docs, _server(docs, part))[setting]
        assert value in ("false", "0"), f"{setting}={value}: the scheduler would run twice"
    settings = {part: _settings_class(part) for part in ("weather", "accounts", "inspection")}
    bulletin = settings["weather"].model_fields["bulletin_push_at"].default
    assert found[("weather", "push-bulletin")] == f"{bulletin.minute} {bulletin.hour} * * *"
    # Statistics after WeChat has the day ready; reminders from their hour on.
    ready = settings["accounts"].model_fields["statistics_import_at"].default
    minute, hour = (int(x) for x in found[("accounts", "import-statistics")].split()[:2])
    assert (hour, minute) > (ready.hour, ready.minute)
    reminders = settings["inspection"].model_fields["reminders_at"].default
    first = found[("inspection", "send-reminders")].split()[1].split("-")[0]
    assert int(first) == reminders.hour


def _selects(selector: Doc, labels: dict[str, str]) -> bool:
    if any(labels.get(k) != v for k, v in selector.get("matchLabels", {}).items()):
        return False
    for expression in selector.get("matchExpressions", []):
        assert expression["operator"] in ("In", "NotIn"), expression
        inside = labels.get(expression["key"]) in expression["values"]
        if inside != (expression["operator"] == "In"):
            return False
    return True


def _who(labels: dict[str, str]) -> str:
    if "guanwei.dev/database-of" in labels:
        return f"{labels['guanwei.dev/database-of']}-db"
    return labels.get("app.kubernetes.io/name", "?")


def allowed_connections(docs: list[Doc]) -> set[tuple[str, str, int | str]]:
    """(from, to, port) that the NetworkPolicies let through between the pods of `docs`: `*`
    for any source or port, `namespace/name` for pods of another namespace."""
    pods = [t["metadata"]["labels"] for _, t in _pods(docs)]
    allowed: set[tuple[str, str, int | str]] = set()
    for policy in _named(docs, "NetworkPolicy").values():
        spec = policy["spec"]
        targets = {_who(p) for p in pods if _selects(spec["podSelector"], p)}
        for rule in spec.get("ingress", []):
            sources: set[str] = set()
            for peer in rule.get("from", [{}]):
                if "namespaceSelector" in peer:
                    namespace = peer["namespaceSelector"]["matchLabels"][
                        "kubernetes.io/metadata.name"
                    ]
                    name = peer["podSelector"]["matchLabels"]["app.kubernetes.io/name"]
                    sources.add(f"{namespace}/{name}")
                elif "podSelector" in peer:
                    sources |= {_who(p) for p in pods if _selects(peer["podSelector"], p)}
                else:
                    sources.add("*")
            ports = [p["port"] for p in rule.get("ports", [])] or ["*"]
            allowed |= {(s, t, port) for s in sources for t in targets for port in ports}
    return allowed


@pytest.mark.parametrize(
    ("selector", "labels", "selected"),
    [
        ({}, {"app.kubernetes.io/name": "a"}, True),
        ({"matchLabels": {"app.kubernetes.io/name": "a"}}, {"app.kubernetes.io/name": "a"}, True),
        ({"matchLabels": {"app.kubernetes.io/name": "a"}}, {"app.kubernetes.io/name": "b"}, False),
        ({"matchLabels": {"x": "1", "y": "2"}}, {"x": "1"}, False),
        (
            {"matchExpressions": [{"key": "x", "operator": "In", "values": ["1", "2"]}]},
            {"x": "2"},
            True,
        ),
        ({"matchExpressions": [{"key": "x", "operator": "In", "values": ["1"]}]}, {}, False),
        (
            {"matchExpressions": [{"key": "x", "operator": "NotIn", "values": ["1"]}]},
            {"x": "1"},
            False,
        ),
        ({"matchExpressions": [{"key": "x", "operator": "NotIn", "values": ["1"]}]}, {}, True),
    ],
)
def test_selectors_select_as_kubernetes_does(
    selector: Doc, labels: dict[str, str], selected: bool
) -> None:
    assert _selects(selector, labels) is selected


def test_connections_are_allowed_only_where_a_policy_says() -> None:
    docs = list(
        yaml.safe_load_all("""
kind: Deployment
metadata: {name: a}
spec: {template: {metadata: {labels: {app.kubernetes.io/name: a}}}}
---
kind: Job
metadata: {name: b}
spec: {template: {metadata: {labels: {app.kubernetes.io/name: b}}}}
---
kind: CronJob
metadata: {name: c}
spec: {jobTemplate: {spec: {template: {metadata: {labels: {app.kubernetes.io/name: c}}}}}}
---
kind: NetworkPolicy
metadata: {name: to-b}
spec:
  podSelector: {matchLabels: {app.kubernetes.io/name: b}}
  ingress:
    - from: [{podSelector: {matchLabels: {app.kubernetes.io/name: a}}}]
      ports: [{port: 80}]
    - from:
        - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: monitoring}}
          podSelector: {matchLabels: {app.kubernetes.io/name: prometheus}}
---
kind: NetworkPolicy
metadata: {name: to-c}
spec:
  podSelector: {matchLabels: {app.kubernetes.io/name: c}}
  ingress: [{ports: [{port: 443}]}]
""")
    )
    assert allowed_connections(docs) == {
        ("a", "b", 80),
        ("monitoring/prometheus", "b", "*"),
        ("*", "c", 443),
    }


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_network_policies_let_only_the_contracted_calls_through(
    rendered: dict[str, list[Doc]], overlay: str
) -> None:
    docs = rendered[overlay]
    internal = GatewaySettings.model_fields["internal_port"].default
    callers = GatewaySettings.model_fields["internal_callers"].default_factory()
    consent = [s for s in SERVICES if f"{s}_url" in _settings_class("accounts").model_fields]
    servers = (*PARTS, "sandbox") if overlay == "dev" else PARTS
    expected: set[tuple[str, str, int | str]] = {
        ("*", "gateway", PORTS["gateway"]),
        *((caller, "gateway", internal) for caller in callers),
        *(("gateway", s, PORTS[s]) for s in SERVICES),
        *(("accounts", s, PORTS[s]) for s in consent),
        *(("monitoring/prometheus", part, "*") for part in servers),
    }
    if overlay == "dev":
        expected |= {
            *((s, f"{s}-db", 5432) for s in SERVICES),
            ("gateway", "redis", 6379),
            ("gateway", "sandbox", PORTS["sandbox"]),
            ("traffic", "sandbox", PORTS["sandbox"]),
        }
    assert allowed_connections(docs) == expected
    # Every pod is covered by the default deny, so nothing else gets through.
    (deny,) = [p for p in _named(docs, "NetworkPolicy").values() if p["spec"]["podSelector"] == {}]
    assert deny["spec"]["policyTypes"] == ["Ingress"] and "ingress" not in deny["spec"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_pods_run_as_non_root_from_tagged_images(
    rendered: dict[str, list[Doc]], overlay: str
) -> None:
    docs = rendered[overlay]
    for _, template in _pods(docs):
        spec = template["spec"]
        assert spec["securityContext"]["runAsNonRoot"] is True
        assert isinstance(spec["securityContext"]["runAsUser"], int)
        for container in spec["containers"]:
            assert re.fullmatch(r"\S+:[\w.-]+", container["image"]), container["image"]
    # Every part runs the one image of the repository's Dockerfile, as the user it creates.
    uid = re.search(r"useradd [^\n]*--uid (\d+)", (ROOT / "Dockerfile").read_text())
    assert uid is not None
    images = set()
    for part, doc, container in _suite_pods(docs):
        images.add(container["image"])
        pod = _template(doc)["spec"]["securityContext"]
        assert pod["runAsUser"] == int(uid.group(1)), part
        # What the production namespace's `restricted` pod security standard asks.
        assert pod["seccompProfile"] == {"type": "RuntimeDefault"}, part
        assert container["securityContext"]["allowPrivilegeEscalation"] is False
        assert container["securityContext"]["capabilities"]["drop"] == ["ALL"]
    (image,) = images
    assert image.endswith(":dev") == (overlay == "dev") and not image.endswith(":latest")


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_server_scales_on_cpu_and_keeps_a_pod_through_drains(
    rendered: dict[str, list[Doc]], overlay: str
) -> None:
    docs = rendered[overlay]
    autoscalers, budgets = (
        _named(docs, "HorizontalPodAutoscaler"),
        _named(docs, "PodDisruptionBudget"),
    )
    for part in PARTS:
        deployment = _named(docs, "Deployment")[part]
        # The autoscaler owns the replica count: a fixed one would be reset by every apply.
        assert "replicas" not in deployment["spec"]
        scaler = autoscalers[part]["spec"]
        assert scaler["scaleTargetRef"]["name"] == part
        assert [m["resource"]["name"] for m in scaler["metrics"]] == ["cpu"]
        assert scaler["minReplicas"] >= (2 if overlay == "prod" else 1)
        assert deployment["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"][
            "cpu"
        ]
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert _selects(budgets[part]["spec"]["selector"], labels)
        assert deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
