"""The one escape every HTML builder uses (app views, report views)."""

import datetime as dt

import pandas as pd

from teichaku_nb.markup import esc, esc_lines


def test_user_text_is_never_markup():
    assert esc('<img src=x onerror="alert(1)">') == "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;"
    assert esc("<script>a</script>\n次") == "&lt;script&gt;a&lt;/script&gt;\n次"
    assert esc_lines("1行目\r\n<b>2行目</b>") == "1行目<br>&lt;b&gt;2行目&lt;/b&gt;"


def test_values_are_shown_as_staff_read_them():
    assert [esc(v) for v in (None, pd.NA, pd.NaT, float("nan"), "", "  ")] == ["—"] * 6
    assert esc(None, "なし") == "なし"
    assert esc(pd.Timestamp("2026-10-03")) == esc(dt.date(2026, 10, 3)) == "2026年10月3日"
    assert esc(pd.Period("2026-10", "M")) == "2026年10月"
    assert esc(("山田 花子", "<佐藤>")) == "山田 花子、&lt;佐藤&gt;"
    assert esc(3) == "3"
