"""Export panel: the month's 会議録, 支援レポート and 月次サマリー from the app, with download links.

The documents are made by ``reports.make_reports`` (the same call as ``teichaku report``),
written to a folder the screen names, and offered as download links (one file, or a zip
of a batch) that carry the file in the page itself: the app serves no files.
"""

from __future__ import annotations

import base64
import io
import zipfile
from pathlib import Path

import ipywidgets as w
import traitlets as t

from ..paths import data_dir, is_demo_book
from .common import Guard, button, esc

KINDS = (("支援レポート", "support"), ("会議録", "minutes"), ("月次サマリー", "summary"))
AUDIENCES = (("本人用と企業用", ""), ("本人用", "本人"), ("企業用", "企業"))
SCOPES = (("この月の全員", "all"), ("開いているケースの人", "case"))
FORMATS = (("HTML", "html"), ("PDF", "pdf"))
MIME = {".html": "text/html", ".pdf": "application/pdf", ".zip": "application/zip"}


def out_dir_for(book_path: Path, month: str) -> Path:
    """Where the app writes a month's documents: ``reports/YYYY-MM`` beside the workbook (the
    bundled demo's go to the per-user data folder, never into the checkout)."""
    if is_demo_book(book_path):
        return data_dir(create=True) / "reports" / month
    base = book_path if book_path.is_dir() else book_path.parent
    return base / "reports" / month


def download(paths: list[Path], month: str) -> tuple[str, str]:
    """(file name, data: URI) of the one file, or of a zip holding them all."""
    if len(paths) == 1:
        path = paths[0]
        name, data = path.name, path.read_bytes()
    else:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in paths:
                archive.write(path, arcname=path.name)
        name, data = f"teichaku_{month}_{len(paths)}件.zip", buffer.getvalue()
    mime = MIME.get(Path(name).suffix, "application/octet-stream")
    return name, f"data:{mime};base64," + base64.b64encode(data).decode("ascii")


class ExportModel(t.HasTraits):
    """What to make, and what was made."""

    kind = t.Unicode("support")
    audience = t.Unicode("")             # "" both copies, 本人, 企業 (支援レポート only)
    scope = t.Unicode("all")             # all: the month's agenda; case: the open case only
    fmt = t.Unicode("html")
    recorder = t.Unicode("")             # 記録者 (linked from the header): who issued the reports
    user_id = t.Unicode("")              # the open case
    office = t.Unicode("")               # the office on screen (a folder of offices has several)
    month = t.Unicode("")                # YYYY-MM
    progress = t.Tuple((0, 0))           # (done, total) while making
    status = t.Unicode("")
    link_name = t.Unicode("")
    link_uri = t.Unicode("")
    made = t.Int(0)                      # counts batches, so the conference can refresh the agenda

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.book_path: Path | None = None
        self.db_url: str | None = None

    def set_context(self, book_path: Path, db_url: str | None) -> None:
        self.book_path, self.db_url = Path(book_path), db_url

    def make(self) -> list[Path]:
        from ..reports import make_reports
        from ..store import StoreError
        if self.book_path is None or not self.month:
            raise StoreError("ケース記録が読み込まれていません")
        user = None
        if self.kind == "support":
            if not self.recorder.strip():
                raise StoreError("支援レポートは送付の記録を残します。記録者（画面上部）に名前を入力してください")
            if self.scope == "case":
                if not self.user_id:
                    raise StoreError("ケースを開いてから「開いているケースの人」を選んでください")
                user = self.user_id
        self.link_name = self.link_uri = ""
        self.status = "作成中です…"
        out = out_dir_for(self.book_path, self.month)
        paths = make_reports(
            self.kind, self.book_path, self.month, db=self.db_url, user=user,
            audience=(self.audience or None) if self.kind == "support" else None, fmt=self.fmt,
            out_dir=out, by=self.recorder.strip() or None, office=self.office or None,
            progress=lambda done, total: setattr(self, "progress", (done, total)))
        if not paths:
            self.status = "作成する帳票はありません（この月の検討対象の人がいません）"
            return paths
        self.link_name, self.link_uri = download(paths, self.month)
        issued = "（支援レポートの送付を記録しました）" if self.kind == "support" else ""
        self.status = f"{len(paths)}件を作成しました{issued}。保存先: {out}"
        self.made += 1
        return paths


class ExportView(w.VBox):
    """Choices, a button, a progress bar and the download link."""

    def __init__(self, model: ExportModel, guard: Guard, **kwargs):
        super().__init__(**kwargs)
        self.model = model
        self.add_class("teichaku-export")
        self.kind = w.Dropdown(options=KINDS, description="帳票", layout=w.Layout(width="16em"))
        self.audience = w.Dropdown(options=AUDIENCES, description="宛先", layout=w.Layout(width="16em"))
        self.scope = w.Dropdown(options=SCOPES, description="対象", layout=w.Layout(width="22em"))
        self.fmt = w.ToggleButtons(options=FORMATS, layout=w.Layout(width="auto"),
                                   style={"button_width": "5em"})
        for name in ("kind", "audience", "scope", "fmt"):
            w.link((model, name), (getattr(self, name), "value"))
        self.button = button(guard, "作成", "export-make", self._make, "帳票の作成", width="8em",
                             icon="file", button_style="info")
        self.bar = w.IntProgress(min=0, max=1, value=0, layout=w.Layout(width="16em", display="none"))
        self.status = w.HTML()
        self.status.add_class("teichaku-export-status")
        self.link = w.HTML()
        self.link.add_class("teichaku-export-link")
        model.observe(guard.wrap(self._render, "帳票の表示"), names=["progress", "status", "link_uri", "kind"])
        self._render()
        self.children = [
            w.HTML("<p style='margin:4px 0;color:#555'>画面上部で選んでいる月の帳票を作ります。"
                   "支援レポートを作ると、その月の送付として記録されます。</p>"),
            w.HBox([self.kind, self.audience, self.scope]), w.HBox([self.fmt, self.button, self.bar]),
            self.status, self.link]

    def _make(self) -> None:
        self.button.disabled = True
        try:
            self.model.make()
        except Exception:
            self.model.status = ""
            raise                       # the guard logs it and shows it in Japanese
        finally:
            self.button.disabled = False

    def _render(self, _change=None) -> None:
        m = self.model
        support = m.kind == "support"
        self.audience.layout.display = self.scope.layout.display = "" if support else "none"
        done, total = m.progress
        self.bar.layout.display = "" if total and done < total else "none"
        self.bar.max, self.bar.value = max(total, 1), done
        self.status.value = f"<span style='color:#1b5e20'>{esc(m.status)}</span>" if m.status else ""
        self.link.value = (f'<a class="teichaku-download" download="{esc(m.link_name)}" href="{m.link_uri}" '
                           f'style="color:#1565c0;text-decoration:underline">'
                           f'⬇ {esc(m.link_name)} をダウンロード</a>' if m.link_uri else "")
