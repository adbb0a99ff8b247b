"""WeChat Pay API v3 signatures and resource encryption, on `cryptography`.

Both sides of the protocol live in this suite: traffic is the merchant (signs requests, verifies
the platform's responses and notifications, decrypts their resources) and the sandbox plays the
platform (the other way round). The primitives are shared; each side keeps its own HTTP.

- Request: `Authorization: WECHATPAY2-SHA256-RSA2048 mchid="",nonce_str="",signature="",
  timestamp="",serial_no=""`, RSA-SHA256 (PKCS#1 v1.5) over
  `METHOD\\nURL\\ntimestamp\\nnonce\\nbody\\n`.
- Response / notification: headers `Wechatpay-Timestamp`, `-Nonce`, `-Signature`, `-Serial`,
  signature over `timestamp\\nnonce\\nbody\\n`; timestamps more than 5 minutes off are refused.
- Resource: AEAD_AES_256_GCM with the 32-byte APIv3 key; base64 ciphertext ends with the tag.
- JSAPI `paySign`: RSA-SHA256 over `appId\\ntimeStamp\\nnonceStr\\npackage\\n`.

Errors:

    WechatPayError
    ├── InvalidSignature   a signature does not verify, or its headers are missing
    ├── StaleTimestamp     a signed timestamp more than the window away from now
    └── DecryptionFailed   a resource that does not decrypt under the APIv3 key
"""

from __future__ import annotations

import base64
import functools
import re
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature as _CryptoInvalidSignature
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

AUTH_SCHEMA = "WECHATPAY2-SHA256-RSA2048"
TIMESTAMP_WINDOW_SECONDS = 300
APIV3_KEY_LENGTH = 32
_AUTH_FIELD = re.compile(r'(\w+)="([^"]*)"')


class WechatPayError(Exception):
    """A WeChat Pay v3 message failed a check."""


class InvalidSignature(WechatPayError):
    """A signature does not verify, or the headers carrying it are missing or malformed."""


class StaleTimestamp(WechatPayError):
    """A signed timestamp is more than the window away from now."""


class DecryptionFailed(WechatPayError):
    """An encrypted resource does not decrypt (wrong key, tampered, malformed)."""


def nonce() -> str:
    """A fresh 32-character nonce."""
    return secrets.token_hex(16)


# Loading checks the key, about 30 ms for 2048 bits; the same few keys are loaded by every app
# (and every test's app) made in a process.
@functools.lru_cache(maxsize=16)
def load_private_key(pem: bytes) -> rsa.RSAPrivateKey:
    """An RSA private key from PEM (PKCS#8 or PKCS#1)."""
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("WeChat Pay keys are RSA keys")
    return key


def load_public_key(pem: bytes) -> rsa.RSAPublicKey:
    """An RSA public key from PEM (SubjectPublicKeyInfo)."""
    key = serialization.load_pem_public_key(pem)
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("WeChat Pay keys are RSA keys")
    return key


