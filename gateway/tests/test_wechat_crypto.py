"""Safe-mode crypto: Tencent's vectors A and B, error codes, padding, and settings validation."""

from __future__ import annotations

import base64
from typing import NoReturn

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from fastapi.testclient import TestClient
from pydantic import ValidationError
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidSignatureException

from gateway.main import create_app
from gateway.settings import GatewaySettings, WechatAccount
from gateway.wechat import routes
from gateway.wechat.crypto import WXBizMsgCrypt
from gateway.wechat.messages import InboundMessage, TextMessage
from gateway.wechat.replies import Reply, TextReply
from gateway.wechat.router import Context
from servicekit.cli import run_service_cli
from servicekit.settings import SharedSettings
from wechat.crypto import (
    DecryptError,
    InvalidAesKey,
    InvalidAppId,
    InvalidSignature,
    InvalidXml,
    aes_key,
    sign,
)

KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"

# Vector A: deterministic encryption (random prefix fixed).
A_TOKEN, A_APPID, A_TIMESTAMP, A_NONCE = "pamtest", "wxb11529c136998cb6", "1409304348", "xxxxxx"
A_RANDOM = b"aaaabbbbccccdddd"
A_MESSAGE = "我是中文abcd123"
A_ENCRYPT = (
    "jn1L23DB+6ELqJ+6bruv21Y6MD7KeIfP82D6gU39rmkgczbWwt5+3bnyg5K55bgVtVzd832WzZGMhkP72vVOfg=="
)
A_MSG_SIGNATURE = "82c962d39941aa48552f90ef55aa323dc620cc10"

# Vector B: an inbound message to decrypt.
B_TOKEN, B_APPID, B_TIMESTAMP, B_NONCE = (
    "spamtest",
    "wx2c2769f8efd9abc2",
    "1409735669",
    "1320562132",
)
B_MSG_SIGNATURE = "5d197aaffba7e9b25a30732f161a50dee96bd5fa"
B_ENCRYPT = (
    "hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PG"
    "HQHFVAFmOD2LdJF9FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6"
    "tEDYsVticbSnyU8dKOIbgU6ux5VTjg3yt+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp"
    "3yZbGpy0VxpAe+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v6h0EIBYYI1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhv"
    "Ql+q5rv1ixrcpCumEPo5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE="
)
B_PLAINTEXT = (
    "<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName>\n"
    "<FromUserName><![CDATA[oyORnuP8q7ou2gfYjqLzSIWZf0rs]]></FromUserName>\n"
    "<CreateTime>1409735668</CreateTime>\n"
    "<MsgType><![CDATA[text]]></MsgType>\n"
    "<Content><![CDATA[abcdteT]]></Content>\n"
    "<MsgId>6054768590064713728</MsgId>\n"
    "</xml>"
)
B_HANDSHAKE_SIGNATURE = "16120ec1b8dbb870f510d87ce6bc2463eae6ca1a"


def vector_a() -> WXBizMsgCrypt:
    return WXBizMsgCrypt(A_TOKEN, KEY, A_APPID)


def vector_b() -> WXBizMsgCrypt:
    return WXBizMsgCrypt(B_TOKEN, KEY, B_APPID)


# -- vectors -------------------------------------------------------------------------------------


def test_vector_a_encrypts_exactly() -> None:
    assert vector_a().encrypt(A_MESSAGE, random_prefix=A_RANDOM) == A_ENCRYPT


def test_vector_a_signature() -> None:
    assert vector_a().signature(A_TIMESTAMP, A_NONCE, A_ENCRYPT) == A_MSG_SIGNATURE
    assert sign(A_TOKEN, A_TIMESTAMP, A_NONCE, A_ENCRYPT) == A_MSG_SIGNATURE


def test_vector_a_decrypts_back() -> None:
    crypto = vector_a()
    message = crypto.decrypt_message(
        A_ENCRYPT, msg_signature=A_MSG_SIGNATURE, timestamp=A_TIMESTAMP, nonce=A_NONCE
    )
    assert message == A_MESSAGE


def test_vector_b_decrypts_to_the_exact_plaintext() -> None:
    message = vector_b().decrypt_message(
        B_ENCRYPT, msg_signature=B_MSG_SIGNATURE, timestamp=B_TIMESTAMP, nonce=B_NONCE
    )
    assert message == B_PLAINTEXT


def test_vector_b_handshake_signature() -> None:
    assert sign(B_TOKEN, B_TIMESTAMP, B_NONCE) == B_HANDSHAKE_SIGNATURE


def vector_b_client(received: list[InboundMessage]) -> TestClient:
    """A gateway with vector B's account in safe mode; its timestamp (2014) let through."""
    account = WechatAccount(
        code="vectorb", appid=B_APPID, token=B_TOKEN, encoding_aes_key=KEY, mode="safe"
    )
    settings = GatewaySettings(
        wechat_accounts=[account],
        wechat_timestamp_window_seconds=10**10,
        shared=SharedSettings(env="dev"),
    )
    app = create_app(settings)

    class Spy:
        async def dispatch(self, context: Context, message: InboundMessage) -> Reply | None:
            received.append(message)
            return TextReply("收到")

    app.dependency_overrides[routes.message_router] = Spy
    return TestClient(app)


