"""One OpenAPI document for the whole suite: the gateway's own routes plus every service's.

Each service's `/v1/x` becomes `/api/v1/<service>/x` (internal paths dropped), operationIds
keep (or get) the service's prefix (`traffic_listMyViolations`, servicekit.openapi), tags become
`<service> · <sub-domain>`, every proxied operation documents the gateway's own refusals (429,
503, 504) as problems, and components are merged: a component identical in two documents is
shared, one that differs is renamed with the service's prefix and every `$ref` to it rewritten.
A service that cannot be fetched is left out and listed in `x-guanwei-services`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI

from gateway.upstreams import Upstreams
from servicekit.errors import Problem
from servicekit.openapi import HTTP_METHODS, PROBLEM_SCHEMAS, add_error_responses

COMPONENTS_REF = "#/components/"
# A document missing a service is kept only briefly, so a service that comes back soon shows.
INCOMPLETE_TTL_SECONDS = 5.0
# What the gateway itself may answer instead of the service: rate limits, a circuit open or an
# upstream down, an upstream too slow.
PROXY_ERRORS = [429, 503, 504]
GATEWAY = "gateway"

JSON = dict[str, Any]


def _ref(section: str, name: str) -> str:
    return f"{COMPONENTS_REF}{section}/{name}"


def public_tag(service: str, tag: str) -> str:
    """A service's tag as the merged document names it, e.g. `traffic · violations`."""
    return f"{service} · {tag}"


def _public_path(path: str, service: str) -> str | None:
    """Where a service's path is exposed by the gateway, or None for internal and unversioned."""
    if not path.startswith("/v1/") or path == "/v1/internal" or path.startswith("/v1/internal/"):
        return None
    return f"/api/v1/{service}{path[3:]}"


def _rewrite(node: Any, refs: Mapping[str, str]) -> Any:
    """A copy of `node` with every component reference renamed by `refs`."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                out[key] = refs.get(value, value)
            elif key == "discriminator" and isinstance(value, dict):
                # A discriminator's mapping holds references as plain strings.
                mapping = {k: refs.get(v, v) for k, v in value.get("mapping", {}).items()}
                out[key] = {**value, "mapping": mapping} if mapping else dict(value)
            else:
                out[key] = _rewrite(value, refs)
        return out
    if isinstance(node, list):
        return [_rewrite(item, refs) for item in node]
    return node


class OpenAPIMerger:
    """Accumulates documents into one; the first document to define a component name keeps it."""

    def __init__(self, base: JSON) -> None:
        self.doc: JSON = {
            "openapi": base.get("openapi", "3.1.0"),
            "info": dict(base.get("info", {})),
            "paths": {},
            "components": {"schemas": dict(PROBLEM_SCHEMAS)},
            "tags": [],
        }
        self._tag_names: set[str] = set()
        self.add(base, service=None)

    def add(self, spec: JSON, service: str | None) -> None:
        """Merge one document; `service` None means the gateway's own (paths kept as they are)."""
        source = {k: v for k, v in spec.get("components", {}).items() if isinstance(v, dict)}
        renames = self._renames(source, service or GATEWAY)
        refs = {_ref(section, old): _ref(section, new) for (section, old), new in renames.items()}
        schemes = {
            old: new for (section, old), new in renames.items() if section == "securitySchemes"
        }
        merged = self.doc["components"]
        for section, items in source.items():
            target = merged.setdefault(section, {})
            for name, item in items.items():
                # An identical component already merged under this name is shared.
                target.setdefault(renames.get((section, name), name), _rewrite(item, refs))
        tag_docs = {t["name"]: t for t in spec.get("tags", []) if isinstance(t, dict)}
        default_security = spec.get("security")
        for path, item in spec.get("paths", {}).items():
            public = path if service is None else _public_path(path, service)
            if public is None:
                continue
            new_item = _rewrite(item, refs)
            for method in HTTP_METHODS:
                operation = new_item.get(method)
                if isinstance(operation, dict):
                    self._adopt_operation(operation, service, tag_docs, default_security, schemes)
            self.doc["paths"][public] = new_item

    def _adopt_operation(
        self,
        operation: JSON,
        service: str | None,
        tag_docs: Mapping[str, JSON],
        default_security: Any,
        schemes: Mapping[str, str],
    ) -> None:
        """Prefix the operation's id (a service's) and tags by its owner, add the gateway's own
        refusals to a service's operation, and rename its security schemes."""
        owner = service or GATEWAY
        if service is not None:
            name = operation.get("operationId")
            if name is not None and not name.startswith(f"{service}_"):
                operation["operationId"] = f"{service}_{name}"
            add_error_responses(operation, PROXY_ERRORS)
        own_tags = operation.get("tags", [])
        operation["tags"] = [public_tag(owner, tag) for tag in own_tags] or [owner]
        for own, tag in zip(own_tags or [owner], operation["tags"], strict=True):
            if tag not in self._tag_names:
                self._tag_names.add(tag)
                self.doc["tags"].append({**tag_docs.get(own, {}), "name": tag})
        security = operation.get("security", default_security)
        if security is not None:
            operation["security"] = [
                {schemes.get(name, name): scopes for name, scopes in requirement.items()}
                for requirement in security
            ]

    def _renames(self, source: Mapping[str, JSON], prefix: str) -> dict[tuple[str, str], str]:
        """(section, name) -> new name of each of `source`'s components that must be renamed.

        A component clashes when the merged document already has a different one of its name
        once the references inside it are renamed too; renaming one component can make
        another that refers to it differ, hence the loop until nothing changes.
        """
        merged = self.doc["components"]
        renames: dict[tuple[str, str], str] = {}
        changed = True
        while changed:
            changed = False
            refs = {
                _ref(section, old): _ref(section, new) for (section, old), new in renames.items()
            }
            for section, items in source.items():
                taken = merged.get(section, {})
                for name, item in items.items():
                    key = (section, name)
                    if key in renames or name not in taken or _rewrite(item, refs) == taken[name]:
                        continue
                    new_name = f"{prefix}_{name}"
                    suffix = 2
                    used = set(taken) | set(items) | set(renames.values())
                    while new_name in used:
                        new_name = f"{prefix}_{name}_{suffix}"
                        suffix += 1
                    renames[key] = new_name
                    changed = True
        return renames


