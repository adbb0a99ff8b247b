"""wechat.pay: both sides of WeChat Pay v3 signatures and resource encryption."""

import json
import time
from pathlib import Path

import pytest

from wechat import pay as wp
from wechat.pay_dev import ensure_dev_keys


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory):
    return ensure_dev_keys(tmp_path_factory.mktemp("keys"))


def _key(keys, name: str):
    pem = keys.path(name).read_bytes()
    return wp.load_private_key(pem) if "private" in name else wp.load_public_key(pem)


def test_dev_keys_are_made_once_and_kept_private(tmp_path: Path) -> None:
    first = ensure_dev_keys(tmp_path / "k")
    assert ensure_dev_keys(tmp_path / "k") == first
    assert len(first.apiv3_key) == 32 and first.platform_public_key_id.startswith("PUB_KEY_ID_")
    assert first.path("merchant_private_key").stat().st_mode & 0o077 == 0


def test_a_signed_request_verifies_and_a_changed_one_does_not(keys) -> None:
    body = json.dumps({"out_trade_no": "T1", "amount": {"total": 20000}})
    header = wp.authorize(
        _key(keys, "merchant_private_key"),
        mchid=keys.mchid,
        serial_no=keys.merchant_serial_no,
        method="POST",
        url="/v3/pay/transactions/jsapi",
        body=body,
    )
    public = _key(keys, "merchant_public_key")
    auth = wp.verify_request(
        public, header=header, method="POST", url="/v3/pay/transactions/jsapi", body=body
    )
    assert (auth.mchid, auth.serial_no) == (keys.mchid, keys.merchant_serial_no)
    with pytest.raises(wp.InvalidSignature):
        wp.verify_request(
            public,
            header=header,
            method="POST",
            url="/v3/pay/transactions/jsapi",
            body=body.replace("20000", "1"),
        )
    with pytest.raises(wp.InvalidSignature):
        wp.verify_request(public, header="Bearer x", method="POST", url="/", body="")


def test_response_signatures_and_the_timestamp_window(keys) -> None:
    headers = wp.signed_headers(
        _key(keys, "platform_private_key"), serial=keys.platform_public_key_id, body="{}"
    )
    public = _key(keys, "platform_public_key")
    wp.verify_signed(public, headers, "{}", serial=keys.platform_public_key_id)
    with pytest.raises(wp.InvalidSignature):
        wp.verify_signed(public, headers, "{ }")
    with pytest.raises(wp.InvalidSignature):
        wp.verify_signed(public, headers, "{}", serial="PUB_KEY_ID_other")
    with pytest.raises(wp.StaleTimestamp):
        wp.verify_signed(public, headers, "{}", now=time.time() + 600)
    with pytest.raises(wp.InvalidSignature):
        wp.verify_signed(public, {}, "{}")


def test_resources_round_trip_and_tampering_is_refused(keys) -> None:
    resource = wp.encrypt_resource(
        keys.apiv3_key, '{"trade_state": "SUCCESS"}', associated_data="transaction"
    )
    assert wp.decrypt_resource(keys.apiv3_key, resource) == '{"trade_state": "SUCCESS"}'
    with pytest.raises(wp.DecryptionFailed):
        wp.decrypt_resource(keys.apiv3_key, {**resource, "associated_data": "refund"})
    with pytest.raises(wp.DecryptionFailed):
        wp.decrypt_resource("x" * 32, resource)
    with pytest.raises(wp.DecryptionFailed):
        wp.decrypt_resource(keys.apiv3_key, {"algorithm": "AEAD_AES_256_GCM"})


def test_wechatpayv3_accepts_what_the_platform_side_sends(keys) -> None:
    # An independent peer: wechatpayv3's own decryption of a notification resource.
    from wechatpayv3.utils import aes_decrypt

    resource = wp.encrypt_resource(
        keys.apiv3_key, '{"out_trade_no": "T1"}', associated_data="transaction"
    )
    plain = aes_decrypt(
        nonce=resource["nonce"],
        ciphertext=resource["ciphertext"],
        associated_data=resource["associated_data"],
        apiv3_key=keys.apiv3_key,
    )
    assert json.loads(plain) == {"out_trade_no": "T1"}
