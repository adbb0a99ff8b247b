"""The gateway's own Prometheus metrics: upstream calls, WeChat callbacks, rate-limit refusals,
the response cache.

They are built before the app (the proxy route and the upstream clients need them), on a registry
of their own; `GatewayMetrics` is the collector through which the app's registry exports them. Every
label value comes from a closed set (configured services and accounts, the outcomes below): never
an openid, a citizen id or free text.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import Metric
from prometheus_client.registry import Collector

# answered: the reply (or `success`) went out within WeChat's 5 s; late: the handler ran past
# it and its answer goes out as a customer-service message; deduplicated: a retry answered from
# the first delivery; refused: a 4xx before anything was claimed (signature, replay, XML...).
WechatOutcome = Literal["answered", "late", "deduplicated", "refused"]
# unreachable / timeout: no answer; circuit_open: refused at once by the breaker; status_5xx: the
# service answered with a server error.
UpstreamError = Literal["unreachable", "timeout", "circuit_open", "status_5xx"]
# The MsgType values of WeChat's reference; anything else is counted as "other".
KNOWN_MSG_TYPES = frozenset(
    {"text", "image", "voice", "video", "shortvideo", "location", "link", "event"}
)
# Upstream calls take milliseconds to WeChat's 5 s budget and the slowest service timeouts.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0)


def msg_type_label(msg_type: str | None) -> str:
    """The `msg_type` label of a message type: the type itself when WeChat documents it, "other"
    when not, "unknown" for a callback refused before its message was read."""
    if msg_type is None:
        return "unknown"
    return msg_type if msg_type in KNOWN_MSG_TYPES else "other"


class UpstreamMetrics:
    """The latency and the errors of calls to each upstream service."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.duration = Histogram(
            "gateway_upstream_request_duration_seconds",
            "Time from sending a call to an upstream service to reading its whole answer",
            ["service"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.errors = Counter(
            "gateway_upstream_errors",
            "Upstream calls without a good answer: unreachable, timeout, circuit_open, status_5xx",
            ["service", "kind"],
            registry=registry,
        )

    def failed(self, service: str, kind: UpstreamError) -> None:
        """Count one call to `service` that failed as `kind`."""
        self.errors.labels(service, kind).inc()


class GatewayMetrics(Collector):
    """Everything the gateway counts besides requests (servicekit) and circuits (circuit.py)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.upstreams = UpstreamMetrics(self.registry)
        self.wechat_messages = Counter(
            "gateway_wechat_messages",
            "WeChat callbacks per account, message type and outcome",
            ["account", "msg_type", "outcome"],
            registry=self.registry,
        )
        self.response_cache = Counter(
            "gateway_response_cache",
            "Cacheable API requests per service and result: hit (from a fresh entry), "
            "revalidated (a stale entry the service confirmed with 304), miss",
            ["service", "result"],
            registry=self.registry,
        )
        self.rate_limited = Counter(
            "gateway_rate_limited",
            "Requests refused 429 by the rate limits, per bucket (general or strict)",
            ["bucket"],
            registry=self.registry,
        )

    def wechat_message(self, account: str, msg_type: str | None, outcome: WechatOutcome) -> None:
        """Count one callback of a configured `account`."""
        self.wechat_messages.labels(account, msg_type_label(msg_type), outcome).inc()

    def collect(self) -> Iterator[Metric]:
        """Every sample of the gateway's own metrics (for the app's registry)."""
        return self.registry.collect()
