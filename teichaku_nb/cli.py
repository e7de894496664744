"""The ``teichaku`` command line (contract in shared/design.md).

Exit codes: 0 done (warnings allowed), 1 the data has errors, 2 the input cannot be
read or the arguments are wrong.  Messages for people are Japanese; ``--json`` is for
programs.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from . import japanese
from .casebook import ERROR, SEVERITY_LABELS, CaseBook

EXIT_OK, EXIT_DATA, EXIT_INPUT = 0, 1, 2

# argparse's own English, said in Japanese.
_ARGPARSE_JA = (
    ("the following arguments are required: ", "次の引数が必要です: "),
    ("unrecognized arguments: ", "知らない引数です: "),
    ("invalid choice: ", "選べない値です: "),
    ("expected one argument", "値を1つ指定してください"),
    ("argument ", "引数 "),
    ("choose from ", "選べるのは "),
    ("invalid int value: ", "整数ではありません: "),
)


class _Formatter(argparse.RawDescriptionHelpFormatter):
    def add_usage(self, usage, actions, groups, prefix=None):
        return super().add_usage(usage, actions, groups, prefix="使い方: " if prefix is None else prefix)


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", _Formatter)
        kwargs.setdefault("add_help", False)
        super().__init__(*args, **kwargs)
        self._positionals.title = "引数"
        self._optionals.title = "オプション"
        self.add_argument("-h", "--help", action="help", help="この説明を表示して終了します")

    def error(self, message):
        for english, japanese_text in _ARGPARSE_JA:
            message = message.replace(english, japanese_text)
        self.print_usage(sys.stderr)
        self.exit(EXIT_INPUT, f"{self.prog}: エラー: {message}\n")


def _month(text: str):
    try:
        month = japanese.parse_month(text)
    except ValueError:
        month = None
    if month is None:
        raise argparse.ArgumentTypeError(f"年月として読めません: {text}（例: 2025-04）")
    return month


def _year(text: str) -> int:
    try:
        value = japanese.parse_int(text)
    except ValueError:
        value = None
    if value is None or not 1900 <= value <= 2200:
        raise argparse.ArgumentTypeError(f"年度として読めません: {text}（例: 2025）")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="teichaku",
        description="就労定着支援のケース会議を支えるツールです。\n"
                    "ケース記録のスプレッドシートを読み、点検し、月の検討対象と就労定着率を出します。",
        epilog="終了コード: 0 完了（警告あり含む） / 1 データにエラーあり / 2 読み込めない・引数の誤り",
    )
    commands = parser.add_subparsers(dest="command", metavar="コマンド", title="コマンド",
                                     parser_class=_Parser)
    commands.required = True

    p = commands.add_parser("template", help="入力用の空のテンプレート（Excel）を作ります",
                            description="入力用の空のテンプレート（Excel）を作ります。")
    p.add_argument("out", metavar="OUT.xlsx", type=Path, help="書き出すファイル")
    p.set_defaults(handler=cmd_template)

    p = commands.add_parser("demo", help="架空の人物によるデモデータを作ります",
                            description="架空の人物によるデモデータを作ります（実在の人物は含みません）。\n"
                                        "OUT が .xlsx ならブック1つ、そうでなければ事業所ごとのブックを入れたフォルダです。")
    p.add_argument("out", metavar="OUT", type=Path, help="書き出すファイル（.xlsx）またはフォルダ")
    p.add_argument("--users", type=int, default=30, help="利用者の総数（既定 30）")
    p.add_argument("--months", type=int, default=12, help="記録の月数（既定 12）")
    p.add_argument("--offices", type=int, default=1, help="事業所の数（既定 1）")
    p.add_argument("--seed", type=int, default=1, help="乱数の種。同じ種なら同じデータ（既定 1）")
    p.add_argument("--end", type=_month, default=None, metavar="YYYY-MM",
                   help="最後の月（既定: 先月）")
    p.set_defaults(handler=cmd_demo)

    p = commands.add_parser("validate", help="ケース記録を点検し、問題を一覧にします",
                            description="ケース記録を点検し、問題をシート・行・列つきで一覧にします。")
    p.add_argument("book", metavar="BOOK", type=Path,
                   help="ブック（.xlsx/.xlsm/.xls/.ods）、CSVフォルダ、または事業所ごとのブックのフォルダ")
    p.add_argument("--json", action="store_true", help="プログラム向けにJSONで出力します")
    p.set_defaults(handler=cmd_validate)

    p = commands.add_parser("review", help="月の検討対象とフラグを一覧にします",
                            description="その月のケース会議で検討する利用者を、要対応・注意・安定の順に一覧にします。")
    p.add_argument("book", metavar="BOOK", type=Path, help="ブック、CSVフォルダ、または事業所フォルダ")
    p.add_argument("--month", type=_month, required=True, metavar="YYYY-MM", help="対象の年月")
    p.add_argument("--db", metavar="URL", default=None, help="会議記録のデータベース（省略時はブックのみで判定）")
    p.add_argument("--json", action="store_true", help="プログラム向けにJSONで出力します")
    p.set_defaults(handler=cmd_review)

    p = commands.add_parser("retention", help="就労定着率と基本報酬の区分を出します",
                            description="年度の就労定着率（基準日・対象者・区分・単位）と翌年度の見込みを出します。")
    p.add_argument("book", metavar="BOOK", type=Path, help="ブック、CSVフォルダ、または事業所フォルダ")
    p.add_argument("--fiscal-year", type=_year, required=True, metavar="YYYY", help="報酬を算定する年度（例: 2025）")
    p.add_argument("--json", action="store_true", help="プログラム向けにJSONで出力します")
    p.set_defaults(handler=cmd_retention)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except BrokenPipeError:
        return EXIT_OK
    except KeyboardInterrupt:
        return EXIT_INPUT
    except Exception as error:  # a bug of ours: say so in Japanese, keep details for developers
        if os.environ.get("TEICHAKU_DEBUG"):
            raise
        print(f"エラー: 処理を続けられませんでした（{type(error).__name__}: {error}）。\n"
              "環境変数 TEICHAKU_DEBUG=1 を付けて実行すると詳細が出ます。", file=sys.stderr)
        return EXIT_INPUT


def _print_json(data) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def _load(path: Path) -> tuple[list[CaseBook], bool]:
    """All office casebooks under ``path`` and whether it was a folder of offices."""
    from .workbook import load_source
    return load_source(path)


def _exit_code(books: list[CaseBook]) -> int:
    if any(p.code == "unreadable" for b in books for p in b.problems):
        return EXIT_INPUT
    return EXIT_DATA if any(not b.ok for b in books) else EXIT_OK


# --- template, demo -----------------------------------------------------------------

def cmd_template(args) -> int:
    from .template import write_template
    if args.out.suffix.lower() != ".xlsx":
        print(f"エラー: テンプレートは .xlsx で書き出します（指定: {args.out}）", file=sys.stderr)
        return EXIT_INPUT
    write_template(args.out)
    print(f"テンプレートを書き出しました: {args.out}")
    return EXIT_OK


def cmd_demo(args) -> int:
    from .demo import make_demo
    if args.users < 1 or args.months < 1 or args.offices < 1:
        print("エラー: --users, --months, --offices は1以上にしてください", file=sys.stderr)
        return EXIT_INPUT
    if args.out.suffix.lower() == ".xlsx" and args.offices > 1:
        print("エラー: 複数の事業所はフォルダに書き出します（OUT に .xlsx でない名前を指定してください）",
              file=sys.stderr)
        return EXIT_INPUT
    paths = make_demo(args.out, users=args.users, months=args.months, offices=args.offices,
                      seed=args.seed, end=args.end)
    print(f"デモデータ（架空の人物）を書き出しました: {args.out}（ブック {len(paths)} 件）")
    return EXIT_OK


# --- validate -----------------------------------------------------------------------

def _validation(book: CaseBook) -> dict:
    return {"office": book.office, "ok": book.ok, "counts": book.counts,
            "problems": [p.as_dict() for p in book.problems]}


def format_problems(book: CaseBook) -> str:
    """The problems for people: grouped by sheet, each with row and column."""
    lines = []
    errors = len(book.errors)
    warnings = len(book.problems) - errors
    counts = "、".join(f"{sheet} {n}行" for sheet, n in book.counts.items())
    lines.append(f"■ {book.office}（{book.source}）")
    if counts:
        lines.append(f"  読み込んだ行: {counts}")
    if not book.problems:
        lines.append("  問題はありません。")
        return "\n".join(lines)
    lines.append(f"  エラー {errors}件、警告 {warnings}件")
    by_sheet: dict[str, list] = {}
    for problem in book.problems:
        by_sheet.setdefault(problem.sheet or "ファイル全体", []).append(problem)
    for sheet, problems in by_sheet.items():
        lines.append(f"  [{sheet}]")
        for p in problems:
            lines.append(f"    {SEVERITY_LABELS[p.severity]}: {p.message}")
    return "\n".join(lines)


def cmd_validate(args) -> int:
    books, is_offices = _load(args.book)
    if args.json:
        if is_offices:
            _print_json({"ok": all(b.ok for b in books), "offices": [_validation(b) for b in books]})
        else:
            _print_json(_validation(books[0]))
    else:
        print("\n\n".join(format_problems(b) for b in books))
    return _exit_code(books)


# --- review, retention: owned by the rules (issue 3) ---------------------------------

def cmd_review(args) -> int:
    raise NotImplementedError("review: issue 3")


def cmd_retention(args) -> int:
    raise NotImplementedError("retention: issue 3")
