"""Mobile home screen: `GET /api/v1/me/overview` beside its two anchors, in one run.

Migrates and seeds the five services on temporary SQLite databases, starts them and the gateway
as subprocesses on free ports, and loads, as the demo citizen 张三 (bound in traffic, social
security and inspection):

- direct: traffic's `GET /v1/me/violations?limit=5` with an internal citizen token, a single
  direct read of one service;
- hop: the same read through the gateway (`/api/v1/traffic/me/violations?limit=5`, bearer
  token), a single gateway hop;
- overview: `GET /api/v1/me/overview?town=dongcheng`, which reads all five services at once
  (one read each) within `GATEWAY_OVERVIEW_BUDGET_MS`.

At each connection count it prints requests/s, p50/p99 latency and errors (medians of `--rounds`
alternating runs), then the issue's two ratios: overview/direct throughput (target >= 0.25x) and
overview/hop p99 latency (target <= 2x). Before loading it prints each section's status of one
overview, so a run on broken services is seen as such. Uses wrk when installed, else an asyncio
load generator (which takes CPU from the processes under test). Reports figures; never asserts
them (DESIGN §9).

    .venv/bin/python bench/overview.py [--duration 10] [--rounds 3] [--connections 1,8]
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from harness import (
    Load,
    Result,
    cpu_seconds,
    free_port,
    median,
    process,
    run_python,
    run_wrk,
    wait_until_up,
)

from gateway.auth.tokens import issue_public_token, token_key
from servicekit.identity import issue_token
from wechat.demo_citizens import demo_citizen

SERVICES = ("accounts", "traffic", "weather", "socialsec", "inspection")
SECRET = "bench-internal-token-secret-0123456789"
CITIZEN = demo_citizen("zhangsan")
DIRECT_PATH = "/v1/me/violations?limit=5"
HOP_PATH = "/api/v1/traffic/me/violations?limit=5"
OVERVIEW_PATH = f"/api/v1/me/overview?town={CITIZEN.town}"
WARMUP_SECONDS = 2.0


@dataclass(frozen=True)
class Target:
    """What one line of the table loads: a URL and a function giving fresh headers."""

    url: str
    headers: Callable[[], dict[str, str]]


@dataclass(frozen=True)
class Row:
    """One load run's figures, with the CPU the gateway alone spent per request."""

    result: Result
    gateway_cpu_ms_per_request: float


def median_row(rows: list[Row]) -> Row:
    """The median of each figure over several runs."""
    return Row(
        median([row.result for row in rows]),
        statistics.median(row.gateway_cpu_ms_per_request for row in rows),
    )


def measure(
    load: Load, target: Target, connections: int, duration: float, pids: list[int], gateway: int
) -> Row:
    """One load run, with the CPU time all the suite's processes, and the gateway alone, spent
    per request during it."""
    before, gateway_before = sum(map(cpu_seconds, pids)), cpu_seconds(gateway)
    result = load(target.url, connections, duration, headers=target.headers())
    spent = sum(map(cpu_seconds, pids)) - before
    gateway_spent = cpu_seconds(gateway) - gateway_before
    if not result.requests:
        return Row(result, float("nan"))
    return Row(
        dataclasses.replace(result, cpu_ms_per_request=spent * 1000 / result.requests),
        gateway_spent * 1000 / result.requests,
    )


def direct_headers() -> dict[str, str]:
    """An internal citizen token for traffic, minted afresh (they live 60 s)."""
    token = issue_token(
        secret=SECRET, audience="traffic", subject=CITIZEN.citizen_id, kind="citizen"
    )
    return {"Authorization": f"Bearer {token}"}


def bearer_headers() -> dict[str, str]:
    """A public bearer token of the citizen, as the app holds after signing in."""
    token = issue_public_token(
        key=token_key(internal_secret=SECRET),
        citizen_id=CITIZEN.citizen_id,
        account="dgjj",
        ttl_seconds=3600,
    )
    return {"Authorization": f"Bearer {token}"}


def sections_of(url: str) -> str:
    """Each section's status in one overview, e.g. `traffic=ok accounts=ok ...`."""
    request = urllib.request.Request(url, headers=bearer_headers())
    with urllib.request.urlopen(request, timeout=10) as response:
        body = json.load(response)
    statuses = " ".join(f"{name}={body[name]['status']}" for name in SERVICES)
    return f"complete={body['complete']} {statuses}"


def prepare(env: dict[str, str]) -> None:
    """Migrate and seed every service's temporary database."""
    for name in SERVICES:
        for command in ("migrate", "seed"):
            subprocess.run(
                [sys.executable, "-m", name, command], env=env, check=True, capture_output=True
            )


