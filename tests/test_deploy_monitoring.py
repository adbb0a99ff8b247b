"""deploy/prometheus and deploy/grafana: valid for promtool and Grafana, and about metrics the
parts really export, with the labels they really carry."""

from __future__ import annotations

import functools
import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from gateway.settings import SERVICES, GatewaySettings
from servicekit.cli import PORTS
from servicekit.settings import SharedSettings
from servicekit.testing import require

ROOT = Path(__file__).resolve().parent.parent
PROMETHEUS = ROOT / "deploy" / "prometheus"
DASHBOARD = ROOT / "deploy" / "grafana" / "guanwei-dashboard.json"
SOURCES = [
    ROOT / "libs" / "servicekit" / "src",
    ROOT / "gateway" / "src",
    *(ROOT / "services" / name / "src" for name in SERVICES),
]
# Metric declarations: prometheus_client's metrics and the custom collectors' families.
DECLARATION = re.compile(
    r"\b(Counter|Histogram|Gauge|CounterMetricFamily|GaugeMetricFamily)\(\s*"
    r'"(?P<name>[a-z_]+)",\s*(?:"[^"]*"\s*)+(?:,\s*(?:labels=)?\[(?P<labels>[^\]]*)\])?'
)
SUFFIXES = {
    "Counter": ("_total",),
    "CounterMetricFamily": ("_total",),
    "Histogram": ("_bucket", "_sum", "_count"),
    "Gauge": ("",),
    "GaugeMetricFamily": ("",),
}
# Labels Prometheus adds when it scrapes, and the buckets' bound.
SCRAPE_LABELS = {"job", "instance", "le"}
PROMQL_WORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and"}
PROMQL_WORDS |= {"or", "unless", "offset", "sum", "min", "max", "avg", "count", "group"}
PROMQL_WORDS |= {"stddev", "stdvar", "topk", "bottomk", "quantile", "count_values"}


@functools.cache  # read once: every rule's test asks (do not mutate the answer)
def declared_metrics() -> dict[str, set[str]]:
    """Every exported sample name in the source, with the labels it carries."""
    found: dict[str, set[str]] = {}
    for root in SOURCES:
        for path in root.rglob("*.py"):
            for match in DECLARATION.finditer(path.read_text(encoding="utf-8")):
                labels = set(re.findall(r'"(\w+)"', match["labels"] or ""))
                # prometheus_client takes a counter's `_total` off its name, then adds it.
                name = match["name"].removesuffix("_total")
                for suffix in SUFFIXES[match[1]]:
                    found[name + suffix] = labels
    return found


def selectors(expr: str) -> Iterator[tuple[str, set[str]]]:
    """The metric names an expression selects, each with the label names its matchers use."""
    for match in re.finditer(r"\b([a-zA-Z_:][\w:]*)\b(?!\s*\()(\{[^}]*\})?", expr):
        name, matchers = match[1], match[2] or ""
        before = expr[: match.start()]
        # Label names inside a matcher or a by/without clause are not metrics.
        if before.count("{") > before.count("}") or re.search(
            r"\b(by|without|on|ignoring)\s*\([^)]*$", before
        ):
            continue
        if name in PROMQL_WORDS or re.fullmatch(r"\d+[smhd]", name):
            continue
        yield name, set(re.findall(r"(\w+)\s*(?:=~|!~|!=|=)", matchers))


def grouping_labels(expr: str) -> set[str]:
    """The label names of an expression's `by (...)` clauses."""
    return {
        label.strip()
        for group in re.findall(r"\bby\s*\(([^)]*)\)", expr)
        for label in group.split(",")
        if label.strip()
    }


def alert_expressions() -> list[tuple[str, str]]:
    rules = yaml.safe_load((PROMETHEUS / "alerts.yml").read_text(encoding="utf-8"))
    return [(rule["alert"], rule["expr"]) for group in rules["groups"] for rule in group["rules"]]


def dashboard() -> dict:
    return json.loads(DASHBOARD.read_text(encoding="utf-8"))


def dashboard_expressions() -> list[tuple[str, str]]:
    return [
        (panel["title"], target["expr"])
        for panel in dashboard()["panels"]
        for target in panel.get("targets", [])
    ]


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    if shutil.which("promtool") is None:
        require("promtool is not installed (Debian: apt-get install prometheus)")
    return subprocess.run(
        ["promtool", *args], cwd=PROMETHEUS, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    "args",
    [
        ("check", "rules", "alerts.yml"),
        ("check", "config", "prometheus.yml"),
        ("test", "rules", "alerts_test.yml"),
    ],
    ids=["check-rules", "check-config", "test-rules"],
)
def test_promtool_accepts_the_rules_and_the_config(args: tuple[str, ...]) -> None:
    checked = promtool(*args)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_declarations_are_found() -> None:
    """The source scan sees the metrics this suite relies on, so the checks below can fail."""
    declared = declared_metrics()
    assert declared["http_requests_total"] == {"service", "method", "route", "status"}
    assert declared["gateway_upstream_circuit_state"] == {"upstream"}
    assert declared["gateway_wechat_messages_total"] == {"account", "msg_type", "outcome"}
    assert declared["accounts_outbox_backlog"] == set()


@pytest.mark.parametrize(
    ("where", "expr"), alert_expressions() + dashboard_expressions(), ids=lambda v: v[:40]
)
def test_every_query_names_exported_metrics_and_labels(where: str, expr: str) -> None:
    declared = declared_metrics()
    used = list(selectors(expr))
    assert used, f"{where}: no metric in {expr!r}"
    labels = set(SCRAPE_LABELS)
    for name, matched in used:
        assert name in declared, f"{where}: {name} is not exported by any part"
        assert matched <= declared[name] | SCRAPE_LABELS, f"{where}: {name}{{{matched}}}"
        labels |= declared[name]
    assert grouping_labels(expr) <= labels, f"{where}: grouped by labels it does not have"


def test_the_dashboard_is_a_grafana_dashboard() -> None:
    board = dashboard()
    assert board["uid"] and board["title"] and board["schemaVersion"] >= 36
    ids = [panel["id"] for panel in board["panels"]]
    assert len(ids) == len(set(ids))
    variables = {v["name"]: v for v in board["templating"]["list"]}
    assert variables["datasource"]["query"] == "prometheus"
    for panel in board["panels"]:
        if panel["type"] == "row":
            continue
        assert panel["datasource"]["uid"] == "${datasource}", panel["title"]
        refs = [target["refId"] for target in panel["targets"]]
        assert refs and len(refs) == len(set(refs)), panel["title"]


def test_prometheus_scrapes_every_part_on_its_port() -> None:
    config = yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text(encoding="utf-8"))
    targets = {
        job["job_name"]: target
        for job in config["scrape_configs"]
        for static in job["static_configs"]
        for target in static["targets"]
    }
    internal = GatewaySettings(shared=SharedSettings(env="dev")).internal_port
    expected = {name: f"{name}:{PORTS[name]}" for name in (*SERVICES, "gateway")}
    assert targets == {**expected, "gateway-internal": f"gateway:{internal}"}
