"""The documents' content: 会議録, 支援レポート (本人用 / 企業用), 月次サマリー and 確認事項
(the 個別支援計画書's is in ``plan_document``).

Each document is a Jinja2 template in ``templates/html/documents`` (autoescape on) and a
function here that gathers what it shows from the CaseBook (``rules``, ``casefile``), the
review store and ``charts``.  The report notebooks (``report_notebooks/*.ipynb``) call the
``show_*`` functions and nothing else; ``reports.py`` executes them and exports the
documents with the project's nbconvert template.

Who reads what:

- the 支援レポート leaves the office.  It carries the person's month (contacts without their
  internal 内容 notes, attendance, the plan's goals; for the person also the self-rated
  condition) and, as its words, only the review's field written for its reader (本人へ on
  the 本人用 copy, 企業へ on the 企業用 copy); the review's own fields (職場・生活・心身・課題・
  方針 …) stay in the office.  Nothing internal: no data problems, no flags, no sheet or row.
  A 企業用 copy is made only for a person whose 企業共有同意 is はい, and carries the month
  at work (contacts with the person or the employer, attendance, 職場 goals): anything
  about life or health reaches the employer only as staff wrote it for them.
- the 会議録, the 月次サマリー and the 確認事項 are for staff.  The workbook's problems go
  there: counted in one line at the top, listed in an appendix after the content.  The
  会議録 prints each case's level and flags as the conference saw them when it saved, and
  the monitoring of its plan: each goal's evaluation and whether the plan is to be revised.

The loaded workbooks (a whole folder of offices at once) and the opened store are cached for
the life of the process: a batch of documents runs in one kernel and loads its source once.
A staff error (``ReportDataError``: what to fix, in Japanese) fails the notebook's cell with
that message, which ``reports`` gives to staff as it is.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from . import billing, casefile, documents, money, retention, rules, track_record
from .casebook import ERROR, SEVERITY_LABELS, CaseBook
from .documents import COPY_LABELS
from .errors import StaffError
from .japanese import (as_month, format_as_of, format_date, format_fiscal_year, format_month, format_number,
                       format_percent, format_time)
from .markup import in_office_dates, is_blank, render, shown
from .records import REGIONAL, REVIEW_FIELDS, SELF, reader_field
from .schema import PARTY_WITH_EMPLOYER, PARTY_WITH_USER, SCORE_COLUMNS, SCORE_LABELS
from .office_month import OfficeMonth

WORK_DOMAIN = "職場"


class ReportDataError(StaffError, ValueError):
    """The report cannot be made from this input; the message is Japanese, for staff."""


# --- loading, cached for a batch ------------------------------------------------------------

_SOURCES: dict[str, tuple] = {}     # path → (its stamp, or None for a reading handed over; the books)
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
    """The office's CaseBook from a workbook, CSV folder or folder of offices.

    The whole source is kept: the documents of every office of a folder share one load.  A
    reading handed over by the batch's caller (``keep_source``) is used as it is; one made
    here is used while the files are unchanged (their size and time)."""
    from .workbook import read_source

    path = Path(book).expanduser().absolute()
    stamp, books = _SOURCES.get(str(path), (None, None))
    if books is None or stamp is not None and (not path.exists() or stamp != _stamp(path)):
        if not path.exists():
            raise ReportDataError(f"ケース記録 {path} が見つかりません")
        _SOURCES.clear()            # one source at a time is enough for a batch
        stamp = _stamp(path)
        books = read_source(path).books
        _SOURCES[str(path)] = (stamp, books)
    if office is not None:
        chosen = [b for b in books if b.key == office]
        if not chosen:
            raise ReportDataError(f"事業所「{office}」のケース記録が {path} にありません")
    elif len(books) > 1:
        raise ReportDataError(f"{path} には事業所が {len(books)} か所あります。事業所（office）を指定してください")
    else:
        chosen = books
    found = chosen[0]
    if found.unreadable:
        raise ReportDataError(found.unreadable[0].message)
    return found


def keep_source(book, source) -> None:
    """``source`` is the reading of ``book`` the next documents are made from (the batch's
    caller has read the files: ``load_book`` does not read them again)."""
    _SOURCES.clear()
    _SOURCES[str(Path(book).expanduser().absolute())] = (None, source.books)


def open_store(book, db: str | None):
    """(store or None, a Japanese note for staff when there is none or it cannot be opened).

    ``db``, else the SQLite file beside the workbook when it exists (``store.open_existing``:
    a document never creates a store it only reads).  Kept open for the rest of the batch.
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


