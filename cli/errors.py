"""Turning bad input into one clear message per field."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # every command imports this module; pydantic only those that validate models
    from pydantic import ValidationError


class BadInput(Exception):
    """Input the user must fix; the message names every offending field."""


def describe_validation_error(exc: ValidationError) -> str:
    """`loaded.height_m: Input should be less than or equal to 10` — one line per field."""
    lines = []
    for err in exc.errors():
        field = ".".join(str(part) for part in err["loc"]) or "(body)"
        lines.append(f"{field}: {err['msg']}")
    return "; ".join(lines)
