"""Charts with a Japanese font, for the app and the reports.

Figures are built with ``matplotlib.figure.Figure`` (no pyplot state, nothing left open),
and turned into PNG bytes or a ``data:`` URI so HTML stays self-contained.
"""

from __future__ import annotations

import base64
import io

import matplotlib

matplotlib.use("Agg")  # no display: the app and the reports only need images

import matplotlib_fontja  # noqa: E402,F401  (registers IPAexGothic and makes it the default font)
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from .schema import SCORE_COLUMNS, SCORE_LABELS  # noqa: E402

SCORE_COLORS = ("#d1495b", "#edae49", "#00798c", "#30638e", "#6a4c93")


def _month_labels(index: pd.PeriodIndex) -> list[str]:
    return [f"{p.month}月" if i and p.month != 1 else f"{p.year}年{p.month}月" for i, p in enumerate(index)]


def trend_figure(trend: pd.DataFrame, *, scores: bool = True, title: str | None = None) -> Figure:
    """Attendance (bars: 出勤率, line: 遅刻・早退) and, with ``scores``, the five self-rated
    scores (1–5) month by month, from ``casefile.trend``.  Months without data stay empty."""
    rows = 2 if scores else 1
    fig = Figure(figsize=(6.4, 2.6 * rows + 0.3), layout="constrained")
    labels = _month_labels(trend.index)
    x = list(range(len(trend)))

    ax = fig.add_subplot(rows, 1, 1)
    rate = trend["attendance_rate"].astype("float64") * 100
    ax.bar(x, rate.fillna(0), color="#8fb8de", label="出勤率（%）")
    ax.set_ylim(0, 105)
    ax.set_ylabel("出勤率（%）")
    ax.set_xticks(x, labels)
    late = ax.twinx()
    late.plot(x, trend["late_early"].astype("float64"), color="#d1495b", marker="o", label="遅刻・早退（回）")
    late.set_ylim(0, max(5.0, float(trend["late_early"].astype("float64").max(skipna=True) or 0) + 1))
    late.set_ylabel("遅刻・早退（回）")
    handles = ax.get_legend_handles_labels()[0] + late.get_legend_handles_labels()[0]
    ax.legend(handles, [h.get_label() for h in handles], loc="upper center", bbox_to_anchor=(0.5, -0.12),
              ncols=2, fontsize=8, frameon=False)
    ax.set_title(title or "勤怠", fontsize=10, loc="left")

    if scores:
        sx = fig.add_subplot(rows, 1, 2)
        for column, color in zip(SCORE_COLUMNS, SCORE_COLORS):
            sx.plot(x, trend[column].astype("float64"), marker="o", color=color, label=SCORE_LABELS[column])
        sx.set_ylim(0.5, 5.5)
        sx.set_yticks([1, 2, 3, 4, 5])
        sx.set_xticks(x, labels)
        sx.set_ylabel("自己評価（1〜5）")
        sx.axhspan(0.5, 2.5, color="#d1495b", alpha=0.06)
        sx.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncols=5, fontsize=8, frameon=False)
        sx.set_title("体調などの自己評価（月平均）", fontsize=10, loc="left")
    return fig


def bar_figure(counts: pd.Series, *, title: str, color: str = "#30638e", xlabel: str = "人数") -> Figure:
    """Horizontal bars of ``counts`` (label → number), largest first, for summaries."""
    counts = counts.sort_values()
    fig = Figure(figsize=(6.4, 0.35 * max(len(counts), 2) + 0.9), layout="constrained")
    ax = fig.add_subplot()
    bars = ax.barh([str(i) for i in counts.index], counts.to_numpy(), color=color)
    ax.bar_label(bars, padding=2, fontsize=8)
    ax.set_xlabel(xlabel)
    ax.set_title(title, fontsize=10, loc="left")
    ax.margins(x=0.1)
    return fig


def png_bytes(fig: Figure, *, dpi: int = 110) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def data_uri(fig: Figure, *, dpi: int = 110) -> str:
    """The figure as ``data:image/png;base64,...`` for an <img> in self-contained HTML."""
    return "data:image/png;base64," + base64.b64encode(png_bytes(fig, dpi=dpi)).decode("ascii")
