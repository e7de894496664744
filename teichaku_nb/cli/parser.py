"""The commands of ``teichaku``, their arguments and their help, said in Japanese (argparse's
own messages too); each command names its handler (``handler``), which ``run.main`` calls."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .. import documents, japanese, staff
from .audit import cmd_audit
from .books import cmd_demo, cmd_template, cmd_validate
from .common import EXIT_INPUT
from .lab import DEFAULT_PORT as LAB_PORT, cmd_lab
from .month import cmd_billing, cmd_retention, cmd_review
from .records import cmd_app, cmd_export, cmd_sent
from .report import cmd_report
from .staff import cmd_log, cmd_staff_add, cmd_staff_disable, cmd_staff_list, cmd_staff_passwd

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


class _IntermixedParser(_Parser):
    """Positionals and options in any order (``staff add NAME --role 管理者 BOOK``): argparse
    otherwise takes an optional positional (BOOK) only together with the one before it."""

    _mixing = False

    def parse_known_args(self, args=None, namespace=None):
        if self._mixing:                 # parse_known_intermixed_args calls back here
            return super().parse_known_args(args, namespace)
        self._mixing = True
        usage = self.usage
        if usage is None:                # argparse would cut its own "usage: " (7 characters) from ours
            self.usage = self.format_usage().removeprefix("使い方: ").rstrip("\n")
        try:
            return self.parse_known_intermixed_args(args, namespace)
        finally:
            self._mixing = False
            self.usage = usage


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
    _add_staff_commands(commands)
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

    p = commands.add_parser("audit", help="運営指導の準備: 期間の不備と、返還・減額のおそれのある金額を出します",
                            description="--from から --to までの各月（両端を含む）の算定チェックをもとに、利用者ごとの不備\n"
                                        "（算定不可の理由・減算・計画の交付日なし・企業との連絡なし）と、返還・減額のおそれのある\n"
                                        "単位数・金額を出します。")
    p.add_argument("book", metavar="BOOK", type=Path, help="ブック、CSVフォルダ、または事業所フォルダ")
    p.add_argument("--from", dest="start", type=_month, required=True, metavar="YYYY-MM", help="最初の年月（含む）")
    p.add_argument("--to", dest="end", type=_month, required=True, metavar="YYYY-MM", help="最後の年月（含む）")
    p.add_argument("--db", metavar="URL", default=None,
                   help="会議記録のデータベース（省略時はブックの隣の BOOK名.teichaku.sqlite があれば使います）")
    p.add_argument("--json", action="store_true", help="プログラム向けにJSONで出力します")
    p.add_argument("--out", type=Path, default=None, metavar="FILE.xlsx",
                   help="Excel にも書き出します（1人1か月1行、絞り込みできます。合計のシートつき）")
    p.add_argument("--force", action="store_true", help="--out のファイルがすでにあるとき上書きします")
    p.set_defaults(handler=cmd_audit)

    p = commands.add_parser("export", help="会議記録（検討・役割分担・レポート送付・変更履歴）をExcelに書き出します",
                            description="会議記録のデータベースの中身を、記録の種類ごとのシートに分けてExcelに書き出します。")
    p.add_argument("book", metavar="BOOK", type=Path, help="ブック、CSVフォルダ、または事業所フォルダ")
    p.add_argument("out", metavar="OUT.xlsx", type=Path, help="書き出すファイル")
    p.add_argument("--db", metavar="URL", default=None,
                   help="会議記録のデータベース（省略時はブックの隣の BOOK名.teichaku.sqlite）")
    p.add_argument("--force", action="store_true", help="OUT がすでにあるとき上書きします（読み込むファイルは上書きしません）")
    p.set_defaults(handler=cmd_export)

    p = commands.add_parser("app", help="ケース会議アプリ（ブラウザの画面）を起動します",
                            description="ケース会議アプリを Voila で起動し、開く URL を表示します。\n"
                                        "職員アカウント（teichaku staff）があれば各自がサインインし、なければこのパソコンだけで"
                                        "トークン付きの URL から開きます。\n"
                                        "BOOK を省略するとデモデータ（架空の人物）を開きます。")
    p.add_argument("book", metavar="BOOK", type=Path, nargs="?", default=None,
                   help="ブック、CSVフォルダ、または事業所フォルダ（省略時はデモデータ）")
    p.add_argument("--db", metavar="URL", default=None,
                   help="会議記録のデータベース（省略時はブックの隣の .teichaku.sqlite。デモはユーザーごとのフォルダ）")
    p.add_argument("--host", default="127.0.0.1", help="待ち受けるアドレス（既定 127.0.0.1）")
    p.add_argument("--port", type=int, default=8866, help="ポート番号（既定 8866）")
    p.add_argument("--certfile", type=Path, default=None, help="HTTPS にするときのサーバー証明書（PEM）")
    p.add_argument("--keyfile", type=Path, default=None, help="その秘密鍵（PEM。証明書と同じファイルなら省略）")
    p.add_argument("--trusted-header", metavar="HEADER", default=None,
                   help="組織のサインイン（リバースプロキシ）が職員のサインイン名を入れるヘッダー（例 X-Remote-User）")
    p.add_argument("--trusted-proxy", metavar="ADDRESS", action="append", default=None,
                   help="そのヘッダーを信用するプロキシのアドレス（複数可。既定 127.0.0.1）")
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
    p.add_argument("--from", dest="start", type=_month, default=None, metavar="YYYY-MM",
                   help="evidence の期間の最初の年月（含む）")
    p.add_argument("--to", dest="end", type=_month, default=None, metavar="YYYY-MM",
                   help="evidence の期間の最後の年月（含む）")
    p.add_argument("--db", metavar="URL", default=None,
                   help="会議記録のデータベース（省略時はブックの隣の .teichaku.sqlite）")
    p.add_argument("--user", metavar="ID", default=None,
                   help="支援レポート・個別支援計画書・運営指導資料を作る利用者ID（支援レポートでは省略時はその月に検討の記録がある人。"
                        "事業所のフォルダでは --office も）")
    p.add_argument("--all", dest="include_unreviewed", action="store_true",
                   help="支援レポートを、検討の記録がない人も含めてその月の対象者全員に作ります")
    p.add_argument("--for", dest="audience", choices=tuple(documents.COPY_LABELS), default=None,
                   help="支援レポートの宛先: 本人用 / 企業用（省略時は両方）")
    p.add_argument("--format", dest="fmt", choices=("html", "pdf"), default="html",
                   help="出力形式（既定 html。pdf には Chromium が必要）")
    p.add_argument("--out", type=Path, default=None, metavar="DIR",
                   help="出力先フォルダ（既定 reports/YYYY-MM、evidence は reports/YYYY-MM_YYYY-MM）")
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


_STORE_BOOK = "ブック、CSVフォルダ、または事業所フォルダ。その会議記録のデータベースを使います（省略時はデモデータのもの）"
_STORE_DB = "会議記録のデータベース（省略時はブックの隣の .teichaku.sqlite。teichaku app と同じ）"


def _add_staff_commands(commands) -> None:
    """staff, log: the staff accounts that sign in to the app, and the access log."""
    roles = "|".join(staff.ROLES)
    p = commands.add_parser("staff", help="職員アカウント（アプリへのサインイン）を追加・一覧・パスワード変更・無効化します",
                            description="アプリにサインインする職員のアカウントを管理します。アカウントは会議記録のデータベースに"
                                        "法人全体で1組です。\nパスワードは画面に表示せず、データベースにはハッシュ（argon2id）だけを"
                                        "残します。\n操作した人は「端末:ログインユーザー名」としてアクセス記録に残ります。")
    actions = p.add_subparsers(dest="staff_command", metavar="操作", title="操作", parser_class=_IntermixedParser)
    actions.required = True

    a = actions.add_parser("add", help="アカウントを追加します（パスワードは2回たずねます）",
                           description="アカウントを追加します。パスワード（10文字以上、ログイン名と同じものは不可）は"
                                       "2回たずねます。\n役割: 支援員 / サービス管理責任者（計画の確定なども） / "
                                       "管理者（アカウントの管理とアクセス記録の閲覧も）")
    a.add_argument("name", metavar="NAME", help="記録に表示する名前（記録者）")
    a.add_argument("--role", required=True, choices=staff.ROLES, metavar=roles, help=f"役割: {' / '.join(staff.ROLES)}")
    a.add_argument("--login", default=None, metavar="LOGIN", help="サインインに使うログイン名（省略時は NAME）")
    a.add_argument("book", metavar="BOOK", type=Path, nargs="?", default=None, help=_STORE_BOOK)
    a.add_argument("--db", metavar="URL", default=None, help=_STORE_DB)
    a.add_argument("--password-stdin", action="store_true", help="パスワードを標準入力の1行目から読みます（たずねません）")
    a.set_defaults(handler=cmd_staff_add)

    a = actions.add_parser("list", help="アカウントを一覧にします（無効にしたものも）",
                           description="アカウントを一覧にします（無効にしたものも。パスワードは表示しません）。")
    a.add_argument("book", metavar="BOOK", type=Path, nargs="?", default=None, help=_STORE_BOOK)
    a.add_argument("--db", metavar="URL", default=None, help=_STORE_DB)
    a.add_argument("--json", action="store_true", help="プログラム向けにJSONで出力します")
    a.set_defaults(handler=cmd_staff_list)

    a = actions.add_parser("passwd", help="アカウントのパスワードを変更します",
                           description="アカウントのパスワードを変更します（2回たずねます）。")
    a.add_argument("login", metavar="LOGIN", help="ログイン名")
    a.add_argument("book", metavar="BOOK", type=Path, nargs="?", default=None, help=_STORE_BOOK)
    a.add_argument("--db", metavar="URL", default=None, help=_STORE_DB)
    a.add_argument("--password-stdin", action="store_true", help="パスワードを標準入力の1行目から読みます（たずねません）")
    a.set_defaults(handler=cmd_staff_passwd)

    a = actions.add_parser("disable", help="アカウントを無効にします（サインインできなくなります）",
                           description="アカウントを無効にします。サインインできなくなりますが、一覧と記録には残ります。\n"
                                       "最後の有効な管理者は無効にできません。")
    a.add_argument("login", metavar="LOGIN", help="ログイン名")
    a.add_argument("book", metavar="BOOK", type=Path, nargs="?", default=None, help=_STORE_BOOK)
    a.add_argument("--db", metavar="URL", default=None, help=_STORE_DB)
    a.set_defaults(handler=cmd_staff_disable)

    p = commands.add_parser("log", help="アクセス記録（サインイン・ケースの閲覧・帳票・書き出し）を表示・書き出します",
                            description="アクセス記録を古い順に表示します。日時は日本時間です。\n"
                                        "--out で Excel に書き出すと、書き出したこともアクセス記録に残ります。")
    p.add_argument("book", metavar="BOOK", type=Path, nargs="?", default=None, help=_STORE_BOOK)
    p.add_argument("--db", metavar="URL", default=None, help=_STORE_DB)
    p.add_argument("--from", dest="since", type=_date, default=None, metavar="YYYY-MM-DD", help="この日から（日本時間）")
    p.add_argument("--to", dest="until", type=_date, default=None, metavar="YYYY-MM-DD",
                   help="この日まで（その日を含みます）")
    p.add_argument("--user", default=None, metavar="LOGIN", help="この職員（ログイン名）の記録だけ")
    p.add_argument("--json", action="store_true", help="プログラム向けにJSONで出力します")
    p.add_argument("--out", type=Path, default=None, metavar="FILE.xlsx", help="Excel に書き出します")
    p.add_argument("--force", action="store_true", help="--out のファイルがすでにあるとき上書きします")
    p.set_defaults(handler=cmd_log)
