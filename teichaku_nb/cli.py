"""The ``teichaku`` command line (the contract other tools rely on: docs/design.md).

Exit codes: 0 done (warnings allowed), 1 the data has errors, 2 the input cannot be
read or the arguments are wrong, 130 interrupted (Ctrl-C).  Messages for people are Japanese; ``--json`` is for
programs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import signal
import sys
import tempfile
from pathlib import Path

import pandas as pd

from . import documents, japanese
from .casebook import CaseBook
from .terminal import (billing_block, billing_total, format_problems, money_block, problem_line, retention_block,
                       retention_total, review_block, review_total, track_record_block)

EXIT_OK, EXIT_DATA, EXIT_INPUT = 0, 1, 2
EXIT_INTERRUPTED = 130                 # Ctrl-C (128 + SIGINT, as shells report it)
RECIPIENT_CHOICES = ("本人", "企業", "本人・企業")

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


def _argument(parse, what: str, example: str, valid=lambda value: True):
    """An argparse type: ``parse(text)``, or a Japanese error naming ``what`` and an example."""
    def convert(text: str):
        try:
            value = parse(text)
        except ValueError:
            value = None
        if value is None or not valid(value):
            raise argparse.ArgumentTypeError(f"{what}として読めません: {text}（例: {example}）")
        return value
    return convert


_month = _argument(japanese.parse_month, "年月", "2025-04")
_year = _argument(japanese.parse_int, "年度", "2025", lambda value: 1900 <= value <= 2200)
_date = _argument(japanese.parse_date, "日付", "2026-11-05")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="teichaku",
        description="就労定着支援のケース会議を支えるツールです。\n"
                    "ケース記録のスプレッドシートを読み、点検し、月の検討対象と就労定着率を出します。",
        epilog="終了コード: 0 完了（警告あり含む） / 1 データにエラーあり / 2 読み込めない・引数の誤り / 130 中断（Ctrl+C）",
    )
    commands = parser.add_subparsers(dest="command", metavar="コマンド", title="コマンド",
                                     parser_class=_Parser)
    commands.required = True

    _add_file_commands(commands)
    _add_month_commands(commands)
    _add_document_commands(commands)
    return parser


def _add_file_commands(commands) -> None:
    """template, demo, validate: files of cases."""
    p = commands.add_parser("template", help="入力用の空のテンプレート（Excel）を作ります",
                            description="入力用の空のテンプレート（Excel）を作ります。")
    p.add_argument("out", metavar="OUT.xlsx", type=Path, help="書き出すファイル")
    p.add_argument("--force", action="store_true", help="OUT がすでにあるとき上書きします")
    p.set_defaults(handler=cmd_template)

    p = commands.add_parser("demo", help="架空の人物によるデモデータを作ります",
                            description="架空の人物によるデモデータを作ります（実在の人物は含みません）。\n"
                                        "OUT が .xlsx ならブック1つ、そうでなければ事業所ごとのブックを入れたフォルダです。")
    p.add_argument("out", metavar="OUT", type=Path, help="書き出すファイル（.xlsx）またはフォルダ")
    p.add_argument("--users", type=int, default=36, help="利用者の総数（既定 36）")
    p.add_argument("--months", type=int, default=12, help="記録の月数（既定 12）")
    p.add_argument("--offices", type=int, default=1, help="事業所の数（既定 1）")
    p.add_argument("--seed", type=int, default=1, help="乱数の種。同じ種なら同じデータ（既定 1）")
    p.add_argument("--end", type=_month, default=None, metavar="YYYY-MM",
                   help="最後の月（既定: 先月）")
    p.add_argument("--force", action="store_true", help="書き出すブックがすでにあるとき上書きします")
    p.set_defaults(handler=cmd_demo)

    p = commands.add_parser("validate", help="ケース記録を点検し、問題を一覧にします",
                            description="ケース記録を点検し、問題をシート・行・列つきで一覧にします。")
    p.add_argument("book", metavar="BOOK", type=Path,
                   help="ブック（.xlsx/.xlsm/.xls/.ods）、CSVフォルダ、または事業所ごとのブックのフォルダ")
    p.add_argument("--json", action="store_true", help="プログラム向けにJSONで出力します")
    p.set_defaults(handler=cmd_validate)


def _add_month_commands(commands) -> None:
    """review, retention, export, app: the month's cases and the conference's records."""
    p = commands.add_parser("review", help="月の検討対象とフラグを一覧にします",
                            description="その月のケース会議で検討する利用者を、要対応・注意・安定の順に一覧にします。")
    p.add_argument("book", metavar="BOOK", type=Path, help="ブック、CSVフォルダ、または事業所フォルダ")
    p.add_argument("--month", type=_month, required=True, metavar="YYYY-MM", help="対象の年月")
    p.add_argument("--db", metavar="URL", default=None,
                   help="会議記録のデータベース（省略時はブックの隣の BOOK名.teichaku.sqlite があれば使います）")
    p.add_argument("--json", action="store_true", help="プログラム向けにJSONで出力します")
    p.set_defaults(handler=cmd_review)

    p = commands.add_parser("retention", help="就労定着率と基本報酬の区分を出します",
                            description="年度の就労定着率（基準日・対象者・区分・単位）と翌年度の見込みを出します。")
    p.add_argument("book", metavar="BOOK", type=Path, help="ブック、CSVフォルダ、または事業所フォルダ")
    p.add_argument("--fiscal-year", type=_year, required=True, metavar="YYYY", help="報酬を算定する年度（例: 2025）")
    p.add_argument("--month", type=_month, default=None, metavar="YYYY-MM",
                   help="金額の見込みと離職の影響を見る月（省略時は先月、またはデータのある最後の月）")
    p.add_argument("--db", metavar="URL", default=None,
                   help="会議記録のデータベース（アプリで記録した就労確認。省略時はブックの隣にあれば使います）")
    p.add_argument("--json", action="store_true", help="プログラム向けにJSONで出力します")
    p.set_defaults(handler=cmd_retention)

    p = commands.add_parser("billing", help="月の算定チェック（算定可・算定不可・減算・加算）を出します",
                            description="その月に支援中の利用者ごとに、基本報酬を算定できるか（理由つき）、減算・加算と\n"
                                        "単位数を出します。利用者負担・国保連への請求ファイル・人員配置の加算は含みません。")
    p.add_argument("book", metavar="BOOK", type=Path, help="ブック、CSVフォルダ、または事業所フォルダ")
    p.add_argument("--month", type=_month, required=True, metavar="YYYY-MM", help="対象の年月")
    p.add_argument("--db", metavar="URL", default=None,
                   help="会議記録のデータベース（支援レポートの送付・地域連携会議。省略時はブックの隣にあれば使います）")
    p.add_argument("--json", action="store_true", help="プログラム向けにJSONで出力します")
    p.add_argument("--out", type=Path, default=None, metavar="FILE.xlsx", help="同じ表をExcelにも書き出します（1人1行）")
    p.add_argument("--force", action="store_true", help="--out のファイルがすでにあるとき上書きします")
    p.set_defaults(handler=cmd_billing)

    p = commands.add_parser("export", help="会議記録（検討・役割分担・レポート送付・変更履歴）をExcelに書き出します",
                            description="会議記録のデータベースの中身を、記録の種類ごとのシートに分けてExcelに書き出します。")
    p.add_argument("book", metavar="BOOK", type=Path, help="ブック、CSVフォルダ、または事業所フォルダ")
    p.add_argument("out", metavar="OUT.xlsx", type=Path, help="書き出すファイル")
    p.add_argument("--db", metavar="URL", default=None,
                   help="会議記録のデータベース（省略時はブックの隣の BOOK名.teichaku.sqlite）")
    p.add_argument("--force", action="store_true", help="OUT がすでにあるとき上書きします（読み込むファイルは上書きしません）")
    p.set_defaults(handler=cmd_export)

    p = commands.add_parser("app", help="ケース会議アプリ（ブラウザの画面）を起動します",
                            description="ケース会議アプリを Voila で起動し、トークン付きのURLを表示します。\n"
                                        "BOOK を省略するとデモデータ（架空の人物）を開きます。")
    p.add_argument("book", metavar="BOOK", type=Path, nargs="?", default=None,
                   help="ブック、CSVフォルダ、または事業所フォルダ（省略時はデモデータ）")
    p.add_argument("--db", metavar="URL", default=None,
                   help="会議記録のデータベース（省略時はブックの隣の .teichaku.sqlite。デモはユーザーごとのフォルダ）")
    p.add_argument("--host", default="127.0.0.1", help="待ち受けるアドレス（既定 127.0.0.1）")
    p.add_argument("--port", type=int, default=8866, help="ポート番号（既定 8866）")
    p.set_defaults(handler=cmd_app)


def _add_document_commands(commands) -> None:
    """report, sent: the documents and their sending."""
    asked = [documents.kind(name) for name in documents.ASKED]
    p = commands.add_parser("report", help=f"{'・'.join(k.file_label for k in asked)}を HTML / PDF で作ります",
                            description="\n".join(f"{k.name}: {k.file_label} — {k.help}" for k in asked) + "\n"
                                        "作るだけで、送付・交付は記録しません。"
                                        f"{'・'.join(k.title for k in asked if k.sent)}を渡したら teichaku sent で記録してください。")
    p.add_argument("kind", choices=documents.ASKED, metavar="{" + "|".join(documents.ASKED) + "}",
                   help=" / ".join(f"{k.name}: {k.file_label}" for k in asked))
    p.add_argument("book", metavar="BOOK", type=Path, help="ブック、CSVフォルダ、または事業所フォルダ")
    p.add_argument("--month", type=_month, default=None, metavar="YYYY-MM",
                   help="対象の年月（plan では省略でき、そのときは先月、またはデータのある最後の月）")
    p.add_argument("--db", metavar="URL", default=None,
                   help="会議記録のデータベース（省略時はブックの隣の .teichaku.sqlite）")
    p.add_argument("--user", metavar="ID", default=None,
                   help="支援レポート・個別支援計画書を作る利用者ID（支援レポートでは省略時はその月に検討の記録がある人。"
                        "事業所のフォルダでは --office も）")
    p.add_argument("--all", dest="include_unreviewed", action="store_true",
                   help="支援レポートを、検討の記録がない人も含めてその月の対象者全員に作ります")
    p.add_argument("--for", dest="audience", choices=tuple(documents.COPY_LABELS), default=None,
                   help="支援レポートの宛先: 本人用 / 企業用（省略時は両方）")
    p.add_argument("--format", dest="fmt", choices=("html", "pdf"), default="html",
                   help="出力形式（既定 html。pdf には Chromium が必要）")
    p.add_argument("--out", type=Path, default=None, metavar="DIR", help="出力先フォルダ（既定 reports/YYYY-MM）")
    p.add_argument("--office", metavar="事業所名", default=None,
                   help="事業所ごとのブックのフォルダから1つの事業所だけ作ります（事業所名か事業所番号。省略時はすべての事業所）")
    p.set_defaults(handler=cmd_report)

    p = commands.add_parser("sent", help="支援レポートの送付を記録します（一覧・取消も）",
                            description="支援レポートを渡したことを会議記録に残します。--to を付けると記録、\n"
                                        "--withdraw で誤った記録の取消（記録は履歴に残ります）、どちらもなければその月の一覧です。")
    p.add_argument("book", metavar="BOOK", type=Path, help="ブック、CSVフォルダ、または事業所フォルダ")
    p.add_argument("--month", type=_month, required=True, metavar="YYYY-MM", help="支援レポートの対象の年月")
    p.add_argument("--to", dest="recipient", choices=RECIPIENT_CHOICES, default=None,
                   help="送付先: 本人 / 企業 / 本人・企業（指定すると記録します）")
    p.add_argument("--user", action="append", metavar="ID", default=None,
                   help="送付した利用者ID（いくつでも指定できます）")
    p.add_argument("--reviewed", action="store_true", help="その月に検討の記録がある全員に送付したとして記録します")
    p.add_argument("--date", type=_date, default=None, metavar="YYYY-MM-DD", help="送付日（既定: 今日）")
    p.add_argument("--by", default=None, metavar="名前", help="記録する人（既定: ログイン名）")
    p.add_argument("--withdraw", type=int, default=None, metavar="記録ID", help="この送付の記録を取り消します")
    p.add_argument("--reason", default="", metavar="理由", help="取り消す理由")
    p.add_argument("--db", metavar="URL", default=None,
                   help="会議記録のデータベース（省略時はブックの隣の .teichaku.sqlite）")
    p.add_argument("--office", metavar="事業所名", default=None,
                   help="事業所ごとのブックのフォルダでは事業所を指定します（事業所名か事業所番号）")
    p.set_defaults(handler=_cmd_sent)


def _cmd_sent(args) -> int:
    from .cli_sent import cmd_sent
    return cmd_sent(args)


def main(argv: list[str] | None = None) -> int:
    """Run one command.  Ctrl-C ends any command with 「中断しました」 and exit 130: files are
    written through a temporary file (files.replacing) and records in one transaction, so
    nothing is left half-written; an error raised while cleaning up after Ctrl-C is still
    an interruption."""
    interrupted = []

    def on_interrupt(signum, frame):
        interrupted.append(signum)
        signal.default_int_handler(signum, frame)            # KeyboardInterrupt, where the work is

    try:
        previous = signal.signal(signal.SIGINT, on_interrupt)
    except ValueError:                                       # not the main thread: no signals here
        previous = None
    try:
        args = build_parser().parse_args(argv)
        return args.handler(args)
    except BrokenPipeError:
        return EXIT_OK
    except KeyboardInterrupt:
        return _interrupted()
    except Exception as error:  # a bug of ours: say so in Japanese, keep details for developers
        if interrupted:
            return _interrupted()
        if os.environ.get("TEICHAKU_DEBUG"):
            raise
        print(f"エラー: 処理を続けられませんでした（{type(error).__name__}: {error}）。\n"
              "環境変数 TEICHAKU_DEBUG=1 を付けて実行すると詳細が出ます。", file=sys.stderr)
        return EXIT_INPUT
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)


def _interrupted() -> int:
    print("\n中断しました", file=sys.stderr, flush=True)
    return EXIT_INTERRUPTED


def _writable(path: Path, *, folder: bool = False) -> bool:
    """Whether ``path`` (a file to write, or with ``folder`` a folder to fill) can be written;
    if not, says why on stderr.  A file's missing folders are made; a folder is
    left to the writer (nothing is made for a report that then fails).  Checked before the
    work, so a wrong OUT fails at once and clearly, not after minutes with a library's error."""
    where = path if folder else path.parent
    try:
        if folder:
            while not where.exists():          # the nearest folder that exists must take files
                where = where.parent
        else:
            from .files import private_folder
            private_folder(where)
        with tempfile.TemporaryFile(dir=where):
            pass
    except OSError as error:
        from .files import os_error_text
        print(f"エラー: {path} に書き出せません（{where}: {os_error_text(error)}）", file=sys.stderr)
        return False
    return True