def sign(private_key: rsa.RSAPrivateKey, message: str) -> str:
    """Base64 RSA-SHA256 (PKCS#1 v1.5) signature of `message`."""
    signature = private_key.sign(message.encode(), padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(signature).decode()


def verify(public_key: rsa.RSAPublicKey, message: str, signature: str) -> None:
    """Raise InvalidSignature unless `signature` (base64) signs `message`."""
    try:
        raw = base64.b64decode(signature, validate=True)
        public_key.verify(raw, message.encode(), padding.PKCS1v15(), hashes.SHA256())
    except (ValueError, _CryptoInvalidSignature) as exc:
        raise InvalidSignature("signature does not verify") from exc


def request_message(method: str, url: str, timestamp: str, nonce_str: str, body: str) -> str:
    """What a request's signature covers; `url` is the path with its query string."""
    return f"{method.upper()}\n{url}\n{timestamp}\n{nonce_str}\n{body}\n"


def response_message(timestamp: str, nonce_str: str, body: str) -> str:
    """What a response's or notification's signature covers."""
    return f"{timestamp}\n{nonce_str}\n{body}\n"


@dataclass(frozen=True)
class Authorization:
    """The fields of a request's `Authorization` header."""

    mchid: str
    nonce_str: str
    signature: str
    timestamp: str
    serial_no: str

    def header(self) -> str:
        """The header value."""
        return (
            f'{AUTH_SCHEMA} mchid="{self.mchid}",nonce_str="{self.nonce_str}",'
            f'signature="{self.signature}",timestamp="{self.timestamp}",'
            f'serial_no="{self.serial_no}"'
        )

    @classmethod
    def parse(cls, header: str) -> Authorization:
        """The fields of a header value; InvalidSignature when it is not one."""
        schema, _, rest = header.partition(" ")
        fields = dict(_AUTH_FIELD.findall(rest))
        try:
            if schema != AUTH_SCHEMA:
                raise KeyError(schema)
            return cls(
                mchid=fields["mchid"],
                nonce_str=fields["nonce_str"],
                signature=fields["signature"],
                timestamp=fields["timestamp"],
                serial_no=fields["serial_no"],
            )
        except KeyError as exc:
            raise InvalidSignature("malformed Authorization header") from exc


def authorize(
    private_key: rsa.RSAPrivateKey,
    *,
    mchid: str,
    serial_no: str,
    method: str,
    url: str,
    body: str,
    timestamp: int | None = None,
) -> str:
    """The merchant's `Authorization` header for one request."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    nonce_str = nonce()
    signature = sign(private_key, request_message(method, url, stamp, nonce_str, body))
    return Authorization(mchid, nonce_str, signature, stamp, serial_no).header()


def check_timestamp(timestamp: str, *, now: float | None = None) -> None:
    """Raise StaleTimestamp unless `timestamp` is within the window of now."""
    try:
        sent = int(timestamp)
    except ValueError as exc:
        raise StaleTimestamp("timestamp is not a number") from exc
    current = time.time() if now is None else now
    if abs(current - sent) > TIMESTAMP_WINDOW_SECONDS:
        raise StaleTimestamp("timestamp outside the 5-minute window")


def verify_request(
    public_key: rsa.RSAPublicKey, *, header: str, method: str, url: str, body: str
) -> Authorization:
    """The verified Authorization of a merchant's request (the platform's side)."""
    auth = Authorization.parse(header)
    check_timestamp(auth.timestamp)
    verify(
        public_key,
        request_message(method, url, auth.timestamp, auth.nonce_str, body),
        auth.signature,
    )
    return auth


def signed_headers(private_key: rsa.RSAPrivateKey, *, serial: str, body: str) -> dict[str, str]:
    """The `Wechatpay-*` headers of a response or notification with `body` (the platform's side)."""
    stamp, nonce_str = str(int(time.time())), nonce()
    return {
        "Wechatpay-Timestamp": stamp,
        "Wechatpay-Nonce": nonce_str,
        "Wechatpay-Signature": sign(private_key, response_message(stamp, nonce_str, body)),
        "Wechatpay-Serial": serial,
    }


def verify_signed(
    public_key: rsa.RSAPublicKey,
    headers: Mapping[str, str],
    body: str,
    *,
    serial: str | None = None,
    now: float | None = None,
) -> None:
    """Check a response's or notification's `Wechatpay-*` headers (the merchant's side).

    `headers` must look names up case-insensitively (httpx and Starlette headers do).
    """
    stamp = headers.get("Wechatpay-Timestamp")
    nonce_str = headers.get("Wechatpay-Nonce")
    signature = headers.get("Wechatpay-Signature")
    if not stamp or not nonce_str or not signature:
        raise InvalidSignature("Wechatpay-Timestamp, -Nonce or -Signature missing")
    if serial is not None and headers.get("Wechatpay-Serial") != serial:
        raise InvalidSignature("signed with another platform key")
    check_timestamp(stamp, now=now)
    verify(public_key, response_message(stamp, nonce_str, body), signature)


def encrypt_resource(
    apiv3_key: str, plaintext: str, *, associated_data: str = ""
) -> dict[str, str]:
    """An `AEAD_AES_256_GCM` resource as notifications carry it (the platform's side)."""
    nonce_str = secrets.token_hex(6)  # 12 characters, as WeChat's
    ciphertext = AESGCM(_key(apiv3_key)).encrypt(
        nonce_str.encode(), plaintext.encode(), associated_data.encode()
    )
    return {
        "algorithm": "AEAD_AES_256_GCM",
        "ciphertext": base64.b64encode(ciphertext).decode(),
        "associated_data": associated_data,
        "nonce": nonce_str,
    }


def decrypt_resource(apiv3_key: str, resource: Mapping[str, str]) -> str:
    """The plaintext of an encrypted resource; DecryptionFailed if it does not decrypt."""
    try:
        if resource.get("algorithm") != "AEAD_AES_256_GCM":
            raise ValueError("unsupported algorithm")
        plaintext = AESGCM(_key(apiv3_key)).decrypt(
            str(resource["nonce"]).encode(),
            base64.b64decode(str(resource["ciphertext"]), validate=True),
            str(resource.get("associated_data") or "").encode(),
        )
        return plaintext.decode()
    except (KeyError, ValueError, InvalidTag, UnicodeDecodeError) as exc:
        raise DecryptionFailed("resource does not decrypt under the APIv3 key") from exc


def pay_sign(
    private_key: rsa.RSAPrivateKey, *, app_id: str, time_stamp: str, nonce_str: str, package: str
) -> str:
    """The JSAPI `paySign` the WeChat browser checks."""
    return sign(private_key, f"{app_id}\n{time_stamp}\n{nonce_str}\n{package}\n")


def _key(apiv3_key: str) -> bytes:
    key = apiv3_key.encode()
    if len(key) != APIV3_KEY_LENGTH:
        raise ValueError(f"the APIv3 key is {APIV3_KEY_LENGTH} bytes")
    return key
