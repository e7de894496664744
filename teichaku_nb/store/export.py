"""The conference records as an Excel workbook: one sheet per record kind and the history,
with Japanese headers (``teichaku export``)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd

from ..japanese import JST, format_date
from ..records import (FIELD_LABELS, HANDOVER_KINDS, KIND_LABELS, OPERATION_LABELS, PLAN_STATUSES, RECORD_CLASSES,
                       REVIEW_TEXTS, STAMPS, field_names)
from ..rules import FLAGS

# A sheet per record (its title: KIND_LABELS): ID, the record's fields as records.py declares
# them, the stamps; but these sheets show some fields first: a review's texts in the form's
# order, a plan's 状態 and 計画作成日 beside who it is for.
_SHOWN_FIRST = {"reviews": ("office", "user_id", "month", "conference_id", *REVIEW_TEXTS),
                "support_plans": ("office", "user_id", "status", "plan_date")}


def sheet_columns(kind: str) -> tuple[str, ...]:
    """The fields of the sheet of ``kind`` (a table's name, as ``RECORD_CLASSES``), in order."""
    first = _SHOWN_FIRST.get(kind, ())
    rest = (name for name in field_names(RECORD_CLASSES[kind]) if name not in first)
    return ("id", *first, *rest, *STAMPS)


_HISTORY_HEADERS = ("日時", "変更者", "事業所", "利用者ID", "記録の種類", "記録ID", "操作", "項目", "変更前", "変更後")
_EXPORT_HEADER_OVERRIDES = {"created_at": "作成日時（日本時間）", "updated_at": "更新日時（日本時間）"}


def _cell_value(value):
    """A value as a workbook cell: dates as dates, timestamps in 日本時間, lists joined."""
    if value is None:
        return None
    if isinstance(value, pd.Period):
        return value.strftime("%Y-%m")
    if isinstance(value, dt.datetime):
        return value.astimezone(JST).replace(tzinfo=None)
    if isinstance(value, (tuple, list)):
        return "、".join(_flag_text(v) if isinstance(v, dict) else str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return value


def _shown_field(name: str, value):
    """A record's field as staff read it (a handover's kind and a plan's status in Japanese, a
    monitoring's evaluations and a plan's goals one line each)."""
    if name == "kind" and value in HANDOVER_KINDS:
        return HANDOVER_KINDS[value]
    if name == "status" and value in PLAN_STATUSES:
        return PLAN_STATUSES[value]
    if name == "evaluations" and isinstance(value, (list, tuple)):
        return "\n".join(f"{e.get('index')}. 【{e.get('domain', '')}】{e.get('goal', '')}: {e.get('evaluation') or '未評価'}"
                         + (f"（{e['comment']}）" if e.get("comment") else "") for e in value)
    if name == "goals" and isinstance(value, (list, tuple)):
        return "\n".join(_goal_line(n, g) for n, g in enumerate(value, 1))
    return value


def _goal_line(number: int, goal: dict) -> str:
    due = goal.get("due_on")
    due = format_date(dt.date.fromisoformat(due)) if isinstance(due, str) else format_date(due) if due else "—"
    return (f"{number}. 【{goal.get('domain') or '—'}】{goal.get('goal', '')} / 支援内容: {goal.get('support') or '—'}"
            f" / 期限: {due}")


def _flag_text(flag: dict) -> str:
    kind = FLAGS.get(flag["code"])
    return f"【{kind.label if kind else flag['code']}】{flag['message']}"


def export_workbook(store, office: str | None, out_path: Path | str) -> dict[str, int]:
    """Write the conference records of ``office`` (None: all offices) to a workbook.

    One sheet per record kind (会議, ケース検討, 役割分担, 支援レポート送付, 引継ぎ, 就労確認,
    モニタリング, 個別支援計画, 変更履歴)
    with Japanese headers.  変更履歴 has a row per field changed, and per text typed and not kept
    (操作 採用しなかった入力: 変更前 the text typed, 変更後 the text kept).  Returns the rows written
    per sheet.
    """
    from ..excel import new_workbook, write_sheet

    listings = {
        "conferences": store.conferences(office),
        "reviews": store.reviews(office),
        "actions": store.actions(office),
        "issued_reports": store.issued_reports(office, include_withdrawn=True),
        "handovers": store.handovers(office, include_withdrawn=True),
        "employment_checks": store.employment_checks(office, include_withdrawn=True),
        "plan_monitorings": store.monitorings(office),
        "support_plans": store.support_plans(office, include_withdrawn=True),
    }
    book = new_workbook()
    written = {}
    for kind in RECORD_CLASSES:
        title, columns = KIND_LABELS[kind], sheet_columns(kind)
        headers = [_EXPORT_HEADER_OVERRIDES.get(n, FIELD_LABELS[n]) for n in columns]
        written[title] = write_sheet(book, title, headers, ([_cell_value(_shown_field(n, getattr(r, n))) for n in columns]
                                                            for r in listings[kind]))
    entries = store.history(office)
    rows = [(e.changed_at, e.changed_by, e.office, e.user_id, KIND_LABELS.get(e.record_kind, e.record_kind),
             e.record_id, OPERATION_LABELS.get(e.operation, e.operation), FIELD_LABELS.get(name, name),
             _shown_field(name, old), _shown_field(name, new))
            for e in entries for name, (old, new) in e.changes.items()]
    written["変更履歴"] = write_sheet(book, "変更履歴", _HISTORY_HEADERS, ([_cell_value(v) for v in row] for row in rows))
    book.save(out_path)
    return written


ACCESS_LOG_HEADERS = ("日時（日本時間）", "ログイン名", "職員", "役割", "操作", "事業所", "利用者ID", "帳票", "詳細", "接続元")
ACCESS_LOG_SHEET = "アクセス記録"


def export_access_log(entries: list[dict], out_path: Path | str) -> int:
    """Write access-log entries (``Store.access_entries``) to a workbook of one sheet,
    アクセス記録, with Japanese headers and the time in 日本時間; returns the rows written."""
    from ..excel import new_workbook, write_sheet

    book = new_workbook()
    rows = ((e["at"], e["login"], e["name"], e["role"], e["action_label"], e["office"], e["user_id"], e["document"],
             e["detail"], e["address"]) for e in entries)
    written = write_sheet(book, ACCESS_LOG_SHEET, ACCESS_LOG_HEADERS, ([_cell_value(v) for v in row] for row in rows),
                          widths=(18, 16, 16, 18, 20, 14, 10, 20, 40, 16))
    book.save(out_path)
    return written


def access_log_filters(since: dt.date | None = None, until: dt.date | None = None, login: str | None = None) -> str:
    """What part of the log is asked for, in words (「2026年11月1日〜2026年11月30日、職員 sato」; "" for all)."""
    parts = []
    if since or until:
        parts.append(f"{format_date(since) if since else ''}〜{format_date(until) if until else ''}")
    if login:
        parts.append(f"職員 {login}")
    return "、".join(parts)


def write_access_log(store, out_path: Path | str, *, since: dt.date | None = None, until: dt.date | None = None,
                     login: str | None = None, staff=None, by: str | None = None) -> int:
    """The access log's entries from ``since`` to ``until`` (日本時間's days, both included) of
    ``login`` (None: everyone) written to ``out_path`` (``export_access_log``), and the export's
    own entry in the log (``log_exported``, by ``staff``, a ``staff.Staff`` signed in to the app,
    or by the login ``by``: the command line's ``端末:<OS user>``).  Written to a temporary file,
    logged, then put in place: no file is made without its entry (a log that cannot be written
    leaves no file, and raises its ``StoreError``).  Returns the rows written.  ``teichaku log
    --out`` and the app's 「Excel で書き出す」 both call it; neither checks roles here (the app's
    model does)."""
    from ..files import replacing

    out_path = Path(out_path)
    entries = store.access_entries(since=since, until=until, login=login)
    filters = access_log_filters(since, until, login)
    with replacing(out_path) as temporary:
        written = export_access_log(entries, temporary)
        store.log_access(staff, "log_exported", login=by if staff is None else None, document="アクセス記録",
                         detail=f"{out_path.name}（{written}件{'、' + filters if filters else ''}）")
    return written
