"""Logs never hold an unmasked name, ID number, card or bank account number."""

import logging
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, create_engine, select

from servicekit.logging import JsonFormatter
from servicekit.testing import service_headers
from socialsec.models import SocialCard

Headers = Callable[[str], dict[str, str]]
LISI = {"name": "李四", "id_number": "441900198505203523", "card_number": "S19850520"}


@pytest.mark.slow
def test_a_full_enquiry_session_logs_nothing_unmasked(
    client: TestClient,
    headers_of: Headers,
    caplog: pytest.LogCaptureFixture,
    seeded_database_url: str,
) -> None:
    engine = create_engine(seeded_database_url)
    with Session(engine) as session:
        accounts = [c.bank_account for c in session.exec(select(SocialCard).limit(5)).all()]
    engine.dispose()
    secrets = [
        "李四",
        "张三",
        "441900198505203523",
        "441900199001011231",
        "S19850520",
        "S19000123",
        *accounts,
    ]
    caplog.set_level(logging.DEBUG)
    lisi, zhangsan = headers_of("lisi"), headers_of("zhangsan")
    client.post("/v1/me/bindings", json={**LISI, "id_number": "441900198505203524"}, headers=lisi)
    client.post("/v1/me/bindings", json={**LISI, "card_number": "S19000123"}, headers=lisi)
    client.post("/v1/me/bindings", json=LISI, headers=lisi)
    client.post(
        "/v1/eligibility/elderly-free-bus",
        json={"birth_date": "1958-04-12", "dongguan_household": False, "residence_permit": True},
    )
    for headers in (lisi, zhangsan):
        for path in (
            "/v1/me/bindings",
            "/v1/me/profile",
            "/v1/me/contributions",
            "/v1/me/contributions/summary",
            "/v1/me/accounts",
            "/v1/me/accounts/medical/entries",
            "/v1/me/card",
            "/v1/me/pension-payments",
            "/v1/me/eligibility",
            "/v1/me/access-log",
        ):
            assert client.get(path, headers=headers).status_code == 200, path
    code = client.get("/v1/me/certificate.pdf", headers=zhangsan).headers.get(
        "X-Certificate-Code", "ABCDEFGHJKMNPQRS"
    )
    client.get(f"/v1/certificates/{code}")
    client.delete(
        "/v1/internal/citizens/c-x/bindings",
        headers=service_headers("accounts", "socialsec"),
    )
    formatter = JsonFormatter("socialsec")
    lines = [formatter.format(record) for record in caplog.records]
    assert any("/v1/me/contributions" in line for line in lines)
    leaks = [(secret, line) for line in lines for secret in secrets if secret in line]
    assert not leaks, leaks[:3]
