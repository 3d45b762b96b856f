"""Structured logging: one JSON event per line, with case id and step, and no personal data.

Every process (worker, portal, CLI) calls `configure_logging()` once. The masking processor is the
last line of defence: code should not log personal data at all, but if an ID number, a mobile number
or a field named like a person's data reaches an event, it is masked before it is written.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

from domain.personal_data import mask_text

# Keys whose values are a person's data, whatever they look like.
PERSONAL_KEYS = frozenset({"name", "agent", "id_number", "phone", "applicant", "officer_name", "token"})


def _mask(value: Any) -> Any:
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, dict):
        return {k: "***" if k in PERSONAL_KEYS else _mask(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_mask(v) for v in value]
    return value


def mask_personal_data(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """structlog processor: mask personal data in every value of the event."""
    for key in list(event):
        event[key] = "***" if key in PERSONAL_KEYS else _mask(event[key])
    return event


def _stderr_logger(*args: Any) -> structlog.PrintLogger:
    return structlog.PrintLogger(sys.stderr)


def configure_logging(level: int = logging.INFO, *, json: bool = True) -> None:
    renderer: Any = (
        structlog.processors.JSONRenderer(ensure_ascii=False) if json else structlog.dev.ConsoleRenderer()
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            mask_personal_data,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=_stderr_logger,
        # Not cached: each event finds the current sys.stderr (test capture swaps it under our feet).
        cache_logger_on_first_use=False,
    )