# --- the workbook's problems (staff documents only) -----------------------------------------

def problem_context(book: CaseBook) -> dict:
    """The workbook's problems as the staff documents list them (those past the first ones of a
    kind are one line with their count) and how many there are in all."""
    rows = [(SEVERITY_LABELS.get(p.severity, p.severity), p.sheet or "ファイル全体", p.row, p.column, p.message)
            for p in book.problems]
    return {"problems": rows, "problem_count": book.error_count + book.warning_count}


# --- 支援レポート -----------------------------------------------------------------------------

_MONTH: dict[tuple, tuple] = {}


def _person(book: CaseBook, user_id: str, month: pd.Period) -> tuple:
    """(profile, contacts, trend, plan) of one person's month.  Everyone's profiles, trends and
    plans in force are worked out once for a batch; each person's are kept for the other copy."""
    key = (id(book), str(month))
    cached = _MONTH.get(key)
    if cached is None or cached[0] is not book:          # the entry holds the book: its id is not reused
        _MONTH.clear()
        cached = _MONTH[key] = (book, casefile.profiles(book, month), casefile.trends(book, month),
                                casefile.plan_dates(book, month), {})
    _, profiles, trends, plan_dates, people = cached
    if user_id not in people:
        profile = profiles.get(user_id)
        people[user_id] = (None, None, None, None) if profile is None else (
            profile, casefile.month_contacts(book, user_id, month), trends[user_id],
            casefile.current_plan(book, user_id, month, plan_dates.get(user_id, pd.NaT)))
    return people[user_id]


def _period_text(profile: dict) -> str:
    start, end = profile["support_start"], profile["support_end"]
    if start is None:
        return "—"
    n, total = profile["support_month"], profile["support_months"]
    span = f"{format_date(start)}〜{format_date(end)}" if end is not None else f"{format_date(start)}〜"
    if n is None:
        return f"{span}（支援開始前）"
    return f"{span}（今月は {n}か月目" + (f"／全{total}か月）" if total else "）")


def _attendance(book: CaseBook, user_id: str, month: pd.Period) -> dict | None:
    a = book.attendance
    row = a[(a["user_id"] == user_id) & (a["month"] == month)]
    if row.empty:
        return None
    r = row.iloc[0]
    # None: a value that was not read (unreadable, or a blank 所定日数・出勤日数), printed 未確認, never 0;
    # a blank 欠勤・遅刻・早退 is 0 as the workbook's contract says (the loader's default)
    count = lambda name: None if pd.isna(r[name]) else int(r[name])
    return {"scheduled": count("scheduled_days"), "worked": count("worked_days"), "absent": count("absent"),
            "late": count("late"), "left_early": count("left_early")}


def no_employer_copy(name: str) -> str:
    """Why a person has no 企業用 copy (for the CLI, the app and a batch alike)."""
    return (f"{name} さんは企業共有同意が「はい」ではないため、企業用の支援レポートは作りません"
            "（本人用だけを作ります）")


