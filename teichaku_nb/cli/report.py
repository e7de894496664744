"""``teichaku report``: the documents of a month (会議録, 支援レポート, 月次サマリー), a person's
個別支援計画書, made by ``reports.make_reports``, or the 運営指導の確認資料 of a period (--from
--to, ``reports.make_evidence``), with what staff must know about the batch on
stderr.  Making is not sending: no sending or 交付 is recorded.  The documents made are written
to the access log (``document_made``, as ``端末:<OS user>``) when the conference store exists
(``--db``, or the file beside BOOK): a look at people's records from the command line is logged
as one in the app is.  No store is made for it.  If the log cannot be written the documents
stay, and the command says so on stderr and ends with exit code 2 (``EXIT_INPUT``): a store this
OS user may only read is then a gap in the log that someone sees, not a silent one."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

from .. import documents
from .common import EXIT_INPUT, LogNotWritten, exit_code, log_access, readable_books, writable
from .terminal import problem_line


def _progress_bar(done: int, total: int, *, width: int = 30) -> None:
    """A text progress bar on stderr, for batches (more than one document)."""
    if total <= 1:
        return
    filled = width * done // total
    end = "\n" if done >= total else ""
    print(f"\r作成中 [{'#' * filled}{'.' * (width - filled)}] {done}/{total}", end=end, file=sys.stderr, flush=True)


def _report_arguments(args) -> str | None:
    """What is wrong with ``teichaku report``'s arguments (Japanese), or None."""
    period = args.start is not None or args.end is not None
    wrong = documents.asking_problem(args.kind, user=args.user, audience=args.audience,
                                     include_unreviewed=args.include_unreviewed, period=period)
    if wrong:
        return wrong
    if period:
        if args.start is None or args.end is None or args.month is not None:
            return "期間は --from と --to の両方で指定してください（--month は使いません）"
        if args.start > args.end:
            return f"--from（{args.start}）が --to（{args.end}）より後です"
        return None
    if not documents.kind(args.kind).needs_user and args.month is None:
        return "--month で対象の年月を指定してください（例: --month 2026-10）"
    return None


def cmd_report(args) -> int:
    from ..reports import ReportError
    wrong = _report_arguments(args)
    if wrong:
        print(f"エラー: {wrong}", file=sys.stderr)
        return EXIT_INPUT
    from ..workbook import read_source
    source = read_source(args.book)             # read once: the report kernel gets it as it is
    books = source.books
    if not readable_books(books):
        return EXIT_INPUT
    if args.month is None and args.end is None:      # plan: the month the app would open
        from ..rules import default_month
        readable = [b for b in books if not b.unreadable]
        having = [b for b in readable if args.user in set(b.users["user_id"])] or readable
        args.month = default_month(having[0], dt.date.today())
    out = args.out if args.out is not None else Path("reports") / _period_part(args)
    if not writable(out, folder=True):
        return EXIT_INPUT
    try:
        batch = _made(args, out, source)
    except ReportError as error:
        print(f"エラー: {error}", file=sys.stderr)
        return EXIT_INPUT
    for book in books:
        line = problem_line(book)
        if line:
            print(line, file=sys.stderr)
    from ..store import default_path, shown_location
    db = args.db or str(default_path(args.book))
    if args.db or Path(db).exists():
        print(f"会議記録のデータベース: {shown_location(db)}", file=sys.stderr)
    for line in _batch_notes(batch, args):
        print(line, file=sys.stderr)
    made = batch.documents
    if not made:
        print("作る文書はありませんでした")
        return exit_code(books)
    print(f"{len(made)}件を書き出しました: {out}")
    for path in made:
        print(f"  {path.name}")
    if documents.kind(args.kind).sent:
        print("※ 作っただけでは送付の記録になりません。渡したら teichaku sent で記録してください。", file=sys.stderr)
    if not _logged(args, batch, source.books):
        return EXIT_INPUT
    return exit_code(books)


def _period_part(args) -> str:
    """The month (or period) in the documents' folder and file names."""
    from ..reports import period_part
    return period_part(args.end, args.start) if args.end is not None else period_part(args.month)


