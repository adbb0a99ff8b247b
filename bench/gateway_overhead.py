"""Gateway overhead: the same answers fetched directly, through nginx and through the gateway.

Two upstreams, each loaded directly and through three proxies side by side in one run:
- `fast`: a constant JSON body (the size of a forecast) from a bare ASGI app on the services'
  server (uvicorn with uvloop and httptools), so that the proxies' own cost shows;
  `/v1/fast` is marked uncacheable, `/v1/fast-cached` `public, max-age=60` with an ETag.
- `forecast`: weather's `GET /v1/forecasts/dalang` on a temporary SQLite database, migrated and
  seeded (the service marks it `public, max-age=30` with an ETag).
The proxies: nginx (the control: a reverse proxy costing ~nothing), the gateway with its
response cache off (pass-through: request ids, auth, rate limits, metrics and logs on) and the
gateway with its cache on (every request after the first a hit); with `--workers 2` also the
cached-off gateway served by two processes (they then share state through Redis,
`--redis-url`). Every figure is the median of `--rounds` alternating runs; the ratio column is
against the direct figure of the same upstream in the same run, and `cpu ms/req` is the CPU
time of the process addressed (with its worker processes). Uses wrk when it is installed, else a
Python asyncio load generator (which takes CPU from the processes under test). Reports figures;
never asserts them (DESIGN §9).

    .venv/bin/python bench/gateway_overhead.py [--duration 5] [--rounds 3] [--connections 1,32]
        [--workers 2 --redis-url redis://127.0.0.1:6379/7]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness import (
    Load,
    Result,
    free_port,
    measure,
    median,
    process,
    run_python,
    run_wrk,
    wait_until_up,
)

WARMUP_SECONDS = 2.0
# The fast upstream plays accounts behind the proxies (the bench starts no accounts service).
FAST_SERVICE = "accounts"
FORECAST_PATH = "forecasts/dalang"
# About a forecast's size, in a body that is all Chinese text as forecasts mostly are.
FAST_BODY = json.dumps({"items": [{"text": "东莞市大朗镇今天多云到阴天，有阵雨。"}] * 30}).encode()
FAST_HEADERS = [(b"content-type", b"application/json")]
FAST_CACHED_HEADERS = [
    *FAST_HEADERS,
    (b"cache-control", b"public, max-age=60"),
    (b"etag", b'"fast-v1"'),
]


async def fast_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """The fast upstream: a constant body, with cache headers under /v1/fast-cached."""
    if scope["type"] != "http":
        return
    cached = scope["path"] == "/v1/fast-cached"
    headers = FAST_CACHED_HEADERS if cached else FAST_HEADERS
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": FAST_BODY})


NGINX_CONF = """
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {tmp}/client; proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi; uwsgi_temp_path {tmp}/uwsgi; scgi_temp_path {tmp}/scgi;
    upstream fast {{ server 127.0.0.1:{fast}; keepalive 64; }}
    upstream weather {{ server 127.0.0.1:{weather}; keepalive 64; }}
    server {{
        listen 127.0.0.1:{port};
        location /healthz {{ return 200; }}
        location /api/v1/{fast_service}/ {{
            proxy_pass http://fast/v1/; proxy_http_version 1.1; proxy_set_header Connection "";
        }}
        location /api/v1/weather/ {{
            proxy_pass http://weather/v1/; proxy_http_version 1.1; proxy_set_header Connection "";
        }}
    }}
}}
"""


@dataclass(frozen=True)
class Target:
    """One way of fetching an upstream's answer: its URL and the process serving it."""

    name: str
    url: str
    pid: int


def gateway_env(env: dict[str, str], *, cache: bool, workers: int) -> dict[str, str]:
    """The environment of one gateway under test (its own internal port)."""
    return {
        **env,
        "GATEWAY_INTERNAL_PORT": str(free_port()),
        "GATEWAY_RESPONSE_CACHE_ENABLED": "true" if cache else "false",
        **({} if workers == 1 else {"GATEWAY_REDIS_URL": env["BENCH_REDIS_URL"]}),
    }