@in_office_dates
def support_report_html(book: CaseBook, month: pd.Period, user_id: str, audience: str, *, store=None,
                        texts: dict[str, str] | None = None) -> str:
    """One person's 支援レポート for ``month``, 本人用 or 企業用.

    Its words are the review's one field written for this reader (``records.reader_field``:
    本人へ or 企業へ), never the review's own fields.  An employer copy is made only with the
    person's 企業共有同意.  ``texts`` (field → text) previews a form not yet saved."""
    from . import charts

    if audience not in documents.SUPPORT.readers:
        raise ReportDataError(f"支援レポートの宛先は 本人 か 企業 にしてください（{audience!r} は使えません）")
    user_id = str(user_id)
    profile, contacts, trend, plan = _person(book, user_id, month)
    if profile is None:
        raise ReportDataError(f"利用者ID {user_id} は {book.office} のケース記録にありません")
    for_person = audience == SELF
    name = shown(profile["name"], "")
    if not for_person and not book.shares_with_employer(user_id):
        raise ReportDataError(no_employer_copy(name))
    month_label = format_month(month)

    facts = [] if for_person else [("氏名", f"{name} さん")]
    facts += [("勤務先", profile["employer"]), ("就職日", profile["hired_on"])]
    if profile["left_on"] is not None:
        facts.append(("離職日", profile["left_on"]))
    facts += [("支援期間", _period_text(profile)), ("担当支援員", profile["staff"]), ("事業所", book.office)]
    if not for_person:            # the employer's copy: the month at work; the rest only as written for it
        contacts = contacts[contacts["party"].isin(set(PARTY_WITH_USER) | set(PARTY_WITH_EMPLOYER))]
        plan = plan[plan["domain"] == WORK_DOMAIN]
    latest = trend.iloc[-1]
    scores = [(SCORE_LABELS[c], format_number(latest[c])) for c in SCORE_COLUMNS if not pd.isna(latest[c])] \
        if for_person else None
    has_trend = not trend[["attendance_rate", "late_early", *(SCORE_COLUMNS if for_person else ())]].isna().all().all()
    alt = "直近6か月の出勤率と遅刻・早退" + ("、体調などの自己評価の推移" if for_person else "の推移")
    field = reader_field(audience)
    if texts is None:
        review = store.review(book.key, user_id, month) if store is not None else None
        words = getattr(review, field.name) if review is not None else ""
    else:
        words = texts.get(field.name, "")

    return render(
        "documents/support.html.j2", for_person=for_person, month_label=month_label,
        title=f"{month_label}の支援レポート（{COPY_LABELS[audience]}）",
        addressee=f"{name} 様" if for_person else f"{shown(profile['employer'], 'ご担当者')} 御中",
        lead=(f"{month_label}の就労定着支援の内容をお知らせします。" if for_person
              else f"{name} さんへの{month_label}の就労定着支援の内容をお知らせします。"),
        facts=facts,
        audience_note=None if for_person else (
            "ご本人の同意を得てお送りしています。職場での様子、勤怠、職場に関わる目標と支援を記載しています。"),
        contacts=[(r["date"], r["method"], r["party"], r["staff"]) for r in contacts.to_dict("records")],
        attendance=_attendance(book, user_id, month), scores=scores,
        chart_uri=charts.svg_data_uri(charts.trend_svg(trend, scores=for_person)) if has_trend else None,
        chart_alt=alt,
        goals=plan.to_dict("records"), plan_date=plan["plan_date"].iloc[0] if len(plan) else None,
        no_goals="個別支援計画の目標の記録はありません。" if for_person else "職場に関わる計画の目標の記録はありません。",
        words_heading=field.heading, words=None if is_blank(words) else words,
        office=book.office, staff=profile["staff"])


# --- 会議録 ----------------------------------------------------------------------------------

def _flag_pairs(flags) -> list[tuple[str, str]]:
    return [(rules.FLAGS[f["code"]].label if f["code"] in rules.FLAGS else f["code"], f["message"]) for f in flags]


def _recorded(record) -> str:
    """Who saved the record, when (and who made it first, when that is someone else)."""
    text = f"{record.updated_by}（{format_time(record.updated_at)}"
    if record.created_by != record.updated_by:
        text += f"、最初の記録 {record.created_by}"
    return text + "）"


def _monitoring_entry(monitoring) -> dict | None:
    """The plan's monitoring of a case in the 会議録: each goal's evaluation, and the decision."""
    if monitoring is None:
        return None
    decision = {"見直し": "見直す", "継続": "このまま続ける"}.get(monitoring.decision, "未決定")
    return {"lead": f"{format_date(monitoring.plan_date) + '作成の計画' if monitoring.plan_date else '計画'}の目標"
                    f"（{format_date(monitoring.monitored_on)}に確認）",
            "decision": decision,
            "goals": [(f"【{e['domain'] or '—'}】{e['goal']}", e["evaluation"] or "未評価", e["comment"])
                      for e in monitoring.evaluations]}


