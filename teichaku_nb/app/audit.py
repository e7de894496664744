"""運営指導の準備: the panel of the サービス管理責任者 and the 管理者, what ``teichaku audit`` does, in
the app, and the evidence bundle for the inspection.

Only a サービス管理責任者 or a 管理者 sees it (``allowed``: ``staff.ALLOWED["audit"]``; the view
shows the panel only then), and the model refuses everyone else with ``Staff.check``'s Japanese
message: a browser can send any widget message, so the view's hiding the panel is not the check.
Nothing is computed until 「確認する」 is pressed.

- The period: 最初の月 and 最後の月 (YYYY-MM, or as ``japanese.parse_month`` reads them; at
  first the six months ending with the month on screen), both included, at most ``MAX_MONTHS``.
- 「確認する」 runs ``audit.audit`` over the period (the office's fee check month by month: no rule
  is computed here) and shows its totals, the office's items that are gaps, and the people with
  gaps, month by month with what the records hold (``Evidence``); the people without a gap are
  only counted.  What to do for each gap is ``TODO`` (by the gap's code); a person's gap that is
  an office-wide reduction points to the office's item, where its text is.
- 「確認資料（PDF）を作る」 makes the evidence bundle (``reports.make_evidence``: a cover page for
  the office and a document per person) as the export panel makes documents: written to a folder
  beside the workbook (``exports.out_dir_for``), offered as one download link (``exports.download``),
  its files in the access log as ``document_made`` (``common.log_documents``); a log that cannot be
  written is said in red, and the files stay offered.
- Another office, month or person signed in: the result is forgotten (and another month gives the
  six months ending with it).
"""

from __future__ import annotations

import pandas as pd
import traitlets as t

from ..errors import FormError
from ..fee_table import REDUCTIONS
from ..japanese import as_month, format_month
from .common import log_access, log_documents
from .exports import download, out_dir_for, zip_name
from .panel import Context, Panel, moved

ACTION = "audit"                  # staff.ALLOWED: サービス管理責任者 and 管理者
MAX_MONTHS = 60                   # the longest period (as ``teichaku audit``)
DEFAULT_MONTHS = 6                # the period at first: these months, ending with the month on screen
FORMAT = "pdf"                    # the evidence bundle is printed

# What to do for each gap (its code: the fee check's reasons and reductions, audit's own gaps, the
# office's items).  Short, and claiming nothing beyond what the gap's message says.
TODO = {
    # 算定不可 (the month's base units at risk)
    "no_face_to_face": "対面の記録（面談記録の 方法・相手）を確かめ、なければ返還の対象として指定権者に相談してください",
    "report_not_shared": "本人に支援レポートを渡した記録（送付の記録、支援レポートのシート）を確かめ、渡していれば記録して"
                         "ください。渡していなければ返還の対象として指定権者に相談してください",
    "decision_not_covering": "受給者証で支給決定の期間を確かめ、利用者シートの 支給決定開始日・受給者証有効期限 を直して"
                             "ください。期間外の月だったときは返還の対象として指定権者に相談してください",
    "contract_missing": "利用契約書で契約日を確かめ、利用者シートの 利用契約日 を入れてください。契約がこの月より後なら、"
                        "この月は算定できません",
    "before_eligible_start": "就職日・支援開始日を確かめてください。働き始めて6か月たつ前の月を請求していたときは、"
                             "指定権者に相談してください",
    "no_day_in_service": "支援の期間・利用契約日・支給決定の期間を確かめ、利用者シートを直してください（この月に3つが"
                         "そろう日がありません）",
    # 要確認 (nothing counted in money)
    "decision_unrecorded": "更新前の受給者証で、この月が支給決定の期間内だったか確かめてください（ブックにはいまの支給決定"
                           "だけがあります）",
    "decision_unknown": "受給者証を見て、利用者シートの 支給決定開始日・受給者証有効期限 を入れてください",
    "plan_not_delivered": "計画を本人に交付した日を確かめ、交付日を記録してください。交付していなければ個別支援計画未作成"
                          "減算の対象です",
    "no_employer_contact": "企業との連絡の記録（面談記録の相手 企業・本人・企業）を確かめ、抜けていれば記録してください"
                           "（努力義務: 金額には数えません）",
    "report_employer_missing": "企業用の支援レポートを企業に渡した記録を確かめ、渡していれば記録してください",
    "job_change_pending": "離職の後に再就職したか確かめ、再就職していれば利用者シートの 再就職日 を入れてください",
    "on_leave": "休職中の月を算定できるか、指定権者に確かめてください",
    "tier_unknown": "届け出た就労定着率の区分を確かめ、設定の 就労定着率区分（届出） を入れてください",
    # 減算 of a person
    "plan_missing": "個別支援計画の作成日・同意日・交付日の記録を確かめてください。同意を得た計画がなければ"
                    "個別支援計画未作成減算の対象です",
    "monitoring_missing": "計画の見直し（モニタリング、または新しい計画への同意）の記録を確かめてください。"
                          "期限までの見直しがなければ個別支援計画未作成減算の対象です",
    # the office's own (減算 of everyone)
    "handover_missing": "引継ぎ（本人の同意、企業・関係機関への引継ぎ）の記録と、設定の 引継ぎの指針 を確かめてください。"
                        "期限に間に合わなかった引継ぎがあれば支援体制構築未実施減算の対象です",
    "handover_policy": "引継ぎの指針と責任者を定めているか確かめ、設定の 引継ぎの指針 に はい / いいえ を入れてください",
    "staff_shortage": "勤務表で就労定着支援員の配置を確かめてください（設定で人員欠如減算の月としています）。"
                      "減算して請求したかも確かめてください",
    "manager_missing": "勤務表と届出でサービス管理責任者の配置を確かめてください（設定でサービス管理責任者欠如減算の月と"
                       "しています）。減算して請求したかも確かめてください",
    "abuse_prevention_missing": "虐待防止の措置（委員会・指針・研修・担当者）の記録を確かめてください（設定で虐待防止措置"
                                "未実施減算の月としています）",
    "continuity_plan_missing": "業務継続計画（感染症・災害）の策定と研修・訓練の記録を確かめてください（設定で業務継続計画"
                               "未策定減算の月としています）",
    "information_unpublished": "障害福祉サービス等情報公表システムへの報告の記録を確かめてください（設定で情報公表未報告"
                               "減算の月としています）",
}
OTHER_TODO = "不備の内容を記録と照らして確かめてください"        # a code ``TODO`` does not know yet
OFFICE_CODES = frozenset(kind.code for kind in REDUCTIONS if kind.office)     # reductions of everyone


