"""The provisional year: statutory holidays (《全国年节及纪念日放假办法》 Art. 2) with Art. 6's 补假, no 调休.

2027 is counted by hand below; its lunar dates and 清明 are cross-checked against two libraries other
than the one the code uses (`lunardate` for the lunar festivals, `cnlunar` for the solar term).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import cnlunar
import lunardate
import pytest

from domain.calendar import MissingCalendarYear, WorkingCalendar, calendar_outlook
from domain.notices import (
    NOTICE_2026,
    official_calendar,
    provisional_calendar,
    provisional_notice,
    statutory_holidays,
)

D = date.fromisoformat

# 2027 by hand: 元旦 Fri Jan 1; 春节 除夕 Fri Feb 5 .. 初三 Mon Feb 8, Sat/Sun Feb 6–7 → 补假 Tue Feb 9, Wed
# Feb 10; 清明 Mon Apr 5; 劳动节 Sat May 1, Sun May 2 → 补假 Mon May 3, Tue May 4; 端午 Wed Jun 9; 中秋 Wed
# Sep 15; 国庆 Fri Oct 1 .. Sun Oct 3 → 补假 Mon Oct 4, Tue Oct 5.
DAYS_OFF_2027 = [
    "2027-01-01",
    "2027-02-05", "2027-02-06", "2027-02-07", "2027-02-08", "2027-02-09", "2027-02-10",
    "2027-04-05",
    "2027-05-01", "2027-05-02", "2027-05-03", "2027-05-04",
    "2027-06-09",
    "2027-09-15",
    "2027-10-01", "2027-10-02", "2027-10-03", "2027-10-04", "2027-10-05",
]  # fmt: skip


def test_2027_provisional_days_off_by_hand():
    notice = provisional_notice(2027)
    assert notice.provisional
    assert sorted(d.isoformat() for d in notice.holidays) == DAYS_OFF_2027
    assert notice.make_up_workdays == frozenset()  # no 调休 is guessed
    assert "全国年节及纪念日放假办法" in notice.source and "PROVISIONAL" in notice.source


@pytest.mark.parametrize("year", [2027, 2028, 2030])
def test_lunar_festivals_agree_with_lunardate_and_qingming_with_cnlunar(year: int):
    days = statutory_holidays(year)
    other = {
        "春节": lunardate.LunarDate(year, 1, 1).to_solar_date() - timedelta(days=1),  # 除夕
        "端午节": lunardate.LunarDate(year, 5, 5).to_solar_date(),
        "中秋节": lunardate.LunarDate(year, 8, 15).to_solar_date(),
    }
    assert days["春节"][0] == other["春节"]
    assert days["端午节"] == (other["端午节"],)
    assert days["中秋节"] == (other["中秋节"],)
    (qingming,) = days["清明节"]
    assert cnlunar.Lunar(datetime(year, qingming.month, qingming.day, 12)).todaySolarTerms == "清明"
    assert cnlunar.Lunar(datetime(year, qingming.month, qingming.day - 1, 12)).todaySolarTerms != "清明"


def test_the_statutory_days_are_thirteen_and_each_gives_one_weekday_off():
    # Art. 2: 1 + 4 + 1 + 2 + 1 + 1 + 3 = 13 days; with Art. 6 every distinct one costs one working day.
    for year in range(2027, 2040):
        festivals = statutory_holidays(year)
        assert sum(len(days) for days in festivals.values()) == 13
        notice = provisional_notice(year)
        weekdays_off = [d for d in notice.holidays if d.weekday() < 5]
        distinct = {d for days in festivals.values() for d in days}  # 中秋 may fall within 国庆
        assert len(weekdays_off) == len(distinct), year


def test_the_2026_notice_keeps_the_statutory_days():
    # The rules checked against a year whose notice we hold: every Art. 2 day of 2026 is off in it.
    for days in statutory_holidays(2026).values():
        assert set(days) <= NOTICE_2026.holidays


def test_years_before_the_2024_revision_or_beyond_the_library_are_missing():
    cal = provisional_calendar()
    for year in (2023, 2100):
        assert cal.year_status(year) == "missing"
        with pytest.raises(MissingCalendarYear):
            provisional_notice(year)


def test_a_count_through_2027_is_provisional_and_names_the_year():
    cal = provisional_calendar()
    # From Sun 2026-12-20: Dec 21–25 (5), 28–31 (9), Jan 1 off, Jan 4–8 (14), Mon Jan 11 (15).
    due = cal.add_working_days(D("2026-12-20"), 15)
    assert due == D("2027-01-11")
    assert cal.provisional_years(D("2026-12-20"), due) == (2027,)
    assert cal.provisional_years(D("2026-12-01"), D("2026-12-31")) == ()
    assert (cal.year_status(2026), cal.year_status(2027)) == ("official", "provisional")


def test_the_strict_calendar_still_refuses_2027():
    with pytest.raises(MissingCalendarYear) as info:
        official_calendar().add_working_days(D("2026-12-20"), 15)
    assert info.value.year == 2027


def test_a_notice_replaces_the_provisional_year():
    official_2027 = provisional_notice(2027).__class__(
        year=2027,
        source="test notice for 2027 (not the State Council's)",
        holidays=frozenset({D("2027-01-01"), D("2027-01-04")}),
        make_up_workdays=frozenset({D("2027-01-09")}),
    )
    cal = provisional_calendar().replaced([official_2027])
    assert cal.year_status(2027) == "official"
    assert cal.provisional_years(D("2026-12-20"), D("2027-02-01")) == ()
    assert cal.is_working_day(D("2027-01-09")) and not cal.is_working_day(D("2027-01-04"))
    assert isinstance(cal, WorkingCalendar)


def test_from_1_november_a_next_year_without_a_notice_is_said():
    cal = provisional_calendar()
    assert calendar_outlook(cal, D("2026-10-31")) == []
    (outlook,) = calendar_outlook(cal, D("2026-11-01"))
    assert (outlook.year, outlook.status) == (2027, "provisional")
    assert "2027" in outlook.message(3) and "3 open case(s)" in outlook.message(3)
    assert "onething calendar add" in outlook.message()
    # In 2027 itself, without a notice, it is said all year; the strict calendar calls it missing.
    assert [o.year for o in calendar_outlook(cal, D("2027-03-01"))] == [2027]
    assert calendar_outlook(official_calendar(), D("2026-12-01"))[0].status == "missing"
