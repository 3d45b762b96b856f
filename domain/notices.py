"""The State Council holiday notices (国务院办公厅关于部分节假日安排的通知) the official calendar holds,
and the provisional year for a year whose notice is not published yet.

One `YearNotice` per year, transcribed from the notice named in its `source`. A year not listed here
is added at run time as data (`onething calendar add NOTICE.json`, stored in the database; the JSON
shape of `domain.calendar.notice_from_dict`); transcribe it here once it is official.

`provisional_notice(year)`: until a year's notice is published, the year is counted on the statutory
holidays of 《全国年节及纪念日放假办法》 (2024 revision, in force 2025-01-01): Art. 2 names the days,
Art. 6 gives a day off on a working day (补假) for a holiday falling on a Saturday or Sunday. No 调休
swap is guessed. Lunar dates and 清明 come from `lunar_python` (6tail's lunar), not a table of ours.
"""

from __future__ import annotations

import functools
from datetime import date, timedelta

from lunar_python import Lunar

from domain.calendar import MissingCalendarYear, WorkingCalendar, YearNotice


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
    """The calendar of every notice transcribed above; built once, since it never changes at run time.

    Strict: a year without a notice raises `MissingCalendarYear`. `provisional_calendar()` counts
    such a year provisionally instead.
    """
    return WorkingCalendar(OFFICIAL_NOTICES)


@functools.cache
def provisional_calendar() -> WorkingCalendar:
    """The official notices; a later year without one counted provisionally (`provisional_notice`)."""
    return official_calendar().with_provisional(provisional_notice)


# --- the provisional year: 《全国年节及纪念日放假办法》(2024年修订) --------------------------------------

STATUTORY_RULES_SOURCE = "《全国年节及纪念日放假办法》(2024年11月10日第四次修订, 2025年1月1日起施行)"
# The revision that gives 4 days for 春节 and 2 for 劳动节 is in force from 2025-01-01: earlier years are
# never counted provisionally (they have notices, and other rules applied).
FIRST_PROVISIONAL_YEAR = 2025
# The lunar library's range, with margin: beyond it no provisional year is computed.
LAST_PROVISIONAL_YEAR = 2099

_SATURDAY, _SUNDAY = 5, 6


def _lunar(year: int, month: int, day: int) -> date:
    solar = Lunar.fromYmd(year, month, day).getSolar()
    return date(solar.getYear(), solar.getMonth(), solar.getDay())


def _qingming(year: int) -> date:
    # The solar term table of the lunar year that starts in `year` holds that year's 清明 (early April).
    solar = Lunar.fromYmd(year, 1, 1).getJieQiTable()["清明"]
    return date(solar.getYear(), solar.getMonth(), solar.getDay())


def statutory_holidays(year: int) -> dict[str, tuple[date, ...]]:
    """Art. 2's days off for all citizens in `year`, by festival, in date order.

    元旦 1 day (Jan 1); 春节 4 days (农历除夕, 正月初一至初三); 清明 1 (农历清明当日); 劳动节 2 (May 1–2);
    端午 1 (农历端午当日); 中秋 1 (农历中秋当日); 国庆 3 (Oct 1–3). 除夕 is the day before 正月初一 (the
    last day of the twelfth month, the 29th or the 30th).
    """
    if not FIRST_PROVISIONAL_YEAR <= year <= LAST_PROVISIONAL_YEAR:
        raise MissingCalendarYear(year)
    new_year = _lunar(year, 1, 1)
    days = {
        "元旦": (date(year, 1, 1),),
        "春节": tuple(new_year + timedelta(days=i) for i in range(-1, 3)),
        "清明节": (_qingming(year),),
        "劳动节": (date(year, 5, 1), date(year, 5, 2)),
        "端午节": (_lunar(year, 5, 5),),
        "中秋节": (_lunar(year, 8, 15),),
        "国庆节": (date(year, 10, 1), date(year, 10, 2), date(year, 10, 3)),
    }
    return dict(sorted(days.items(), key=lambda item: item[1][0]))


@functools.cache  # pure in `year`; each calendar the workers load (a count each) asked again
def provisional_notice(year: int) -> YearNotice:
    """`year` counted on the statutory holidays alone: Art. 2's days, plus Art. 6's 补假.

    Art. 6: "全体公民放假的假日，如果适逢星期六、星期日，应当在工作日补假。" Each day of a festival that
    falls on a Saturday or Sunday gives one day off on the first working day after the festival not
    already off (the way the notices have placed it, e.g. 2027's 国庆 Oct 1–3, Fri–Sun, off to Tue Oct 5).
    Which working day the article does not say, and no 调休 swap is guessed: the year is provisional,
    and is recounted when its notice arrives. `MissingCalendarYear` outside the years these rules
    cover. A day that is two festivals at once (中秋 on a day of 国庆) is one day off, compensated once
    at most: the article is silent on coincident festivals, and the notice will say.
    """
    festivals = statutory_holidays(year)
    off: set[date] = {d for days in festivals.values() for d in days}
    counted: set[date] = set()
    for days in festivals.values():
        owed = sum(1 for d in days if d.weekday() in (_SATURDAY, _SUNDAY) and d not in counted)
        counted.update(days)
        d = days[-1]
        while owed:
            d += timedelta(days=1)
            if d.weekday() not in (_SATURDAY, _SUNDAY) and d not in off:
                off.add(d)
                owed -= 1
    # A 补假 after 国庆 or 春节 never leaves the year for the years covered; a late December holiday would.
    in_year = frozenset(d for d in off if d.year == year)
    return YearNotice(
        year=year,
        source=f"PROVISIONAL {year}: no State Council notice yet; statutory holidays of "
        f"{STATUTORY_RULES_SOURCE} Art. 2 with Art. 6 补假, no 调休",
        holidays=in_year,
        make_up_workdays=frozenset(),
        provisional=True,
    )
