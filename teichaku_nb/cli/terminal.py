"""What the terminal shows staff: the workbook's problems, the month's review and the
retention rate as text blocks that fit the terminal's width (Japanese takes two columns a
character: ``wcwidth``)."""

from __future__ import annotations

import shutil

from .. import japanese
from ..casebook import SEVERITY_LABELS, CaseBook


def format_problems(book: CaseBook) -> str:
    """The problems for people: grouped by sheet, each with row and column."""
    lines = []
    errors, warnings = book.error_count, book.warning_count
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


def display_width(text: str) -> int:
    """Columns a terminal gives the text (wide and full-width characters take two)."""
    from wcwidth import wcswidth
    width = wcswidth(text)
    return width if width >= 0 else len(text)          # a control character: count it as one


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - display_width(text))


def _clip(text: str, width: int) -> str:
    if display_width(text) <= width:
        return text
    out = ""
    for ch in text:
        if display_width(out + ch) > width - 1:
            break
        out += ch
    return out + "…"


def _wrap(text: str, width: int) -> list[str]:
    """Lines of at most ``width`` columns (Japanese has no spaces to break at)."""
    lines, line = [], ""
    for ch in text:
        if line and display_width(line + ch) > width:
            lines.append(line)
            line = ch.lstrip()
        else:
            line += ch
    return lines + [line] if line or not lines else lines


def terminal_width() -> int:
    return max(60, shutil.get_terminal_size((100, 24)).columns)


def _level_summary(counts: dict[str, int]) -> str:
    return "・".join(f"{level} {n}人" for level, n in counts.items())


def _message_table(headers: tuple[str, ...], rows: list[tuple]) -> list[str]:
    """A table whose last column is a list of messages, wrapped to the terminal's width."""
    n = len(headers) - 1
    widths = [max(display_width(str(r[i])) for r in [headers[:n], *[r[:n] for r in rows]]) for i in range(n)]
    indent = sum(widths) + 2 * n
    message_width = max(20, terminal_width() - indent - 1)
    lines = ["  ".join(_pad(h, w) for h, w in zip(headers[:n], widths)) + "  " + headers[n],
             "-" * min(terminal_width() - 1, indent + message_width)]
    for row in rows:
        start = "  ".join(_pad(str(v), w) for v, w in zip(row[:n], widths)) + "  "
        bullet = "・" if len(row[n]) > 1 else ""
        parts = [part for message in row[n] for part in _wrap(bullet + message, message_width)]
        lines.append(start + parts[0])
        lines += [" " * indent + part for part in parts[1:]]
    return lines


def review_block(book: CaseBook, review) -> str:
    lines = _problem_lines(book)
    counts = review.level_counts()
    lines.append(f"■ {review.office}　{japanese.format_month(review.month)}のケース会議"
                 f"（{len(review.cases)}人: {_level_summary(counts)}）")
    if review.cases:
        lines += _message_table(("区分", "利用者ID", "氏名", "担当", "フラグ"), [
            (c.level, c.user_id, _clip(c.name, 16), _clip(c.staff, 10), [f.message for f in c.flags] or ["—"])
            for c in review.cases])
    else:
        lines.append("この月に支援中の利用者はいません。")
    names = book.names
    starting = "、".join(f"{uid} {names.get(uid, '')}".strip() for uid in review.starting_next_month)
    lines.append(f"来月から支援開始: {starting or 'なし'}")
    return "\n".join(line.rstrip() for line in lines)


def _billing_counts(totals: dict) -> str:
    return f"算定可 {totals['billable']}人・要確認 {totals['to_check']}人・算定不可 {totals['not_billable']}人"