def todo(code: str) -> str:
    """What to do for a gap of ``code``, in Japanese."""
    return TODO.get(code, OTHER_TODO)


def default_period(month: str) -> tuple[str, str]:
    """(最初の月, 最後の月): the ``DEFAULT_MONTHS`` months ending with ``month`` (YYYY-MM)."""
    last = pd.Period(month, freq="M")
    return str(last - (DEFAULT_MONTHS - 1)), str(last)


def money(units: int, yen: int) -> str:
    """「3,512単位（35,120円）」"""
    return f"{units:,}単位（{yen:,}円）"


def person_row(person, result) -> dict:
    """A person with gaps as the panel shows them (``audit.PersonAudit``): the months with a gap,
    and what to do for each code (the months it is in; an office-wide reduction points to the
    office's item)."""
    months, codes = [], {}
    for m in person.months:
        if not m.gaps:
            continue
        months.append({"month": format_month(m.month), "status": m.status, "units": m.units_at_risk,
                       "money": money(m.units_at_risk, result.yen(m.units_at_risk)),
                       "gaps": [{"code": g.code, "message": g.message} for g in m.gaps],
                       "evidence": [e.line for e in m.evidence]})
        for gap in m.gaps:
            codes.setdefault(gap.code, {})[m.month] = True
    office = [code for code in codes if code in OFFICE_CODES]
    steps = [{"months": _months(codes[code]), "text": todo(code)} for code in codes if code not in office]
    if office:
        labels = "・".join(kind.label for kind in REDUCTIONS if kind.code in office)
        steps.append({"months": _months({m: True for code in office for m in codes[code]}),
                      "text": f"事業所全体の減算です（{labels}）。上の「事業所全体」の すること を見てください"})
    return {"user_id": person.user_id, "name": person.name, "gaps": person.gaps,
            "money": money(person.units_at_risk, result.yen(person.units_at_risk)), "months": months, "todo": steps}


def _months(months) -> str:
    """「2026年6月・2026年7月」: the months, in order."""
    return "・".join(format_month(m) for m in sorted(months))


