"""Answers that missed the passive reply: handlers still running when the callback had to be
answered, and the delivery of their answers as customer-service messages.

WeChat waits 5 s for a passive reply. A handler still busy at the reply deadline is not cancelled:
the callback answers `success` (stored for WeChat's retries, so none starts the handler again),
the handler goes on until its work deadline, and its reply is sent to the citizen through the
platform's customer-service API (within WeChat's 48 h window, which the message just opened).
"""

from __future__ import annotations

import asyncio
import logging

from gateway.platform import PlatformClient, PlatformError
from gateway.wechat.replies import Reply

log = logging.getLogger("gateway.wechat.late")

# On shutdown, answers almost ready still go out; the rest are cancelled.
SHUTDOWN_GRACE_SECONDS = 2.0


class LateReplies:
    """Handlers past the reply deadline, each delivering its reply when done; strongly held."""

    def __init__(self, platform: PlatformClient) -> None:
        self.platform = platform
        self._tasks: set[asyncio.Task[None]] = set()

    def deliver_when_done(
        self, answering: asyncio.Task[Reply | None], account: str, openid: str
    ) -> None:
        """Send `answering`'s reply to `openid` as a customer-service message once it is ready."""
        task = asyncio.create_task(self._deliver(answering, account, openid))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def close(self, grace: float = SHUTDOWN_GRACE_SECONDS) -> None:
        """Wait up to `grace` s for pending answers, then cancel the rest (and their handlers)."""
        if not self._tasks:
            return
        tasks = set(self._tasks)
        _, unfinished = await asyncio.wait(tasks, timeout=grace)
        if unfinished:
            log.warning("shutting down: %d late answers cancelled", len(unfinished))
        for task in unfinished:
            # Cancelling the delivery cancels the handler task it awaits.
            task.cancel()
        await asyncio.gather(*unfinished, return_exceptions=True)

    async def _deliver(
        self, answering: asyncio.Task[Reply | None], account: str, openid: str
    ) -> None:
        extra = {"account": account}
        try:
            reply = await answering
        except Exception:
            log.exception("late handler failed; nothing sent", extra=extra)
            return
        if reply is None:
            return
        message = reply.custom_message()
        # Never the message or the openid in logs: both are personal data.
        try:
            await self.platform.send_custom_message(account, openid, message)
        except PlatformError as exc:
            log.error(
                "late answer not delivered: WeChat errcode %s",
                exc.errcode,
                extra={**extra, "msgtype": message.get("msgtype")},
            )
        except Exception as exc:
            log.error("late answer not delivered: %s", type(exc).__name__, extra=extra)
        else:
            log.info("late answer delivered as a customer-service message", extra=extra)