def _case_entry(r, case, names: dict, actions_now, carried, monitoring=None) -> dict:
    """One reviewed case of the 会議録: the level and flags saved with the review, and since then,
    and the plan's monitoring."""
    current = [f.as_dict() for f in case.flags] if case is not None else []
    if r.saved_flags is not None:
        level, flags, flags_note = r.saved_level or rules.STABLE, list(r.saved_flags), None
    else:
        level = case.level if case is not None else rules.STABLE
        flags = current
        flags_note = "この検討の保存時の区分とフラグは記録されていないため、今の判定を載せています。"
    later = []
    if r.saved_flags is not None and case is not None:
        before, now = {f["code"] for f in flags}, {f["code"] for f in current}
        labels = lambda codes: "・".join(f"「{rules.FLAGS[c].label}」" for c in rules.FLAGS if c in codes)
        if before - now:
            later.append(f"会議の後に解消したフラグ: {labels(before - now)}")
        if now - before:
            later.append(f"会議の後に加わったフラグ: {labels(now - before)}")
    staff = case.staff if case is not None else ""
    title = f"{r.user_id} {names.get(r.user_id, '')}" + (f"（担当 {staff}）" if staff else "")
    texts = [(f.short, getattr(r, f.name)) for f in REVIEW_FIELDS if f.always or not is_blank(getattr(r, f.name))]
    return {"title": title, "level": level, "flags": _flag_pairs(flags), "flags_note": flags_note,
            "later": later, "judgement": r.judgement, "texts": texts, "plan": _monitoring_entry(monitoring),
            "actions": [(a.content, a.owner, a.due_on, a.status) for a in actions_now],
            "carried": [(a.month, a.content, a.owner, a.due_on, a.status, a.result) for a in carried],
            "recorded": f"記録者: {_recorded(r)}"}


def _conference_fields(c) -> list[tuple[str, object]]:
    pairs = [("開催日", c.held_on), ("種別", c.kind), ("出席者", list(c.attendees))]
    if c.kind == REGIONAL or c.outside_participants or c.presenter:
        pairs += [("外部参加者", list(c.outside_participants)), ("発表者", c.presenter)]
    return pairs + [("記録者", _recorded(c))]


@in_office_dates
def minutes_html(book: CaseBook, month: pd.Period, *, store=None, store_note: str | None = None) -> str:
    """The conference minutes of ``month``: conferences, then each case reviewed."""
    office = book.key
    review = OfficeMonth(book, month, store).agenda
    cases = {c.user_id: c for c in review.cases}
    names = book.names
    notes, entries = [], []
    conferences = reviews = None
    if store is None:
        notes.append(store_note or "会議記録のデータベースがありません。")
    else:
        conferences = [_conference_fields(c) for c in store.conferences(office, month)]
        order = {c.user_id: i for i, c in enumerate(review.cases)}
        reviews = sorted(store.reviews(office, month), key=lambda r: (order.get(r.user_id, len(order)), r.user_id))
        if not reviews:
            notes.append("この月のケース検討の記録はありません。")
        m0 = pd.Timestamp(month.start_time.normalize()).tz_localize("UTC")
        for r in reviews:
            earlier = [a for a in store.actions(office, r.user_id) if a.month < month
                       and (a.is_open or (a.updated_at is not None and pd.Timestamp(a.updated_at) >= m0))]
            entries.append(_case_entry(r, cases.get(r.user_id), names, store.actions(office, r.user_id, month=month),
                                       earlier, store.monitoring(office, r.user_id, month)))
    reviewed = {r.user_id for r in reviews or []}
    unreviewed = [(c.level, c.user_id, c.name, c.staff, "、".join(rules.FLAGS[f.code].label for f in c.flags) or "なし")
                  for c in review.cases if c.user_id not in reviewed]
    return render("documents/minutes.html.j2", title=f"{format_month(month)} ケース会議 会議録",
                  facts=[("事業所", book.office), ("対象月", month)], notes=notes, conferences=conferences,
                  cases=entries, unreviewed=unreviewed, book_name=book.source.name, **problem_context(book))


# --- 月次サマリー ---------------------------------------------------------------------------

