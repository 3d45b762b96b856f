"""Structured logging: one JSON event per line, with case id and step, and no personal data.

Every process (worker, portal, CLI) calls `configure_logging()` once. The masking processor is the
last line of defence: code should not log personal data at all, but if an ID number, a mobile number
or a field named like a person's data reaches an event, it is masked before it is written.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

# Resident ID numbers (18 characters, GB 11643) and mainland mobile numbers, wherever they appear.
_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
_MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
# Keys whose values are a person's data, whatever they look like.
PERSONAL_KEYS = frozenset({"name", "agent", "id_number", "phone", "applicant", "officer_name", "token"})


def mask_text(text: str) -> str:
    text = _ID_NUMBER.sub(lambda m: m.group(0)[:4] + "*" * 10 + m.group(0)[-4:], text)
    return _MOBILE.sub(lambda m: m.group(0)[:3] + "****" + m.group(0)[-4:], text)


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
