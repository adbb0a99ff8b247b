"""Service reads: the hottest public GETs of every service against a bare async FastAPI anchor.

Starts each service with its real `serve` command (on a temporary SQLite database, migrated and
seeded) and an anchor: a bare async FastAPI app (same uvicorn, no middleware) whose endpoint
returns a constant body of the size of the service's answer. Loads each endpoint and its anchor
alternately with wrk and prints requests/s, p50 latency and the service/anchor throughput ratio
(medians of `--rounds` runs; the target is >= 0.5x), and the CPU time per request of each
(steadier when other work shares the machine). `--workers 2` serves every process with two
workers (the anchor too). Reports figures; never asserts them (DESIGN §9).

    .venv/bin/python bench/service_reads.py [--duration 3] [--rounds 2] [--connections 32]
        [--workers 1] [--only weather,accounts]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import urllib.request
from contextlib import ExitStack
from pathlib import Path

from harness import Result, cpu_seconds, free_port, median, process, run_wrk, wait_until_up

# The hottest public GETs of each service (issue 16, target 1).
TARGETS: dict[str, list[str]] = {
    "weather": [
        "/v1/forecasts/dalang",
        "/v1/indices/dalang",
        "/v1/warnings",
        "/v1/locations?limit=1",
    ],
    "accounts": ["/v1/accounts/lxdl", "/v1/rankings"],
    "traffic": ["/v1/road-conditions?limit=5", "/v1/guides?limit=5", "/v1/violation-codes/1625"],
    "socialsec": ["/v1/offices/dalang", "/v1/faq?limit=5"],
    "inspection": ["/v1/equipment/31104419002015060001"],
}
WARMUP_SECONDS = 1.0

ANCHOR_APP = """
import json, os
from fastapi import FastAPI
from fastapi.responses import Response

bodies = json.load(open(os.environ["ANCHOR_BODIES"]))
app = FastAPI()

def route(body: bytes):
    async def constant() -> Response:
        return Response(body, media_type="application/json")
    return constant

for index, body in enumerate(bodies):
    app.add_api_route(f"/{index}", route(body.encode()), methods=["GET"])