def _retention_context(book: CaseBook, result, names: dict, heading: str, as_of: str) -> dict:
    facts = None
    if result.rate is not None:
        facts = [("基準日", result.reference_day), ("対象期間", f"{format_date(result.window_start)}〜"
                                                        f"{format_date(result.reference_day)}"),
                 ("就労定着率", f"{retention.format_rate(result.rate)}（就労中 {result.numerator}人 / 対象 {result.denominator}人）"),
                 ("区分", result.tier), ("基本報酬", f"{retention.format_units(result.units)}（1人1か月あたり）")]
        if result.unconfirmed:
            tier, units = result.tier_on_evidence
            facts.append(("就労確認のある人だけで", f"{retention.format_rate(result.rate_on_evidence)}（就労中 "
                          f"{result.numerator_on_evidence}人 / 対象 {result.denominator}人）→ {tier}・"
                          f"{retention.format_units(units)}"))
    employed = set(result.numerator_users)
    unconfirmed = {u["user_id"] for u in result.unconfirmed}
    left_on = dict(zip(book.users["user_id"], book.users["left_on"]))
    people = [(u, names.get(u, ""), ("就労中（未確認）" if u in unconfirmed else "就労中") if u in employed else "離職",
               left_on.get(u) if u not in employed else "") for u in result.denominator_users]
    to_confirm = [(u["user_id"], u["name"], u["support_end"],
                   "なし" if u["last_check"] is None else f"{format_date(u['last_check'])} {u['last_employment']}")
                  for u in result.unconfirmed]
    return {"heading": heading, "facts": facts, "people": people, "to_confirm": to_confirm, "as_of": as_of,
            "checks_from": result.checks_from}


def _billing_context(bill) -> dict:
    """The 算定 section of the summary: the claim, who cannot be billed and why, 減算 and 加算.
    A reduction or addition the office gives everyone billed is one row with the people and the
    units it made; a person's own, one row a person."""
    totals = bill.totals
    facts = [("基本報酬の区分", billing.tier_text(bill)), ("算定可", f"{totals['billable']}人"),
             ("要確認", f"{totals['to_check']}人"), ("算定不可", f"{totals['not_billable']}人"),
             ("請求の合計", billing.claim_sentence(totals, bill.unit_price))]
    blocked = [(p.user_id, p.name, p.status, "\n".join(r.message for r in p.reasons))
               for p in bill.people if p.status != billing.BILLABLE]
    counted = [p for p in bill.people if p.status != billing.NOT_BILLABLE]

    def rows(items_of, text) -> list[tuple]:
        found, grouped = [], {}
        for person in counted:
            for item in items_of(person):
                if billing.is_office_wide(item):
                    units, people = grouped.get(item.code, (0, 0))
                    grouped[item.code] = (units + item.units, people + 1)
                else:
                    found.append((person.user_id, person.name, text(item), f"{item.units:,}単位"))
        return [("全員", f"{people}人", billing.office_wide_label(code), f"{units:,}単位")
                for code, (units, people) in grouped.items()] + found

    reductions = rows(lambda p: p.reductions, billing.reduction_text)
    additions = rows(lambda p: p.additions, lambda a: a.message)
    additions += [(p.user_id, p.name, a.message, "算定しない") for p in counted for a in p.not_counted]
    return {"facts": facts, "blocked": blocked, "reductions": reductions, "additions": additions,
            "notes": list(bill.office_notes)}