def main() -> None:
    """Run the comparison and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per measurement")
    parser.add_argument("--rounds", type=int, default=3, help="alternating runs per target")
    parser.add_argument("--connections", default="1,8", help="comma-separated counts")
    parser.add_argument("--tool", choices=("auto", "wrk", "python"), default="auto")
    args = parser.parse_args()
    counts = [int(c) for c in args.connections.split(",")]
    tool = args.tool if args.tool != "auto" else ("wrk" if shutil.which("wrk") else "python")
    load: Load = run_wrk if tool == "wrk" else run_python

    with (
        tempfile.TemporaryDirectory(prefix="overview-bench-") as tmp,
        contextlib.ExitStack() as stack,
    ):
        workdir = Path(tmp)
        env = {**os.environ, "ENV": "dev", "INTERNAL_TOKEN_SECRET": SECRET}
        for name in SERVICES:
            env[f"{name.upper()}_DATABASE_URL"] = f"sqlite:///{workdir / name}.db"
        started = time.perf_counter()
        prepare(env)
        print(f"migrated and seeded in {time.perf_counter() - started:.0f} s")
        ports = {name: free_port() for name in (*SERVICES, "gateway")}
        urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
        for name in SERVICES:
            env[f"GATEWAY_{name.upper()}_URL"] = urls[name]
        # Measure the limiter's cost, not its refusals: one citizen sends every request here.
        env["GATEWAY_RATE_LIMIT_GENERAL"] = "1000000000"
        env["GATEWAY_INTERNAL_PORT"] = str(free_port())
        # No background menu publishing to a platform that is not running here.
        env["GATEWAY_WECHAT_MENU_SYNC_SECONDS"] = "0"
        procs = {
            name: stack.enter_context(
                process(
                    [sys.executable, "-m", name, "serve", "--port", str(ports[name])],
                    env,
                    workdir / f"{name}.log",
                )
            )
            for name in (*SERVICES, "gateway")
        }
        for name, proc in procs.items():
            wait_until_up(urls[name], proc)
        pids = [proc.pid for proc in procs.values()]

        targets = {
            "direct": Target(urls["traffic"] + DIRECT_PATH, direct_headers),
            "hop": Target(urls["gateway"] + HOP_PATH, bearer_headers),
            "overview": Target(urls["gateway"] + OVERVIEW_PATH, bearer_headers),
        }
        print(f"one overview: {sections_of(targets['overview'].url)}")
        for target in targets.values():  # fill connection pools and warm caches
            load(target.url, max(counts), WARMUP_SECONDS, headers=target.headers())

        print(
            f"mobile home screen: {tool}, median of {args.rounds} x {args.duration:.0f} s runs, "
            f"{os.cpu_count()} CPUs"
        )
        for name, target in targets.items():
            print(f"  {name:<8}: GET {target.url}")
        print("  cpu ms/req: CPU time per request of all six processes, and of the gateway alone")
        print(
            f"{'conns':>5}  {'target':<8} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} "
            f"{'cpu ms/req':>10} {'gateway':>8} errors"
        )
        for connections in counts:
            runs: dict[str, list[Row]] = {name: [] for name in targets}
            for _ in range(args.rounds):
                for name, target in targets.items():
                    runs[name].append(
                        measure(
                            load, target, connections, args.duration, pids, procs["gateway"].pid
                        )
                    )
            rows = {name: median_row(rs) for name, rs in runs.items()}
            results = {name: row.result for name, row in rows.items()}
            for name, r in results.items():
                print(
                    f"{connections:>5}  {name:<8} {r.requests_per_second:>9.1f} "
                    f"{r.p50_ms:>8.2f} {r.p99_ms:>8.2f} {r.cpu_ms_per_request:>10.2f} "
                    f"{rows[name].gateway_cpu_ms_per_request:>8.2f} {r.errors:>6}"
                )
            direct, hop, overview = results["direct"], results["hop"], results["overview"]
            throughput = overview.requests_per_second / direct.requests_per_second
            latency = overview.p99_ms / hop.p99_ms
            flagged = [name for name, r in results.items() if r.errors]
            warning = f"  (errors in {', '.join(flagged)}: unreliable)" if flagged else ""
            print(
                f"{connections:>5}  overview/direct req/s = {throughput:.2f}x (target >= 0.25x), "
                f"overview/hop p99 = {latency:.2f}x (target <= 2x){warning}"
            )


if __name__ == "__main__":
    main()
