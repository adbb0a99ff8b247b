"""JSON log lines carrying the request id and trace context of the request being served.

Lines are formatted and written by a thread of their own (a queue handler): a request only
hands its record over, stamped with its request id and trace ids, and never waits on stderr;
the thread writes every line queued meanwhile at once.
"""

from __future__ import annotations

import atexit
import json
import logging
import queue
import sys
import threading
from contextvars import ContextVar
from datetime import UTC, datetime
from logging.handlers import QueueHandler

from opentelemetry import trace

request_id_var: ContextVar[str] = ContextVar("request_id", default="")

_RESERVED = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message",
    "asctime",
    "color_message",
    "taskName",
    "context_ids",
}


def _trace_ids() -> tuple[str, str]:
    """The current span's trace id and span id in W3C hex, or two empty strings outside one."""
    span_context = trace.get_current_span().get_span_context()
    if not span_context.is_valid:
        return "", ""
    return f"{span_context.trace_id:032x}", f"{span_context.span_id:016x}"


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request_id, trace_id, span_id and
    any `extra` fields."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        stamped: tuple[str, str, str] | None = getattr(record, "context_ids", None)
        request_id, trace_id, span_id = stamped or (request_id_var.get(), *_trace_ids())
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "service": self.service,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": request_id,
            "trace_id": trace_id,
            "span_id": span_id,
        }
        entry.update({k: v for k, v in vars(record).items() if k not in _RESERVED})
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class ContextQueueHandler(QueueHandler):
    """Queues records stamped with the request id and trace ids of the request logging them
    (the thread formatting them later runs outside that request's context)."""

    def prepare(self, record: logging.LogRecord) -> logging.LogRecord:
        if getattr(record, "context_ids", None) is None:
            record.context_ids = (request_id_var.get(), *_trace_ids())
        # The message is made now: its arguments may change before the thread writes it.
        record.msg, record.args = record.getMessage(), None
        return record


class LineWriter:
    """Formats queued records and writes them to `stream` from a thread of its own: what queued
    while it wrote goes out in the next single write (one system call for many lines)."""

    def __init__(
        self, records: queue.SimpleQueue[logging.LogRecord | None], formatter: logging.Formatter
    ) -> None:
        self.records = records
        self.formatter = formatter
        self.stream = sys.stderr
        self.thread = threading.Thread(target=self._run, name="log-writer", daemon=True)

    def start(self) -> None:
        """Start writing."""
        self.thread.start()

    def stop(self) -> None:
        """Write what is queued, then stop."""
        self.records.put(None)
        self.thread.join()

    def _line(self, record: logging.LogRecord) -> str:
        try:
            return self.formatter.format(record) + "\n"
        except Exception:  # a bad record must not stop every later line
            return json.dumps({"level": "ERROR", "message": f"unloggable record {record!r}"}) + "\n"

    def _run(self) -> None:
        while True:
            batch = [self.records.get()]
            while True:
                try:
                    batch.append(self.records.get_nowait())
                except queue.Empty:
                    break
            lines = [self._line(record) for record in batch if record is not None]
            try:
                self.stream.write("".join(lines))
                self.stream.flush()
            except (OSError, ValueError):  # stderr closed or broken: nothing else can be told
                pass
            if any(record is None for record in batch):
                return


_writers: list[LineWriter] = []


def _stop_writers() -> None:
    """Write out what is queued and stop the writing threads (at exit, and on reconfiguring)."""
    while _writers:
        _writers.pop().stop()


atexit.register(_stop_writers)


def configure_logging(service: str, level: str = "INFO") -> None:
    """Route the root logger (and uvicorn's) through one JSON handler on stderr, written by a
    thread of its own."""
    _stop_writers()
    records: queue.SimpleQueue[logging.LogRecord | None] = queue.SimpleQueue()
    writer = LineWriter(records, JsonFormatter(service))
    writer.start()
    _writers.append(writer)
    root = logging.getLogger()
    root.handlers[:] = [ContextQueueHandler(records)]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    # The request middleware writes the one access line per request.
    logging.getLogger("uvicorn.access").disabled = True
    # Client libraries log whole URLs at INFO; query strings may carry personal data.
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)
