"""The month's cases: ``teichaku review`` (the agenda and its flags), ``teichaku retention``
(the fiscal year's 就労定着率, and what it means in yen) and ``teichaku billing`` (the fee check),
each for every office of BOOK, reading the conference's records when there is a store.  The fee
check written to Excel (``billing --out``) is ``exported`` in that store's access log, the entry
written before the file is put in place (a log that cannot be written: no file, exit code 2)."""

from __future__ import annotations

import datetime as dt
import sys

from .. import japanese
from ..casebook import CaseBook
from .common import (EXIT_INPUT, LogNotWritten, excel_out_refused, exit_code, load, log_access, open_store, print_json,
                     readable_books, unlogged_export)
from .terminal import (billing_block, billing_total, money_block, retention_block, retention_total, review_block,
                       review_total, track_record_block)


def month_results(args, compute, period=None) -> tuple[list[CaseBook], bool, list] | None:
    """Each readable book of ``args.book`` with ``compute(book, period, store)`` (``period``:
    ``args.month`` unless given; the store of ``--db`` or beside the workbook, read-only, when
    there is one); None when the store cannot be opened (said on stderr)."""
    from ..store import StoreError
    books, is_offices = load(args.book)
    opened = readable_books(books)
    try:
        store = open_store(args, opened)
    except StoreError as error:
        print(f"エラー: {error}", file=sys.stderr)
        return None
    period = args.month if period is None else period
    results = [(book, compute(book, period, store)) for book in opened]
    if store is not None:
        store.close()
    return books, is_offices, results


def cmd_review(args) -> int:
    from ..office_month import OfficeMonth
    found = month_results(args, lambda book, month, store: OfficeMonth(book, month, store).agenda)
    if found is None:
        return EXIT_INPUT
    books, is_offices, reviews = found
    _print_results(args, reviews, is_offices, review_block, review_total)
    return exit_code(books)


def cmd_retention(args) -> int:
    """The fiscal year's rate per office (reading the 就労確認 recorded in the app when there is a
    store: ``--db`` or beside the workbook, read-only), and for a month of that year what it
    means in yen and whose leaving would change it (``money``)."""
    from .. import money, retention, track_record
    from ..rules import default_month

    def compute(book, fiscal_year, store):
        checks = store.employment_checks_frame(book.key) if store is not None else None
        month = args.month or default_month(book, dt.date.today())
        in_year = retention.fiscal_year_of(month) == fiscal_year
        return (retention.of_fiscal_year(book, fiscal_year, checks=checks),
                money.outlook(book, month) if in_year else None, month,
                track_record.of_fiscal_year(book, fiscal_year, checks=checks))

    found = month_results(args, compute, args.fiscal_year)
    if found is None:
        return EXIT_INPUT
    books, is_offices, results = found
    if args.json:
        data = [result.as_dict() | {"track_record": record.as_dict()} | ({"money": outlook.as_dict()} if outlook else {})
                for _, (result, outlook, _, record) in results]
        if data:
            print_json({"offices": data} if is_offices else data[0])
        return exit_code(books)
    blocks = [retention_block(book, result) + "\n" + track_record_block(record) + "\n" + (
              money_block(outlook) if outlook else
              f"※ 金額の見込みと離職の影響は、{args.fiscal_year}年度の月を --month で指定すると出ます"
              f"（{japanese.format_month(month)}は{args.fiscal_year}年度ではありません）")
              for book, (result, outlook, month, record) in results]
    if is_offices and results:
        blocks.append(retention_total([result for _, (result, *_) in results]))
    if blocks:
        print("\n\n".join(blocks))
    return exit_code(books)


def cmd_billing(args) -> int:
    from ..billing import write_excel
    from ..office_month import OfficeMonth
    if args.out is not None and excel_out_refused(args):
        return EXIT_INPUT
    found = month_results(args, lambda book, month, store: OfficeMonth(book, month, store).billing)
    if found is None:
        return EXIT_INPUT
    books, is_offices, results = found
    _print_results(args, results, is_offices, billing_block, billing_total)
    if args.out is not None and results:
        from ..files import replacing
        bills = [bill for _, bill in results]
        try:
            with replacing(args.out) as temporary:
                write_excel(bills, temporary)
                log_access(args.db, args.book, [_billing_entry(args, results, is_offices)])
        except LogNotWritten as error:      # no file: an export is not left without its entry
            unlogged_export(args.out, error)
            return EXIT_INPUT
        print(f"算定チェックを書き出しました: {args.out}", file=sys.stderr if args.json else sys.stdout)
    return exit_code(books)


def _billing_entry(args, results: list, is_offices: bool) -> dict:
    """The ``exported`` entry of a fee check written to Excel (people's names and fees): the
    office's key for one office's book, none for a folder of offices (the detail counts them)."""
    people = sum(len(bill.people) for _, bill in results)
    counted = f"{len(results)}事業所・{people}人" if is_offices else f"{people}人"
    return {"action": "exported", "office": None if is_offices else results[0][0].key, "document": args.out.name,
            "detail": f"算定チェック {japanese.format_month(args.month)}（{counted}）"}


def _print_results(args, results: list, is_offices: bool, block, total) -> None:
    """One result per office: JSON for programs, or a block each (and a total line) for people."""
    if args.json:
        if is_offices:
            print_json({"offices": [result.as_dict() for _, result in results]})
        elif results:
            print_json(results[0][1].as_dict())
        return
    blocks = [block(book, result) for book, result in results]
    if is_offices and results:
        blocks.append(total([result for _, result in results]))
    if blocks:
        print("\n\n".join(blocks))