def main() -> None:
    """Run the comparison and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per measurement")
    parser.add_argument("--rounds", type=int, default=3, help="alternating runs per target")
    parser.add_argument("--connections", default="1,32", help="comma-separated counts")
    parser.add_argument("--tool", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument("--upstreams", default="fast,forecast", help="fast and/or forecast")
    parser.add_argument(
        "--workers", type=int, default=1, help="also a gateway of this many processes (2)"
    )
    parser.add_argument(
        "--redis-url", default="redis://127.0.0.1:6379/7", help="shared by gateway workers"
    )
    args = parser.parse_args()
    if shutil.which("nginx") is None:
        sys.exit("gateway_overhead: nginx, the control, is not installed (Debian: nginx)")
    counts = [int(c) for c in args.connections.split(",")]
    upstream_names = args.upstreams.split(",")
    tool = args.tool if args.tool != "auto" else ("wrk" if shutil.which("wrk") else "python")
    load: Load = run_wrk if tool == "wrk" else run_python

    with (
        tempfile.TemporaryDirectory(prefix="gateway-bench-") as tmp,
        contextlib.ExitStack() as stack,
    ):
        workdir = Path(tmp)
        python = sys.executable
        env = {
            **os.environ,
            "ENV": "dev",
            "WEATHER_DATABASE_URL": f"sqlite:///{workdir / 'weather.db'}",
            # Measure the limiter's cost, not its refusals: one client sends every request here.
            "GATEWAY_RATE_LIMIT_GENERAL": "1000000000",
            "BENCH_REDIS_URL": args.redis_url,
        }
        for command in ("migrate", "seed"):
            subprocess.run(
                [python, "-m", "weather", command], env=env, check=True, capture_output=True
            )
        ports = {name: free_port() for name in ("fast", "weather", "nginx")}
        base = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
        env[f"GATEWAY_{FAST_SERVICE.upper()}_URL"] = base["fast"]
        env["GATEWAY_WEATHER_URL"] = base["weather"]

        def start(name: str, argv: list[str], process_env: dict[str, str]) -> int:
            proc = stack.enter_context(process(argv, process_env, workdir / f"{name}.log"))
            health = "/v1/fast" if name == "fast" else "/healthz"
            url = base.get(name) or f"http://127.0.0.1:{argv[argv.index('--port') + 1]}"
            wait_until_up(url, proc, path=health)
            return proc.pid

        bench_dir = str(Path(__file__).resolve().parent)
        fast_argv = [python, "-m", "uvicorn", "--app-dir", bench_dir, "gateway_overhead:fast_app"]
        fast_argv += ["--port", str(ports["fast"]), "--no-access-log", "--log-level", "warning"]
        fast_pid = start("fast", fast_argv, env)
        weather_pid = start(
            "weather", [python, "-m", "weather", "serve", "--port", str(ports["weather"])], env
        )
        conf = workdir / "nginx.conf"
        conf.write_text(
            NGINX_CONF.format(
                tmp=workdir,
                port=ports["nginx"],
                fast=ports["fast"],
                weather=ports["weather"],
                fast_service=FAST_SERVICE,
            )
        )
        nginx_pid = start("nginx", ["nginx", "-c", str(conf), "-g", "daemon off;"], env)
        gateways: dict[str, tuple[str, int]] = {}
        variants = [("gateway", False, 1), ("gw+cache", True, 1)]
        if args.workers > 1:
            variants.append((f"gateway x{args.workers}", False, args.workers))
        for name, cache, workers in variants:
            port = free_port()
            argv = [python, "-m", "gateway", "serve", "--port", str(port)]
            if workers > 1:
                argv += ["--workers", str(workers)]
            pid = start(name.replace(" ", ""), argv, gateway_env(env, cache=cache, workers=workers))
            gateways[name] = (f"http://127.0.0.1:{port}", pid)

        direct_paths = {"fast": "/v1/fast", "forecast": f"/v1/{FORECAST_PATH}"}
        proxied_paths = {
            "fast": f"/api/v1/{FAST_SERVICE}/fast",
            "forecast": f"/api/v1/weather/{FORECAST_PATH}",
        }
        upstream_pids = {"fast": fast_pid, "forecast": weather_pid}
        targets: dict[str, list[Target]] = {}
        for upstream in upstream_names:
            origin = base["fast"] if upstream == "fast" else base["weather"]
            pid = upstream_pids[upstream]
            rows = [Target("direct", origin + direct_paths[upstream], pid)]
            rows.append(Target("nginx", base["nginx"] + proxied_paths[upstream], nginx_pid))
            for name, (url, gateway_pid) in gateways.items():
                path = proxied_paths[upstream]
                if name == "gw+cache" and upstream == "fast":
                    path = path.replace("/fast", "/fast-cached")
                rows.append(Target(name, url + path, gateway_pid))
            targets[upstream] = rows
        for rows in targets.values():  # fill connection pools and caches, warm up
            for target in rows:
                load(target.url, max(counts), WARMUP_SECONDS)
        # A hit carries Age: without it, gw+cache would be measuring pass-throughs.
        hits: dict[str, bool] = {}
        for upstream, rows in targets.items():
            [cached] = [t for t in rows if t.name == "gw+cache"]
            with urllib.request.urlopen(cached.url, timeout=5) as response:
                hits[upstream] = response.headers.get("age") is not None

        print(
            f"gateway overhead: {tool}, median of {args.rounds} x {args.duration:.0f} s runs, "
            f"{os.cpu_count()} CPUs"
        )
        print("  cpu ms/req: CPU time of the process addressed (a proxy: its own, not upstream's)")
        print(f"  gw+cache answered from the cache: {hits}")
        for upstream, rows in targets.items():
            print(f"\n{upstream}:")
            for target in rows:
                print(f"  {target.name:<11} GET {target.url}")
            print(
                f"{'conns':>5}  {'target':<11} {'req/s':>9} {'ratio':>6} {'p50 ms':>8} "
                f"{'p99 ms':>8} {'cpu ms/req':>10} errors"
            )
            for connections in counts:
                runs: dict[str, list[Result]] = {t.name: [] for t in rows}
                for _ in range(args.rounds):
                    for target in rows:
                        runs[target.name].append(
                            measure(load, target.url, connections, args.duration, target.pid)
                        )
                results = {name: median(rs) for name, rs in runs.items()}
                direct = results["direct"]
                for name, r in results.items():
                    ratio = r.requests_per_second / direct.requests_per_second
                    print(
                        f"{connections:>5}  {name:<11} {r.requests_per_second:>9.1f} "
                        f"{ratio:>5.2f}x {r.p50_ms:>8.2f} {r.p99_ms:>8.2f} "
                        f"{r.cpu_ms_per_request:>10.3f} {r.errors:>6}"
                    )
                    if name == f"gateway x{args.workers}":
                        print(
                            f"{'':>5}  {'  per worker':<11} "
                            f"{r.requests_per_second / args.workers:>9.1f}"
                        )
                added = results["gateway"].p50_ms - direct.p50_ms
                print(f"{connections:>5}  gateway p50 - direct p50 = {added:+.2f} ms")


if __name__ == "__main__":
    main()
