"""HTML from templates: the documents and the app's fragments.

User and workbook text (names, notes, review texts) is data, never markup.  Every piece of
HTML the package makes comes from a Jinja2 template in ``templates/html`` rendered by
``render`` with autoescape on, so a ``<script>`` typed into a cell arrives as text.  The
filters give values as staff read them:

- ``show``: dates as 2026年10月3日, months as 2026年10月, lists joined with 、, missing or
  blank as — (or the text given); in a document of an office whose 日付の表記 is 和暦
  (``in_office_dates``) as 令和8年10月3日 and 令和8年10月;
- ``lines``: ``show`` with line breaks kept (escaped, then ``<br>``);
- ``percent`` (25%, 12.5%), ``number`` (3, 1.3), ``flag_label`` (a flag's Japanese name).
"""

from __future__ import annotations

import datetime as dt
import functools
import html
from pathlib import Path

import pandas as pd
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup, escape

from .japanese import dates_in, format_date, format_month, format_number, format_percent

NO_VALUE = "—"
TEMPLATE_DIR = Path(__file__).resolve().parent / "templates" / "html"
AUTOESCAPE = True          # never off: tests prove that user text then arrives as markup


def is_missing(value) -> bool:
    """None, NaN, NaT and pd.NA (not an empty list or text)."""
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def is_blank(value) -> bool:
    """Missing, or text of spaces only."""
    return is_missing(value) or (isinstance(value, str) and not value.strip())


def shown(value, empty: str = NO_VALUE) -> str:
    """Any value as text staff read (not escaped): lists joined with 、, dates and months in
    Japanese, missing or blank as ``empty``."""
    if isinstance(value, (list, tuple)):
        value = "、".join(str(v) for v in value)
    if is_blank(value):
        return empty
    if isinstance(value, (pd.Timestamp, dt.date)):
        return format_date(value)
    if isinstance(value, pd.Period):
        return format_month(value)
    return str(value)


def esc(value, empty: str = NO_VALUE) -> str:
    """``shown`` as escaped HTML text (for the few attribute values built outside templates)."""
    return html.escape(shown(value, empty), quote=True)


def esc_lines(value, empty: str = NO_VALUE) -> Markup:
    """``shown``, escaped, with line breaks kept as <br>."""
    text = str(escape(shown(value, empty))).replace("\r\n", "\n").replace("\n", "<br>")
    return Markup(text)


def flag_label(code: str) -> str:
    """A flag's Japanese name (the code itself only if no flag has it)."""
    from .rules import FLAGS
    kind = FLAGS.get(code)
    return kind.label if kind else code


def in_office_dates(make):
    """A document maker ``make(book, ...)`` whose every date and month (in its templates and in
    the sentences it builds) is written as the book's 設定 日付の表記 says: 西暦 or 和暦."""
    @functools.wraps(make)
    def made(book, *args, **kwargs):
        with dates_in(book.settings.date_style):
            return make(book, *args, **kwargs)
    return made


@functools.cache
def environment() -> Environment:
    """The templates: the package's own, then those of the documents other packages declare."""
    from .documents import KINDS

    folders = [str(TEMPLATE_DIR), *(str(k.templates) for k in KINDS.values() if k.templates is not None)]
    env = Environment(loader=FileSystemLoader(folders), autoescape=AUTOESCAPE,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(show=shown, lines=esc_lines, percent=format_percent, number=format_number, flag_label=flag_label)
    env.tests.update(blank=is_blank)
    return env


def render(template: str, /, **context) -> str:
    """The template ``templates/html/<template>`` with ``context``."""
    return environment().get_template(template).render(**context)


def compile_templates(folder: str) -> None:
    """Compile the templates under ``templates/html/<folder>`` now, so their first use does not
    wait for it (the app does this while staff look at the agenda)."""
    env = environment()
    for name in env.list_templates(filter_func=lambda n: n.startswith(folder.rstrip("/") + "/")):
        env.get_template(name)