@in_office_dates
def summary_html(book: CaseBook, month: pd.Period, *, store=None, store_note: str | None = None,
                 today: dt.date | None = None) -> str:
    """The supervisor's summary of ``month``."""
    from . import charts

    m1 = month.end_time.normalize()
    day = retention.judged_on(month, today)          # as the app: the month's end, or today while it runs
    office_month = OfficeMonth(book, month, store, today=day)
    review = office_month.agenda
    cases = review.cases
    n = len(cases)
    names = book.names
    counts = review.level_counts()
    people = [("支援中の利用者", f"{n}人"), ("区分", "・".join(f"{k} {v}人" for k, v in counts.items())),
              ("来月から支援開始", "、".join(f"{u} {names.get(u, '')}" for u in review.starting_next_month) or "なし")]

    compliance = []
    for label, code in (("本人との対面の面談（毎月）", "no_face_to_face"), ("支援レポートの送付", "report_not_shared"),
                        ("個別支援計画（作成・見直し・同意）", "plan_missing")):
        lacking = [c for c in cases if code in c.codes]
        compliance.append((label, f"{n - len(lacking)} / {n}人", format_percent((n - len(lacking)) / n) if n else "—",
                           "、".join(f"{c.user_id} {c.name}" for c in lacking) or "なし"))

    flags, flag_counts = [], {}
    for kind in rules.FLAG_KINDS:
        raised = [(c.user_id, f.level) for c in cases for f in c.flags if f.code == kind.code]
        who = [u for u, _ in raised]
        levels = [lv for lv in rules.LEVELS if lv in {lv for _, lv in raised}] or [kind.level]
        flag_counts[kind.label] = len(who)
        flags.append((kind.label, "・".join(levels), f"{len(who)}人", "、".join(who)))
    chart_list = [charts.bar_chart(pd.Series(counts), title="区分ごとの人数")]
    used = pd.Series({k: v for k, v in flag_counts.items() if v})
    if len(used):
        chart_list.append(charts.bar_chart(used, title="フラグごとの人数", colour="#d1495b"))

    fy = retention.fiscal_year_of(month)
    checks = office_month.checks
    as_of = format_as_of(day)
    result = retention.of_month(book, month, today=day, checks=checks)
    record = track_record.of_fiscal_year(book, fy, today=day, checks=checks)
    p = result.projection
    handovers = [(c.user_id, c.name, c.staff, c.support_end, f.level, f.message)
                 for c in sorted(cases, key=lambda c: (c.support_end or dt.date.max, c.user_id))
                 for f in c.flags if f.code == "handover_due"]
    claim = _billing_context(office_month.billing)
    outlook = money.outlook(book, month, review=review, today=day)
    at_risk = [(sentence.removeprefix("この方が"), [(a.user_id, a.name, a.level) for a in people])
               for sentence, people in money.by_effect(outlook.at_risk)]
    overdue, overdue_empty = [], "期限を過ぎた対応はありません。"
    if store is None:
        overdue_empty = "会議記録のデータベースがないため、期限を過ぎた対応は確認できません。"
    else:
        frame = rules.overdue_actions(store.open_actions_frame(book.key, month), month, [c.user_id for c in cases])
        overdue = [(r.user_id, names.get(r.user_id, ""), r.content, r.owner, r.due_on, r.status, r.month)
                   for r in frame.itertuples()]
    return render(
        "documents/summary.html.j2", title=f"{format_month(month)} 月次サマリー",
        facts=[("事業所", book.office), ("対象月", month)],
        notes=[] if store is not None else [store_note or "会議記録のデータベースがありません。"],
        people=people, compliance=compliance, flags=flags, charts=chart_list,
        current=_retention_context(book, result, names,
                                   f"{format_fiscal_year(fy)}の基本報酬（基準日 {format_date(result.reference_day)}）",
                                   as_of),
        projection=_retention_context(book, p, names, f"翌年度（{format_fiscal_year(p.fiscal_year)}）の見込み（{as_of}）",
                                      as_of),
        retention_notes=list(dict.fromkeys(result.notes + p.notes)), handovers=handovers, billing=claim,
        outlook=outlook, at_risk=at_risk, track_record=record,
        track_people=[(p.user_id, p.name, p.label, p.evidence) for p in record.people],
        overdue_heading=f"期限を過ぎた対応（{format_as_of(m1.date())}）", overdue=overdue, overdue_empty=overdue_empty,
        book_name=book.source.name, **problem_context(book))


# --- 確認事項 (a batch of 支援レポート) ----------------------------------------------------------

def affected_people(book: CaseBook, user_ids) -> list[dict]:
    """The people among ``user_ids`` whose own rows have errors (their copies were made from the
    readable values): user_id, name, errors, warnings."""
    names = book.names
    found = []
    for user_id in user_ids:
        mine = book.problems_of(user_id)
        errors = sum(p.severity == ERROR for p in mine)
        if errors:
            found.append({"user_id": user_id, "name": names.get(user_id, ""), "errors": errors,
                          "warnings": len(mine) - errors})
    return found


