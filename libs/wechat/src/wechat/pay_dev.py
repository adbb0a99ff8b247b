"""Development WeChat Pay keys (DESIGN §4): generated under `var/keys/` when none exist, never
committed. Traffic (the merchant) and the sandbox (the platform) each read their halves.

`python -m wechat.pay_dev [folder]` creates the set (what `make run` does first).
"""

from __future__ import annotations

import json
import secrets
import string
import sys
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

DEFAULT_FOLDER = Path("var/keys")
DEV_MCHID = "1900000109"
# The merchant pays as 东莞交警's service account (the development appid of wechat.dev).
DEV_APPID = "wxdev0000000dgjj"
_FILES = {
    "merchant_private_key": "merchant_private_key.pem",
    "merchant_public_key": "merchant_public_key.pem",
    "platform_private_key": "platform_private_key.pem",
    "platform_public_key": "platform_public_key.pem",
}
_META = "wechatpay.json"


@dataclass(frozen=True)
class DevKeySet:
    """Paths and values of a development key set."""

    folder: Path
    merchant_serial_no: str
    platform_public_key_id: str
    apiv3_key: str
    mchid: str = DEV_MCHID
    appid: str = DEV_APPID

    def path(self, name: str) -> Path:
        """The PEM file of `merchant_private_key`, `merchant_public_key`, `platform_private_key`
        or `platform_public_key`."""
        return self.folder / _FILES[name]


def _pem_pair() -> tuple[bytes, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private, public


def _write_secret(path: Path, data: bytes) -> None:
    path.touch(mode=0o600)
    path.write_bytes(data)


def ensure_dev_keys(folder: Path = DEFAULT_FOLDER) -> DevKeySet:
    """The key set in `folder`, generated first when it is missing or incomplete."""
    meta = folder / _META
    if meta.is_file() and all((folder / f).is_file() for f in _FILES.values()):
        values = json.loads(meta.read_text())
        return DevKeySet(folder=folder, **values)
    folder.mkdir(parents=True, exist_ok=True)
    for side in ("merchant", "platform"):
        private, public = _pem_pair()
        _write_secret(folder / _FILES[f"{side}_private_key"], private)
        (folder / _FILES[f"{side}_public_key"]).write_bytes(public)
    alphabet = string.ascii_letters + string.digits
    values = {
        "merchant_serial_no": secrets.token_hex(20).upper(),
        "platform_public_key_id": "PUB_KEY_ID_"
        + "".join(secrets.choice(string.digits) for _ in range(24)),
        "apiv3_key": "".join(secrets.choice(alphabet) for _ in range(32)),
    }
    _write_secret(meta, json.dumps(values, indent=2).encode())
    return DevKeySet(folder=folder, **values)


if __name__ == "__main__":
    keys = ensure_dev_keys(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_FOLDER)
    print(f"development WeChat Pay keys in {keys.folder}/")
