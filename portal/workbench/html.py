"""Escaping by default: every value put into a page is escaped unless it is already `Markup`.

    page("<p>{name}</p>", name=submission_name)      # "<script>" shows as text
    page("<ul>{items}</ul>", items=join(page("<li>{x}</li>", x=x) for x in xs))

There is no way to put a plain `str` into a page unescaped: only `page` and `join` make `Markup`.
"""

from __future__ import annotations

import html
from collections.abc import Iterable


class Markup(str):
    """Text that is already HTML (made by `page` or `join`)."""

    __slots__ = ()


def escape(value: object) -> Markup:
    if isinstance(value, Markup):
        return value
    return Markup(html.escape("" if value is None else str(value), quote=True))


def page(template: str, **values: object) -> Markup:
    """`template` (a literal written here, never data) with every value escaped."""
    return Markup(template.format(**{name: escape(value) for name, value in values.items()}))


def join(parts: Iterable[Markup]) -> Markup:
    return Markup("".join(escape(p) for p in parts))
