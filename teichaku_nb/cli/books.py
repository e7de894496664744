"""The workbooks: ``teichaku template`` (an empty one), ``teichaku demo`` (fictional people)
and ``teichaku validate`` (the problems of one, by sheet, row and column)."""

from __future__ import annotations

import datetime as dt
import sys

import pandas as pd

from ..casebook import CaseBook
from .common import EXIT_INPUT, EXIT_OK, exit_code, load, print_json, refused, writable
from .terminal import format_problems


def cmd_template(args) -> int:
    from ..template import write_template
    if args.out.suffix.lower() != ".xlsx":
        print(f"エラー: テンプレートは .xlsx で書き出します（指定: {args.out}）", file=sys.stderr)
        return EXIT_INPUT
    if refused(args.out, force=args.force) or not writable(args.out):
        return EXIT_INPUT
    write_template(args.out)
    print(f"テンプレートを書き出しました: {args.out}")
    return EXIT_OK


def cmd_demo(args) -> int:
    from ..demo import demo_paths, make_demo
    if args.users < 1 or args.months < 1 or args.offices < 1:
        print("エラー: --users, --months, --offices は1以上にしてください", file=sys.stderr)
        return EXIT_INPUT
    if args.end is not None and args.end >= pd.Period(dt.date.today(), "M"):
        print(f"エラー: --end は先月以前の年月にしてください（デモデータに今日より後の日付を作らないため。指定: {args.end}）",
              file=sys.stderr)
        return EXIT_INPUT
    if args.out.suffix.lower() == ".xlsx" and args.offices > 1:
        print("エラー: 複数の事業所はフォルダに書き出します（OUT に .xlsx でない名前を指定してください）",
              file=sys.stderr)
        return EXIT_INPUT
    folder = args.out.suffix.lower() != ".xlsx"
    if folder and args.out.exists() and not args.out.is_dir():
        print(f"エラー: {args.out} はフォルダではありません（複数の事業所はフォルダに書き出します）", file=sys.stderr)
        return EXIT_INPUT
    if any(refused(path, force=args.force) for path in demo_paths(args.out, args.offices)):
        return EXIT_INPUT
    if not writable(args.out, folder=folder):
        return EXIT_INPUT
    paths = make_demo(args.out, users=args.users, months=args.months, offices=args.offices,
                      seed=args.seed, end=args.end)
    print(f"デモデータ（架空の人物）を書き出しました: {args.out}（ブック {len(paths)} 件）")
    return EXIT_OK


def _validation(book: CaseBook) -> dict:
    """The documented shape; ``problems`` lists at most the first ones of each code and sheet
    (a summary entry with row null counts the rest), ``omitted`` gives those counts."""
    return {"office": book.office, "ok": book.ok, "counts": book.counts,
            "problems": [p.as_dict() for p in book.problems],
            "omitted": [{"severity": p.severity, "sheet": p.sheet, "code": p.code, "count": p.omitted}
                        for p in book.problems if p.omitted]}


def cmd_validate(args) -> int:
    books, is_offices = load(args.book)
    if args.json:
        if is_offices:
            print_json({"ok": all(b.ok for b in books), "offices": [_validation(b) for b in books]})
        else:
            print_json(_validation(books[0]))
    else:
        print("\n\n".join(format_problems(b) for b in books))
    return exit_code(books)