@app.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}
"""


def fetch(url: str) -> bytes:
    """The body of one GET (checked to be a 200)."""
    with urllib.request.urlopen(url, timeout=10) as response:
        if response.status != 200:
            sys.exit(f"{url}: {response.status}")
        return bytes(response.read())


def tree_of(pid: int) -> list[int]:
    """`pid` and its descendants (a supervisor's workers), from Linux /proc."""
    pids, index = [pid], 0
    while index < len(pids):
        for task in Path(f"/proc/{pids[index]}/task").glob("*/children"):
            pids += [int(child) for child in task.read_text().split()]
        index += 1
    return pids


def tree_cpu_seconds(pid: int) -> float:
    """CPU time `pid` and its workers have used so far."""
    return sum(cpu_seconds(p) for p in tree_of(pid))


def load(url: str, connections: int, duration: float, pid: int) -> Result:
    """One wrk run, with the CPU time the serving processes spent per request (steadier than
    requests/s on a shared machine). A failed request makes the figures meaningless: it stops
    the bench."""
    before = tree_cpu_seconds(pid)
    result = run_wrk(url, connections, duration)
    if result.errors:
        sys.exit(f"{url}: {result.errors} errors")
    spent = tree_cpu_seconds(pid) - before
    per_request = spent * 1000 / result.requests if result.requests else float("nan")
    return dataclasses.replace(result, cpu_ms_per_request=per_request)


def main() -> None:
    """Start the services and the anchor, measure, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=3.0, help="seconds per measurement")
    parser.add_argument("--rounds", type=int, default=2, help="alternating runs per endpoint")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=1, help="workers of every process")
    parser.add_argument("--only", default="", help="comma-separated services (default all)")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("service_reads needs wrk")
    services = [s for s in TARGETS if not args.only or s in args.only.split(",")]
    python = sys.executable

    with tempfile.TemporaryDirectory(prefix="service-reads-") as tmp, ExitStack() as stack:
        workdir = Path(tmp)
        env = {**os.environ, "ENV": "dev"}
        bases: dict[str, str] = {}
        pids: list[tuple[str, subprocess.Popen[bytes]]] = []
        for service in services:
            env[f"{service.upper()}_DATABASE_URL"] = f"sqlite:///{workdir / service}.db"
            for command in ("migrate", "seed"):
                subprocess.run(
                    [python, "-m", service, command], env=env, check=True, capture_output=True
                )
            port = free_port()
            serve = [python, "-m", service, "serve", "--port", str(port)]
            if args.workers > 1:
                serve += ["--workers", str(args.workers)]
            proc = stack.enter_context(process(serve, env, workdir / f"{service}.log"))
            bases[service] = f"http://127.0.0.1:{port}"
            pids.append((service, proc))
        for service, proc in pids:
            wait_until_up(bases[service], proc)

        endpoints = [(s, path) for s in services for path in TARGETS[s]]
        bodies = [fetch(bases[s] + path).decode() for s, path in endpoints]
        (workdir / "bodies.json").write_text(json.dumps(bodies))
        (workdir / "anchor.py").write_text(ANCHOR_APP)
        anchor_port = free_port()
        anchor_args = [
            *(python, "-m", "uvicorn", "anchor:app", "--port", str(anchor_port)),
            *("--no-access-log", "--log-level", "warning", "--workers", str(args.workers)),
        ]
        anchor_env = {
            **env,
            "PYTHONPATH": str(workdir),
            "ANCHOR_BODIES": str(workdir / "bodies.json"),
        }
        anchor_proc = stack.enter_context(process(anchor_args, anchor_env, workdir / "anchor.log"))
        anchor = f"http://127.0.0.1:{anchor_port}"
        wait_until_up(anchor, anchor_proc)

        print(
            f"service reads: wrk -c{args.connections}, median of {args.rounds} x "
            f"{args.duration:.0f} s runs, {args.workers} worker(s) per process, "
            f"{os.cpu_count()} CPUs; anchor = bare async FastAPI, constant body of the same size"
        )
        print("  ratio: service/anchor requests/s; cpu: anchor/service CPU time per request")
        print(
            f"{'endpoint':<44} {'bytes':>6} {'req/s':>7} {'p50 ms':>6} {'cpu ms':>6} "
            f"{'anchor':>7} {'p50 ms':>6} {'cpu ms':>6} {'ratio':>6} {'cpu':>6}"
        )
        ratios, cpu_ratios = [], []
        for index, ((service, path), body) in enumerate(zip(endpoints, bodies, strict=True)):
            url, anchor_url = bases[service] + path, f"{anchor}/{index}"
            pid = dict(pids)[service].pid
            load(url, args.connections, WARMUP_SECONDS, pid)
            load(anchor_url, args.connections, WARMUP_SECONDS, anchor_proc.pid)
            runs: list[Result] = []
            anchor_runs: list[Result] = []
            for _ in range(args.rounds):
                runs.append(load(url, args.connections, args.duration, pid))
                anchor_runs.append(
                    load(anchor_url, args.connections, args.duration, anchor_proc.pid)
                )
            mine, theirs = median(runs), median(anchor_runs)
            ratio = mine.requests_per_second / theirs.requests_per_second
            cpu_ratio = theirs.cpu_ms_per_request / mine.cpu_ms_per_request
            ratios.append(ratio)
            cpu_ratios.append(cpu_ratio)
            print(
                f"{service + ' ' + path:<44} {len(body.encode()):>6} "
                f"{mine.requests_per_second:>7.0f} {mine.p50_ms:>6.2f} "
                f"{mine.cpu_ms_per_request:>6.3f} "
                f"{theirs.requests_per_second:>7.0f} {theirs.p50_ms:>6.2f} "
                f"{theirs.cpu_ms_per_request:>6.3f} {ratio:>5.2f}x {cpu_ratio:>5.2f}x",
                flush=True,
            )
        print(
            f"ratio: lowest {min(ratios):.2f}x, median {statistics.median(ratios):.2f}x; "
            f"cpu: lowest {min(cpu_ratios):.2f}x, median {statistics.median(cpu_ratios):.2f}x"
        )


if __name__ == "__main__":
    main()
