"""`/sandbox/pay/...`: the simulator's own JSON API (not WeChat's), for tests, demos and the
payer's page: pay, cancel or fail a prepay_id; the notification knobs; orders, refunds and
every notification with each delivery attempt. Errors are problem+json (DESIGN §5)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, BeforeValidator, Field

from sandbox.clock import CHINA
from sandbox.pay.errors import PayError
from sandbox.pay.knobs import Knobs
from sandbox.pay.model import Notification, Order
from sandbox.pay.notify import decode_body
from sandbox.pay.protocol import refund_resource, transaction
from sandbox.pay.store import PayState
from sandbox.wiring import PayDep
from servicekit.errors import Conflict, NotFound, UpstreamUnavailable

router = APIRouter(prefix="/sandbox/pay", tags=["模拟微信支付（测试与演示）"])


async def _ready(pay: PayDep) -> PayState:
    """The simulator, or 503 while it has no keys (a dependency)."""
    if not pay.enabled:
        raise UpstreamUnavailable("模拟微信支付未配置密钥（SANDBOX_WECHATPAY_*）。")
    return pay


ReadyPayDep = Annotated[PayState, Depends(_ready)]


@contextmanager
def _as_problem() -> Iterator[None]:
    """Answer a simulator refusal as problem+json: 404 for what is unknown, 409 otherwise."""
    try:
        yield
    except PayError as exc:
        raise (NotFound if exc.status == 404 else Conflict)(exc.message) from None


def _china_time(at: Any) -> Any:
    """Epoch seconds (as the simulator keeps times) in China's time; anything else as it is."""
    return datetime.fromtimestamp(at, CHINA) if isinstance(at, int | float) else at


ChinaTime = Annotated[datetime, BeforeValidator(_china_time)]


class OrderOut(BaseModel):
    """An order as the simulator knows it."""

    out_trade_no: str
    prepay_id: str = Field(description="the latest prepay_id; the payer's page is /pay/{prepay_id}")
    prepay_expires_at: ChinaTime
    pay_url: str
    description: str
    total: int = Field(description="fen")
    openid: str
    notify_url: str
    trade_state: str
    transaction_id: str | None
    success_time: ChinaTime | None
    time_expire: ChinaTime | None
    created_at: ChinaTime
    refunded: int = Field(description="fen refunded so far")
    transaction: dict[str, Any] = Field(description="what the v3 query answers")
    events: list[dict[str, Any]]


def order_out(order: Order) -> OrderOut:
    """An order for the simulator's API."""
    return OrderOut.model_validate(
        {
            **asdict(order),
            "pay_url": f"/pay/{order.prepay_id}",
            "transaction": transaction(order),
            "events": [{**e, "at": _china_time(e["at"])} for e in order.events],
        }
    )


class AttemptOut(BaseModel):
    """One POST of a notification."""

    copy_no: int = Field(description="which of the duplicate deliveries (1..duplicate)")
    number: int = Field(description="1 = first attempt, 2.. = retries")
    at: ChinaTime
    url: str
    status_code: int | None
    error: str | None
    corrupt: str | None


class NotificationOut(BaseModel):
    """A notification, its plaintext and every delivery attempt."""

    id: str
    event_type: str
    url: str
    out_trade_no: str
    out_refund_no: str | None
    created_at: ChinaTime
    status: str = Field(description="held | pending | delivered | failed | dropped")
    knobs: dict[str, Any]
    plaintext: dict[str, Any] = Field(description="the resource before encryption")
    body: dict[str, Any] = Field(description="what is POSTed (signed afresh on every attempt)")
    attempts: list[AttemptOut]


def notification_out(note: Notification) -> NotificationOut:
    """A notification for the simulator's API."""
    return NotificationOut.model_validate(
        {
            **asdict(note),
            # The window only matters while a notification is held; the API never showed it.
            "knobs": note.knobs.model_dump(exclude={"reorder_window_seconds"}),
            "body": decode_body(note.body),
        }
    )


def _payer_route(act: Callable[[PayState, str], Order]) -> Callable[..., Awaitable[OrderOut]]:
    """The handler of `POST /{prepay_id}/<act>`: the payer's decision on a prepay_id."""

    async def decide(prepay_id: str, pay: ReadyPayDep) -> OrderOut:
        with _as_problem():
            return order_out(act(pay, prepay_id))

    return decide


