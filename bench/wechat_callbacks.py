"""WeChat callbacks: safe-mode text messages ("天气" to 东莞天气) answered through the gateway.

Starts accounts (the registry: the account's keyword rules) and weather (the answer) on temporary
SQLite databases, migrated and seeded, and the gateway with 东莞天气 (`dgtq`) in safe mode, all on
free ports. wechatpy, an independent implementation, plays WeChat: it signs and encrypts every
message (each its own MsgId, nonce and signature, so none is a retry or a replay) and decrypts
the replies. Measures, side by side in one run:
- `anchor`: `GET /healthz` of the same gateway (its server and middleware, no message), for the
  ratio;
- `callbacks`: the messages sent as fast as wrk (one thread, `--connections`) sends them, in
  msg/s, with the gateway's CPU time per message;
- `paced`: the messages sent at a fixed `--rate` (200 msg/s) by an asyncio generator that does
  not wait for answers, with p50/p99 latency (wrk cannot pace).
`per core` is 1000 / `cpu ms/msg`: the messages one worker would answer per second with a core
to itself (on a machine shared with other work, the steadier figure).
With `--workers 2` the gateway is served by two processes sharing its state in Redis
(`--redis-url`) and the figures are given per worker too. Before measuring, a few replies are
decrypted and must all read the same text reply; its first line is printed. Reports figures;
never asserts them (DESIGN §9).

    .venv/bin/python bench/wechat_callbacks.py [--duration 5] [--rounds 3] [--rate 200]
        [--workers 2 --redis-url redis://127.0.0.1:6379/7]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import wechatpy
from defusedxml.ElementTree import fromstring
from harness import Result, cpu_seconds, free_port, process, run_wrk, wait_until_up
from wechatpy.crypto import WeChatCrypto
from wechatpy.utils import WeChatSigner

ACCOUNT = {
    "code": "dgtq",
    "appid": "wxbench00000dgtq",
    "token": "bench-token-dgtq",
    "encoding_aes_key": "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
    "app_secret": "bench-secret-dgtq",
    "mode": "safe",
}
GH_ID = "gh_dongguantq001"
OPENID = "oBENCHcitizen000000000000001"
TEXT = "天气"
# Messages wrk may send per run: more than it can (it wraps round otherwise: replays, refused).
MESSAGES_PER_RUN = 30_000
WRK_SCRIPT = """
local requests = {}
local i = 0
for line in io.lines(os.getenv("BENCH_MESSAGES")) do
  local path, body = line:match("^(%S+)\\t(.*)$")
  requests[#requests + 1] = wrk.format("POST", path, {["Content-Type"] = "text/xml"}, body)
end
request = function()
  i = i % #requests + 1
  return requests[i]
end
"""


class Peer:
    """wechatpy playing WeChat for the account: signed, encrypted deliveries and their replies."""

    def __init__(self) -> None:
        self.crypto = WeChatCrypto(ACCOUNT["token"], ACCOUNT["encoding_aes_key"], ACCOUNT["appid"])
        self.next_msg_id = 7_000_000_000_000_000_000 + secrets.randbelow(10**12)

    def delivery(self) -> tuple[str, bytes]:
        """The path with query and the body of one new message."""
        self.next_msg_id += 1
        stamp = str(int(time.time()))
        nonce = str(secrets.randbelow(10**9))
        xml = (
            f"<xml><ToUserName><![CDATA[{GH_ID}]]></ToUserName>"
            f"<FromUserName><![CDATA[{OPENID}]]></FromUserName><CreateTime>{stamp}</CreateTime>"
            f"<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{TEXT}]]></Content>"
            f"<MsgId>{self.next_msg_id}</MsgId></xml>"
        )
        envelope = leaves(self.crypto.encrypt_message(xml, nonce, stamp))
        signer = WeChatSigner()
        signer.add_data(ACCOUNT["token"], stamp, nonce)
        query = (
            f"signature={signer.signature}&timestamp={stamp}&nonce={nonce}&openid={OPENID}"
            f"&encrypt_type=aes&msg_signature={envelope['MsgSignature']}"
        )
        body = (
            f"<xml><ToUserName><![CDATA[{GH_ID}]]></ToUserName>"
            f"<Encrypt><![CDATA[{envelope['Encrypt']}]]></Encrypt></xml>"
        )
        return f"/wechat/{ACCOUNT['code']}?{query}", body.encode()

    def reply_text(self, answer: str) -> str:
        """The text of an encrypted passive reply, as WeChat reads it."""
        envelope = leaves(answer)
        xml = self.crypto.decrypt_message(
            answer, envelope["MsgSignature"], envelope["TimeStamp"], envelope["Nonce"]
        )
        message = wechatpy.parse_message(xml)
        return str(getattr(message, "content", None) or message.type)


def leaves(xml: str) -> dict[str, str]:
    """The root's child elements as {tag: text}."""
    return {child.tag: child.text or "" for child in fromstring(xml, forbid_dtd=True)}


@contextlib.contextmanager
def message_file(peer: Peer, directory: Path, count: int) -> Iterator[Path]:
    """`count` fresh deliveries, one `path<TAB>body` line each, for the wrk script."""
    path = directory / f"messages-{secrets.token_hex(4)}.tsv"
    with path.open("w") as out:
        for _ in range(count):
            target, body = peer.delivery()
            out.write(f"{target}\t{body.decode()}\n")
    try:
        yield path
    finally:
        path.unlink()


async def _paced(base_url: str, peer: Peer, rate: float, duration: float) -> Result:
    """Send at `rate` msg/s for `duration` s without waiting for answers; latency of each."""
    deliveries = [peer.delivery() for _ in range(int(rate * duration))]
    latencies: list[float] = []
    errors = 0
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def one(target: str, body: bytes) -> None:
            nonlocal errors
            started = time.perf_counter()
            try:
                async with session.post(base_url + target, data=body) as response:
                    await response.read()
                    if response.status != 200:
                        errors += 1
            except aiohttp.ClientError:
                errors += 1
            latencies.append(time.perf_counter() - started)

        began = time.perf_counter()
        tasks = []
        for index, (target, body) in enumerate(deliveries):
            await asyncio.sleep(max(0.0, began + index / rate - time.perf_counter()))
            tasks.append(asyncio.create_task(one(target, body)))
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - began
    latencies.sort()

    def percentile(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000

    return Result(
        len(latencies), len(latencies) / elapsed, percentile(0.5), percentile(0.99), errors
    )


def check_replies(base_url: str, peer: Peer, count: int = 5) -> str:
    """Send `count` messages one by one; every reply must decrypt to the same text (returned)."""

    async def replies() -> list[str]:
        async with aiohttp.ClientSession() as session:
            texts = []
            for _ in range(count):
                target, body = peer.delivery()
                async with session.post(base_url + target, data=body) as response:
                    texts.append(peer.reply_text(await response.text()))
            return texts

    texts = asyncio.run(replies())
    if len(set(texts)) != 1:
        sys.exit(f"replies differ: {texts}")
    return texts[0]


@dataclass(frozen=True)
class Measured:
    result: Result
    cpu_ms: float


def measured(pid: int, run: Callable[[], Result]) -> Measured:
    """One run with the CPU time `pid` (and its workers) spent per request during it."""
    before = cpu_seconds(pid)
    result: Result = run()
    spent = cpu_seconds(pid) - before
    return Measured(result, spent * 1000 / result.requests if result.requests else float("nan"))


def main() -> None:
    """Run the measurements and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per measurement")
    parser.add_argument("--rounds", type=int, default=3, help="alternating runs per target")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections")
    parser.add_argument("--rate", type=float, default=200.0, help="msg/s of the paced run")
    parser.add_argument("--workers", type=int, default=1, help="gateway processes")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/7", help="with --workers")
    args = parser.parse_args()

    with (
        tempfile.TemporaryDirectory(prefix="wechat-bench-") as tmp,
        contextlib.ExitStack() as stack,
    ):
        workdir = Path(tmp)
        python = sys.executable
        ports = {name: free_port() for name in ("accounts", "weather", "gateway", "internal")}
        env = {
            **os.environ,
            "ENV": "dev",
            "ACCOUNTS_DATABASE_URL": f"sqlite:///{workdir / 'accounts.db'}",
            "WEATHER_DATABASE_URL": f"sqlite:///{workdir / 'weather.db'}",
            "GATEWAY_WECHAT_ACCOUNTS": json.dumps([ACCOUNT]),
            "GATEWAY_ACCOUNTS_URL": f"http://127.0.0.1:{ports['accounts']}",
            "GATEWAY_WEATHER_URL": f"http://127.0.0.1:{ports['weather']}",
            "GATEWAY_INTERNAL_PORT": str(ports["internal"]),
            "GATEWAY_WECHAT_MENU_SYNC_SECONDS": "0",
        }
        if args.workers > 1:
            env["GATEWAY_REDIS_URL"] = args.redis_url
        pids: dict[str, int] = {}
        for name in ("accounts", "weather"):
            for command in ("migrate", "seed"):
                subprocess.run(
                    [python, "-m", name, command], env=env, check=True, capture_output=True
                )
        for name in ("accounts", "weather", "gateway"):
            argv = [python, "-m", name, "serve", "--port", str(ports[name])]
            if name == "gateway" and args.workers > 1:
                argv += ["--workers", str(args.workers)]
            proc = stack.enter_context(process(argv, env, workdir / f"{name}.log"))
            wait_until_up(f"http://127.0.0.1:{ports[name]}", proc)
            pids[name] = proc.pid
        gateway = f"http://127.0.0.1:{ports['gateway']}"
        peer = Peer()
        reply = check_replies(gateway, peer)
        script = workdir / "callbacks.lua"
        script.write_text(WRK_SCRIPT)

        def callbacks() -> Result:
            count = min(MESSAGES_PER_RUN, int(3000 * args.duration))
            with message_file(peer, workdir, count) as messages:
                os.environ["BENCH_MESSAGES"] = str(messages)
                return run_wrk(gateway, args.connections, args.duration, script=script)

        def anchor() -> Result:
            return run_wrk(f"{gateway}/healthz", args.connections, args.duration)

        def paced() -> Result:
            return asyncio.run(_paced(gateway, peer, args.rate, args.duration))

        runs: dict[str, list[Measured]] = {"anchor": [], "callbacks": [], "paced": []}
        callbacks()  # warm up: connection pools, the chat configuration, the answer
        for _ in range(args.rounds):
            for name, run in (("anchor", anchor), ("callbacks", callbacks), ("paced", paced)):
                runs[name].append(measured(pids["gateway"], run))

        print(
            f"wechat callbacks: safe mode, {ACCOUNT['code']} text {TEXT!r}, "
            f"gateway x{args.workers}, "
            f"median of {args.rounds} x {args.duration:.0f} s runs, {os.cpu_count()} CPUs"
        )
        print(f"  reply (decrypted, identical for every message): {reply.splitlines()[0]!r}")
        print(
            f"  {'run':<10} {'msg/s':>9} {'per worker':>10} {'ratio':>6} {'p50 ms':>8} "
            f"{'p99 ms':>8} {'cpu ms/msg':>10} {'per core':>8} errors"
        )
        anchor_rps = statistics.median(m.result.requests_per_second for m in runs["anchor"])
        for name, measurements in runs.items():
            rps = statistics.median(m.result.requests_per_second for m in measurements)
            p50 = statistics.median(m.result.p50_ms for m in measurements)
            p99 = statistics.median(m.result.p99_ms for m in measurements)
            cpu = statistics.median(m.cpu_ms for m in measurements)
            errors = sum(m.result.errors for m in measurements)
            label = f"{name} @{args.rate:.0f}/s" if name == "paced" else name
            print(
                f"  {label:<10} {rps:>9.1f} {rps / args.workers:>10.1f} {rps / anchor_rps:>5.2f}x "
                f"{p50:>8.2f} {p99:>8.2f} {cpu:>10.3f} {1000 / cpu:>8.0f} {errors:>6}"
            )


if __name__ == "__main__":
    main()
