"""The callback signature (Tencent's published vector) and the replay window."""

from gateway.wechat.signature import timestamp_is_fresh, verify_signature
from wechat.crypto import sign

VECTOR_SIGNATURE = "16120ec1b8dbb870f510d87ce6bc2463eae6ca1a"


def test_signature_matches_tencent_vector() -> None:
    assert sign("spamtest", "1409735669", "1320562132") == VECTOR_SIGNATURE


def test_signature_does_not_depend_on_argument_order() -> None:
    assert sign("1320562132", "spamtest", "1409735669") == VECTOR_SIGNATURE


def test_verify_accepts_the_vector() -> None:
    assert verify_signature("spamtest", "1409735669", "1320562132", VECTOR_SIGNATURE)


def test_verify_refuses_wrong_token_wrong_signature_and_garbage() -> None:
    assert not verify_signature("other", "1409735669", "1320562132", VECTOR_SIGNATURE)
    assert not verify_signature("spamtest", "1409735669", "1320562132", "0" * 40)
    assert not verify_signature("spamtest", "1409735669", "1320562132", "")
    assert not verify_signature("spamtest", "1409735669", "1320562132", "签名" * 20)


def test_timestamp_window() -> None:
    now = 1_700_000_000.0
    assert timestamp_is_fresh("1700000000", now=now, window_seconds=300)
    assert timestamp_is_fresh("1699999700", now=now, window_seconds=300)
    assert timestamp_is_fresh("1700000300", now=now, window_seconds=300)
    assert not timestamp_is_fresh("1699999699", now=now, window_seconds=300)
    assert not timestamp_is_fresh("1700000301", now=now, window_seconds=300)


def test_timestamp_that_is_not_a_number_is_not_fresh() -> None:
    assert not timestamp_is_fresh("", now=0, window_seconds=300)
    assert not timestamp_is_fresh("12ab", now=0, window_seconds=300)
