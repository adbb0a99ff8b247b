"""A small WeChat Pay API v3 client (the merchant's side) on httpx and `wechat.pay`.

Every request is signed with the merchant key (`Authorization: WECHATPAY2-SHA256-RSA2048 ...`);
every response with a body must carry a valid platform signature (`Wechatpay-*` headers, within
the 5-minute window) or it is not believed. The base URL is a setting: the sandbox in
development, the real provider in production (`wechatpayv3` hard-codes it, hence this client).

Errors::

    ProviderError            the provider answered, but not with what was asked
    ├── ProviderRefused      a 4xx with WeChat's `{"code", "message"}` (e.g. ORDERPAID)
    └── ProviderUnavailable  no answer, a 5xx, or an answer whose signature does not verify
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import secrets
import time
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
from cryptography.hazmat.primitives.asymmetric import rsa

from servicekit.clock import SHANGHAI, as_utc
from traffic.models import PaymentOrder, PaymentRefund
from traffic.settings import TrafficSettings
from wechat import pay as wechatpay

log = logging.getLogger(__name__)
ALERT = "wechatpay_alert"


class ProviderError(Exception):
    """The provider did not do what was asked."""

    def __init__(self, message: str, *, status: int = 0, code: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class ProviderRefused(ProviderError):
    """The provider refused the request (4xx with an error code)."""


class ProviderUnavailable(ProviderError):
    """The provider could not be reached, failed, or answered something we cannot trust."""


@dataclass(frozen=True)
class MerchantConfig:
    """Who we are at WeChat Pay, and how we recognise the platform."""

    base_url: str
    appid: str
    mchid: str
    merchant_serial_no: str
    merchant_private_key: rsa.RSAPrivateKey
    apiv3_key: str
    platform_public_key: rsa.RSAPublicKey
    platform_public_key_id: str
    notify_url: str
    timeout_seconds: float = 10.0

    @classmethod
    def from_settings(cls, settings: TrafficSettings) -> MerchantConfig:
        """The configuration the settings describe; the PEM files are read now."""
        return cls(
            base_url=settings.wechatpay_base_url,
            appid=settings.wechatpay_appid,
            mchid=settings.wechatpay_mchid,
            merchant_serial_no=settings.wechatpay_merchant_serial_no,
            merchant_private_key=wechatpay.load_private_key(
                Path(settings.wechatpay_merchant_private_key_path).read_bytes()
            ),
            apiv3_key=settings.wechatpay_apiv3_key,
            platform_public_key=wechatpay.load_public_key(
                Path(settings.wechatpay_platform_public_key_path).read_bytes()
            ),
            platform_public_key_id=settings.wechatpay_platform_public_key_id,
            notify_url=settings.payment_notify_url,
            timeout_seconds=settings.wechatpay_timeout_seconds,
        )


def rfc3339(moment: datetime) -> str:
    """A time as WeChat Pay writes it: `2026-06-15T14:00:00+08:00`."""
    return moment.astimezone(SHANGHAI).replace(microsecond=0).isoformat()


class WechatPayClient:
    """Calls to the provider; thread-safe (one pooled httpx client)."""

    def __init__(self, config: MerchantConfig, *, transport: httpx.BaseTransport | None = None):
        self.config = config
        self._http = httpx.Client(
            base_url=config.base_url,
            timeout=config.timeout_seconds,
            transport=transport,
            headers={"Accept": "application/json", "User-Agent": "guanwei-traffic/1.0"},
        )

    def close(self) -> None:
        self._http.close()

    # The protocol.

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        payload: dict[str, Any] | None = None,
    ) -> httpx.Response:
        """A signed request; the response's signature is verified when it has a body."""
        body = "" if payload is None else json.dumps(payload, ensure_ascii=False)
        query = f"?{urlencode(params)}" if params else ""
        url = path + query
        # The signature covers the path as the server sees it, under the base URL's path.
        signed_url = urlsplit(self.config.base_url).path.rstrip("/") + url
        headers = {
            "Authorization": wechatpay.authorize(
                self.config.merchant_private_key,
                mchid=self.config.mchid,
                serial_no=self.config.merchant_serial_no,
                method=method,
                url=signed_url,
                body=body,
            )
        }
        if payload is not None:
            headers["Content-Type"] = "application/json"
        try:
            response = self._http.request(method, url, content=body or None, headers=headers)
        except httpx.HTTPError as exc:
            raise ProviderUnavailable(f"WeChat Pay unreachable: {exc!r}") from exc
        if response.content:
            try:
                wechatpay.verify_signed(
                    self.config.platform_public_key,
                    response.headers,
                    response.text,
                    serial=self.config.platform_public_key_id,
                )
            except wechatpay.WechatPayError as exc:
                log.error(
                    "WeChat Pay response signature refused",
                    extra={"alert": ALERT, "path": path, "status": response.status_code},
                )
                raise ProviderUnavailable(f"unverified response: {exc}") from exc
        if response.status_code >= 500:
            raise ProviderUnavailable(
                f"WeChat Pay {response.status_code}", status=response.status_code
            )
        if response.status_code >= 400:
            code, message = _error_of(response)
            raise ProviderRefused(message, status=response.status_code, code=code)
        return response

    def _json(self, response: httpx.Response) -> dict[str, Any]:
        try:
            value = response.json()
        except ValueError as exc:
            raise ProviderUnavailable("WeChat Pay answered something that is not JSON") from exc
        if not isinstance(value, dict):
            raise ProviderUnavailable("WeChat Pay answered something that is not an object")
        return value

    # Calls.

    def create_jsapi_order(self, order: PaymentOrder) -> str:
        """Create the order at the provider as a JSAPI order, at its frozen amount; its
        prepay_id."""
        payload: dict[str, Any] = {
            "appid": self.config.appid,
            "mchid": self.config.mchid,
            "description": order.description,
            "out_trade_no": order.out_trade_no,
            "time_expire": rfc3339(as_utc(order.expires_at)),
            "notify_url": self.config.notify_url,
            "amount": {"total": order.amount_fen, "currency": "CNY"},
            "payer": {"openid": order.payer_openid},
        }
        body = self._json(self._request("POST", "/v3/pay/transactions/jsapi", payload=payload))
        prepay_id = body.get("prepay_id")
        if not isinstance(prepay_id, str) or not prepay_id:
            raise ProviderUnavailable("no prepay_id in the answer")
        return prepay_id

    def query_order(self, out_trade_no: str) -> dict[str, Any] | None:
        """The provider's transaction for our order number; None if it has no such order."""
        try:
            response = self._request(
                "GET",
                f"/v3/pay/transactions/out-trade-no/{out_trade_no}",
                params={"mchid": self.config.mchid},
            )
        except ProviderRefused as exc:
            if exc.status == 404 or exc.code == "ORDER_NOT_EXIST":
                return None
            raise
        return self._json(response)

    def close_order(self, out_trade_no: str) -> None:
        """Close an unpaid order. ProviderRefused with code ORDERPAID when it was paid."""
        try:
            self._request(
                "POST",
                f"/v3/pay/transactions/out-trade-no/{out_trade_no}/close",
                payload={"mchid": self.config.mchid},
            )
        except ProviderRefused as exc:
            if exc.status == 404 or exc.code == "ORDER_NOT_EXIST":
                return  # never reached the provider: nothing to close
            raise

    def refund(self, order: PaymentOrder, refund: PaymentRefund) -> dict[str, Any]:
        """Ask for a refund of (part of) the order (idempotent per out_refund_no); the
        provider's refund object."""
        payload: dict[str, Any] = {
            "out_trade_no": order.out_trade_no,
            "out_refund_no": refund.out_refund_no,
            "reason": refund.reason,
            "notify_url": self.config.notify_url,
            "amount": {"refund": refund.amount_fen, "total": order.amount_fen, "currency": "CNY"},
        }
        if order.transaction_id:
            payload["transaction_id"] = order.transaction_id
        return self._json(self._request("POST", "/v3/refund/domestic/refunds", payload=payload))

    def query_refund(self, out_refund_no: str) -> dict[str, Any] | None:
        """The provider's refund object; None if it has none."""
        try:
            response = self._request("GET", f"/v3/refund/domestic/refunds/{out_refund_no}")
        except ProviderRefused as exc:
            if exc.status == 404 or exc.code in ("RESOURCE_NOT_EXISTS", "ORDER_NOT_EXIST"):
                return None
            raise
        return self._json(response)

    def trade_bill(self, bill_date: date) -> str:
        """The trade bill (交易账单) of a day as text.

        The provider answers `{"hash_type", "hash_value", "download_url"}`; the bill is then
        fetched from `download_url` with a signed request (its body is not signed, so the
        hash is checked instead when one is given).
        """
        response = self._request(
            "GET",
            "/v3/bill/tradebill",
            params={"bill_date": bill_date.isoformat(), "bill_type": "ALL"},
        )
        if "json" not in response.headers.get("content-type", "json"):
            return response.text
        meta = self._json(response)
        url = meta.get("download_url")
        if not isinstance(url, str) or not url:
            raise ProviderUnavailable("no download_url for the trade bill")
        signed_url = urlsplit(url)
        path = signed_url.path + (f"?{signed_url.query}" if signed_url.query else "")
        headers = {
            "Authorization": wechatpay.authorize(
                self.config.merchant_private_key,
                mchid=self.config.mchid,
                serial_no=self.config.merchant_serial_no,
                method="GET",
                url=path,
                body="",
            )
        }
        try:
            download = self._http.get(url, headers=headers)
        except httpx.HTTPError as exc:
            raise ProviderUnavailable(f"trade bill download failed: {exc!r}") from exc
        if download.status_code != 200:
            raise ProviderUnavailable(f"trade bill download {download.status_code}")
        expected = str(meta.get("hash_value") or "")
        sha1 = str(meta.get("hash_type", "SHA1")).upper() == "SHA1"
        if expected and sha1 and hashlib.sha1(download.content).hexdigest() != expected.lower():
            raise ProviderUnavailable("trade bill hash mismatch")
        return download.content.decode("utf-8-sig")

    # The browser's side.

    def jsapi_params(self, prepay_id: str) -> dict[str, str]:
        """The parameters of `getBrandWCPayRequest`, signed with the merchant key (paySign)."""
        stamp, nonce_str = str(int(time.time())), secrets.token_hex(16)
        package = f"prepay_id={prepay_id}"
        return {
            "appId": self.config.appid,
            "timeStamp": stamp,
            "nonceStr": nonce_str,
            "package": package,
            "signType": "RSA",
            "paySign": wechatpay.pay_sign(
                self.config.merchant_private_key,
                app_id=self.config.appid,
                time_stamp=stamp,
                nonce_str=nonce_str,
                package=package,
            ),
        }

    def pay_page_url(self, prepay_id: str, *, browser_base_url: str = "") -> str:
        """The sandbox's pay page of an order (development only), under `browser_base_url`
        when a citizen's browser reaches the sandbox elsewhere than traffic does."""
        return f"{(browser_base_url or self.config.base_url).rstrip('/')}/pay/{prepay_id}"


def _error_of(response: httpx.Response) -> tuple[str, str]:
    try:
        body = response.json()
    except ValueError:
        return "", response.text[:200]
    if not isinstance(body, dict):
        return "", str(body)[:200]
    return str(body.get("code", "")), str(body.get("message", ""))


def parse_trade_bill(text: str) -> list[dict[str, str]]:
    """The order rows of a trade bill: header names -> values, backticks stripped.

    WeChat's bill is CSV-like: a header line (交易时间,公众账号ID,...,商户订单号,...,交易状态,...),
    rows whose fields start with a backtick, then a summary header and line (总交易单数,...).
    """
    rows: list[dict[str, str]] = []
    header: list[str] | None = None
    for fields in csv.reader(io.StringIO(text)):
        cleaned = [f.strip().lstrip("`").strip() for f in fields]
        if not any(cleaned):
            continue
        if "商户订单号" in cleaned and ("交易状态" in cleaned or "订单金额" in cleaned):
            header = cleaned
            continue
        if cleaned[0].startswith("总交易单数"):
            header = None  # the summary section
            continue
        if header is not None and len(cleaned) >= len(header) - 1:
            rows.append(dict(zip(header, cleaned, strict=False)))
    return rows
