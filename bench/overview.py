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
import asyncio
import contextlib
import dataclasses
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp

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
class Result:
    requests: int
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int
    cpu_ms_per_request: float = float("nan")
    gateway_cpu_ms_per_request: float = float("nan")


# A load run: (url, headers, connections, seconds) -> Result.
Load = Callable[[str, dict[str, str], int, float], Result]


@dataclass(frozen=True)
class Target:
    """What one line of the table loads: a URL and a function giving fresh headers."""

    url: str
    headers: Callable[[], dict[str, str]]


def median(results: list[Result]) -> Result:
    """The median of each figure over several runs."""
    return Result(
        requests=sum(r.requests for r in results),
        requests_per_second=statistics.median(r.requests_per_second for r in results),
        p50_ms=statistics.median(r.p50_ms for r in results),
        p99_ms=statistics.median(r.p99_ms for r in results),
        errors=sum(r.errors for r in results),
        cpu_ms_per_request=statistics.median(r.cpu_ms_per_request for r in results),
        gateway_cpu_ms_per_request=statistics.median(r.gateway_cpu_ms_per_request for r in results),
    )


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time the processes have used so far (Linux /proc; NaN elsewhere)."""
    total = 0.0
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            return float("nan")
        fields = stat.rsplit(")", 1)[1].split()  # after the command name, which may hold spaces
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def measure(
    load: Load, target: Target, connections: int, duration: float, pids: list[int], gateway: int
) -> Result:
    """One load run, with the CPU time all the suite's processes, and the gateway alone, spent
    per request during it."""
    before, gateway_before = cpu_seconds(pids), cpu_seconds([gateway])
    result = load(target.url, target.headers(), connections, duration)
    spent, gateway_spent = cpu_seconds(pids) - before, cpu_seconds([gateway]) - gateway_before
    if not result.requests:
        return result
    return dataclasses.replace(
        result,
        cpu_ms_per_request=spent * 1000 / result.requests,
        gateway_cpu_ms_per_request=gateway_spent * 1000 / result.requests,
    )


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_up(base_url: str, proc: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    """Poll `/healthz` until it answers 200; exit if the process exits first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"{base_url}: process exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{base_url}/healthz", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    sys.exit(f"{base_url}: not up after {timeout:.0f} s")


_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _latency_ms(output: str, percentile: str) -> float:
    match = re.search(rf"^\s*{percentile}%\s+([\d.]+)(us|ms|s)\s*$", output, re.MULTILINE)
    return float(match.group(1)) * _UNITS_MS[match.group(2)] if match else float("nan")


def run_wrk(url: str, headers: dict[str, str], connections: int, duration: float) -> Result:
    """One wrk run (one thread: wrk's own CPU is taken from the processes under test)."""
    header_args = [arg for name, value in headers.items() for arg in ("-H", f"{name}: {value}")]
    # A 10 s timeout, not wrk's 2 s: a slow answer is a latency to report, not an error.
    options = ["-t1", f"-c{connections}", f"-d{duration:.0f}s", "--timeout", "10s", "--latency"]
    output = subprocess.run(
        ["wrk", *options, *header_args, url],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    count = re.search(r"(\d+) requests in", output)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    errors = int(non_2xx.group(1)) if non_2xx else 0
    if socket_errors:
        errors += sum(int(n) for n in socket_errors.groups())
    return Result(
        requests=int(count.group(1)) if count else 0,
        requests_per_second=float(rps.group(1)) if rps else 0.0,
        p50_ms=_latency_ms(output, "50"),
        p99_ms=_latency_ms(output, "99"),
        errors=errors,
    )


async def _python_load(
    url: str, headers: dict[str, str], connections: int, duration: float
) -> Result:
    latencies: list[float] = []
    errors = 0
    connector = aiohttp.TCPConnector(limit=connections)
    async with aiohttp.ClientSession(connector=connector, headers=headers) as session:
        stop = time.perf_counter() + duration

        async def worker() -> None:
            nonlocal errors
            while time.perf_counter() < stop:
                started = time.perf_counter()
                try:
                    async with session.get(url) as response:
                        await response.read()
                        if response.status >= 400:
                            errors += 1
                except aiohttp.ClientError:
                    errors += 1
                latencies.append(time.perf_counter() - started)

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(connections)))
        elapsed = time.perf_counter() - began
    latencies.sort()

    def percentile(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000

    return Result(
        len(latencies), len(latencies) / elapsed, percentile(0.5), percentile(0.99), errors
    )


def run_python(url: str, headers: dict[str, str], connections: int, duration: float) -> Result:
    """One run of the asyncio load generator."""
    return asyncio.run(_python_load(url, headers, connections, duration))


@contextlib.contextmanager
def process(args: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A subprocess, logging to `log`, stopped (SIGINT, then kill) on exit."""
    with log.open("wb") as out:
        proc = subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            yield proc
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()


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
            load(target.url, target.headers(), max(counts), WARMUP_SECONDS)

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
            runs: dict[str, list[Result]] = {name: [] for name in targets}
            for _ in range(args.rounds):
                for name, target in targets.items():
                    runs[name].append(
                        measure(
                            load, target, connections, args.duration, pids, procs["gateway"].pid
                        )
                    )
            results = {name: median(rs) for name, rs in runs.items()}
            for name, r in results.items():
                print(
                    f"{connections:>5}  {name:<8} {r.requests_per_second:>9.1f} "
                    f"{r.p50_ms:>8.2f} {r.p99_ms:>8.2f} {r.cpu_ms_per_request:>10.2f} "
                    f"{r.gateway_cpu_ms_per_request:>8.2f} {r.errors:>6}"
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
