"""``teichaku report``: the documents of a month (会議録, 支援レポート, 月次サマリー) or a person's
個別支援計画書, made by ``reports.make_reports``, with what staff must know about the batch on
stderr.  Making is not sending: nothing is recorded."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

from .. import documents
from .common import EXIT_INPUT, exit_code, readable_books, writable
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
    wrong = documents.asking_problem(args.kind, user=args.user, audience=args.audience,
                                     include_unreviewed=args.include_unreviewed)
    if wrong:
        return wrong
    if not documents.kind(args.kind).needs_user and args.month is None:
        return "--month で対象の年月を指定してください（例: --month 2026-10）"
    return None


def cmd_report(args) -> int:
    from ..reports import ReportError, make_reports
    wrong = _report_arguments(args)
    if wrong:
        print(f"エラー: {wrong}", file=sys.stderr)
        return EXIT_INPUT
    from ..workbook import read_source
    source = read_source(args.book)             # read once: the report kernel gets it as it is
    books = source.books
    if not readable_books(books):
        return EXIT_INPUT
    if args.month is None:                      # plan: the month the app would open
        from ..rules import default_month
        readable = [b for b in books if not b.unreadable]
        having = [b for b in readable if args.user in set(b.users["user_id"])] or readable
        args.month = default_month(having[0], dt.date.today())
    out = args.out if args.out is not None else Path("reports") / args.month.strftime("%Y-%m")
    if not writable(out, folder=True):
        return EXIT_INPUT
    try:
        batch = make_reports(args.kind, args.book, args.month, db=args.db, user=args.user,
                             audience=args.audience, fmt=args.fmt, out_dir=out, progress=_progress_bar,
                             office=args.office, include_unreviewed=args.include_unreviewed, source=source)
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
    return exit_code(books)


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
