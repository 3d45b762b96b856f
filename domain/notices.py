"""The State Council holiday notices (国务院办公厅关于部分节假日安排的通知) the official calendar holds.

One `YearNotice` per year, transcribed from the notice named in its `source`. A year not listed here
can still be counted in by loading its notice as JSON (`domain.calendar.notice_from_dict`, the CLI's
`--calendar-file`); transcribe it here once it is official.
"""

from __future__ import annotations

import functools
from datetime import date, timedelta

from domain.calendar import WorkingCalendar, YearNotice


def _span(first: date, last: date) -> frozenset[date]:
    """Every day from `first` to `last`, both included: a holiday as the notice writes it (2月10日至17日)."""
    return frozenset(first + timedelta(days=i) for i in range((last - first).days + 1))


NOTICE_2024 = YearNotice(
    year=2024,
    source="国办发明电〔2023〕7号 国务院办公厅关于2024年部分节假日安排的通知",
    holidays=(
        _span(date(2024, 1, 1), date(2024, 1, 1))  # 元旦
        | _span(date(2024, 2, 10), date(2024, 2, 17))  # 春节
        | _span(date(2024, 4, 4), date(2024, 4, 6))  # 清明节
        | _span(date(2024, 5, 1), date(2024, 5, 5))  # 劳动节
        | _span(date(2024, 6, 10), date(2024, 6, 10))  # 端午节
        | _span(date(2024, 9, 15), date(2024, 9, 17))  # 中秋节
        | _span(date(2024, 10, 1), date(2024, 10, 7))  # 国庆节
    ),
    make_up_workdays=frozenset(
        {
            date(2024, 2, 4),  # 春节
            date(2024, 2, 18),
            date(2024, 4, 7),  # 清明节
            date(2024, 4, 28),  # 劳动节
            date(2024, 5, 11),
            date(2024, 9, 14),  # 中秋节
            date(2024, 9, 29),  # 国庆节
            date(2024, 10, 12),
        }
    ),
)

NOTICE_2025 = YearNotice(
    year=2025,
    source="国办发明电〔2024〕12号 国务院办公厅关于2025年部分节假日安排的通知",
    holidays=(
        _span(date(2025, 1, 1), date(2025, 1, 1))  # 元旦
        | _span(date(2025, 1, 28), date(2025, 2, 4))  # 春节
        | _span(date(2025, 4, 4), date(2025, 4, 6))  # 清明节
        | _span(date(2025, 5, 1), date(2025, 5, 5))  # 劳动节
        | _span(date(2025, 5, 31), date(2025, 6, 2))  # 端午节
        | _span(date(2025, 10, 1), date(2025, 10, 8))  # 国庆节、中秋节
    ),
    make_up_workdays=frozenset(
        {
            date(2025, 1, 26),  # 春节
            date(2025, 2, 8),
            date(2025, 4, 27),  # 劳动节
            date(2025, 9, 28),  # 国庆节、中秋节
            date(2025, 10, 11),
        }
    ),
)

NOTICE_2026 = YearNotice(
    year=2026,
    source="国办发明电〔2025〕7号 国务院办公厅关于2026年部分节假日安排的通知",
    holidays=(
        _span(date(2026, 1, 1), date(2026, 1, 3))  # 元旦
        | _span(date(2026, 2, 15), date(2026, 2, 23))  # 春节
        | _span(date(2026, 4, 4), date(2026, 4, 6))  # 清明节
        | _span(date(2026, 5, 1), date(2026, 5, 5))  # 劳动节
        | _span(date(2026, 6, 19), date(2026, 6, 21))  # 端午节
        | _span(date(2026, 9, 25), date(2026, 9, 27))  # 中秋节
        | _span(date(2026, 10, 1), date(2026, 10, 7))  # 国庆节
    ),
    make_up_workdays=frozenset(
        {
            date(2026, 1, 4),  # 元旦
            date(2026, 2, 14),  # 春节
            date(2026, 2, 28),
            date(2026, 5, 9),  # 劳动节
            date(2026, 9, 20),  # 国庆节
            date(2026, 10, 10),
        }
    ),
)

OFFICIAL_NOTICES: tuple[YearNotice, ...] = (NOTICE_2024, NOTICE_2025, NOTICE_2026)


@functools.cache
def official_calendar() -> WorkingCalendar:
    """The calendar of every notice transcribed above; built once, since it never changes at run time."""
    return WorkingCalendar(OFFICIAL_NOTICES)