def test_vector_b_handshake_through_the_gateway() -> None:
    with vector_b_client([]) as client:
        params = {
            "signature": B_HANDSHAKE_SIGNATURE,
            "timestamp": B_TIMESTAMP,
            "nonce": B_NONCE,
            "echostr": "5837397749425513463",
        }
        response = client.get("/wechat/vectorb", params=params)
    assert (response.status_code, response.text) == (200, "5837397749425513463")


def test_vector_b_message_through_the_gateway() -> None:
    received: list[InboundMessage] = []
    body = (
        "<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName>"
        f"<Encrypt><![CDATA[{B_ENCRYPT}]]></Encrypt></xml>"
    )
    params = {
        "signature": B_HANDSHAKE_SIGNATURE,
        "timestamp": B_TIMESTAMP,
        "nonce": B_NONCE,
        "openid": "oyORnuP8q7ou2gfYjqLzSIWZf0rs",
        "encrypt_type": "aes",
        "msg_signature": B_MSG_SIGNATURE,
    }
    with vector_b_client(received) as client:
        response = client.post("/wechat/vectorb", params=params, content=body)
    assert response.status_code == 200
    [message] = received
    assert isinstance(message, TextMessage)
    assert (message.content, message.msg_id) == ("abcdteT", 6054768590064713728)
    assert message.from_user_name == "oyORnuP8q7ou2gfYjqLzSIWZf0rs"
    # The reply is encrypted for the same account, and WeChat's side (wechatpy) can read it.
    reply = vector_b().decrypt_reply(response.content)
    assert "<Content><![CDATA[收到]]></Content>" in reply
    assert "<Encrypt>" in response.text and "收到" not in response.text


# -- round trips and interop with wechatpy ---------------------------------------------------------


@pytest.mark.parametrize("length", [*range(0, 70), 1000])
def test_round_trip_at_every_padding_length(length: int) -> None:
    crypto = vector_a()
    message = "东" * (length % 3) + "x" * length
    encrypted = crypto.encrypt(message)
    assert len(base64.b64decode(encrypted)) % 32 == 0
    assert crypto.decrypt(encrypted) == message


def test_random_prefix_makes_each_encryption_different() -> None:
    crypto = vector_a()
    assert crypto.encrypt(A_MESSAGE) != crypto.encrypt(A_MESSAGE)


def test_wechatpy_reads_what_we_encrypt_and_we_read_what_it_encrypts() -> None:
    ours = vector_a()
    theirs = WeChatCrypto(A_TOKEN, KEY, A_APPID)
    envelope = ours.encrypt_reply("<xml><Content>好</Content></xml>", timestamp="1", nonce="n")
    # wechatpy verifies the envelope's MsgSignature against its TimeStamp and Nonce.
    fields = {"Encrypt": envelope.split("<![CDATA[")[1].split("]]>")[0]}
    signature = envelope.split("<MsgSignature><![CDATA[")[1].split("]]>")[0]
    assert theirs.decrypt_message(fields, signature, "1", "n") == "<xml><Content>好</Content></xml>"
    with pytest.raises(InvalidSignatureException):
        theirs.decrypt_message(fields, signature, "2", "n")
    wrapped = theirs.encrypt_message("<xml><Content>东莞</Content></xml>", "nonce9", "77")
    assert ours.decrypt_reply(wrapped.encode()) == "<xml><Content>东莞</Content></xml>"


# -- errors and their codes -----------------------------------------------------------------------


def test_wrong_msg_signature_is_40001() -> None:
    with pytest.raises(InvalidSignature) as caught:
        vector_b().decrypt_message(
            B_ENCRYPT, msg_signature="0" * 40, timestamp=B_TIMESTAMP, nonce=B_NONCE
        )
    assert caught.value.code == -40001
    with pytest.raises(InvalidSignature):
        vector_b().decrypt_message(
            B_ENCRYPT, msg_signature="签名", timestamp=B_TIMESTAMP, nonce=B_NONCE
        )


def test_signature_is_checked_before_decrypting() -> None:
    # Garbage with a wrong signature is a signature error, never a decryption attempt.
    with pytest.raises(InvalidSignature):
        vector_b().decrypt_message("!!", msg_signature="x", timestamp="1", nonce="2")


def test_unparsable_reply_envelope_is_40002() -> None:
    for envelope in (b"<xml><Encrypt>", b"<xml><Encrypt>abc</Encrypt></xml>"):
        with pytest.raises(InvalidXml) as caught:
            vector_a().decrypt_reply(envelope)
        assert caught.value.code == -40002


