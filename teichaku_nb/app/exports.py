"""Export panel: the month's documents from the app (those ``documents`` offers in the app:
支援レポート, 会議録, 月次サマリー), with download links.

The documents are made by ``reports.make_reports`` (the same call as ``teichaku report``),
written to a folder the screen names, and offered as download links (one file, or a zip
of a batch) that carry the file in the page itself: the app serves no files.  Making a
document records nothing: sending a 支援レポート is recorded in the sending panel.  It is written
to the access log (``document_made``: who made which files, of whom when it is one person); a
log that cannot be written is said in the panel's status line, in red, and the documents made
stay offered.

A batch of 支援レポート is made for the people whose case was reviewed this month unless
everyone (or the open case's person) is chosen; the panel names those it left out, the
people whose copies lacked unreadable rows, and offers the staff-only 確認事項 apart.
"""

from __future__ import annotations

import base64
import io
import zipfile
from pathlib import Path

import traitlets as t

from .. import documents
from ..documents import COPY_LABELS
from ..errors import FormError
from ..paths import data_dir, is_demo_book
from ..records import EMPLOYER, SELF
from .common import log_documents
from .panel import Context, Panel, moved

KINDS = tuple((kind.file_label, kind.name) for kind in documents.KINDS.values() if kind.in_app)
COPIES = (("と".join(COPY_LABELS.values()), ""), *((label, reader) for reader, label in COPY_LABELS.items()))
SCOPES = (("検討済の人", "reviewed"), ("この月の全員", "all"), ("開いているケースの人", "case"))
FORMATS = (("HTML", "html"), ("PDF", "pdf"))
MIME = {".html": "text/html", ".pdf": "application/pdf", ".zip": "application/zip",
        ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def out_dir_for(book_path: Path, month: str) -> Path:
    """Where the app writes a month's documents: ``reports/YYYY-MM`` beside the workbook (the
    bundled demo's go to the per-user data folder, never into the checkout)."""
    if is_demo_book(book_path):
        return data_dir(create=True) / "reports" / month
    base = book_path if book_path.is_dir() else book_path.parent
    return base / "reports" / month


def download(paths: list[Path], zip_name: str) -> tuple[str, str]:
    """(file name, data: URI) of the one file, or of a zip named ``zip_name`` holding them all."""
    if len(paths) == 1:
        path = paths[0]
        name, data = path.name, path.read_bytes()
    else:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in paths:
                archive.write(path, arcname=path.name)
        name, data = zip_name, buffer.getvalue()
    mime = MIME.get(Path(name).suffix, "application/octet-stream")
    return name, f"data:{mime};base64," + base64.b64encode(data).decode("ascii")


def zip_name(office: str, what: str, month: str, fmt: str | None = None) -> str:
    """A batch's zip name that says what is inside: office, kind, month and format, e.g.
    ``デモ事業所_支援レポート_2026-10_pdf.zip`` (parts made safe as the documents' names are)."""
    from ..reports import safe_name
    parts = [safe_name(office) if office else "全事業所", safe_name(what), safe_name(month), *([fmt] if fmt else [])]
    return "_".join(parts) + ".zip"


def _people(found: list[dict], limit: int = 8) -> str:
    names = [f"{p['user_id']} {p['name']}".strip() for p in found[:limit]]
    return "、".join(names) + (f" ほか{len(found) - limit}人" if len(found) > limit else "")


class ExportModel(Panel):
    """What to make, and what was made."""

    kind = t.Unicode("support")
    audience = t.Unicode("")             # "" both copies, 本人, 企業 (a kind with copies)
    scope = t.Unicode("reviewed")        # reviewed / all (the month's agenda) / case (the open case)
    fmt = t.Unicode("html")
    user_id = t.Unicode("")              # the open case
    progress = t.Tuple((0, 0))           # (done, total) while making
    status = t.Unicode("")
    status_kind = t.Unicode("ok")          # ok (green) / warning (amber) / error (red: made, not in the access log)
    notes = t.List()                     # what staff must know about the batch (Japanese sentences)
    link_name = t.Unicode("")
    link_uri = t.Unicode("")
    checks_name = t.Unicode("")          # the staff-only 確認事項 of a 支援レポート batch
    checks_uri = t.Unicode("")
    made_users = t.List()                # 利用者ID of the month's latest 支援レポート batch (the sending panel offers them)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # the people of the latest 支援レポート batch of each month and office: kept while other
        # documents are made (making everything, then recording the sending, is the usual order)
        self._made: dict[tuple[str, str], list[str]] = {}

    def context_changed(self, old: Context, new: Context) -> None:
        """Another month or office: its own latest 支援レポート batch (none yet: nobody)."""
        if moved(old, new, "month", "office"):
            self.made_users = self._made.get((new.month, new.office), [])

    @property
    def month(self) -> str:
        return self.context.month

    @property
    def office_name(self) -> str:
        return self.book.office if self.book is not None else ""

    def make(self) -> list[Path]:
        from ..reports import make_reports
        c = self.context
        if c.book_path is None or not self.month:
            raise FormError("ケース記録が読み込まれていません")
        asked = documents.kind(self.kind)
        user = None
        if asked.of_people and self.scope == "case":
            if not self.user_id:
                raise FormError("ケースを開いてから「開いているケースの人」を選んでください")
            user = self.user_id
        self.link_name = self.link_uri = self.checks_name = self.checks_uri = ""
        self.notes = []
        self.status, self.status_kind = "作成中です…", "ok"
        out = out_dir_for(c.book_path, self.month)
        batch = make_reports(
            self.kind, c.book_path, self.month, db=c.db_url, user=user,
            audience=(self.audience or None) if asked.copies else None, fmt=self.fmt, out_dir=out,
            office=self.office or None, include_unreviewed=asked.of_people and self.scope == "all", source=c.source,
            progress=lambda done, total: setattr(self, "progress", (done, total)))
        made = batch.documents
        notes = []
        if batch.affected:
            notes.append(f"{_people(batch.affected)} の{asked.title}は、その人の行にエラーがあるため読める値だけで作りました"
                         f"（{documents.CHECKS.file_label}に一覧があります）。")
        if batch.unreviewed and asked.of_people and self.scope == "reviewed":
            notes.append(f"検討の記録がない {len(batch.unreviewed)}人（{_people(batch.unreviewed)}）の{asked.title}は"
                         "作っていません。作るときは対象で「この月の全員」か「開いているケースの人」を選んでください。")
        if batch.no_employer:
            notes.append(f"企業共有同意が「はい」でない {len(batch.no_employer)}人（{_people(batch.no_employer)}）は、"
                         f"{COPY_LABELS[EMPLOYER]}の{asked.title}を作っていません（{COPY_LABELS[SELF]}だけです）。")
        self.notes = notes
        if not made:
            self.status_kind = "warning"
            self.status = (f"作成する{asked.title}はありません（この月に検討の記録がある人がいません）"
                           if asked.of_people and self.scope == "reviewed" else
                           "作成する帳票はありません（この月の検討対象の人がいません）")
            return made
        self.link_name, self.link_uri = download(made, zip_name(self.office_name, asked.file_label, self.month, self.fmt))
        if batch.checks:
            self.checks_name, self.checks_uri = download(
                batch.checks, zip_name(self.office_name, documents.CHECKS.file_label, self.month))
        if asked.sent:
            self._made[(self.month, self.office)] = [p["user_id"] for p in batch.people
                                                     if p["office"] == self.office or not self.office]
            self.made_users = self._made[(self.month, self.office)]
        sending = (f"（作っただけでは送付の記録になりません。渡したら「{asked.title}の送付の記録」で記録してください）"
                   if asked.sent else "")
        self.status = f"{len(made)}件を作成しました{sending}。保存先: {out}"
        people = {p["user_id"] for p in batch.people} if asked.of_people else set()
        failed = log_documents(self.context, [p.name for p in batch.paths], detail=self.month,
                               user_id=user or (next(iter(people)) if len(people) == 1 else None))
        if failed:                       # the documents stay offered; the status says the log lacks them
            self.status, self.status_kind = f"{self.status}。帳票を作ったことを{failed}", "error"
        return made
