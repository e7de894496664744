"""Charts for the app and the documents, as SVG (vectors in the Japanese font, ~1 ms a chart).

- One person's 6-month trend (attendance and the five self-rated scores, from
  ``casefile.trend``) is drawn as SVG text (``trend_svg``): it is made for every case the
  app opens and for every 支援レポート of a batch, shown as an image (``svg_data_uri``).
- The summary's counts of people (by level, by flag) are horizontal bars: ``bar_chart``
  lays them out (whole-number ticks) and ``templates/html/charts/bars.svg.j2`` draws them
  inside the document, so labels are escaped text like any other.  (matplotlib took 0.3 s a
  chart, most of a 月次サマリー of a small office.)
"""

from __future__ import annotations

import base64
import html
import math

import pandas as pd

from .japanese import format_month
from .schema import SCORE_COLUMNS, SCORE_LABELS

SCORE_COLORS = ("#d1495b", "#edae49", "#00798c", "#30638e", "#6a4c93")


def _month_labels(index: pd.PeriodIndex) -> list[str]:
    return [f"{p.month}月" if i and p.month != 1 else format_month(p) for i, p in enumerate(index)]


# --- counts of people, as bars ------------------------------------------------------------------

BAR_WIDTH, BAR_LABELS, BAR_ROW, BAR_TOP = 420, 170, 24, 28       # px: chart, label column, a bar's row, title


def bar_chart(counts: pd.Series, *, title: str, colour: str = "#30638e", unit: str = "人数") -> dict:
    """The layout of horizontal bars for ``counts`` (label → number of people), largest first,
    on an axis counted in whole numbers: what ``charts/bars.svg.j2`` draws."""
    counts = counts.sort_values(ascending=False, kind="stable")
    top = max([int(v) for v in counts] + [1])
    step = max(1, math.ceil(top / 5))
    axis = step * math.ceil(top / step)
    plot = BAR_WIDTH - BAR_LABELS - 30
    bars = [{"label": str(label), "value": int(value), "y": BAR_TOP + i * BAR_ROW, "width": plot * int(value) / axis}
            for i, (label, value) in enumerate(counts.items())]
    bottom = BAR_TOP + len(bars) * BAR_ROW
    return {"title": title, "colour": colour, "unit": unit, "width": BAR_WIDTH, "height": bottom + 38,
            "left": BAR_LABELS, "row": BAR_ROW, "bottom": bottom, "bars": bars,
            "ticks": [(BAR_LABELS + plot * k / axis, k) for k in range(0, axis + 1, step)]}


# --- one person's trend, as SVG ---------------------------------------------------------------

_SVG_FONT = "'Noto Sans CJK JP','IPAexGothic','Hiragino Sans','Yu Gothic','Meiryo',sans-serif"


