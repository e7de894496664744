"""The report documents as HTML: 会議録, 支援レポート (本人用 / 企業用) and 月次サマリー.

The report notebooks (``notebooks/reports/*.ipynb``) call the ``show_*`` functions below
and nothing else; ``reports.py`` executes them and exports the documents with the
project's nbconvert template.  Everything here builds HTML from the CaseBook (``rules``,
``casefile``), the review store and ``charts``; every piece of user or workbook text goes
through ``esc`` (``html.escape``), so a ``<script>`` typed into a cell arrives as text.

Privacy rules of the 支援レポート (shared/domain.md):

- the internal 内容 notes of contacts never appear;
- the 企業用 copy carries 生活・心身 details (the review's 生活 / 心身, 本人の意向, 次回確認事項,
  生活・心身 goals of the plan, the self-rated condition and its chart, contacts with
  家族・医療機関・関係機関) only when 企業共有同意 is はい;
- only the validation problems of the person's own rows are listed (others may name
  other people), with a count of the rest.

The functions cache the loaded workbook (by path and modification time) and the opened
store (by URL) for the life of the process: a batch of reports runs in one kernel, and
each person's document costs only its own queries and chart.
"""

from __future__ import annotations

import datetime as dt
import html
from pathlib import Path

import pandas as pd

from . import casefile, rules
from .casebook import SEVERITY_LABELS, CaseBook
from .japanese import format_date, format_month
from .markup import esc, esc_lines, is_missing
from .schema import PARTY_WITH_EMPLOYER, PARTY_WITH_USER, SCORE_COLUMNS, SCORE_LABELS, TABLES
from .store import month_review

SELF = "本人"
EMPLOYER = "企業"
AUDIENCES = (SELF, EMPLOYER)
AUDIENCE_LABELS = {SELF: "本人用", EMPLOYER: "企業用"}
CONSENT_YES = "はい"
WORK_DOMAIN = "職場"

KIND_TITLES = {"minutes": "ケース会議 会議録", "support": "支援レポート", "summary": "月次サマリー"}


class ReportDataError(ValueError):
    """The report cannot be made from this input; the message is Japanese, for staff."""


# --- small HTML helpers ---------------------------------------------------------------------

def text_block(value, empty: str = "（記録なし）") -> str:
    """Free text as an escaped paragraph, line breaks kept."""
    if is_missing(value) or not str(value).strip():
        return f'<p class="empty">{html.escape(empty)}</p>'
    return "<p>" + esc_lines(value) + "</p>"


def table(headers, rows, *, cls: str = "") -> str:
    """A table; ``rows`` hold cells that are already HTML (escape with ``esc``)."""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def fields(pairs, cls: str = "fields") -> str:
    """A definition list of (label, escaped value) pairs."""
    items = "".join(f"<dt>{html.escape(k)}</dt><dd>{v}</dd>" for k, v in pairs)
    return f'<dl class="{cls}">{items}</dl>'


def note(text: str, cls: str = "note") -> str:
    return f'<p class="{cls}">{html.escape(text)}</p>'


def section(title: str, body: str, cls: str = "") -> str:
    return f'<section class="{cls}"><h2>{html.escape(title)}</h2>{body}</section>'


def _percent(value) -> str:
    return "—" if is_missing(value) else f"{float(value):.1%}"


def _number(value) -> str:
    if is_missing(value):
        return "—"
    value = float(value)
    return f"{value:.0f}" if value == int(value) else f"{value:.1f}"


def _month(month) -> pd.Period:
    return month if isinstance(month, pd.Period) else pd.Period(str(month), freq="M")


# --- loading, cached for a batch ------------------------------------------------------------

_BOOKS: dict[tuple, CaseBook] = {}
_STORES: dict[tuple[str, str], object] = {}


_SOURCE_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods", ".csv")


