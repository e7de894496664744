"""The commands of ``teichaku``, their arguments and their help, said in Japanese (argparse's
own messages too); each command names its handler (``handler``), which ``run.main`` calls."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .. import documents, japanese
from .books import cmd_demo, cmd_template, cmd_validate
from .common import EXIT_INPUT
from .lab import DEFAULT_PORT as LAB_PORT, cmd_lab
from .month import cmd_billing, cmd_retention, cmd_review
from .records import cmd_app, cmd_export, cmd_sent
from .report import cmd_report

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
    _add_lab_command(commands)
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
    p.set_defaults(handler=cmd_sent)


def _add_lab_command(commands) -> None:
    """lab: JupyterLab for a supervisor, on a folder of the office's notebooks."""
    p = commands.add_parser("lab", help="スーパーバイザー向けに JupyterLab を開きます（分析と帳票のノートブック）",
                            description="事業所のノートブックのフォルダに、月ごとの推移を表にする分析のノートブックと帳票のノートブックを\n"
                                        "このブック・年月で用意し、JupyterLab で開きます。トークン付きのURLを表示し、\n"
                                        "このパソコンの中（127.0.0.1）からだけ開けます。フォルダにすでにあるノートブックは上書きしません。\n"
                                        "BOOK を省略するとデモデータ（架空の人物）を開きます。")
    p.add_argument("book", metavar="BOOK", type=Path, nargs="?", default=None,
                   help="ブック、CSVフォルダ、または事業所フォルダ（省略時はデモデータ）")
    p.add_argument("--month", type=_month, default=None, metavar="YYYY-MM",
                   help="ノートブックの対象の年月（省略時は先月、またはデータのある最後の月）")
    p.add_argument("--db", metavar="URL", default=None,
                   help="会議記録のデータベース（省略時はブックの隣の .teichaku.sqlite があれば使います）")
    p.add_argument("--dir", dest="folder", type=Path, default=None, metavar="FOLDER",
                   help="ノートブックのフォルダ（省略時はブックの隣の notebooks。なければ作ります。デモはユーザーごとのフォルダ）")
    p.add_argument("--port", type=int, default=LAB_PORT, help=f"ポート番号（既定 {LAB_PORT}）")
    p.add_argument("--no-browser", action="store_true", help="ブラウザを開きません（表示された URL を自分で開きます）")
    p.set_defaults(handler=cmd_lab)