def _made(args, out: Path, source):
    """The documents asked for: a month's (``make_reports``) or a period's (``make_evidence``)."""
    from ..reports import make_evidence, make_reports
    if documents.kind(args.kind).period:
        return make_evidence(args.book, args.start, args.end, db=args.db, user=args.user, fmt=args.fmt, out_dir=out,
                             progress=_progress_bar, office=args.office, source=source)
    return make_reports(args.kind, args.book, args.month, db=args.db, user=args.user,
                        audience=args.audience, fmt=args.fmt, out_dir=out, progress=_progress_bar,
                        office=args.office, include_unreviewed=args.include_unreviewed, source=source)


def _logged(args, batch, books) -> bool:
    """``document_made`` for every file of ``batch`` (the 確認事項 too: it names people), an entry
    or more per office, in the store when there is one; False (said on stderr, the documents
    kept) when the log cannot be written."""
    from ..reports import period_label
    from ..store.access_log import document_entries
    month = args.end if args.end is not None else args.month
    detail = f"{period_label(month, args.start)}・{args.fmt.upper()}"
    entries = []
    for office, paths in _by_office(batch.paths, books, args.kind, _period_part(args)):
        people = {p["user_id"] for p in batch.people if p["office"] == office}
        for document, part in document_entries([p.name for p in paths], detail):
            entries.append({"action": "document_made", "office": office, "document": document, "detail": part,
                            "user_id": next(iter(people)) if len(people) == 1 else None})
    try:
        log_access(args.db, args.book, entries)
    except LogNotWritten as error:
        print(f"アクセス記録に書き込めませんでした: {error}\n"
              f"作った帳票（{len(batch.paths)}件）はそのまま残していますが、作ったことは記録に残っていません。"
              "データベースに書き込める利用者で実行するか、管理者に連絡してください。", file=sys.stderr)
        return False
    return True


def _by_office(paths: list[Path], books, kind: str, ym: str) -> list[tuple[str | None, list[Path]]]:
    """The documents of each office (its key), told by their file names: ``reports`` names each
    ``<office>_<label>_<YYYY-MM>[_…]`` (``office_part``: the office's name, with its 事業所番号
    when another office has the same name), the label being the kind's or the 確認事項's; the
    longest start that fits wins.  A name no office's start fits (none is expected) is logged
    without an office."""
    from ..casebook import namesakes
    from ..reports import office_part
    labels = (documents.kind(kind).file_label, documents.CHECKS.file_label)
    starts = {f"{office_part(book, namesakes(books))}_{label}_{ym}": book.key
              for book in books if not book.unreadable for label in labels}
    found: dict[str | None, list[Path]] = {}
    for path in paths:
        start = max((s for s in starts if path.stem == s or path.stem.startswith(f"{s}_")), key=len, default=None)
        found.setdefault(starts.get(start), []).append(path)
    return list(found.items())


def _names(people: list[dict], *, limit: int = 10) -> str:
    shown = [f"{p['user_id']} {p['name']}".strip() for p in people[:limit]]
    return "、".join(shown) + (f" ほか{len(people) - limit}人" if len(people) > limit else "")


def _batch_notes(batch, args) -> list[str]:
    """What staff must know about a batch: copies made without unreadable rows, the
    確認事項, and the people left out for want of a review."""
    lines = []
    if batch.affected:
        lines.append(f"※ 次の {len(batch.affected)}人の支援レポートは、その人の行にエラーがあるため読める値だけで作りました: "
                     f"{_names(batch.affected)}")
    if batch.no_employer:
        lines.append(f"※ 企業共有同意が「はい」でない {len(batch.no_employer)}人は、企業用の支援レポートを作っていません"
                     f"（本人用だけです）: {_names(batch.no_employer)}")
    for path in batch.checks:
        lines.append(f"※ 確認事項（事業所内用。渡さないでください）: {path}")
    if batch.unreviewed and not args.include_unreviewed:
        lines.append(f"※ その月に検討の記録がない {len(batch.unreviewed)}人の支援レポートは作っていません: "
                     f"{_names(batch.unreviewed)}。作るときは --user で1人ずつ、または --all で全員分を指定してください。")
    return lines
