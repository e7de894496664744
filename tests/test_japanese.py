"""Japanese input as staff type it: 和暦, full-width digits, units (workbook-format.md, Tolerance)."""

import datetime as dt

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from teichaku_nb import japanese


@pytest.mark.parametrize("text, expected", [
    ("2025/4/1", dt.date(2025, 4, 1)),
    ("2025-04-01", dt.date(2025, 4, 1)),
    ("2025年4月1日", dt.date(2025, 4, 1)),
    ("2025.4.1", dt.date(2025, 4, 1)),
    ("令和7年4月1日", dt.date(2025, 4, 1)),
    ("令和元年5月1日", dt.date(2019, 5, 1)),
    ("平成31年4月30日", dt.date(2019, 4, 30)),
    ("R7.4.1", dt.date(2025, 4, 1)),
    ("r7.4.1", dt.date(2025, 4, 1)),
    ("R07.04.01", dt.date(2025, 4, 1)),
    ("H31/4/30", dt.date(2019, 4, 30)),
    ("S60.1.15", dt.date(1985, 1, 15)),
    ("昭和64年1月7日", dt.date(1989, 1, 7)),
    ("大正15年12月24日", dt.date(1926, 12, 24)),
    ("明治45年7月29日", dt.date(1912, 7, 29)),
    ("２０２５／４／１", dt.date(2025, 4, 1)),
    ("令和７年４月１日", dt.date(2025, 4, 1)),
    ("Ｒ７．４．１", dt.date(2025, 4, 1)),
    ("　2025/4/1　", dt.date(2025, 4, 1)),
    ("2025/04/01 00:00:00", dt.date(2025, 4, 1)),
    ("20250401", dt.date(2025, 4, 1)),
])
def test_date_text_in_every_listed_form(text, expected):
    assert japanese.parse_date(text) == expected


def test_date_cells_and_excel_serial_numbers():
    assert japanese.parse_date(dt.datetime(2025, 4, 1, 0, 0)) == dt.date(2025, 4, 1)
    assert japanese.parse_date(dt.date(2025, 4, 1)) == dt.date(2025, 4, 1)
    assert japanese.parse_date(45748.0) == dt.date(2025, 4, 1)  # Excel's serial for 2025-04-01
    assert japanese.parse_date(None) is None
    assert japanese.parse_date("　") is None


@pytest.mark.parametrize("text, fragment", [
    ("2025/2/30", "という日付はありません"),
    ("令和0年1月1日", "はありません"),
    ("来週", "日付として読めません"),
    ("X7.4.1", "日付として読めません"),
    ("2025/4", "日付として読めません"),
])
def test_unreadable_dates_say_what_was_found(text, fragment):
    with pytest.raises(ValueError, match=fragment):
        japanese.parse_date(text)


@pytest.mark.parametrize("value, expected", [
    ("2025-04", "2025-04"), ("2025/4", "2025-04"), ("2025年4月", "2025-04"), ("令和7年4月", "2025-04"),
    ("R7.4", "2025-04"), ("令和元年5月", "2019-05"), ("２０２５年４月", "2025-04"), ("2025/4/15", "2025-04"),
    (dt.date(2025, 4, 15), "2025-04"), (dt.datetime(2025, 4, 1), "2025-04"),
])
def test_year_months(value, expected):
    assert japanese.parse_month(value) == pd.Period(expected, "M")


@pytest.mark.parametrize("text", ["2025/13", "2025-00", "四月"])
def test_bad_year_months(text):
    with pytest.raises(ValueError, match="年月"):
        japanese.parse_month(text)


@pytest.mark.parametrize("value, expected", [
    ("20日", 20), ("3回", 3), ("２０", 20), (20.0, 20), ("1,000", 1000), (" 5 ", 5),
])
def test_whole_numbers_with_units(value, expected):
    assert japanese.parse_int(value) == expected


def test_numbers_with_units_and_fractions():
    assert japanese.parse_number("20.5時間") == 20.5
    with pytest.raises(ValueError, match="整数ではありません"):
        japanese.parse_int("2.5日")
    with pytest.raises(ValueError, match="数値として読めません"):
        japanese.parse_int("abc")


def test_text_is_nfkc_and_stripped_and_numbers_come_back_whole():
    assert japanese.parse_text("　ｱｵﾊﾞ商事　") == "アオバ商事"
    assert japanese.parse_text("ＡＢＣ１２３") == "ABC123"
    assert japanese.parse_text(1.0) == "1"
    assert japanese.parse_text("001") == "001"


cells = st.one_of(st.none(), st.text(), st.integers(-10**9, 10**9),
                  st.floats(allow_nan=True, allow_infinity=True), st.booleans(),
                  st.dates(), st.datetimes(), st.sampled_from(["令和", "R", "H31/", "2025/", "年", "元年"]))


@given(cells)
def test_parsers_never_raise_anything_but_a_japanese_value_error(value):
    for parse in (japanese.parse_date, japanese.parse_month, japanese.parse_int,
                  japanese.parse_number, japanese.parse_text):
        try:
            parse(value)
        except ValueError as error:
            assert any("\u3040" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff" for ch in str(error))


@pytest.mark.parametrize("day, written", [
    (dt.date(2019, 4, 30), "平成31年4月30日"), (dt.date(2019, 5, 1), "令和元年5月1日"),
    (dt.date(1989, 1, 7), "昭和64年1月7日"), (dt.date(1989, 1, 8), "平成元年1月8日"),
    (dt.date(1926, 12, 25), "昭和元年12月25日"), (dt.date(1912, 7, 30), "大正元年7月30日"),
    (dt.date(2026, 10, 15), "令和8年10月15日"), (pd.Timestamp("2020-02-29"), "令和2年2月29日"),
])
def test_dates_written_in_wareki_at_the_eras_boundaries(day, written):
    with japanese.dates_in("和暦"):
        assert japanese.format_date(day) == written
    assert japanese.parse_date(written) == pd.Timestamp(day).date()       # read back as typed
    assert japanese.format_date(day) == f"{day.year}年{day.month}月{day.day}日"      # 西暦 outside the block


def test_wareki_months_times_and_the_month_end():
    with japanese.dates_in("和暦"):
        assert japanese.format_month(pd.Period("2019-04", "M")) == "平成31年4月"
        assert japanese.format_month(pd.Period("2019-05", "M")) == "令和元年5月"
        assert japanese.format_as_of(dt.date(2026, 10, 31)) == "令和8年10月末時点"
        assert (japanese.format_fiscal_year(2018), japanese.format_fiscal_year(2019)) == ("平成30年度", "平成31年度")
        assert japanese.format_fiscal_year(2026) == "令和8年度"
        assert japanese.format_time(dt.datetime(2026, 10, 31, 1, 5, tzinfo=dt.timezone.utc)) == "令和8年10月31日 10:05"
        with japanese.dates_in("西暦"):
            assert japanese.format_date(dt.date(2026, 10, 15)) == "2026年10月15日"
        assert japanese.format_date(dt.date(2026, 10, 15)) == "令和8年10月15日"
    assert japanese.format_as_of(dt.date(2026, 12, 6)) == "2026年12月6日時点"
    assert japanese.format_fiscal_year(2026) == "2026年度"
