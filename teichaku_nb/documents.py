"""The documents teichaku makes, each declared once.

A document kind is its declaration here, its view (``report_views``), its template
(``templates/html/documents/``) and its notebook (``report_notebooks/<name>.ipynb``), which
calls the view.  Everything else reads this list: the batch planner and file names
(``reports``), the ``teichaku report`` command's choices and help (``cli``), the app's 出力
panel (``app/exports``) and the documents' headers.

Another package adds a kind by declaring it (with its own ``notebook`` and ``templates``
folder, which ``markup`` adds to its own) and naming it as an entry point of the group
``teichaku_nb.documents`` (docs/design.md); it is registered when this module is first
imported.

Who reads a document decides what it may carry (README: 外に出る書類): the office's own
documents stay with staff; a 支援レポート has a copy for the person and one for the employer
(only with 企業共有同意), each written for its reader; the 個別支援計画書 is the person's.  The
運営指導の確認資料 covers a period (``period``: --from/--to, not a month) and stays with staff:
it is what the office shows an inspector, never a copy for a person or an employer.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path

from .records import EMPLOYER, SELF, STAFF

OFFICE, PERSON = "office", "person"
COPY_LABELS = {SELF: "本人用", EMPLOYER: "企業用"}     # a person's copies, in titles and file names


@dataclass(frozen=True)
class DocumentKind:
    """One kind of document."""

    name: str                      # the command's word; the notebook is report_notebooks/<name>.ipynb
    title: str                     # as the document's header prints it
    file_label: str                # in file names: <事業所>_<file_label>_<YYYY-MM>[_<利用者ID>[_<copy>]]
    per: str                       # OFFICE: one per office; PERSON: one per person (and reader)
    readers: tuple[str, ...]       # records.STAFF, or the person's copies (SELF, EMPLOYER)
    help: str = ""                 # the command's help for this kind (Japanese)
    needs_user: bool = False       # made for one person named (else, per person: the month's reviewed people)
    in_app: bool = True            # offered in the app's 出力 panel
    asked: bool = True             # asked for by name (else made with a batch of another kind)
    with_checks: bool = False      # a batch from a workbook with problems comes with the 確認事項 (CHECKS)
    sent: bool = False             # handing it over is recorded as a sending (making it records nothing)
    period: bool = False           # made for the months --from to --to (both included), not for one month
    notebook: Path | None = None   # another package's kind: its notebook (else report_notebooks/<name>.ipynb)
    templates: Path | None = None  # another package's kind: the folder its view's templates are in

    @property
    def internal(self) -> bool:
        """Only staff read it: never given to a person or an employer."""
        return self.readers == (STAFF,)

    @property
    def of_people(self) -> bool:
        """Made for the people of the month (those reviewed, or all on the agenda), or one named."""
        return self.per == PERSON and not self.needs_user and not self.period

    @property
    def copies(self) -> bool:
        """One document per reader, named and titled by its copy (本人用 / 企業用)."""
        return len(self.readers) > 1

    def copy_title(self, reader: str | None) -> str:
        return f"{self.title}（{COPY_LABELS[reader]}）" if self.copies and reader in COPY_LABELS else self.title


MINUTES = DocumentKind("minutes", "ケース会議 会議録", "会議録", OFFICE, (STAFF,),
                       help="その月のケース会議の記録（事業所内用）")
SUPPORT = DocumentKind("support", "支援レポート", "支援レポート", PERSON, (SELF, EMPLOYER),
                       help="本人用・企業用の支援レポート（--user の1人、省略時はその月に検討の記録がある人）",
                       with_checks=True, sent=True)
SUMMARY = DocumentKind("summary", "月次サマリー", "月次サマリー", OFFICE, (STAFF,),
                       help="対象者・就労定着率・算定の確認の要約（事業所内用）")
PLAN = DocumentKind("plan", "個別支援計画書", "個別支援計画書", PERSON, (SELF,),
                    help="--user の1人の個別支援計画書（本人に交付する書面）", needs_user=True, in_app=False)
CHECKS = DocumentKind("checks", "データの確認事項（事業所内用）", "確認事項", OFFICE, (STAFF,),
                      help="支援レポートのもとになったブックの問題（支援レポートといっしょに作ります）",
                      in_app=False, asked=False)
EVIDENCE = DocumentKind("evidence", "運営指導の確認資料（事業所内用）", "運営指導資料", PERSON, (STAFF,),
                        help="運営指導に備える確認資料: 事業所の表紙と、利用者ごとの各月の記録と算定"
                             "（--from/--to の期間。--user で1人）", in_app=False, period=True)

KINDS: dict[str, DocumentKind] = {kind.name: kind for kind in (SUPPORT, MINUTES, SUMMARY, PLAN, CHECKS, EVIDENCE)}
ENTRY_POINTS = "teichaku_nb.documents"     # another package's kinds: entry points naming a DocumentKind


def register(added: DocumentKind) -> None:
    """Add a kind of document (its name must be new)."""
    if added.name in KINDS:
        raise ValueError(f"document kind {added.name!r} is declared twice")
    KINDS[added.name] = added


for _point in entry_points(group=ENTRY_POINTS):
    register(_point.load())

ASKED = tuple(name for name, kind in KINDS.items() if kind.asked)     # what a user may ask for


def kind(name: str) -> DocumentKind:
    """The kind called ``name`` (KeyError for another word)."""
    return KINDS[name]


def named(kinds) -> str:
    """「支援レポート（support）と個別支援計画書（plan）」: kinds as a message names them."""
    return "と".join(f"{k.title}（{k.name}）" for k in kinds)


def asking_problem(name: str, *, user, audience, include_unreviewed: bool, period: bool = False) -> str | None:
    """What cannot be asked of a document of kind ``name`` (Japanese), or None: the one check
    behind ``teichaku report`` and ``reports.make_reports``.  ``period``: asked for the months
    --from to --to rather than for one month."""
    if name not in ASKED:
        return f"書類の種類は {'・'.join(ASKED)} のどれかにしてください（{name!r}）"
    asked = KINDS[name]
    if asked.period and not period:
        return f"{asked.title}（{name}）は期間（--from と --to）を指定して作ります"
    if period and not asked.period:
        return f"期間（--from・--to）は{named(k for k in KINDS.values() if k.period)}だけに指定できます"
    if audience is not None and audience not in COPY_LABELS:
        return f"宛先は {' か '.join(COPY_LABELS)} にしてください（{audience!r}）"
    if asked.needs_user and user is None:
        return f"{asked.title}（{name}）には利用者ID（--user）を指定してください"
    if asked.per != PERSON and user is not None:
        return f"利用者（--user）は{named(k for k in KINDS.values() if k.per == PERSON and k.asked)}だけに指定できます"
    if not asked.copies and audience is not None:
        return f"宛先（--for）は{named(k for k in KINDS.values() if k.copies)}だけに指定できます"
    if not asked.of_people and include_unreviewed:
        return f"全員（--all）は{named(k for k in KINDS.values() if k.of_people)}だけに指定できます"
    return None