def billing_block(book: CaseBook, bill) -> str:
    """The month's fee check: a row a person (status, units, and why), then the office's claim."""
    from ..billing import addition_text, claim_sentence, is_office_wide, office_wide, reduction_text, tier_text
    lines = _problem_lines(book)
    totals = bill.totals
    lines.append(f"■ {bill.office}　{japanese.format_month(bill.month)}の算定チェック"
                 f"（{totals['people']}人: {_billing_counts(totals)}）")
    lines.append(f"基本報酬の区分: {tier_text(bill)}")
    everyone = office_wide(bill)
    if everyone:
        lines.append(f"算定する全員に: {'、'.join(everyone)}（各行の単位数に含みます）")
    if bill.people:
        lines += _message_table(("状態", "利用者ID", "氏名", "単位数", "理由・減算・加算"), [
            (p.status, p.user_id, _clip(p.name, 16), "—" if p.units is None else f"{p.units:,}",
             [r.message for r in p.reasons] + [reduction_text(r) for r in p.reductions if not is_office_wide(r)]
             + [addition_text(a) for a in p.additions if not is_office_wide(a)]
             + [a.message for a in p.not_counted] or ["—"])
            for p in bill.people])
    else:
        lines.append("この月に支援中の利用者はいません。")
    lines.append(f"請求の合計　{claim_sentence(totals, bill.unit_price)}")
    lines += [f"※ {note}" for note in bill.office_notes]
    lines.append("※ 利用者負担額（給付費との分け方）と国保連への請求ファイルはこの確認に含まれません")
    return "\n".join(line.rstrip() for line in lines)


def billing_total(bills: list) -> str:
    from ..billing import summed
    totals = summed(bills)
    return (f"■ 全事業所（{len(bills)}か所）: {_billing_counts(totals)}（計 {totals['people']}人）、"
            f"{totals['units']:,}単位（総費用額 {totals['yen']:,}円）")


def review_total(reviews: list) -> str:
    from ..rules import LEVELS
    counts = dict.fromkeys(LEVELS, 0)
    for review in reviews:
        for level, n in review.level_counts().items():
            counts[level] += n
    return (f"■ 全事業所（{len(reviews)}か所）: {_level_summary(counts)}"
            f"（計 {sum(counts.values())}人）")