def _refused(path: Path, *, force: bool = False, inputs=()) -> bool:
    """Whether ``path`` must not be written (a folder, a file the command reads, or an existing
    file without ``--force``); if so, says why on stderr, naming the file."""
    from .files import OutputRefused, check_output
    try:
        check_output(path, inputs=inputs, force=force)
    except OutputRefused as error:
        print(f"エラー: {error}", file=sys.stderr)
        return True
    return False


def _inputs(book: Path, db: str | None) -> list[Path]:
    """The files a command reads: the workbook (or every file of its folder) and the store."""
    from .store import default_path, sqlite_file
    found = [book]
    if book.is_dir():
        found += [p for p in book.iterdir() if p.is_file()]
    try:
        store = sqlite_file(db) if db else default_path(book)
    except Exception:               # an unreadable URL is reported when the store is opened
        store = None
    return found + ([store] if store is not None else [])


def _print_json(data) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def _load(path: Path) -> tuple[list[CaseBook], bool]:
    """All office casebooks under ``path`` and whether it was a folder of offices."""
    from .workbook import load_source
    return load_source(path)


def _exit_code(books: list[CaseBook]) -> int:
    if any(b.unreadable for b in books):
        return EXIT_INPUT
    return EXIT_DATA if any(not b.ok for b in books) else EXIT_OK