# The payer's three decisions, one route each: (PayState method, summary, description).
_PAYER_DECISIONS = (
    (
        PayState.confirm,
        "付款人确认支付",
        "The order becomes SUCCESS and TRANSACTION.SUCCESS goes to notify_url (per the knobs).",
    ),
    (
        PayState.cancel,
        "付款人取消支付",
        "The payer closed the cashier: the order stays NOTPAY and can be paid later.",
    ),
    (
        PayState.fail,
        "模拟支付失败",
        "The bank refused: PAYERROR, no notification (WeChat sends none for failures).",
    ),
)
for _act, _summary, _description in _PAYER_DECISIONS:
    router.add_api_route(
        f"/{{prepay_id}}/{_act.__name__}",
        _payer_route(_act),
        methods=["POST"],
        name=_act.__name__,
        summary=_summary,
        description=_description,
    )


@router.get("/knobs", summary="通知投递开关")
async def get_knobs(pay: ReadyPayDep) -> Knobs:
    """How new notifications are delivered."""
    return pay.knobs


@router.put("/knobs", summary="设置通知投递开关")
async def put_knobs(knobs: Knobs, pay: ReadyPayDep) -> Knobs:
    """Replace the knobs (fields left out take their defaults); applies to new notifications."""
    pay.knobs = knobs
    return knobs


class OrderList(BaseModel):
    """Orders, newest first."""

    items: list[OrderOut]
    total: int


@router.get("/orders", summary="订单列表")
async def list_orders(
    pay: ReadyPayDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> OrderList:
    """Every order, newest first."""
    orders = sorted(pay.orders.values(), key=lambda o: o.created_at, reverse=True)
    return OrderList(
        items=[order_out(pay.order(o.out_trade_no)) for o in orders[offset : offset + limit]],
        total=len(orders),
    )


@router.get("/orders/{out_trade_no}", summary="订单详情")
async def get_order(out_trade_no: str, pay: ReadyPayDep) -> OrderOut:
    """One order with its history."""
    with _as_problem():
        return order_out(pay.order(out_trade_no))


@router.get("/prepay/{prepay_id}", summary="预支付交易对应的订单")
async def get_prepay(prepay_id: str, pay: ReadyPayDep) -> OrderOut:
    """The order a prepay_id belongs to."""
    try:
        order, _ = pay.prepay(prepay_id)
    except KeyError:
        raise NotFound("没有这笔预支付交易。") from None
    return order_out(order)


@router.get("/refunds", summary="退款列表")
async def list_refunds(pay: ReadyPayDep) -> dict[str, Any]:
    """Every refund as the v3 refund query answers it."""
    items = [refund_resource(pay.refund_of(no)) for no in pay.refunds]
    return {"items": items, "total": len(items)}


class NotificationList(BaseModel):
    """Notifications, oldest first."""

    items: list[NotificationOut]
    total: int


@router.get("/notifications", summary="通知与每次投递")
async def list_notifications(
    pay: ReadyPayDep,
    out_trade_no: str | None = None,
    event_type: str | None = None,
) -> NotificationList:
    """Every notification (optionally of one order or event type) with every attempt."""
    notes = [
        n
        for n in pay.notifier.notifications.values()
        if (out_trade_no is None or n.out_trade_no == out_trade_no)
        and (event_type is None or n.event_type == event_type)
    ]
    return NotificationList(items=[notification_out(n) for n in notes], total=len(notes))


class Resend(BaseModel):
    """How many concurrent copies to deliver again."""

    copies: int = Field(default=1, ge=1, le=100)


@router.post("/notifications/{notification_id}/resend", summary="重新投递通知")
async def resend(
    notification_id: str, pay: ReadyPayDep, body: Resend | None = None
) -> dict[str, Any]:
    """Deliver the same notification (same id and body, fresh signatures) `copies` times more."""
    note = pay.notifier.notifications.get(notification_id)
    if note is None:
        raise NotFound("没有这条通知。")
    pay.notifier.resend(note, (body or Resend()).copies)
    return {"id": note.id, "copies": (body or Resend()).copies}


@router.post("/notifications/release", summary="投递被 reorder 暂扣的通知")
async def release(pay: ReadyPayDep) -> dict[str, Any]:
    """Deliver the held notifications now, newest first."""
    return {"released": await pay.notifier.release()}