@pytest.mark.parametrize(
    "key",
    [
        KEY[:-1],
        KEY + "H",
        "",
        "abcdefghijklmnopqrstuvwxyz0123456789ABCDE=G",
        "东" * 43,
        KEY[:-1] + " ",
    ],
    ids=["42-chars", "44-chars", "empty", "padding-char", "non-ascii", "space"],
)
def test_bad_aes_key_is_40004(key: str) -> None:
    with pytest.raises(InvalidAesKey) as caught:
        aes_key(key)
    assert caught.value.code == -40004
    assert "43" in str(caught.value)
    with pytest.raises(InvalidAesKey):
        WXBizMsgCrypt("t", key, "wx1")


def test_good_aes_key_is_32_bytes() -> None:
    assert len(aes_key(KEY)) == 32


def test_message_for_another_appid_is_40005() -> None:
    other = WXBizMsgCrypt(A_TOKEN, KEY, "wxsomeoneelse00000")
    with pytest.raises(InvalidAppId) as caught:
        vector_a().decrypt(other.encrypt("<xml/>"))
    assert caught.value.code == -40005
    # The vector decrypts only for its own appid.
    with pytest.raises(InvalidAppId):
        WXBizMsgCrypt(B_TOKEN, KEY, "wx2c2769f8efd9abc3").decrypt(B_ENCRYPT)


def test_appid_prefix_is_not_enough() -> None:
    longer = WXBizMsgCrypt(A_TOKEN, KEY, A_APPID + "x")
    with pytest.raises(InvalidAppId):
        vector_a().decrypt(longer.encrypt("hi"))


def _padded(data: bytes) -> bytes:
    count = 32 - len(data) % 32
    return data + bytes([count]) * count


def _encrypt_raw(plaintext: bytes) -> str:
    key = aes_key(KEY)
    encryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return base64.b64encode(encryptor.update(plaintext) + encryptor.finalize()).decode()


@pytest.mark.parametrize(
    "encrypted",
    [
        "not base64!",
        "",
        base64.b64encode(b"0123456789").decode(),  # not whole blocks
        _encrypt_raw(b"\x00" * 32),  # padding byte 0
        _encrypt_raw(b"a" * 31 + b"\x21"),  # padding byte 33
        _encrypt_raw(b"a" * 30 + b"\x01\x02"),  # inconsistent padding
        _encrypt_raw(b"r" * 16 + b"\x00\x00" + bytes([32] * 14)),  # shorter than its header
        _encrypt_raw(b"r" * 16 + b"\x00\x00\x10\x00" + b"ab" + bytes([10] * 10)),  # length too big
        _encrypt_raw(_padded(b"r" * 16 + b"\x00\x00\x00\x02\xff\xfe" + A_APPID.encode())),
    ],
    ids=[
        "not-base64",
        "empty",
        "partial-block",
        "pad-0",
        "pad-33",
        "pad-mixed",
        "short",
        "long-length",
        "not-utf8",
    ],
)
def test_undecryptable_is_40007(encrypted: str) -> None:
    with pytest.raises(DecryptError) as caught:
        vector_a().decrypt(encrypted)
    assert caught.value.code == -40007


# -- settings --------------------------------------------------------------------------------------


def test_settings_refuse_a_bad_key_with_a_clear_message() -> None:
    with pytest.raises(ValidationError) as caught:
        WechatAccount(code="dgtq", appid="wx1", token="t", encoding_aes_key=KEY[:-1], mode="safe")
    message = caught.value.errors()[0]["msg"]
    assert "account dgtq" in message and "43" in message and "got 42" in message


@pytest.mark.parametrize("mode", ["compatible", "safe"])
def test_settings_refuse_encrypted_modes_without_a_key(mode: str) -> None:
    with pytest.raises(ValidationError, match="needs an encoding_aes_key"):
        WechatAccount(code="dgtq", appid="wx1", token="t", mode=mode)


def test_settings_allow_plain_mode_without_a_key() -> None:
    assert WechatAccount(code="dgtq", appid="wx1", token="t").encoding_aes_key == ""


def test_a_bad_key_stops_start_up_without_printing_it(monkeypatch: pytest.MonkeyPatch) -> None:
    bad_key = "SECRET" + KEY[6:-1]
    accounts = f'[{{"code":"dgsb","appid":"wx1","token":"t","encoding_aes_key":"{bad_key}"}}]'
    monkeypatch.setenv("ENV", "dev")
    monkeypatch.setenv("GATEWAY_WECHAT_ACCOUNTS", accounts)

    def never_served(settings: object) -> NoReturn:
        raise AssertionError("the gateway started with a bad key")

    with pytest.raises(SystemExit) as caught:
        run_service_cli(
            package="gateway",
            settings_factory=GatewaySettings,
            app_factory=never_served,
            seed=None,
            default_port=8000,
            database=False,
            argv=["serve"],
        )
    text = str(caught.value.code)
    assert "account dgsb" in text and "EncodingAESKey" in text
    assert bad_key not in text
