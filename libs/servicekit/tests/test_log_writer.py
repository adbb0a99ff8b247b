"""Log lines are handed to a writing thread, stamped with the ids of the request that logged."""

import json
import logging
import queue

import pytest

from servicekit.logging import ContextQueueHandler, JsonFormatter, LineWriter, request_id_var


def test_queued_lines_keep_the_request_s_id_and_their_arguments(
    capsys: pytest.CaptureFixture[str],
) -> None:
    records: queue.SimpleQueue[logging.LogRecord | None] = queue.SimpleQueue()
    writer = LineWriter(records, JsonFormatter("demo"))
    logger = logging.getLogger("servicekit.tests.writer")
    logger.propagate = False
    logger.addHandler(ContextQueueHandler(records))
    try:
        shown = {"step": 1}
        token = request_id_var.set("req-1")
        logger.warning("state %s", shown, extra={"attempt": 2})
        request_id_var.reset(token)
        shown["step"] = 2  # changed before the thread runs: the line says what was logged
        logger.warning("outside")
        writer.start()
        writer.stop()
    finally:
        logger.handlers.clear()
        logger.propagate = True
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert [line["message"] for line in lines] == ["state {'step': 1}", "outside"]
    assert lines[0]["request_id"] == "req-1" and lines[0]["attempt"] == 2
    assert lines[1]["request_id"] == "" and "context_ids" not in lines[1]
    assert all(line["service"] == "demo" and line["level"] == "WARNING" for line in lines)


def test_a_record_that_cannot_be_formatted_does_not_stop_the_writer(
    capsys: pytest.CaptureFixture[str],
) -> None:
    class Broken(logging.Formatter):
        def format(self, record: logging.LogRecord) -> str:
            if record.msg == "bad":
                raise RuntimeError("cannot")
            return str(record.msg)

    records: queue.SimpleQueue[logging.LogRecord | None] = queue.SimpleQueue()
    writer = LineWriter(records, Broken())
    for message in ("bad", "good"):
        records.put(logging.makeLogRecord({"msg": message}))
    writer.start()
    writer.stop()
    err = capsys.readouterr().err.splitlines()
    assert json.loads(err[0])["level"] == "ERROR" and err[1] == "good"
