"""Structured logs: one JSON object per line on stderr, each carrying the id of the request it belongs to.

The request id lives in a context variable set by ``middleware.Envelope``; Starlette copies the context into the
worker thread of a sync route, so a line logged anywhere while a request runs carries its id.
"""

import logging
import sys
from contextvars import ContextVar
from typing import TextIO

from pythonjsonlogger.json import JsonFormatter

LOGGER = "article_facts"
REQUEST_ID: ContextVar[str | None] = ContextVar("request_id", default=None)

log = logging.getLogger(LOGGER)


class _Stderr(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is at the time (test runners swap it), like logging's last resort."""

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass


def _with_request_id(record: logging.LogRecord) -> bool:
    if not hasattr(record, "request_id"):
        record.request_id = REQUEST_ID.get()
    return True


def configure(level: str) -> None:
    """Send the app's log records to stderr as JSON lines, once however often an app is created."""
    log.setLevel(level.upper())
    if any(isinstance(handler, _Stderr) for handler in log.handlers):
        return
    handler = _Stderr()
    handler.addFilter(_with_request_id)
    handler.setFormatter(
        JsonFormatter(
            "{levelname}{name}{message}",
            style="{",
            rename_fields={"levelname": "level", "name": "logger"},
            timestamp="time",  # ISO 8601 in UTC
        )
    )
    log.addHandler(handler)
