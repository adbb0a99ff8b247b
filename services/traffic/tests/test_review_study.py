"""Review study (审验学习) of bus and truck licences: rules, and `/v1/me/review-study`."""

from collections.abc import Callable
from datetime import date

import pytest
from fastapi.testclient import TestClient

from traffic.points import Cycle
from traffic.review import (
    COURSES,
    QUESTIONS,
    credited_minutes,
    exam_score,
    needs_review,
    review_cycle,
    review_due_by,
    review_status,
)

Headers = Callable[[str], dict[str, str]]
PREVIOUS = Cycle(date(2025, 2, 15), date(2026, 2, 14))
CURRENT = Cycle(date(2026, 2, 15), date(2027, 2, 14))
RIGHT = {q.id: q.answer for q in QUESTIONS}


@pytest.mark.parametrize(
    ("licence_class", "points", "needed"),
    [("B2", 1, True), ("A1", 12, True), ("A3", 3, True), ("B2", 0, False), ("C1", 6, False)],
)
def test_needs_review(licence_class: str, points: int, needed: bool) -> None:
    assert needs_review(licence_class=licence_class, cycle_points=points) is needed


@pytest.mark.parametrize(
    ("licence_class", "points", "minutes", "completed", "status"),
    [
        ("C1", 6, 0, False, "not_applicable"),
        ("B2", 0, 0, False, "exempt"),
        ("B2", 3, 0, False, "required"),
        ("B2", 3, 179, False, "required"),
        ("B2", 3, 180, False, "exam_pending"),
        ("A2", 3, 200, True, "completed"),
    ],
)
def test_review_status(licence_class, points, minutes, completed, status) -> None:
    assert (
        review_status(
            licence_class=licence_class,
            cycle_points=points,
            studied_minutes=minutes,
            completed=completed,
        )
        == status
    )


@pytest.mark.parametrize(
    ("owed", "done", "on", "cycle"),
    [
        (True, False, date(2026, 3, 16), PREVIOUS),  # 30th day after the end: still open
        (True, False, date(2026, 3, 17), CURRENT),  # window closed (overdue)
        (True, True, date(2026, 2, 20), CURRENT),
        (False, False, date(2026, 2, 20), CURRENT),
    ],
)
def test_which_cycle_the_review_is_about(owed, done, on, cycle) -> None:
    found = review_cycle(current=CURRENT, previous=PREVIOUS, previous_open=owed and not done, on=on)
    assert found == cycle
    assert review_due_by(cycle=PREVIOUS) == date(2026, 3, 16)


@pytest.mark.parametrize(
    ("course", "studied", "minutes", "credit"),
    [(45, 0, 30, 30), (45, 30, 30, 15), (45, 45, 10, 0), (25, 0, 120, 25)],
)
def test_credited_minutes_never_exceed_a_course(course, studied, minutes, credit) -> None:
    assert credited_minutes(course_minutes=course, studied=studied, minutes=minutes) == credit


def test_exam_score() -> None:
    assert exam_score(answers=RIGHT) == 100
    assert exam_score(answers={**RIGHT, "q1": "a" if RIGHT["q1"] != "A" else "b"}) == 80
    assert exam_score(answers={k: v.lower() for k, v in RIGHT.items()}) == 100
    assert exam_score(answers={}) == 0
    assert sum(c.minutes for c in COURSES) >= 180