# --- template, demo -----------------------------------------------------------------

def cmd_template(args) -> int:
    from .template import write_template
    if args.out.suffix.lower() != ".xlsx":
        print(f"エラー: テンプレートは .xlsx で書き出します（指定: {args.out}）", file=sys.stderr)
        return EXIT_INPUT
    if _refused(args.out, force=args.force) or not _writable(args.out):
        return EXIT_INPUT
    write_template(args.out)
    print(f"テンプレートを書き出しました: {args.out}")
    return EXIT_OK


def cmd_demo(args) -> int:
    from .demo import demo_paths, make_demo
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
    if any(_refused(path, force=args.force) for path in demo_paths(args.out, args.offices)):
        return EXIT_INPUT
    if not _writable(args.out, folder=folder):
        return EXIT_INPUT
    paths = make_demo(args.out, users=args.users, months=args.months, offices=args.offices,
                      seed=args.seed, end=args.end)
    print(f"デモデータ（架空の人物）を書き出しました: {args.out}（ブック {len(paths)} 件）")
    return EXIT_OK


# --- validate -----------------------------------------------------------------------

def _validation(book: CaseBook) -> dict:
    """The documented shape; ``problems`` lists at most the first ones of each code and sheet
    (a summary entry with row null counts the rest), ``omitted`` gives those counts."""
    return {"office": book.office, "ok": book.ok, "counts": book.counts,
            "problems": [p.as_dict() for p in book.problems],
            "omitted": [{"severity": p.severity, "sheet": p.sheet, "code": p.code, "count": p.omitted}
                        for p in book.problems if p.omitted]}


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


