"""The merged OpenAPI document of the suite, as the gateway serves it at `/openapi.json`.

Without `--url` no server is needed: every service's app and the gateway's are built in this
process (development settings, databases in a temporary folder that is never touched) and their
documents merged with the gateway's own merge code. With `--url` the document is read from a
running gateway instead (`make run`). Either way a document missing a service is refused, so a
client is never generated from part of the suite.

    python scripts/openapi_dump.py [-o clients/typescript/openapi.json]
                                   [--url http://127.0.0.1:8000 [--wait 60]]
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUTPUT = ROOT / "clients" / "typescript" / "openapi.json"

RETRY_SECONDS = 2.0

JSON = dict[str, Any]


def _service_document(name: str, workdir: Path) -> JSON:
    """Service `name`'s own document, from its app built on development settings."""
    os.environ[f"{name.upper()}_DATABASE_URL"] = f"sqlite:///{workdir / name}.db"
    settings_module = importlib.import_module(f"{name}.settings")
    settings_class = getattr(settings_module, f"{name.capitalize()}Settings")
    app = importlib.import_module(f"{name}.main").create_app(settings_class())
    document: JSON = app.openapi()
    return document


def build_document() -> JSON:
    """The merged document of the gateway and every service, built in this process."""
    # Settings read ENV, `.env` and relative paths (traffic's development key set) from here.
    os.environ["ENV"] = "dev"
    from gateway.main import create_app
    from gateway.openapi_merge import merge_openapi
    from gateway.settings import SERVICES, GatewaySettings

    with tempfile.TemporaryDirectory(prefix="openapi-dump-") as tmp:
        workdir = Path(tmp)
        previous = Path.cwd()
        os.chdir(workdir)
        try:
            services: dict[str, JSON | None] = {
                name: _service_document(name, workdir) for name in SERVICES
            }
            gateway = create_app(GatewaySettings())
            return merge_openapi(gateway.openapi(), services, {})
        finally:
            os.chdir(previous)


def fetch_document(base_url: str, *, wait_seconds: float) -> JSON:
    """The merged document served by the gateway at `base_url`, complete if it gets so in time."""
    deadline = time.monotonic() + wait_seconds
    while True:
        response = httpx.get(f"{base_url.rstrip('/')}/openapi.json", timeout=30)
        response.raise_for_status()
        document: JSON = response.json()
        # A service slow to answer is left out for a few seconds only (INCOMPLETE_TTL_SECONDS).
        if document.get("x-guanwei-complete", False) or time.monotonic() >= deadline:
            return document
        time.sleep(RETRY_SECONDS)


def missing_services(document: JSON) -> dict[str, str]:
    """The services left out of `document`, each with the gateway's reason."""
    services = document.get("x-guanwei-services", {})
    return {
        name: str(status.get("error", ""))
        for name, status in services.items()
        if not status.get("available")
    }


def main(argv: list[str] | None = None) -> int:
    """Write the merged document; 1 when a service is missing from it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--url", help="a running gateway, e.g. http://127.0.0.1:8000")
    parser.add_argument(
        "--wait",
        type=float,
        default=60.0,
        help="with --url: seconds to wait for every service to be in the document",
    )
    args = parser.parse_args(argv)
    output = args.output.resolve()
    document = fetch_document(args.url, wait_seconds=args.wait) if args.url else build_document()
    missing = missing_services(document)
    if missing or not document.get("x-guanwei-complete", False):
        print(f"openapi_dump: services missing from the document: {missing}", file=sys.stderr)
        return 1
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"openapi_dump: {len(document['paths'])} paths -> {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