class AuditModel(Panel):
    """The period asked, the audit's result as the panel shows it, and the evidence bundle."""

    allowed = t.Bool(False)              # a サービス管理責任者 or 管理者 signed in (the view shows the panel only then)
    first_month = t.Unicode("")          # 最初の月, as typed
    last_month = t.Unicode("")           # 最後の月, as typed
    checked = t.Unicode("")              # the period of the result shown, in words ("": none)
    totals = t.Dict()                    # Audit.totals: gaps, units_at_risk, yen_at_risk
    totals_line = t.Unicode("")          # 「不備 N件、返還・減額のおそれ X単位（Y円）」
    office_gaps = t.List()               # the office's items that are gaps (code, label, state, todo)
    people = t.List()                    # person_row of each person with gaps, by 利用者ID
    clean = t.Int(0)                     # how many people had no gap in the period
    message = t.Unicode("")              # what the buttons did (the view's Results)
    message_kind = t.Unicode("ok")
    link_name = t.Unicode("")            # the bundle, as a download link (data: URI)
    link_uri = t.Unicode("")

    def context_changed(self, old: Context, new: Context) -> None:
        staff = new.staff
        self.allowed = staff is not None and staff.may(ACTION)
        if not self.allowed or moved(old, new, "book", "store", "office", "month", "staff"):
            self.forget()
        if new.month and moved(old, new, "month"):
            self.first_month, self.last_month = default_period(new.month)

    def forget(self) -> None:
        """No result, no link, no message (another office, month or person)."""
        with self.hold_trait_notifications():
            self.checked = self.totals_line = ""
            self.totals, self.office_gaps, self.people, self.clean = {}, [], [], 0
            self.message, self.message_kind = "", "ok"
            self.link_name = self.link_uri = ""

    def outdated(self) -> None:
        """The page read what others saved (「最新の状態に更新」): a result shown may be out of date, so
        it is taken away, and the message says to check again."""
        if self.checked:
            period = self.checked
            self.forget()
            self.message = f"最新の状態に更新したため、{period}の結果を消しました。もう一度「確認する」を押してください"
            self.message_kind = "warning"

    def _checked(self) -> None:
        """Refused in Japanese unless a サービス管理責任者 or 管理者 is signed in and a workbook is read."""
        staff = self.staff
        if staff is None:
            raise FormError("サインインした職員がわからないため、運営指導の準備は使えません。ページを開き直してください")
        staff.check(ACTION)
        if self.book is None:
            raise FormError("ケース記録が読み込まれていません")

    @staticmethod
    def _month(text: str, label: str) -> pd.Period:
        if not text.strip():
            raise FormError(f"{label}を入力してください（例: 2026-05）")
        try:
            return as_month(text)
        except ValueError as error:
            raise FormError(f"{label}: {error}（2026-05 または 令和8年5月 のように入力してください）") from None

    def period(self) -> list[pd.Period]:
        """The months asked, in order, or a FormError saying what is wrong with them."""
        first, last = self._month(self.first_month, "最初の月"), self._month(self.last_month, "最後の月")
        if first > last:
            raise FormError(f"最初の月（{format_month(first)}）が最後の月（{format_month(last)}）より後です。"
                            "期間を直してください")
        count = (last - first).n + 1
        if count > MAX_MONTHS:
            raise FormError(f"期間は{MAX_MONTHS}か月までです（{format_month(first)}〜{format_month(last)}は"
                            f"{count}か月）。期間を短くしてください")
        return list(pd.period_range(first, last, freq="M"))

    def run(self) -> None:
        """「確認する」: the audit of the period, shown."""
        from ..audit import audit
        self._checked()
        months = self.period()
        self.forget()
        result = audit(self.book, months, self.store, today=self.today)
        self.show(result)
        done = f"{self.checked}（{len(months)}か月・{len(result.people)}人）を確認しました"
        # everyone's gaps were shown: a look at people's records, logged as a case opened is
        failed = log_access(self.context, "audit_viewed", detail=f"{self.checked}（{len(result.people)}人）")
        self.message = f"{done}。{failed}" if failed else done
        self.message_kind = "error" if failed else "ok"

    def show(self, result) -> None:
        """The audit's result (``audit.Audit``) as the panel shows it."""
        totals = dict(result.totals)
        with self.hold_trait_notifications():
            self.checked = f"{format_month(result.start)}〜{format_month(result.end)}"
            self.totals = totals
            self.totals_line = (f"不備 {totals['gaps']:,}件、返還・減額のおそれ "
                                f"{money(totals['units_at_risk'], totals['yen_at_risk'])}")
            self.office_gaps = [{"code": i["code"], "label": i["label"], "state": i["state"], "todo": todo(i["code"])}
                                for i in result.office_items if i["gap"]]
            self.people = [person_row(p, result) for p in result.people if p.gaps]
            self.clean = sum(1 for p in result.people if not p.gaps)

    def make_bundle(self) -> list:
        """「確認資料（PDF）を作る」: the evidence bundle of the period, offered as one download link
        and in the access log (as the export panel's documents)."""
        from .. import documents
        from ..reports import make_evidence
        self._checked()
        months = self.period()
        c = self.context
        if c.book_path is None:
            raise FormError("ケース記録が読み込まれていません")
        self.link_name = self.link_uri = ""
        start, end = str(months[0]), str(months[-1])
        period = f"{format_month(months[0])}〜{format_month(months[-1])}"
        out = out_dir_for(c.book_path, f"{start}_{end}")
        batch = make_evidence(c.book_path, start, end, db=c.db_url, fmt=FORMAT, out_dir=out, office=c.office or None,
                              source=c.source)
        made = batch.documents
        if not made:
            self.message, self.message_kind = f"{period}に支援中の人がいないため、確認資料は作っていません", "warning"
            return made
        label = documents.kind("evidence").file_label
        office = self.book.office if self.book is not None else ""
        self.link_name, self.link_uri = download(made, zip_name(office, label, f"{start}_{end}", FORMAT))
        message = (f"{period}の確認資料 {len(made)}件（事業所の表紙と{len(batch.people)}人分）を作りました。"
                   f"事業所内用です。保存先: {out}")
        failed = log_documents(c, [p.name for p in batch.paths], detail=f"運営指導の準備 {period}")
        with self.hold_trait_notifications():
            self.message = f"{message}。帳票を作ったことを{failed}" if failed else message
            self.message_kind = "error" if failed else "ok"
        return made