# --- review, retention -------------------------------------------------------------


def _month_results(args, compute, period=None) -> tuple[list[CaseBook], bool, list] | None:
    """Each readable book of ``args.book`` with ``compute(book, period, store)`` (``period``:
    ``args.month`` unless given; the store of ``--db`` or beside the workbook, read-only, when
    there is one); None when the store cannot be opened (said on stderr)."""
    from .store import StoreError
    books, is_offices = _load(args.book)
    readable = _readable(books)
    try:
        store = _store(args, readable)
    except StoreError as error:
        print(f"エラー: {error}", file=sys.stderr)
        return None
    period = args.month if period is None else period
    results = [(book, compute(book, period, store)) for book in readable]
    if store is not None:
        store.close()
    return books, is_offices, results


def cmd_review(args) -> int:
    from .store import month_review
    found = _month_results(args, month_review)
    if found is None:
        return EXIT_INPUT
    books, is_offices, reviews = found
    _print_results(args, reviews, is_offices, review_block, review_total)
    return _exit_code(books)


def cmd_retention(args) -> int:
    """The fiscal year's rate per office (reading the 就労確認 recorded in the app when there is a
    store: ``--db`` or beside the workbook, read-only), and for a month of that year what it
    means in yen and whose leaving would change it (``money``)."""
    from . import money, retention, track_record
    from .rules import default_month

    def compute(book, fiscal_year, store):
        checks = store.employment_checks_frame(book.key) if store is not None else None
        month = args.month or default_month(book, dt.date.today())
        in_year = retention.fiscal_year_of(month) == fiscal_year
        return (retention.of_fiscal_year(book, fiscal_year, checks=checks),
                money.outlook(book, month) if in_year else None, month,
                track_record.of_fiscal_year(book, fiscal_year, checks=checks))

    found = _month_results(args, compute, args.fiscal_year)
    if found is None:
        return EXIT_INPUT
    books, is_offices, results = found
    if args.json:
        data = [result.as_dict() | {"track_record": record.as_dict()} | ({"money": outlook.as_dict()} if outlook else {})
                for _, (result, outlook, _, record) in results]
        if data:
            _print_json({"offices": data} if is_offices else data[0])
        return _exit_code(books)
    blocks = [retention_block(book, result) + "\n" + track_record_block(record) + "\n" + (
              money_block(outlook) if outlook else
              f"※ 金額の見込みと離職の影響は、{args.fiscal_year}年度の月を --month で指定すると出ます"
              f"（{japanese.format_month(month)}は{args.fiscal_year}年度ではありません）")
              for book, (result, outlook, month, record) in results]
    if is_offices and results:
        blocks.append(retention_total([result for _, (result, *_) in results]))
    if blocks:
        print("\n\n".join(blocks))
    return _exit_code(books)


