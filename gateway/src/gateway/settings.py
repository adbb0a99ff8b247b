"""Gateway settings (env prefix `GATEWAY_`), including the contract shapes of DESIGN §4."""

from __future__ import annotations

import ipaddress
from typing import ClassVar, Literal

from pydantic import (
    Field,
    PositiveFloat,
    field_validator,
    model_validator,
)
from pydantic_settings import SettingsConfigDict

from gateway.cors import ANY_PORT, allowed_origin
from gateway.staff import unknown_roles
from servicekit.settings import (
    DEV_EDITOR_KEY,
    DEV_STAFF_KEY,
    ServiceSettings,
    refuse_weak_secret,
    refuse_weak_wechat_account,
)
from wechat.accounts import WechatAccount
from wechat.dev import DEV_WECHAT_ACCOUNTS as DEV_ACCOUNT_SETTINGS

SERVICES = ("accounts", "traffic", "weather", "socialsec", "inspection")
ROUTE_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
# Settings whose keys (or items) name upstream services: a misspelt name would silently not apply.
SERVICE_KEYED_SETTINGS = ("upstream_timeouts", "rate_limit_strict_paths", "internal_callers")
# Traffic calls WeChat Pay for up to WECHATPAY_TIMEOUT_SECONDS (10 s) per call, and creating a
# payment may first close the decision's earlier order there: two calls, plus margin.
DEFAULT_ROUTE_TIMEOUTS = {
    "POST traffic decisions/*/payments": 25.0,
    "POST traffic payments/*/refunds": 25.0,
}


DEV_WECHAT_ACCOUNTS = [WechatAccount(**account) for account in DEV_ACCOUNT_SETTINGS]


# Development-only WeChat platform: the sandbox on its `make run` port.
DEV_WECHAT_API_BASE_URL = "http://127.0.0.1:8009"


# Development-only public origin of the gateway (`make run`'s port), for links in chat replies.
DEV_PUBLIC_BASE_URL = "http://127.0.0.1:8000"

STAFF_ROLES = (
    "forecaster",
    "registry_admin",
    "traffic_officer",
    "socialsec_officer",
    "inspector",
)
# Development-only staff API keys, used when ENV=dev and GATEWAY_STAFF_KEYS is unset (sent as
# `X-Api-Key`): one holding every role, and an editor of 莞香花开 and 荔香大朗 only.
DEV_STAFF_KEYS = {
    DEV_STAFF_KEY: list(STAFF_ROLES),
    DEV_EDITOR_KEY: ["editor:gxhk", "editor:lxdl"],
}
# Development-only app origins a sign-in may return to (any port of 127.0.0.1 and localhost),
# used when ENV=dev and GATEWAY_AUTH_REDIRECT_ALLOWLIST is unset.
DEV_AUTH_REDIRECT_ALLOWLIST = ["http://127.0.0.1:*", "http://localhost:*"]
# Development-only origins whose pages may call the API (any port of 127.0.0.1 and localhost),
# used when ENV=dev and GATEWAY_CORS_ORIGINS is unset.
DEV_CORS_ORIGINS = ["http://127.0.0.1:*", "http://localhost:*"]