def _id_list(ids: list[str], indent: str) -> list[str]:
    text = " ".join(ids) if ids else "なし"
    width = terminal_width() - display_width(indent) - 1
    lines, line = [], ""
    for word in text.split(" "):
        if line and display_width(line + " " + word) > width:
            lines.append(indent + line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    return lines + [indent + line]


def _rate_lines(result, indent: str) -> list[str]:
    from ..retention import format_rate, format_units
    if result.rate is None:
        return [f"{indent}就労定着率: 出せません（対象期間に利用者がいません）"]
    lines = [f"{indent}就労定着率: {format_rate(result.rate)}"
             f"（{_judged_on(result)}に就労中 {result.numerator}人 / 対象 {result.denominator}人）",
             f"{indent}基本報酬: {result.tier}の区分 → {format_units(result.units)}（1人1か月あたり）"]
    if result.unconfirmed:
        tier, units = result.tier_on_evidence
        lines.append(f"{indent}就労確認のある人だけで数えると: {format_rate(result.rate_on_evidence)}"
                     f"（就労中 {result.numerator_on_evidence}人 / 対象 {result.denominator}人）→ {tier}の区分・"
                     f"{format_units(units)}")
        lines.append(f"{indent}就労の確認が要る人（{len(result.unconfirmed)}人: 支援が終わり、"
                     f"{japanese.format_date(result.checks_from)}以降の就労確認（継続）がない人）:")
        for person in result.unconfirmed:
            last = ("就労確認なし" if person["last_check"] is None else
                    f"最後の確認 {japanese.format_date(person['last_check'])} {person['last_employment']}")
            if person["last_employment"] == "離職":
                last += "（利用者シートの状況・離職日を確かめてください）"
            lines.append(f"{indent}  {person['user_id']} {person['name']}（支援終了 "
                         f"{japanese.format_date(person['support_end'])}、{last}）")
    return lines


def _judged_on(result) -> str:
    """When employment was judged: the reference day, or today for a projection."""
    if result.employed_as_of and result.employed_as_of < result.reference_day:
        return f"今日（{japanese.format_date(result.employed_as_of)}）"
    return "基準日"


def _retention_people(book: CaseBook, result, indent: str) -> list[str]:
    lines = [f"{indent}対象者（{result.denominator}人）:"]
    lines += _id_list(result.denominator_users, indent + "  ")
    users = book.users.set_index("user_id")
    left = result.left_users
    lines.append(f"{indent}うち{_judged_on(result)}に就労していない人（{len(left)}人）:" + ("" if left else " なし"))
    for uid in left:
        left_on = users.at[uid, "left_on"] if uid in users.index else None
        when = "" if japanese.is_blank(left_on) else f"（離職日 {japanese.format_date(left_on)}）"
        lines.append(f"{indent}  {uid} {users.at[uid, 'name'] if uid in users.index else ''}{when}")
    return lines


def retention_block(book: CaseBook, result) -> str:
    lines = _problem_lines(book)
    lines.append(f"■ {result.office}　{result.fiscal_year}年度の就労定着率")
    lines.append(f"  基準日: {japanese.format_date(result.reference_day)}"
                 f"（対象期間 {japanese.format_date(result.window_start)}〜{japanese.format_date(result.reference_day)}）")
    lines += _rate_lines(result, "  ")
    lines += _retention_people(book, result, "  ")
    p = result.projection
    lines.append(f"  翌年度（{p.fiscal_year}年度）の見込み: 基準日 {japanese.format_date(p.reference_day)}"
                 f"（対象期間 {japanese.format_date(p.window_start)}〜）")
    lines += _rate_lines(p, "    ")
    lines += _retention_people(book, p, "    ")
    notes = list(dict.fromkeys(result.notes + p.notes))
    lines.append("  注:")
    for note in notes:
        for i, part in enumerate(_wrap(note, terminal_width() - 7)):
            lines.append(("  ・" if i == 0 else "    ") + part)
    return "\n".join(lines)


def track_record_block(record) -> str:
    """The 就労定着実績体制加算 of the year: the answer, then each person of the cohort and why."""
    width = terminal_width() - 5
    lines = ["■ " + part if i == 0 else "  " + part for i, part in enumerate(_wrap(record.sentence, width))]
    for person in record.people:
        lines.append(f"    {person.user_id} {person.name}: {person.label}（{person.evidence}）")
    lines += [f"  ・{note}" for note in record.notes]
    return "\n".join(lines)


def money_block(outlook) -> str:
    """What the rate means in yen (an estimate), and whose leaving would change it, for staff."""
    width = terminal_width() - 5
    lines = [f"■ 基本報酬の金額の見込み（{japanese.format_month(outlook.month)}時点。職員向けの見込みです）"]
    for fee in (outlook.current, outlook.projected):
        if fee is not None:
            lines += ["  " + part for part in _wrap(fee.sentence, width)]
    if outlook.margin_sentence:
        lines += ["  " + part for part in _wrap(outlook.margin_sentence, width)]
    if outlook.at_risk:
        lines.append(f"  離職されると見込みが変わる人（{japanese.format_month(outlook.month)}に要対応・注意の人、"
                     f"影響の大きい順）:")
        from ..money import by_effect
        for sentence, people in by_effect(outlook.at_risk):
            for person in people:
                lines.append(f"    {person.user_id} {person.name}（{person.level}）")
            lines += ["      → " + part if i == 0 else "        " + part
                      for i, part in enumerate(_wrap(sentence.removeprefix("この方が"), width - 6))]
    lines.append("  前提:")
    for note in outlook.assumptions:
        lines += [("  ・" if i == 0 else "    ") + part for i, part in enumerate(_wrap(note, width - 2))]
    return "\n".join(lines)


def retention_total(results: list) -> str:
    from ..retention import combined_rate, format_rate
    lines = [f"■ 全事業所（{len(results)}か所）"]
    for label, items in (("", results), ("（見込み）", [r.projection for r in results])):
        numerator, denominator, rate = combined_rate(items)
        shown = (f"{format_rate(rate)}（{numerator}人 / {denominator}人）" if rate is not None
                 else "出せません（対象期間に利用者がいません）")
        lines.append(f"  {items[0].fiscal_year}年度{label}の就労定着率: {shown}")
    return "\n".join(lines)


def _problem_lines(book: CaseBook) -> list[str]:
    """The first line of a block: the workbook's problems, if it has any."""
    problem = problem_line(book)
    return [problem] if problem else []


def problem_line(book: CaseBook) -> str | None:
    """One line on the workbook's problems and where to see them (None: there are none)."""
    if not book.problems:
        return None
    errors, warnings = book.error_count, book.warning_count
    counts = f"エラー {errors}件、警告 {warnings}件"
    tail = "エラーのある行を除いて判定しています。" if errors else ""
    return f"※ {book.office} のデータに問題があります（{counts}）。{tail}詳しくは teichaku validate {book.source} で確認してください。"