def cmd_billing(args) -> int:
    from .billing import write_excel
    from .store import month_billing
    if args.out is not None:
        if args.out.suffix.lower() != ".xlsx":
            print(f"エラー: 書き出しは .xlsx です（指定: {args.out}）", file=sys.stderr)
            return EXIT_INPUT
        if _refused(args.out, force=args.force, inputs=_inputs(args.book, args.db)) or not _writable(args.out):
            return EXIT_INPUT
    found = _month_results(args, month_billing)
    if found is None:
        return EXIT_INPUT
    books, is_offices, results = found
    _print_results(args, results, is_offices, billing_block, billing_total)
    if args.out is not None and results:
        from .files import replacing
        with replacing(args.out) as temporary:
            write_excel([bill for _, bill in results], temporary)
        print(f"算定チェックを書き出しました: {args.out}", file=sys.stderr if args.json else sys.stdout)
    return _exit_code(books)


def _print_results(args, results: list, is_offices: bool, block, total) -> None:
    """One result per office: JSON for programs, or a block each (and a total line) for people."""
    if args.json:
        if is_offices:
            _print_json({"offices": [result.as_dict() for _, result in results]})
        elif results:
            _print_json(results[0][1].as_dict())
        return
    blocks = [block(book, result) for book, result in results]
    if is_offices and results:
        blocks.append(total([result for _, result in results]))
    if blocks:
        print("\n\n".join(blocks))