class GatewaySettings(ServiceSettings):
    """Settings of the gateway."""

    model_config = SettingsConfigDict(
        env_prefix="GATEWAY_", env_file=".env", extra="ignore", use_attribute_docstrings=True
    )
    service_name: ClassVar[str] = "gateway"

    accounts_url: str = "http://127.0.0.1:8001"
    traffic_url: str = "http://127.0.0.1:8002"
    weather_url: str = "http://127.0.0.1:8003"
    socialsec_url: str = "http://127.0.0.1:8004"
    inspection_url: str = "http://127.0.0.1:8005"
    connect_timeout_seconds: float = Field(default=1.0, gt=0)
    upstream_timeout_seconds: float = Field(default=5.0, gt=0)
    """whole-request budget per upstream call"""
    upstream_timeouts: dict[str, PositiveFloat] = Field(default_factory=dict)
    """per-upstream override of upstream_timeout_seconds, e.g. {"traffic": 10}"""
    route_timeouts: dict[str, PositiveFloat] = Field(
        default_factory=lambda: dict(DEFAULT_ROUTE_TIMEOUTS)
    )
    """whole-request budget of particular routes, keyed `METHOD service path` (path relative to
    the service's /v1/, `*` one segment); each must outlast the service's own outbound calls on
    that route, or the app sees a 504 for work that was done (it then retries with the same
    Idempotency-Key)"""
    circuit_failure_threshold: int = Field(default=5, ge=1)
    """consecutive connection failures or timeouts that open an upstream's circuit (calls then
    answer 503 at once)"""
    circuit_open_seconds: float = Field(default=10.0, gt=0)
    """how long an open circuit refuses calls before one trial call"""
    readiness_timeout_seconds: float = Field(default=1.0, gt=0)
    """deadline of each upstream's /readyz probe"""
    openapi_timeout_seconds: float = Field(default=2.0, gt=0)
    """deadline of each upstream's /openapi.json fetch"""
    openapi_cache_seconds: float = Field(default=30.0, ge=0)
    """how long the merged OpenAPI document is reused"""
    max_body_bytes: int = Field(default=10 * 1024 * 1024, gt=0)
    """largest request body forwarded upstream"""
    compression_enabled: bool = True
    """compress textual answers (JSON, HTML, ...) with br or gzip for clients that accept it"""
    compress_min_bytes: int = Field(default=1024, ge=1, le=1024 * 1024)
    """smallest body compressed: below ~1 KB the saving is less than a packet"""
    redis_url: str = ""
    """Redis for state shared by replicas (rate limits, WeChat de-duplication, platform tokens,
    the response cache); empty = in memory, one replica only"""
    response_cache_enabled: bool = True
    """answer public GETs a service marks cacheable (Cache-Control: public with max-age, or an
    ETag) from the gateway's cache, revalidating stale entries with If-None-Match; never a
    request with credentials or cookies. A write through the gateway to a service forgets that
    service's entries"""
    response_cache_max_bytes: int = Field(default=64 * 1024 * 1024, gt=0)
    """memory the in-process cache may hold (bodies and headers), least recently used dropped
    first; unused when redis_url is set (entries then live in Redis and expire there)"""
    response_cache_max_entry_bytes: int = Field(default=1024 * 1024, gt=0)
    """largest body kept; larger answers are always fetched"""
    response_cache_stale_seconds: int = Field(default=600, ge=0)
    """how long an entry with an ETag is kept past its max-age, to be revalidated with a cheap
    304 rather than fetched again"""
    rate_limit_enabled: bool = True
    """limit /api/v1/... requests per client (the signed-in citizen, else the IP address); staff
    calls with X-Api-Key and WeChat callbacks are never limited"""
    rate_limit_window_seconds: int = Field(default=60, gt=0)
    """length of the fixed windows both tiers count in"""
    rate_limit_general: int = Field(default=600, gt=0)
    """requests per window per client to any /api/v1/... path"""
    rate_limit_strict: int = Field(default=20, gt=0)
    """requests per window per client to the sensitive public lookups of rate_limit_strict_paths
    (they count against the general tier too)"""
    rate_limit_strict_paths: dict[str, list[str]] = Field(
        default_factory=lambda: {
            "traffic": ["violations", "decisions/*"],
            "socialsec": ["certificates/*"],
            # Registration codes and certificate numbers have check parts but are enumerable;
            # report codes are not, but checks of them are as costly to repeat as certificates'.
            "inspection": ["equipment", "equipment/*", "equipment/*/*", "reports/*"],
        }
    )
    """per service, paths under its /v1/ limited by rate_limit_strict; `*` stands for one
    segment, e.g. {"traffic": ["violations", "decisions/*"]}"""
    rate_limit_trusted_proxies: list[str] = Field(default_factory=list)
    """addresses or CIDR networks of proxies in front of the gateway whose X-Forwarded-For is
    believed for the client address (empty: the peer address is the client, e.g. when uvicorn's
    --forwarded-allow-ips already resolved it)"""
    wechat_api_base_url: str = ""
    """WeChat platform API, https://api.weixin.qq.com in production; required unless ENV=dev,
    where it defaults to the sandbox"""
    wechat_accounts: list[WechatAccount] = Field(default_factory=list)
    wechat_timestamp_window_seconds: int = 300
    wechat_config_ttl_seconds: float = Field(default=30.0, ge=0)
    """how long an account's chat configuration is reused"""
    wechat_answer_cache_seconds: float = Field(default=10.0, ge=0)
    """how long a chat answer that names no citizen (e.g. "天气") is reused for the same question
    before the service is asked again: a new warning signal reaches chat within it; 0 = ask
    every time"""
    wechat_dedup_ttl_seconds: int = Field(default=300, ge=30)
    """how long a callback's reply is kept for WeChat's retries (within 15 s); as long as the
    timestamp window, so a replayed callback is never handled twice"""
    wechat_late_reply_seconds: float = Field(default=30.0, gt=0)
    """how long a chat handler may work in all; one still running after the passive reply's 4 s
    answers as a customer-service message (4 or less: never late)"""
    wechat_menu_sync_seconds: float = Field(default=300.0, ge=0)
    """how often each account's menu is published from the registry when it changed (first
    shortly after start); 0 turns the background sync off"""
    wechat_citizen_ttl_seconds: float = Field(default=300.0, ge=0)
    """how long chat reuses the citizen_id accounts resolved for an openid (the openid's unionid
    from the platform is kept for a day)"""
    wechat_personal_consent: Literal["unless_withdrawn", "granted"] = "unless_withdrawn"
    """when chat shows a citizen's personal records (bindings gate them anyway):
    unless_withdrawn = not while their consent for the purpose is withdrawn; granted = only with
    consent recorded in accounts"""
    public_base_url: str = ""
    """the gateway's public origin, for links in chat replies (e.g. the road map PNG at
    {public_base_url}/api/v1/traffic/road-conditions/map.png); defaults to
    http://127.0.0.1:8000 when ENV=dev; elsewhere, when unset, replies carry no links"""
    staff_keys: dict[str, list[str]] = Field(default_factory=dict)
    internal_port: int = Field(default=8010, ge=1, le=65535)
    """port of the internal listener serving /internal/... to services (`python -m gateway serve`
    runs it beside the public port, on the same host); never publish it"""
    internal_callers: list[str] = Field(
        default_factory=lambda: ["weather", "accounts", "traffic", "inspection"]
    )
    """services whose service token (INTERNAL_TOKEN_SECRET, aud=gateway) may call the gateway's
    /internal/... endpoints, e.g. a mass send on behalf of an account"""
    auth_redirect_allowlist: list[str] = Field(default_factory=list)
    """origins an app sign-in may return to, e.g. https://h5.example.cn; `:*` allows any port
    (http://localhost:*)"""
    cors_origins: list[str] = Field(default_factory=list)
    """origins of the browser apps that may call the public API across origins, each exactly
    scheme://host[:port] (e.g. ["https://h5.dg.gov.cn"]); others get no CORS headers; empty =
    none. When ENV=dev and unset, any port of http://127.0.0.1 and http://localhost (the `:*`
    form is refused outside dev)"""
    cors_max_age_seconds: int = Field(default=600, ge=0, le=86400)
    """how long a browser may reuse an allowed preflight's answer (Chromium caps it at 7200)"""
    auth_token_secret: str = ""
    """key of the public bearer tokens; derived from INTERNAL_TOKEN_SECRET if unset"""
    auth_token_ttl_seconds: int = Field(default=7200, gt=0, le=86400)
    """lifetime of public bearer tokens, counted from their iat whatever their exp"""
    auth_failure_limit: int = Field(default=10, gt=0)
    """unknown X-Api-Key values and forged or revoked bearer tokens a client address may present
    per window; past it, every credentialed request from there is 429"""
    auth_failure_window_seconds: int = Field(default=300, gt=0)
    """how long an address's credential failures count, from the first of them"""
    auth_state_ttl_seconds: int = Field(default=600, gt=0)
    """how long a started sign-in may take to come back"""
    wechat_oauth_base_url: str = ""
    """WeChat's OAuth2 page host, https://open.weixin.qq.com in production; defaults to
    wechat_api_base_url (the sandbox serves both)"""
    overview_budget_ms: int = Field(default=1500, ge=50, le=30000)
    """one deadline shared by every service read of the home screen (/api/v1/me/overview); a
    service that has not answered by then is shown as timeout"""

    @model_validator(mode="after")
    def _known_services(self) -> GatewaySettings:
        for name in SERVICE_KEYED_SETTINGS:
            unknown = set(getattr(self, name)) - set(SERVICES)
            if unknown:
                raise ValueError(f"{name} names unknown services: {sorted(unknown)}")
        return self

    @field_validator("route_timeouts")
    @classmethod
    def _valid_route_timeouts(cls, value: dict[str, float]) -> dict[str, float]:
        for route in value:
            parts = route.split()
            if len(parts) != 3 or parts[0] not in ROUTE_METHODS or parts[1] not in SERVICES:
                raise ValueError(
                    f"route_timeouts: {route!r} is not `METHOD service path` of a known service"
                )
        return value

    @model_validator(mode="after")
    def _dev_defaults(self) -> GatewaySettings:
        if self.shared.env == "dev":
            if not self.wechat_accounts:
                self.wechat_accounts = list(DEV_WECHAT_ACCOUNTS)
            if not self.staff_keys:
                self.staff_keys = dict(DEV_STAFF_KEYS)
            if not self.auth_redirect_allowlist:
                self.auth_redirect_allowlist = list(DEV_AUTH_REDIRECT_ALLOWLIST)
            if not self.cors_origins:
                self.cors_origins = list(DEV_CORS_ORIGINS)
        return self

    @field_validator("cors_origins")
    @classmethod
    def _valid_cors_origins(cls, value: list[str]) -> list[str]:
        for entry in value:
            try:
                allowed_origin(entry)
            except ValueError as exc:
                raise ValueError(f"cors_origins: {exc}") from None
        return value

    @model_validator(mode="after")
    def _exact_cors_origins_outside_dev(self) -> GatewaySettings:
        if self.shared.env != "dev":
            for entry in self.cors_origins:
                if entry.endswith(ANY_PORT):
                    raise ValueError(
                        f"GATEWAY_CORS_ORIGINS: {entry!r} allows any port, which only ENV=dev "
                        "may; list each origin with its port"
                    )
        return self

    @model_validator(mode="after")
    def _no_weak_secrets_outside_dev(self) -> GatewaySettings:
        if self.shared.env == "dev":
            return self
        for key, roles in self.staff_keys.items():
            # The key is the secret: name it by its roles.
            refuse_weak_secret(
                f"GATEWAY_STAFF_KEYS (the key for {', '.join(roles) or 'no role'})", key
            )
        if self.auth_token_secret:
            refuse_weak_secret("GATEWAY_AUTH_TOKEN_SECRET", self.auth_token_secret)
        for account in self.wechat_accounts:
            refuse_weak_wechat_account("GATEWAY_WECHAT_ACCOUNTS", account)
        return self

    @model_validator(mode="after")
    def _known_staff_roles(self) -> GatewaySettings:
        for roles in self.staff_keys.values():
            unknown = unknown_roles(roles, STAFF_ROLES)
            if unknown:
                raise ValueError(f"staff_keys names unknown roles: {unknown}")
        return self

    @field_validator("rate_limit_trusted_proxies")
    @classmethod
    def _valid_proxies(cls, value: list[str]) -> list[str]:
        for proxy in value:
            try:
                ipaddress.ip_network(proxy, strict=False)
            except ValueError:
                raise ValueError(f"rate_limit_trusted_proxies: not an address: {proxy}") from None
        return value

    @model_validator(mode="after")
    def _public_base_url_default(self) -> GatewaySettings:
        if not self.public_base_url and self.shared.env == "dev":
            self.public_base_url = DEV_PUBLIC_BASE_URL
        self.public_base_url = self.public_base_url.rstrip("/")
        if self.public_base_url and not self.public_base_url.startswith(("http://", "https://")):
            raise ValueError("GATEWAY_PUBLIC_BASE_URL must be an http(s) URL")
        return self

    @model_validator(mode="after")
    def _wechat_api_base_url_default(self) -> GatewaySettings:
        if not self.wechat_api_base_url:
            if self.shared.env != "dev":
                raise ValueError("GATEWAY_WECHAT_API_BASE_URL is required when ENV is not dev")
            self.wechat_api_base_url = DEV_WECHAT_API_BASE_URL
        return self

    def upstream_urls(self) -> dict[str, str]:
        """Base URL of each upstream service."""
        return {name: getattr(self, f"{name}_url").rstrip("/") for name in SERVICES}

    def wechat_account(self, code: str) -> WechatAccount | None:
        """The configured account with this code, if any."""
        return next((a for a in self.wechat_accounts if a.code == code), None)
