"""Safe-mode message crypto of official accounts (Tencent's WXBizMsgCrypt), on `cryptography`.

Shared by the two sides of the protocol in this suite: the gateway (the account's developer
server) and the sandbox (playing WeChat). `key = base64decode(EncodingAESKey + "=")`,
AES-256-CBC with `IV = key[:16]`; the plaintext is 16 random bytes + the message's length
(4 bytes, big-endian) + the message (UTF-8) + the appid, PKCS#7-padded to 32-byte blocks.
`Encrypt` is the base64 ciphertext and `msg_signature` the callback signature over (token,
timestamp, nonce, Encrypt). Errors carry Tencent's codes:

    CryptoError
    ├── InvalidSignature   -40001
    ├── InvalidXml         -40002
    ├── InvalidAesKey      -40004
    ├── InvalidAppId       -40005
    └── DecryptError       -40007
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import struct
from typing import ClassVar

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

AES_KEY_LENGTH = 43
RANDOM_PREFIX_BYTES = 16
# Tencent pads to 32-byte blocks (not AES's 16), and so must we for WeChat to decrypt.
PAD_BLOCK_BYTES = 32
_LENGTH = struct.Struct(">I")
_BASE64_ALPHABET = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")


def sign(*parts: str) -> str:
    """WeChat's signature: SHA-1 hex of the sorted, joined parts (token, timestamp, nonce[, …])."""
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


class CryptoError(Exception):
    """A safe-mode message failed a check; `code` is Tencent's error code for it."""

    code: ClassVar[int] = -40000


class InvalidSignature(CryptoError):
    """msg_signature does not sign the Encrypt it came with."""

    code = -40001


class InvalidXml(CryptoError):
    """An envelope is not XML, or lacks its fields."""

    code = -40002


class InvalidAesKey(CryptoError):
    """The EncodingAESKey is not 43 base64 characters."""

    code = -40004


class InvalidAppId(CryptoError):
    """The message was encrypted for another appid."""

    code = -40005


class DecryptError(CryptoError):
    """Encrypt is not base64, not whole AES blocks, or its plaintext is malformed."""

    code = -40007


def aes_key(encoding_aes_key: str) -> bytes:
    """The 32-byte AES key of an EncodingAESKey; InvalidAesKey when it is not one."""
    raw = encoding_aes_key.encode("ascii", errors="replace")
    if len(raw) != AES_KEY_LENGTH or not set(raw) <= _BASE64_ALPHABET:
        # The message names the problem, never the key itself.
        outside = "" if set(raw) <= _BASE64_ALPHABET else ", some of them outside that set"
        raise InvalidAesKey(
            f"an EncodingAESKey is {AES_KEY_LENGTH} characters of A-Z, a-z, 0-9, + and / "
            f"(got {len(encoding_aes_key)} characters{outside})"
        )
    return base64.b64decode(raw + b"=")


def _pad(data: bytes) -> bytes:
    count = PAD_BLOCK_BYTES - len(data) % PAD_BLOCK_BYTES
    return data + bytes([count]) * count


def _unpad(data: bytes) -> bytes:
    count = data[-1] if data else 0
    if not 1 <= count <= PAD_BLOCK_BYTES or data[-count:] != bytes([count]) * count:
        raise DecryptError("bad padding")
    return data[:-count]


class MessageCrypt:
    """Encryption, decryption and signatures of one account's safe-mode messages."""

    def __init__(self, token: str, encoding_aes_key: str, appid: str) -> None:
        self.token = token
        self.appid = appid
        self._key = aes_key(encoding_aes_key)

    def _cipher(self) -> Cipher[modes.CBC]:
        return Cipher(algorithms.AES(self._key), modes.CBC(self._key[:16]))

    def signature(self, timestamp: str, nonce: str, encrypted: str) -> str:
        """msg_signature of `encrypted` for this timestamp and nonce."""
        return sign(self.token, timestamp, nonce, encrypted)

    def verify_signature(
        self, msg_signature: str, timestamp: str, nonce: str, encrypted: str
    ) -> None:
        """Raise InvalidSignature unless `msg_signature` signs `encrypted` (constant time)."""
        expected = self.signature(timestamp, nonce, encrypted).encode()
        # Bytes, because compare_digest refuses non-ASCII str and the value is attacker-chosen.
        if not hmac.compare_digest(expected, msg_signature.encode()):
            raise InvalidSignature("msg_signature does not match")

    def encrypt(self, message: str, *, random_prefix: bytes | None = None) -> str:
        """`Encrypt` for `message`; `random_prefix` (16 bytes) is fixed only by test vectors."""
        prefix = (
            secrets.token_bytes(RANDOM_PREFIX_BYTES) if random_prefix is None else random_prefix
        )
        if len(prefix) != RANDOM_PREFIX_BYTES:
            raise ValueError(f"the random prefix is {RANDOM_PREFIX_BYTES} bytes")
        body = message.encode()
        plaintext = _pad(prefix + _LENGTH.pack(len(body)) + body + self.appid.encode())
        encryptor = self._cipher().encryptor()
        return base64.b64encode(encryptor.update(plaintext) + encryptor.finalize()).decode()

    def decrypt(self, encrypted: str) -> str:
        """The message inside `Encrypt`; DecryptError if malformed, InvalidAppId if not ours."""
        try:
            ciphertext = base64.b64decode(encrypted, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise DecryptError("Encrypt is not base64") from exc
        if not ciphertext or len(ciphertext) % 16:
            raise DecryptError("Encrypt is not whole AES blocks")
        decryptor = self._cipher().decryptor()
        content = _unpad(decryptor.update(ciphertext) + decryptor.finalize())
        header = RANDOM_PREFIX_BYTES + _LENGTH.size
        if len(content) < header:
            raise DecryptError("plaintext shorter than its header")
        (length,) = _LENGTH.unpack_from(content, RANDOM_PREFIX_BYTES)
        if header + length > len(content):
            raise DecryptError("message length past the plaintext")
        message, appid = content[header : header + length], content[header + length :]
        if appid != self.appid.encode():
            raise InvalidAppId("message encrypted for another appid")
        try:
            return message.decode()
        except UnicodeDecodeError as exc:
            raise DecryptError("message is not UTF-8") from exc

    def decrypt_message(
        self, encrypted: str, *, msg_signature: str, timestamp: str, nonce: str
    ) -> str:
        """An inbound message: msg_signature verified, then decrypted and its appid checked."""
        # Verifying before decrypting: without the token nobody can probe the padding checks.
        self.verify_signature(msg_signature, timestamp, nonce, encrypted)
        return self.decrypt(encrypted)