# --- the conference store: where it is, export ----------------------------------------

def _store(args, books: list[CaseBook]):
    """The store named by ``--db``, or the one beside the workbook if it exists (else None).

    Says on stderr which database is read.  Readers never create a database.
    """
    from .store import open_existing
    store = open_existing(args.db, book_path=args.book,
                          known_users={b.key: b.users["user_id"] for b in books})
    if store is not None:
        print(store.describe(), file=sys.stderr)
    return store


def cmd_export(args) -> int:
    from .store import StoreError, default_path, export_workbook
    if args.out.suffix.lower() != ".xlsx":
        print(f"エラー: 書き出しは .xlsx です（指定: {args.out}）", file=sys.stderr)
        return EXIT_INPUT
    if _refused(args.out, force=args.force, inputs=_inputs(args.book, args.db)) or not _writable(args.out):
        return EXIT_INPUT
    books, is_offices = _load(args.book)
    readable = _readable(books)
    if not readable:
        return EXIT_INPUT
    try:
        store = _store(args, readable)
    except StoreError as error:
        print(f"エラー: {error}", file=sys.stderr)
        return EXIT_INPUT
    if store is None:
        print(f"エラー: 会議記録のデータベースがありません（{default_path(args.book)}）。"
              "会議の記録を保存したデータベースを --db で指定してください。", file=sys.stderr)
        return EXIT_INPUT
    from .files import replacing
    with store, replacing(args.out) as temporary:
        # One office's book exports that office; a folder of offices exports every office.
        office = None if is_offices else readable[0].key
        written = export_workbook(store, office, temporary)
    summary = "、".join(f"{sheet} {n}件" for sheet, n in written.items())
    print(f"会議記録を書き出しました: {args.out}（{summary}）")
    return EXIT_OK


# --- what staff see on stderr ---------------------------------------------------------------

def _readable(books: list[CaseBook]) -> list[CaseBook]:
    """The books that could be opened; the others are reported on stderr."""
    readable = []
    for book in books:
        if book.unreadable:
            print(f"エラー: {book.errors[0].message}", file=sys.stderr)
        else:
            readable.append(book)
    return readable


# --- app ---------------------------------------------------------------------------

def records_location(book: Path, db: str | None) -> tuple[str, str]:
    """The conference records for ``book``: ``db`` (``--db``) or the store's default for the
    workbook, and the same for people (a URL's password hidden)."""
    from .store import default_path, shown_location
    db = db or str(default_path(book))
    return db, shown_location(db)


def cmd_app(args) -> int:
    from .server.launcher import run
    return run(args.book, args.db, args.host, args.port, locate_records=records_location,
               out=lambda text: print(text, flush=True),
               err=lambda text: print(text, file=sys.stderr, flush=True))


# --- report ------------------------------------------------------------------------

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
    from .reports import ReportError, make_reports
    wrong = _report_arguments(args)
    if wrong:
        print(f"エラー: {wrong}", file=sys.stderr)
        return EXIT_INPUT
    from .workbook import read_source
    source = read_source(args.book)             # read once: the report kernel gets it as it is
    books = source.books
    if not _readable(books):
        return EXIT_INPUT
    if args.month is None:                      # plan: the month the app would open
        from .rules import default_month
        readable = [b for b in books if not b.unreadable]
        having = [b for b in readable if args.user in set(b.users["user_id"])] or readable
        args.month = default_month(having[0], dt.date.today())
    out = args.out if args.out is not None else Path("reports") / args.month.strftime("%Y-%m")
    if not _writable(out, folder=True):
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
    from .store import default_path, shown_location
    db = args.db or str(default_path(args.book))
    if args.db or Path(db).exists():
        print(f"会議記録のデータベース: {shown_location(db)}", file=sys.stderr)
    for line in _batch_notes(batch, args):
        print(line, file=sys.stderr)
    made = batch.documents
    if not made:
        print("作る文書はありませんでした")
        return _exit_code(books)
    print(f"{len(made)}件を書き出しました: {out}")
    for path in made:
        print(f"  {path.name}")
    if documents.kind(args.kind).sent:
        print("※ 作っただけでは送付の記録になりません。渡したら teichaku sent で記録してください。", file=sys.stderr)
    return _exit_code(books)


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