@in_office_dates
def checks_html(book: CaseBook, month: pd.Period, copies: dict[str, list[str]]) -> str:
    """What staff must know about a batch of 支援レポート: whose copies lacked unreadable rows,
    and the workbook's problems.  ``copies``: 利用者ID → the copies made (本人用, 企業用)."""
    affected = [(p["user_id"], p["name"], p["errors"], p["warnings"], "・".join(copies[p["user_id"]]))
                for p in affected_people(book, copies)]
    return render("documents/checks.html.j2", title=f"{format_month(month)} {documents.CHECKS.title}",
                  facts=[("事業所", book.office), ("対象月", month), ("支援レポート", f"{len(copies)}人分")],
                  affected=affected, book_name=book.source.name, **problem_context(book))


# --- what the report notebooks call ---------------------------------------------------------
#
# The notebooks' parameters are text (``month = "2026-10"``): here, at the edge, the month is
# read once; everything below takes a ``pd.Period``.

def _display(markup: str):
    from IPython.display import HTML
    return HTML(markup)


def show_support(book, month, *, db: str | None = None, documents, office: str | None = None) -> None:
    """The 支援レポート of ``documents`` ([利用者ID, 本人 or 企業] each), one output each, in order
    (without the store, the review's part is left out)."""
    from IPython.display import display

    month, casebook = as_month(month), load_book(book, office)
    store, _note = open_store(book, db)
    for user, audience in documents:
        display(_display(support_report_html(casebook, month, user, audience, store=store)))


def show_checks(book, month, *, documents, office: str | None = None) -> None:
    """The staff-only 確認事項 of a batch of 支援レポート: ``documents`` are the copies made
    ([利用者ID, 本人 or 企業] each); one output."""
    from IPython.display import display

    copies: dict[str, list[str]] = {}
    for user, audience in documents:
        copies.setdefault(str(user), []).append(COPY_LABELS[audience])
    display(_display(checks_html(load_book(book, office), as_month(month), copies)))


def show_plan(book, month, *, db: str | None = None, documents, office: str | None = None) -> None:
    """The 個別支援計画書 of ``documents`` ([利用者ID, None] each: ``plan_document``), one output each."""
    from IPython.display import display

    from .plan_document import plan_html

    month, casebook = as_month(month), load_book(book, office)
    store, _note = open_store(book, db)
    for user, _audience in documents:
        display(_display(plan_html(casebook, month, user, store=store)))


_AUDITS: dict[tuple, object] = {}     # (batch, office, first month, last month) → its audit.Audit


def show_evidence(book, month, *, start, db: str | None = None, documents, office: str | None = None,
                  batch: str | None = None) -> None:
    """The 運営指導の確認資料 of ``documents`` over ``start``..``month``: [None, None] the office's
    cover page, [利用者ID, None] a person's (``audit_document``), one output each.  The runs of
    one ``batch`` (``reports.make_evidence`` names it) share one audit; another batch, even in
    the same kernel, works it out again from the records as they are then."""
    from IPython.display import display

    from .audit import audit
    from .audit_document import cover_html, person_html

    end, first, casebook = as_month(month), as_month(start), load_book(book, office)
    store, _note = open_store(book, db)
    key = (batch, casebook.key, first, end)
    result = _AUDITS.get(key) if batch is not None else None
    if result is None:
        result = audit(casebook, list(pd.period_range(first, end, freq="M")), store)
        _AUDITS.clear()
        _AUDITS[key] = result
    for user, _audience in documents:
        display(_display(cover_html(casebook, result) if user is None else person_html(casebook, result, str(user))))


def show_minutes(book, month, *, db: str | None = None, office: str | None = None,
                 documents: list[str] | None = None) -> None:
    """The 会議録 of ``office``, or of each office in ``documents`` (one output each, in order)."""
    _show_offices(minutes_html, book, as_month(month), db, [office] if documents is None else documents)


def show_summary(book, month, *, db: str | None = None, office: str | None = None,
                 documents: list[str] | None = None) -> None:
    """The 月次サマリー of ``office``, or of each office in ``documents`` (one output each, in order)."""
    _show_offices(summary_html, book, as_month(month), db, [office] if documents is None else documents)


def _show_offices(make, book, month, db: str | None, offices: list[str | None]) -> None:
    from IPython.display import display

    store, store_note = open_store(book, db)
    for office in offices:
        display(_display(make(load_book(book, office), month, store=store, store_note=store_note)))
