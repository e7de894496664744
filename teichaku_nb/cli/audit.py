"""``teichaku audit``: 運営指導の準備 (``audit.audit``) for each office of BOOK over the months
--from to --to (both included), reading the conference's records when there is a store."""

from __future__ import annotations

import sys

import pandas as pd

from .. import japanese
from .common import EXIT_INPUT, LogNotWritten, excel_out_refused, exit_code, log_access, print_json, unlogged_export
from .month import month_results
from .terminal import problem_line

MAX_MONTHS = 60


def cmd_audit(args) -> int:
    from ..audit import audit
    if args.out is not None and excel_out_refused(args):
        return EXIT_INPUT
    if args.start > args.end:
        print(f"エラー: --from（{args.start}）が --to（{args.end}）より後です", file=sys.stderr)
        return EXIT_INPUT
    months = list(pd.period_range(args.start, args.end, freq="M"))
    if len(months) > MAX_MONTHS:
        print(f"エラー: 期間は{MAX_MONTHS}か月までです（指定: {len(months)}か月）", file=sys.stderr)
        return EXIT_INPUT
    found = month_results(args, lambda book, period, store: audit(book, period, store), months)
    if found is None:
        return EXIT_INPUT
    books, is_offices, results = found
    if args.out is not None and results and not _written(args, [result for _, result in results], is_offices):
        return EXIT_INPUT
    if args.json:
        if is_offices:
            print_json({"offices": [result.as_dict() for _, result in results]})
        elif results:
            print_json(results[0][1].as_dict())
        return exit_code(books)
    blocks = [audit_block(book, result) for book, result in results]
    if is_offices and results:
        blocks.append(audit_total([result for _, result in results]))
    if blocks:
        print("\n\n".join(blocks))
    return exit_code(books)


def _written(args, results: list, is_offices: bool) -> bool:
    """The Excel file, written with its access-log entry (``exported``: people's names and
    fees), or neither (said on stderr)."""
    from ..audit import write_excel
    from ..files import replacing
    people = sum(len(r.people) for r in results)
    counted = f"{len(results)}事業所・{people}人" if is_offices else f"{people}人"
    period = f"{japanese.format_month(args.start)}〜{japanese.format_month(args.end)}"
    entry = {"action": "exported", "office": None if is_offices else results[0].office_key, "document": args.out.name,
             "detail": f"運営指導の準備 {period}（{counted}）"}
    try:
        with replacing(args.out) as temporary:
            write_excel(results, temporary)
            log_access(args.db, args.book, [entry])
    except LogNotWritten as error:      # no file: an export is not left without its entry
        unlogged_export(args.out, error)
        return False
    print(f"運営指導の準備を書き出しました: {args.out}", file=sys.stderr if args.json else sys.stdout)
    return True


def _money(units: int, yen: int) -> str:
    return f"{units:,}単位（{yen:,}円）"


def audit_block(book, result) -> str:
    """A person's gaps month by month (「不備なし」 for a person without any), then the office's total."""
    problem = problem_line(book)
    lines = [problem] if problem else []
    lines.append(f"■ {result.office}　運営指導の準備（{japanese.format_month(result.start)}〜"
                 f"{japanese.format_month(result.end)}）")
    if not result.people:
        lines.append("この期間に支援中の利用者はいません。")
    for person in result.people:
        if not person.gaps:
            lines.append(f"{person.user_id} {person.name}: 不備なし")
            continue
        lines.append(f"{person.user_id} {person.name}: 不備 {person.gaps}件、"
                     f"{_money(person.units_at_risk, result.yen(person.units_at_risk))}")
        for month in person.months:
            for gap in month.gaps:
                lines.append(f"  {japanese.format_month(month.month)}（{month.status}）{gap.message}")
            if month.units_at_risk:
                lines.append(f"  {japanese.format_month(month.month)} 返還・減額のおそれ {month.units_at_risk:,}単位")
    totals = result.totals
    lines.append(f"合計　不備 {totals['gaps']}件、返還・減額のおそれ {_money(totals['units_at_risk'], totals['yen_at_risk'])}")
    lines.append("事業所全体:")
    lines += [f"  {'【不備】' if item['gap'] else ''}{item['label']}: {item['state']}" for item in result.office_items]
    lines.append("※ 運営規程・勤務表・研修の記録など、ブックにない書類は確認していません（docs/audit.md）")
    return "\n".join(lines)


def audit_total(results: list) -> str:
    gaps = sum(r.totals["gaps"] for r in results)
    units = sum(r.totals["units_at_risk"] for r in results)
    yen = sum(r.totals["yen_at_risk"] for r in results)
    return f"■ 全事業所（{len(results)}か所）: 不備 {gaps}件、返還・減額のおそれ {_money(units, yen)}"