def _svg_number(value) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _svg_polyline(points: list[tuple[float, float] | None], color: str) -> str:
    """Line segments over consecutive known points, and a marker at each point."""
    parts, run = [], []
    for point in points + [None]:
        if point is None:
            if len(run) > 1:
                path = " ".join(f"{x:.1f},{y:.1f}" for x, y in run)
                parts.append(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2"/>')
            run = []
        else:
            run.append(point)
    parts += [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.2" fill="{color}"/>' for x, y in (p for p in points if p)]
    return "".join(parts)


def trend_svg(trend: pd.DataFrame, *, scores: bool = True) -> str:
    """Attendance (bars: 出勤率, line: 遅刻・早退) and, with ``scores``, the five self-rated
    scores (1–5) month by month, from ``casefile.trend``, as an SVG document.  Months
    without data stay empty."""
    labels = _month_labels(trend.index)
    n = max(len(trend), 1)
    width, left, right, plot_h = 640, 56, 56, 150
    step = (width - left - right) / n
    xs = [left + step * (i + 0.5) for i in range(n)]
    out = []
    y0 = 28

    def text(x, y, value, size=11, anchor="middle", color="#333", extra=""):
        return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" fill="{color}"{extra}>'
                f"{html.escape(str(value))}</text>")

    def axis(top: float, ticks: list[tuple[float, str]], right_ticks: list[tuple[float, str]] | None = None):
        parts = [f'<rect x="{left}" y="{top}" width="{width - left - right}" height="{plot_h}" fill="none" stroke="#999"/>']
        for y, label in ticks:
            parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e5e5e5"/>')
            parts.append(text(left - 6, y + 4, label, 10, "end"))
        for y, label in right_ticks or []:
            parts.append(text(width - right + 6, y + 4, label, 10, "start"))
        for x, label in zip(xs, labels):
            parts.append(text(x, top + plot_h + 15, label, 10))
        return "".join(parts)

    # attendance: bars of 出勤率 (0–100 %), a line of 遅刻・早退 on the right axis
    out.append(text(left, y0 - 10, "勤怠", 12, "start", "#111", ' font-weight="bold"'))
    rate = [_svg_number(v) for v in trend["attendance_rate"]]
    late = [_svg_number(v) for v in trend["late_early"]]
    late_max = max([5.0] + [v + 1 for v in late if v is not None])
    bottom = y0 + plot_h
    out.append(axis(y0, [(bottom - plot_h * p / 100, f"{p}") for p in (0, 25, 50, 75, 100)],
                    [(bottom - plot_h * k / late_max, _number_label(k)) for k in _late_ticks(late_max)]))
    for x, value in zip(xs, rate):
        if value is not None:
            h = plot_h * min(max(value, 0.0), 1.0)
            out.append(f'<rect x="{x - step * 0.32:.1f}" y="{bottom - h:.1f}" width="{step * 0.64:.1f}" '
                       f'height="{h:.1f}" fill="#8fb8de"/>')
    out.append(_svg_polyline([(x, bottom - plot_h * v / late_max) if v is not None else None
                              for x, v in zip(xs, late)], "#d1495b"))
    out.append(text(left - 40, y0 + plot_h / 2, "出勤率（%）", 10, "middle", "#333",
                    f' transform="rotate(-90 {left - 40} {y0 + plot_h / 2})"'))
    out.append(text(width - right + 40, y0 + plot_h / 2, "遅刻・早退（回）", 10, "middle", "#333",
                    f' transform="rotate(90 {width - right + 40} {y0 + plot_h / 2})"'))
    legend_y = bottom + 34
    out.append(f'<rect x="{width / 2 - 130}" y="{legend_y - 9}" width="12" height="10" fill="#8fb8de"/>')
    out.append(text(width / 2 - 114, legend_y, "出勤率（%）", 10, "start"))
    out.append(f'<line x1="{width / 2 + 10}" x2="{width / 2 + 28}" y1="{legend_y - 4}" y2="{legend_y - 4}" '
               'stroke="#d1495b" stroke-width="2"/>')
    out.append(text(width / 2 + 32, legend_y, "遅刻・早退（回）", 10, "start"))
    height = legend_y + 12

    if scores:
        y1 = height + 34
        out.append(text(left, y1 - 10, "体調などの自己評価（月平均）", 12, "start", "#111", ' font-weight="bold"'))
        bottom = y1 + plot_h

        def score_y(v: float) -> float:
            return bottom - plot_h * (v - 0.5) / 5.0

        out.append(f'<rect x="{left}" y="{score_y(2.5):.1f}" width="{width - left - right}" '
                   f'height="{score_y(0.5) - score_y(2.5):.1f}" fill="#d1495b" fill-opacity="0.07"/>')
        out.append(axis(y1, [(score_y(k), str(k)) for k in (1, 2, 3, 4, 5)]))
        out.append(text(left - 40, y1 + plot_h / 2, "自己評価（1〜5）", 10, "middle", "#333",
                        f' transform="rotate(-90 {left - 40} {y1 + plot_h / 2})"'))
        legend_y = bottom + 34
        for k, (column, color) in enumerate(zip(SCORE_COLUMNS, SCORE_COLORS)):
            values = [_svg_number(v) for v in trend[column]]
            out.append(_svg_polyline([(x, score_y(v)) if v is not None else None for x, v in zip(xs, values)], color))
            lx = left + 40 + k * 100
            out.append(f'<line x1="{lx}" x2="{lx + 18}" y1="{legend_y - 4}" y2="{legend_y - 4}" stroke="{color}" '
                       'stroke-width="2"/>')
            out.append(text(lx + 22, legend_y, SCORE_LABELS[column], 10, "start"))
        height = legend_y + 12

    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height:.0f}" width="{width}" '
            f'height="{height:.0f}" font-family="{_SVG_FONT}" role="img">' + "".join(out) + "</svg>")


def _late_ticks(top: float) -> list[int]:
    stepping = 1 if top <= 6 else (2 if top <= 12 else 5)
    return list(range(0, int(top) + 1, stepping))


def _number_label(value: float) -> str:
    return f"{value:.0f}"


def svg_data_uri(svg: str) -> str:
    """An SVG document as ``data:image/svg+xml;base64,...`` for an <img> in self-contained HTML."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")