def test_wangwu_studies_passes_the_exam_and_completes(
    client: TestClient, headers_of: Headers
) -> None:
    wangwu = headers_of("wangwu")
    review = client.get("/v1/me/review-study", headers=wangwu).json()
    assert (review["licence_class"], review["status"], review["studied_minutes"]) == (
        "B2",
        "required",
        0,
    )
    assert (review["cycle_start"], review["cycle_end"], review["due_by"]) == (
        "2026-02-15",
        "2027-02-14",
        "2027-03-16",
    )
    assert review["cycle_points"] == 12 and review["required_minutes"] == 180
    assert review["previous_overdue"] is False and review["completion"] is None
    early = client.post("/v1/me/review-study/exam", json={"answers": RIGHT}, headers=wangwu)
    assert early.status_code == 409 and "180" in early.json()["detail"]
    for course in COURSES:
        recorded = client.post(
            "/v1/me/review-study/records",
            json={"course_code": course.code, "minutes": 120},
            headers=wangwu,
        )
        assert recorded.status_code == 201, recorded.text
    review = recorded.json()
    assert review["status"] == "exam_pending"
    assert review["studied_minutes"] == sum(c.minutes for c in COURSES)
    assert all(c["studied_minutes"] == c["minutes"] for c in review["courses"])
    done = client.post(
        "/v1/me/review-study/records", json={"course_code": "law", "minutes": 5}, headers=wangwu
    )
    assert done.status_code == 409 and "已学完" in done.json()["detail"]
    questions = client.get("/v1/me/review-study/exam", headers=wangwu).json()
    assert len(questions) == 5 and "answer" not in questions[0]
    failed = client.post("/v1/me/review-study/exam", json={"answers": {}}, headers=wangwu).json()
    assert (failed["score"], failed["passed"], failed["review"]["status"]) == (
        0,
        False,
        "exam_pending",
    )
    passed = client.post("/v1/me/review-study/exam", json={"answers": RIGHT}, headers=wangwu)
    assert passed.status_code == 200
    assert (passed.json()["passed"], passed.json()["review"]["status"]) == (True, "completed")
    completions = client.get("/v1/me/review-study/completions", headers=wangwu).json()
    assert completions["total"] == 1
    record = completions["items"][0]
    assert (record["exam_score"], record["studied_minutes"]) == (100, 200)
    assert record["completed_at"] == "2026-06-15T12:00:00+08:00"
    again = client.post("/v1/me/review-study/exam", json={"answers": RIGHT}, headers=wangwu)
    assert again.status_code == 409


def test_other_licences_and_other_citizens(client: TestClient, headers_of: Headers) -> None:
    zhangsan = headers_of("zhangsan")  # C1: no review
    review = client.get("/v1/me/review-study", headers=zhangsan).json()
    assert (review["status"], review["due_by"]) == ("not_applicable", None)
    refused = client.post(
        "/v1/me/review-study/records", json={"course_code": "law", "minutes": 30}, headers=zhangsan
    )
    assert refused.status_code == 409
    wangwu = headers_of("wangwu")
    client.post(
        "/v1/me/review-study/records", json={"course_code": "law", "minutes": 30}, headers=wangwu
    )
    # Lisi has not bound a licence: nothing of wangwu's is within reach.
    lisi = headers_of("lisi")
    for method, path, body in (
        ("GET", "/v1/me/review-study", None),
        ("POST", "/v1/me/review-study/records", {"course_code": "law", "minutes": 30}),
        ("POST", "/v1/me/review-study/exam", {"answers": RIGHT}),
        ("GET", "/v1/me/review-study/completions", None),
    ):
        assert client.request(method, path, json=body, headers=lisi).status_code == 404
        assert client.request(method, path, json=body).status_code == 401
    assert client.get("/v1/me/review-study/exam").status_code == 401
    assert client.get("/v1/me/review-study", headers=wangwu).json()["studied_minutes"] == 30
    unknown = client.post(
        "/v1/me/review-study/records", json={"course_code": "x", "minutes": 30}, headers=wangwu
    )
    assert unknown.status_code == 404


def test_the_review_window_after_the_cycle_ends(
    client: TestClient, headers_of: Headers, clock
) -> None:
    wangwu = headers_of("wangwu")
    clock.to_day(date(2027, 3, 16))  # last day of the window: still the ended cycle's review
    review = client.get("/v1/me/review-study", headers=wangwu).json()
    assert (review["cycle_start"], review["status"], review["due_by"]) == (
        "2026-02-15",
        "required",
        "2027-03-16",
    )
    clock.to_day(date(2027, 3, 17))  # missed: the new cycle has no points yet
    review = client.get("/v1/me/review-study", headers=wangwu).json()
    assert (review["cycle_start"], review["status"], review["previous_overdue"]) == (
        "2027-02-15",
        "exempt",
        True,
    )