def merge_openapi(
    own: JSON, services: Mapping[str, JSON | None], errors: Mapping[str, str]
) -> JSON:
    """The gateway's document `own` merged with each available service's document.

    `services` maps each service to its document (None when it could not be fetched, with the
    reason in `errors`); services are merged in the order given.
    """
    merger = OpenAPIMerger(own)
    status: dict[str, JSON] = {}
    for service, spec in services.items():
        if spec is None:
            status[service] = {"available": False, "error": errors.get(service, "")}
            continue
        merger.add(spec, service)
        info = spec.get("info", {})
        status[service] = {
            "available": True,
            "title": info.get("title", service),
            "version": info.get("version", ""),
        }
    doc = merger.doc
    missing = [name for name, s in status.items() if not s["available"]]
    if missing:
        note = f"以下服务暂时不可用，其接口未列出：{'、'.join(missing)}。"
        description = doc["info"].get("description", "")
        doc["info"]["description"] = f"{description}\n\n{note}" if description else note
    doc["x-guanwei-services"] = status
    doc["x-guanwei-complete"] = not missing
    if not doc["components"]:
        del doc["components"]
    return doc


class FederatedOpenAPI:
    """The merged document, rebuilt from the upstreams at most once per `ttl` seconds."""

    def __init__(self, upstreams: Upstreams, *, timeout: float, ttl: float) -> None:
        self.upstreams = upstreams
        self.timeout = timeout
        self.ttl = ttl
        self._doc: JSON | None = None
        self._expires = 0.0
        self._lock = asyncio.Lock()

    async def document(self, app: FastAPI) -> JSON:
        """The merged document of `app` (the gateway) and its upstreams."""
        if self._doc is not None and time.monotonic() < self._expires:
            return self._doc
        # One rebuild at a time: concurrent callers wait for it rather than each fetching.
        async with self._lock:
            if self._doc is None or time.monotonic() >= self._expires:
                names = list(self.upstreams.urls)
                fetched = await asyncio.gather(*(self._fetch(name) for name in names))
                specs = {name: spec for name, (spec, _) in zip(names, fetched, strict=True)}
                errors = {name: err for name, (_, err) in zip(names, fetched, strict=True) if err}
                self._doc = merge_openapi(app.openapi(), specs, errors)
                ttl = self.ttl if not errors else min(self.ttl, INCOMPLETE_TTL_SECONDS)
                self._expires = time.monotonic() + ttl
        return self._doc

    async def _fetch(self, name: str) -> tuple[JSON | None, str]:
        """A service's document, or None and why not."""
        try:
            response = await self.upstreams.request(
                name, "GET", "/openapi.json", timeout=self.timeout
            )
        except Problem as exc:
            return None, exc.title
        if response.status != 200:
            return None, f"HTTP {response.status}"
        try:
            spec = response.json()
        except ValueError:
            return None, "invalid JSON"
        if not isinstance(spec, dict):
            return None, "invalid document"
        return spec, ""
