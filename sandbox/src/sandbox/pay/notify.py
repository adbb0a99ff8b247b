"""Notifications to the merchant: built, encrypted, signed, delivered and retried as WeChat does.

Every notification is one JSON body (`id, create_time, resource_type "encrypt-resource",
event_type, summary, resource{original_type, algorithm, ciphertext, associated_data, nonce}`),
signed afresh on every attempt (`Wechatpay-Timestamp/-Nonce/-Signature/-Serial/
-Signature-Type`). The merchant's 200 or 204 ends it; anything else (or no answer within the
timeout) is retried after 15s 15s 30s 3m 10m 20m 30m 30m 30m 60m 3h 3h 3h 6h 6h, each interval
multiplied by `SANDBOX_WECHATPAY_RETRY_SCALE`. Deliveries run as background tasks the
simulator keeps, cancelled when the sandbox stops.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric import rsa

from sandbox.pay.knobs import Knobs
from sandbox.pay.model import Attempt, Notification, new_notification_id, wechat_time
from sandbox.pay.protocol import dumps
from sandbox.settings import SandboxSettings
from wechat import pay as wechatpay

log = logging.getLogger("sandbox.pay")

RETRY_SCHEDULE_SECONDS = (
    15, 15, 30, 180, 600, 1200, 1800, 1800, 1800, 3600, 10800, 10800, 10800, 21600, 21600
)  # fmt: skip
SIGNATURE_TYPE = "WECHATPAY2-SHA256-RSA2048"
STALE_SECONDS = 600
SUCCESS_STATUSES = (200, 204)
EVENTS = {
    # event_type: (summary, original_type = associated_data)
    "TRANSACTION.SUCCESS": ("支付成功", "transaction"),
    "REFUND.SUCCESS": ("退款成功", "refund"),
}


def signature_headers(
    private_key: rsa.RSAPrivateKey, serial: str, body: str, *, corrupt: str | None = None
) -> dict[str, str]:
    """The `Wechatpay-*` headers of an answer or notification (a bad signature or a stale
    timestamp when `corrupt` says so)."""
    if corrupt == "timestamp":
        stamp, nonce_str = str(int(time.time()) - STALE_SECONDS), wechatpay.nonce()
        signature = wechatpay.sign(private_key, wechatpay.response_message(stamp, nonce_str, body))
        headers = {
            "Wechatpay-Timestamp": stamp,
            "Wechatpay-Nonce": nonce_str,
            "Wechatpay-Signature": signature,
            "Wechatpay-Serial": serial,
        }
    else:
        headers = wechatpay.signed_headers(private_key, serial=serial, body=body)
    if corrupt == "signature":
        # A well-formed signature of another message.
        headers["Wechatpay-Signature"] = wechatpay.sign(private_key, body + "tampered")
    # wechatpayv3 and WeChat's own SDKs refuse a notification without it.
    headers["Wechatpay-Signature-Type"] = SIGNATURE_TYPE
    return headers


def _tamper(ciphertext: str) -> str:
    raw = bytearray(base64.b64decode(ciphertext))
    raw[0] ^= 0x01
    return base64.b64encode(bytes(raw)).decode()


def new_notification(
    apiv3_key: str, event_type: str, url: str, plaintext: dict[str, Any], knobs: Knobs, at: float
) -> Notification:
    """A notification to `url` carrying `plaintext` encrypted under the APIv3 key (corrupted
    as `knobs` say)."""
    summary, original_type = EVENTS[event_type]
    carried = plaintext
    if knobs.corrupt == "amount":
        amount = dict(plaintext["amount"])
        for name in ("total", "payer_total", "refund", "payer_refund"):
            if name in amount:
                amount[name] += 100
        carried = {**plaintext, "amount": amount}
    resource = wechatpay.encrypt_resource(apiv3_key, dumps(carried), associated_data=original_type)
    if knobs.corrupt == "ciphertext":
        resource["ciphertext"] = _tamper(resource["ciphertext"])
    note_id = new_notification_id(at)
    body = {
        "id": note_id,
        "create_time": wechat_time(at),
        "resource_type": "encrypt-resource",
        "event_type": event_type,
        "summary": summary,
        "resource": {
            "original_type": original_type,
            "algorithm": resource["algorithm"],
            "ciphertext": resource["ciphertext"],
            "associated_data": resource["associated_data"],
            "nonce": resource["nonce"],
        },
    }
    return Notification(
        id=note_id,
        event_type=event_type,
        url=url,
        created_at=at,
        plaintext=plaintext,
        body=dumps(body),
        knobs=knobs,
    )


class Notifier:
    """Delivers notifications in background tasks; remembers every attempt."""

    def __init__(
        self, settings: SandboxSettings, private_key: rsa.RSAPrivateKey, now: Callable[[], float]
    ) -> None:
        self.settings = settings
        self.private_key = private_key
        self.now = now
        self.notifications: dict[str, Notification] = {}
        self.held: list[Notification] = []
        self.tasks: set[asyncio.Task[Any]] = set()
        self._first_round: dict[str, asyncio.Event] = {}
        self._release_timer: asyncio.Task[Any] | None = None
        self._client: httpx.AsyncClient | None = None

    # -- creating -------------------------------------------------------------------------

    def send(
        self,
        *,
        event_type: str,
        url: str,
        plaintext: dict[str, Any],
        knobs: Knobs,
    ) -> Notification:
        """Create a notification and start (or hold, or drop) its delivery per `knobs`."""
        apiv3_key = self.settings.wechatpay_apiv3_key
        note = new_notification(apiv3_key, event_type, url, plaintext, knobs, self.now())
        self.notifications[note.id] = note
        if knobs.drop:
            note.status = "dropped"
            log.info("notification %s dropped (knob)", note.id)
        elif knobs.reorder:
            note.status = "held"
            self.held.append(note)
            if self._release_timer is None or self._release_timer.done():
                self._release_timer = self.spawn(self._release_later(knobs.reorder_window_seconds))
        else:
            self.spawn(self._deliver(note, knobs.duplicate))
        return note

    def resend(self, note: Notification, copies: int) -> None:
        """Deliver an existing notification again (`copies` concurrent streams, each retried)."""
        note.status = "pending"
        self.spawn(self._deliver(note, copies, delay=False))

    async def release(self) -> list[str]:
        """Deliver the held notifications newest first: each one's first attempt is made before
        the next one's. Returns their ids in delivery order."""
        timer, self._release_timer = self._release_timer, None
        if timer is not None and timer is not asyncio.current_task():
            timer.cancel()
        held, self.held = self.held, []
        order = []
        for note in reversed(held):
            event = asyncio.Event()
            self._first_round[note.id] = event
            note.status = "pending"
            self.spawn(self._deliver(note, note.knobs.duplicate))
            await event.wait()
            order.append(note.id)
        return order

    async def _release_later(self, seconds: float) -> None:
        await asyncio.sleep(seconds)
        await self.release()

    # -- delivering -----------------------------------------------------------------------

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        """Run `coro` in a task the notifier keeps until it ends."""
        task = asyncio.get_running_loop().create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(
                timeout=self.settings.wechatpay_notify_timeout_seconds,
                trust_env=False,
                follow_redirects=False,
            )
        return self._client

    async def _deliver(self, note: Notification, copies: int, *, delay: bool = True) -> None:
        if delay and note.knobs.delay_seconds:
            await asyncio.sleep(note.knobs.delay_seconds)
        results = await asyncio.gather(*(self._stream(note, c) for c in range(1, copies + 1)))
        note.status = "delivered" if any(results) else "failed"

    async def _stream(self, note: Notification, copy: int) -> bool:
        """One delivery with WeChat's retries; True once the merchant acknowledged it."""
        for number in range(1, len(RETRY_SCHEDULE_SECONDS) + 2):
            ok = await self._attempt(note, copy, number)
            if number == 1 and copy == 1 and (event := self._first_round.pop(note.id, None)):
                event.set()
            if ok:
                return True
            if number <= len(RETRY_SCHEDULE_SECONDS):
                await asyncio.sleep(
                    RETRY_SCHEDULE_SECONDS[number - 1] * self.settings.wechatpay_retry_scale
                )
        log.warning("notification %s (copy %d) never acknowledged", note.id, copy)
        return False

    async def _attempt(self, note: Notification, copy: int, number: int) -> bool:
        serial = self.settings.wechatpay_platform_public_key_id
        corrupt = note.knobs.corrupt
        headers = signature_headers(self.private_key, serial, note.body, corrupt=corrupt)
        headers["Content-Type"] = "application/json"
        headers["User-Agent"] = "Mozilla/4.0"  # what WeChat's notifier sends
        status: int | None = None
        error: str | None = None
        try:
            response = await self._http().post(
                note.url, content=note.body.encode(), headers=headers
            )
            status = response.status_code
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"[:300]
        note.attempts.append(
            Attempt(
                notification_id=note.id,
                copy_no=copy,
                number=number,
                at=self.now(),
                url=note.url,
                status_code=status,
                error=error,
                corrupt=corrupt,
            )
        )
        ok = status in SUCCESS_STATUSES
        log.info(
            "notification %s copy %d attempt %d -> %s",
            note.id,
            copy,
            number,
            status if status is not None else error,
        )
        return ok

    async def close(self) -> None:
        """Cancel every delivery and close the HTTP client (the sandbox is stopping)."""
        tasks = list(self.tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for event in self._first_round.values():
            event.set()
        if self._client is not None:
            await self._client.aclose()
            self._client = None


def decode_body(body: str) -> dict[str, Any]:
    """A notification body as JSON (for introspection)."""
    return json.loads(body)