def _stamp(path: Path) -> tuple:
    """What changes when the source changes (in a folder: its workbooks and CSV files only,
    not the store's SQLite files beside them)."""
    if path.is_dir():
        return tuple(sorted((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in path.iterdir()
                            if p.suffix.lower() in _SOURCE_SUFFIXES))
    stat = path.stat()
    return (stat.st_mtime_ns, stat.st_size)


def load_book(book, office: str | None = None) -> CaseBook:
    """The office's CaseBook from a workbook, CSV folder or folder of offices (cached)."""
    from .workbook import load_source

    path = Path(book).expanduser().absolute()
    if not path.exists():
        raise ReportDataError(f"ケース記録 {path} が見つかりません")
    key = (str(path), office, _stamp(path))
    if key not in _BOOKS:
        books, _ = load_source(path)
        if office is not None:
            chosen = [b for b in books if b.office == office]
            if not chosen:
                raise ReportDataError(f"事業所「{office}」のケース記録が {path} にありません")
        elif len(books) > 1:
            raise ReportDataError(f"{path} には事業所が {len(books)} か所あります。事業所（office）を指定してください")
        else:
            chosen = books
        found = chosen[0]
        unreadable = [p for p in found.problems if p.code == "unreadable"]
        if unreadable:
            raise ReportDataError(unreadable[0].message)
        _BOOKS.clear()            # one workbook at a time is enough for a batch
        _BOOKS[key] = found
    return _BOOKS[key]


def open_store(book, db: str | None):
    """(store or None, a Japanese note when there is none or it cannot be opened).

    ``db``, else the SQLite file beside the workbook when it exists (``store.open_existing``:
    a report never creates a store it only reads).  Kept open for the rest of the batch.
    """
    from .store import StoreError, default_path, open_existing

    key = (str(db), str(Path(book).expanduser().absolute()))
    if key not in _STORES:
        try:
            found = open_existing(db, book_path=Path(book).expanduser())
        except StoreError as error:
            return None, f"会議記録のデータベースを開けません: {error}。ケース会議の記録は載せていません。"
        if found is None:
            return None, (f"会議記録のデータベースがありません（{default_path(Path(book).expanduser())} がなく、"
                          "--db も指定されていません）。ケース会議の記録（ケース検討・役割分担）は載せていません。")
        _STORES[key] = found
    return _STORES[key], None


# --- validation problems --------------------------------------------------------------------

_SHEET_TITLES = {sheet.name: sheet.title for sheet in TABLES}


def _user_rows(book: CaseBook, user_id: str) -> set[tuple[str, int]]:
    rows = set()
    for name, title in _SHEET_TITLES.items():
        frame = getattr(book, name)
        if "row" in frame and "user_id" in frame:
            rows |= {(title, int(r)) for r in frame.loc[frame["user_id"] == user_id, "row"].dropna()}
    return rows


def problems_html(book: CaseBook, user_id: str | None = None) -> str:
    """The workbook's validation problems (sheet, row, column, message), or '' when none.

    With ``user_id`` (a 支援レポート handed out of the office) only the problems of that
    person's rows and of whole sheets are listed; the others are counted.
    """
    problems = list(book.problems)
    if not problems:
        return ""
    hidden = 0
    if user_id is not None:
        mine = _user_rows(book, user_id)
        shown = [p for p in problems if p.row is None or (p.sheet, p.row) in mine]
        hidden = len(problems) - len(shown)
        problems = shown
    errors = book.error_count
    head = (f"ケース記録に問題があります（エラー {errors}件、警告 {book.warning_count}件）。"
            + ("エラーのある行を除いて作成しています。" if errors else "")
            + "配布の前に teichaku validate で確認し、ブックを直してください。")
    rows = [(esc(SEVERITY_LABELS.get(p.severity, p.severity)), esc(p.sheet, "ファイル全体"),
             esc(p.row, ""), esc(p.column, ""), esc(p.message)) for p in problems]
    body = note(head, "warning")
    if rows:
        body += table(("区分", "シート", "行", "列", "内容"), rows, cls="problems")
    if hidden:
        body += note(f"ほかに {hidden}件（この方以外の行）の問題があります。内容は事業所内で確認してください。")
    return section("データの確認事項", body, "problems")


# --- 支援レポート -----------------------------------------------------------------------------

_PEOPLE: dict[tuple, tuple] = {}


def _person(book: CaseBook, user_id: str, month: pd.Period) -> tuple:
    """(profile, contacts, trend, plan) of one person's month, kept for the other copy."""
    key = (id(book), user_id, str(month))
    cached = _PEOPLE.get(key)
    if cached is None or cached[0] is not book:      # the entry holds the book: its id is not reused
        if len(_PEOPLE) > 8:
            _PEOPLE.clear()
        cached = _PEOPLE[key] = (book, (
            casefile.profile(book, user_id, month), casefile.month_contacts(book, user_id, month),
            casefile.trend(book, user_id, month), casefile.current_plan(book, user_id, month)))
    return cached[1]


def _chart_uri(trend: pd.DataFrame) -> str:
    """The attendance and condition chart of one person, as an inline SVG (a data: URI)."""
    from . import charts

    return charts.svg_data_uri(charts.trend_svg(trend, scores=True))


def support_report_html(book: CaseBook, month, user_id: str, audience: str, *, store=None,
                        store_note: str | None = None, with_problems: bool = True) -> str:
    """One person's 支援レポート for ``month``, 本人用 or 企業用."""
    month = _month(month)
    if audience not in AUDIENCES:
        raise ReportDataError(f"支援レポートの宛先は 本人 か 企業 にしてください（{audience!r} は使えません）")
    user_id = str(user_id)
    profile, contacts, trend, plan = _person(book, user_id, month)
    if profile is None:
        raise ReportDataError(f"利用者ID {user_id} は {book.office} のケース記録にありません")
    consent = profile.get("employer_consent") == CONSENT_YES
    full = audience == SELF or consent          # 生活・心身 details and the condition scores
    parts = [problems_html(book, user_id) if with_problems else ""]

    title = f"{format_month(month)} 支援レポート（{AUDIENCE_LABELS[audience]}）"
    n, total = profile["support_month"], profile["support_months"]
    if profile["support_start"] is None:
        period_text = "—"
    elif n is None:
        period_text = f"支援開始前（支援開始 {format_date(profile['support_start'])}）"
    else:
        period_text = f"支援期間の {n}か月目" + (f"（全{total}か月）" if total else "")
    addressee = f"{profile['name']} 様" if audience == SELF else f"{profile['employer'] or ''} 御中"
    parts.append(f'<h1 class="doc-title">{esc(title)}</h1>')
    parts.append(f'<p class="addressee">{esc(addressee)}</p>')
    parts.append(fields([
        ("氏名", esc(profile["name"])),
        ("企業名", esc(profile["employer"])),
        ("職種", esc(profile["job"])),
        ("就職日", esc(profile["hired_on"])),
        ("支援期間", f"{esc(profile['support_start'])}〜{esc(profile['support_end'])}"),
        *([("離職日", esc(profile["left_on"]))] if profile["left_on"] is not None else []),
        ("今月", esc(period_text)),
        ("担当支援員", esc(profile["staff"])),
        ("事業所", esc(book.office)),
    ]))
    if audience == EMPLOYER:
        parts.append(note("本人の同意により、生活・心身の状況も記載しています。" if consent else
                          "企業用: 本人の同意（企業共有同意）がないため、生活・心身の詳しい内容と体調などの自己評価は載せていません。",
                          "consent"))

    # contacts: date, method, with whom, staff; never the internal 内容 notes
    if not full:
        contacts = contacts[contacts["party"].isin(set(PARTY_WITH_USER) | set(PARTY_WITH_EMPLOYER))]
    if contacts.empty:
        body = note("この月の支援（面談・連絡）の記録はありません。")
    else:
        body = table(("実施日", "方法", "相手", "担当"), [
            (esc(r["date"]), esc(r["method"]), esc(r["party"]), esc(r["staff"]))
            for r in contacts.to_dict("records")], cls="contacts")
        body += note(f"計 {len(contacts)}回")
    parts.append(section("今月の支援（面談・連絡）", body))

    # attendance, and the condition scores where allowed
    a = book.attendance
    row = a[(a["user_id"] == user_id) & (a["month"] == month)]
    if row.empty:
        body = note("この月の勤怠の記録はありません。")
    else:
        r = row.iloc[0]
        body = fields([("所定日数", f"{esc(r['scheduled_days'])}日"), ("出勤日数", f"{esc(r['worked_days'])}日"),
                       ("欠勤", f"{esc(r['absent'], '0')}日"), ("遅刻", f"{esc(r['late'], '0')}回"),
                       ("早退", f"{esc(r['left_early'], '0')}回"),
                       ("出勤率", esc(_percent(trend["attendance_rate"].iloc[-1])))], cls="fields inline")
    headers = ["月", "出勤率", "欠勤率", "遅刻・早退"] + ([SCORE_LABELS[c] for c in SCORE_COLUMNS] if full else [])
    rows = []
    for period, t in trend.iterrows():
        cells = [esc(format_month(period)), esc(_percent(t["attendance_rate"])), esc(_percent(t["absence_rate"])),
                 esc(_number(t["late_early"]))]
        if full:
            cells += [esc(_number(t[c])) for c in SCORE_COLUMNS]
        rows.append(cells)
    body += "<h3>最近6か月</h3>" + table(headers, rows, cls="trend")
    if full:
        body += note("体調・睡眠・気分・人間関係・業務は、面談での本人の自己評価（1 悪い〜5 良い）の月平均です。")
    parts.append(section("勤怠と体調" if full else "勤怠", body))
    if full:
        parts.append(section("体調などの推移", f'<figure class="chart"><img alt="勤怠と自己評価の推移" '
                                              f'src="{_chart_uri(trend)}"></figure>', "chart"))

    # plan goals
    if not full:
        plan = plan[plan["domain"] == WORK_DOMAIN]
    if plan.empty:
        body = note("個別支援計画の目標の記録はありません。" if full else "職場についての計画の目標の記録はありません。")
    else:
        body = note(f"個別支援計画（{format_date(plan['plan_date'].iloc[0])} 作成）の目標と進み具合")
        body += table(("領域", "目標", "支援内容", "期限", "状況"), [
            (esc(r["domain"]), esc(r["goal"]), esc(r["support"]), esc(r["due_on"]), esc(r["status"]))
            for r in plan.to_dict("records")], cls="plan")
    parts.append(section("個別支援計画の目標", body))

    # the month's situation and next month's plan, from the conference review
    review = store.review(book.office, user_id, month) if store is not None else None
    if review is None:
        body = note(store_note or "この月のケース会議の記録（ケース検討）はまだありません。")
    else:
        body = "<h3>職場での様子</h3>" + text_block(review.workplace)
        if full:
            body += "<h3>生活の様子</h3>" + text_block(review.life)
            body += "<h3>心身の様子</h3>" + text_block(review.health)
            if review.wishes.strip():
                body += "<h3>本人の意向</h3>" + text_block(review.wishes)
        body += "<h3>来月の支援方針</h3>" + text_block(review.policy)
        if full and review.next_check.strip():
            body += "<h3>次回確認すること</h3>" + text_block(review.next_check)
    parts.append(section("今月の様子と来月の予定", body))

    parts.append(f'<p class="signature">{esc(book.office)}　担当支援員 {esc(profile["staff"])}</p>')
    return "".join(parts)


# --- 会議録 ----------------------------------------------------------------------------------

def _flags_html(case) -> str:
    if case is None:
        return note("この月の検討対象ではありません（支援期間外）。")
    if not case.flags:
        return f'<p><span class="level level-{esc(case.level)}">{esc(case.level)}</span> フラグはありません。</p>'
    items = "".join(f"<li>【{esc(rules.FLAGS[f.code].label)}】{esc(f.message)}</li>" for f in case.flags)
    return f'<p><span class="level level-{esc(case.level)}">{esc(case.level)}</span></p><ul class="flags">{items}</ul>'


def _actions_table(actions, *, carried: bool) -> str:
    headers = ("起票月", "内容", "担当", "期限", "状態", "結果") if carried else ("内容", "担当", "期限", "状態")
    rows = []
    for a in actions:
        cells = [esc(a.content), esc(a.owner), esc(a.due_on), esc(a.status)]
        if carried:
            cells = [esc(a.month)] + cells + [esc(a.result, "")]
        rows.append(cells)
    return table(headers, rows, cls="actions")


def minutes_html(book: CaseBook, month, *, store=None, store_note: str | None = None,
                 with_problems: bool = True) -> str:
    """The conference minutes of ``month``: conferences, then each case reviewed."""
    month = _month(month)
    office = book.office
    parts = [problems_html(book) if with_problems else "",
             f'<h1 class="doc-title">{esc(format_month(month))} ケース会議 会議録</h1>',
             fields([("事業所", esc(office)), ("対象月", esc(format_month(month)))])]
    if store is None:
        parts.append(note(store_note or "会議記録のデータベースがありません。", "warning"))
    review = month_review(book, month, store)
    cases = {c.user_id: c for c in review.cases}
    names = dict(zip(book.users["user_id"], book.users["name"]))
    if store is None:
        conferences, reviews = [], []
    else:
        conferences = store.conferences(office, month)
        reviews = store.reviews(office, month)

    if conferences:
        blocks = []
        for c in conferences:
            pairs = [("開催日", esc(c.held_on)), ("種別", esc(c.kind)), ("出席者", esc(list(c.attendees)))]
            if c.kind == "地域連携会議" or c.outside_participants or c.presenter:
                pairs += [("外部参加者", esc(list(c.outside_participants))), ("発表者", esc(c.presenter))]
            blocks.append(fields(pairs))
        parts.append(section("会議", "".join(blocks)))
    elif store is not None:
        parts.append(section("会議", note("この月の会議の記録はありません。")))

    order = {c.user_id: i for i, c in enumerate(review.cases)}
    reviews = sorted(reviews, key=lambda r: (order.get(r.user_id, len(order)), r.user_id))
    m0 = pd.Timestamp(month.start_time.normalize()).tz_localize("UTC")
    for r in reviews:
        case = cases.get(r.user_id)
        body = "<h3>区分とフラグ</h3>" + _flags_html(case)
        if r.judgement:
            body += f"<p>会議の判断: <strong>{esc(r.judgement)}</strong></p>"
        body += fields([("職場", text_block(r.workplace)), ("生活", text_block(r.life)), ("心身", text_block(r.health))])
        body += "<h3>課題</h3>" + text_block(r.issues)
        if r.discussion.strip():
            body += "<h3>検討内容</h3>" + text_block(r.discussion)
        body += "<h3>方針</h3>" + text_block(r.policy)
        if r.wishes.strip():
            body += "<h3>本人の意向</h3>" + text_block(r.wishes)
        if r.next_check.strip():
            body += "<h3>次回確認事項</h3>" + text_block(r.next_check)
        opened = store.actions(office, r.user_id, month=month)
        body += "<h3>役割分担（今回）</h3>" + (_actions_table(opened, carried=False) if opened
                                             else note("今回決めた役割分担はありません。"))
        earlier = [a for a in store.actions(office, r.user_id) if a.month < month
                   and (a.is_open or (a.updated_at is not None and pd.Timestamp(a.updated_at) >= m0))]
        body += "<h3>前回からの持ち越し</h3>" + (_actions_table(earlier, carried=True) if earlier
                                              else note("持ち越しの役割分担はありません。"))
        staff = case.staff if case is not None else ""
        title = f"{r.user_id} {names.get(r.user_id, '')}（担当 {staff}）" if staff else f"{r.user_id} {names.get(r.user_id, '')}"
        parts.append(section(title, body, "case"))

    reviewed = {r.user_id for r in reviews}
    missing = [c for c in review.cases if c.user_id not in reviewed]
    if missing:
        rows = [(esc(c.level), esc(c.user_id), esc(c.name), esc(c.staff),
                 esc("、".join(rules.FLAGS[f.code].label for f in c.flags), "なし")) for c in missing]
        parts.append(section(f"検討の記録がない対象者（{len(missing)}人）",
                             table(("区分", "利用者ID", "氏名", "担当", "フラグ"), rows, cls="agenda")))
    if not reviews and store is not None:
        parts.insert(3, note("この月のケース検討の記録はありません。", "warning"))
    return "".join(parts)


# --- 月次サマリー ---------------------------------------------------------------------------

def fiscal_year_of(month: pd.Period) -> int:
    return month.year if month.month >= 4 else month.year - 1


def _retention_html(book: CaseBook, result, names: dict) -> str:
    if result.rate is None:
        body = note("就労定着率は出せません（対象期間に利用者がいません）。")
    else:
        body = fields([
            ("基準日", esc(result.reference_day)),
            ("対象期間", f"{esc(result.window_start)}〜{esc(result.reference_day)}"),
            ("就労定着率", f"<strong>{esc(rules.format_rate(result.rate))}</strong>"
                         f"（就労中 {result.numerator}人 / 対象 {result.denominator}人）"),
            ("区分", esc(result.tier)),
            ("基本報酬", f"{esc(rules.format_units(result.units))}（1人1か月あたり）"),
        ])
    employed = set(result.numerator_users)
    left_on = dict(zip(book.users["user_id"], book.users["left_on"]))
    rows = [(esc(u), esc(names.get(u, "")), esc("就労中" if u in employed else "離職"),
             esc(left_on.get(u) if u not in employed else None, "")) for u in result.denominator_users]
    if rows:
        body += "<details open><summary>対象者</summary>" + table(("利用者ID", "氏名", "基準日の状況", "離職日"), rows,
                                                                  cls="people") + "</details>"
    return body


def summary_html(book: CaseBook, month, *, store=None, store_note: str | None = None,
                 today: dt.date | None = None, with_problems: bool = True) -> str:
    """The supervisor's summary of ``month``."""
    from . import charts

    month = _month(month)
    m1 = month.end_time.normalize()
    review = month_review(book, month, store)
    cases = review.cases
    n = len(cases)
    names = dict(zip(book.users["user_id"], book.users["name"]))
    parts = [problems_html(book) if with_problems else "",
             f'<h1 class="doc-title">{esc(format_month(month))} 月次サマリー</h1>',
             fields([("事業所", esc(book.office)), ("対象月", esc(format_month(month)))])]
    if store is None:
        parts.append(note(store_note or "会議記録のデータベースがありません。", "warning"))

    counts = review.level_counts()
    starting = "、".join(f"{u} {names.get(u, '')}" for u in review.starting_next_month)
    body = fields([("支援中の利用者", f"<strong>{n}人</strong>"),
                   ("区分", esc("・".join(f"{k} {v}人" for k, v in counts.items()))),
                   ("来月から支援開始", esc(starting, "なし"))])
    parts.append(section("支援中の利用者", body))

    # compliance
    def done(code: str) -> list:
        return [c for c in cases if code not in c.codes]

    rows = []
    for label, code in (("本人との対面の面談（毎月）", "no_face_to_face"), ("支援レポートの送付", "report_not_shared"),
                        ("個別支援計画の見直し", "plan_review_due")):
        ok = done(code)
        lacking = [c for c in cases if code in c.codes]
        rows.append((esc(label), esc(f"{len(ok)} / {n}人"), esc(_percent(len(ok) / n) if n else "—"),
                     esc("、".join(f"{c.user_id} {c.name}" for c in lacking), "なし")))
    body = table(("項目", "できている人", "割合", "できていない人"), rows, cls="compliance")
    body += note("支援レポートの送付は、ブックの支援レポートシートと会議記録のデータベースの記録で判定しています。")
    parts.append(section("算定要件の確認", body))

    # levels and flags by code
    flag_rows, flag_counts = [], {}
    for kind in rules.FLAG_KINDS:
        who = [c for c in cases if kind.code in c.codes]
        flag_counts[kind.label] = len(who)
        flag_rows.append((esc(kind.code), esc(kind.label), esc(kind.level), esc(f"{len(who)}人"),
                          esc("、".join(c.user_id for c in who), "")))
    body = table(("コード", "フラグ", "区分", "人数", "利用者ID"), flag_rows, cls="flags")
    level_fig = charts.bar_figure(pd.Series(counts), title="区分ごとの人数")
    used = pd.Series({k: v for k, v in flag_counts.items() if v})
    body += (f'<div class="charts"><figure class="chart small"><img alt="区分ごとの人数" src="{charts.data_uri(level_fig)}"></figure>')
    if len(used):
        flag_fig = charts.bar_figure(used, title="フラグごとの人数", color="#d1495b")
        body += f'<figure class="chart small"><img alt="フラグごとの人数" src="{charts.data_uri(flag_fig)}"></figure>'
    body += "</div>"
    parts.append(section("区分とフラグ", body))

    # retention
    fy = fiscal_year_of(month)
    today = today or min(dt.date.today(), m1.date())
    result = rules.retention(book, fy, today=today)
    body = f"<h3>{fy}年度の基本報酬（基準日 {esc(result.reference_day)}）</h3>" + _retention_html(book, result, names)
    p = result.projection
    body += f"<h3>翌年度（{p.fiscal_year}年度）の見込み</h3>" + _retention_html(book, p, names)
    notes = list(dict.fromkeys(result.notes + p.notes))
    body += "<ul class='notes'>" + "".join(f"<li>{esc(t)}</li>" for t in notes) + "</ul>"
    parts.append(section("就労定着率", body))

    # support ending within 3 months
    ending = [c for c in cases if "support_ending" in c.codes]
    if ending:
        rows = [(esc(c.user_id), esc(c.name), esc(c.staff), esc(c.support_end), esc(f"{c.months_left}か月"))
                for c in sorted(ending, key=lambda c: (c.support_end or dt.date.max, c.user_id))]
        body = table(("利用者ID", "氏名", "担当", "支援終了予定日", "残り"), rows, cls="ending")
    else:
        body = note("3か月以内に支援が終わる人はいません。")
    parts.append(section("3か月以内に支援が終わる人", body))

    # overdue actions
    if store is None:
        body = note("会議記録のデータベースがないため、期限を過ぎた対応は確認できません。")
    else:
        frame = rules.overdue_actions(store.open_actions_frame(book.office, month), month,
                                      [c.user_id for c in cases])
        if frame.empty:
            body = note("期限を過ぎた対応はありません。")
        else:
            rows = [(esc(r.user_id), esc(names.get(r.user_id, "")), esc(r.content), esc(r.owner),
                     esc(r.due_on), esc(r.status), esc(r.month)) for r in frame.itertuples()]
            body = table(("利用者ID", "氏名", "内容", "担当", "期限", "状態", "起票月"), rows, cls="overdue")
    parts.append(section(f"期限を過ぎた対応（{format_date(m1)}時点）", body))
    return "".join(parts)


# --- what the report notebooks call ---------------------------------------------------------

def _display(markup: str):
    from IPython.display import HTML
    return HTML(markup)


def show_support(book, month, *, db: str | None = None, user: str, audience: str = SELF,
                 office: str | None = None):
    """One person's 支援レポート (the workbook's problems first, when there are any)."""
    casebook = load_book(book, office)
    store, store_note = open_store(book, db)
    return _display(support_report_html(casebook, month, user, audience, store=store, store_note=store_note))


def show_minutes(book, month, *, db: str | None = None, office: str | None = None):
    casebook = load_book(book, office)
    store, store_note = open_store(book, db)
    return _display(minutes_html(casebook, month, store=store, store_note=store_note))


def show_summary(book, month, *, db: str | None = None, office: str | None = None):
    casebook = load_book(book, office)
    store, store_note = open_store(book, db)
    return _display(summary_html(casebook, month, store=store, store_note=store_note))
