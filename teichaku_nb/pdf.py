"""Print report HTML files as A4 PDF documents with the system's Chromium.

Chromium spends about 0.25 s on every ``page.pdf`` call whatever the document (measured:
one 2-page 支援レポート 0.23 s; 72 of them laid end to end in one page 1.2 s), so a batch is
printed in ONE call and cut apart again:

1. the documents' bodies are put one after the other in one HTML page (they come from the
   same nbconvert template, so they share its ``<head>``), each starting on a new page,
   with its header line (office, month, title) in the top margin of its pages (a CSS
   ``@page`` margin box on a named page) and an invisible link on its first page that marks
   where it begins;
2. Chromium prints that page once (Playwright, the system's executable: no browser download;
   started in a thread of its own as the batch begins, ``Printer``, so its start overlaps
   the notebooks' work).
   Before it prints, each document's height is measured at the page's width: a document
   whose last page would hold only a few lines is set tighter (the ``fit-1`` / ``fit-2``
   classes of report.css: less space, a smaller chart; never a smaller font), so no page
   carries just a signature or the end of a table;
3. pikepdf finds the markers, removes them, stamps "n / N" in the bottom margin of every page
   (page numbers count within each document, which CSS page counters cannot do across one
   printed page) and saves each document's pages as its own PDF.  Nothing is copied for
   that: before each save the file's catalogue is replaced by one whose page tree holds only
   that document's pages, and the writer keeps what those pages reach (their fonts and
   images).  Links that jump inside the file are dropped first, so no page reaches another
   document's pages: a person's file never carries a word of someone else's.

Large batches are printed ``CHUNK`` documents at a time, so the progress bar moves and the
page Chromium lays out stays a reasonable size.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .errors import StaffError
from .files import replacing

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
INSTALL_CHROMIUM = ("PDF を作るには Chromium が必要ですが、見つかりませんでした。\n"
                    "Debian / Ubuntu では次のコマンドで入れられます（日本語の文字には fonts-noto-cjk も必要です）:\n"
                    "  sudo apt install chromium fonts-noto-cjk\n"
                    "別の場所にある場合は環境変数 TEICHAKU_CHROMIUM にその実行ファイルを指定してください。\n"
                    "HTML のレポートは Chromium なしで作れます（--format html）。")
CHUNK = 100                                    # documents printed by one Chromium call
MARK = "https://teichaku.invalid/pdf-document/"  # the first-page marker's link (removed again)
MM = 72 / 25.4                                 # PDF points per millimetre
PAGE_NUMBER_SIZE = 7                           # pt
HELVETICA_WIDTHS = {" ": 278, "/": 278} | dict.fromkeys("0123456789", 556)   # per 1000 em
FONT_FAMILY = "'Noto Sans CJK JP', 'IPAexGothic', sans-serif"
# The A4 page inside the margins of report.css's @page (210 × 297 mm less 14 mm a side and 16 mm
# top and bottom), in CSS pixels: the width lines wrap at, the height a page holds.
PX_PER_MM = 96 / 25.4
CONTENT_WIDTH_PX = round(182 * PX_PER_MM)
CONTENT_HEIGHT_PX = 265 * PX_PER_MM
SHORT_LAST_PAGE = 0.15        # a last page filled less than this is set tighter
# Measures each document and tightens those whose last page would be nearly empty (fit-1,
# then fit-2), so the lines move back onto the page before.
FIT_SCRIPT = """([pageHeight, short]) => {
  const docs = Array.from(document.querySelectorAll('#teichaku-pdf > .pdf-document'));
  const isShort = (doc) => {
    const height = doc.getBoundingClientRect().height;
    const rest = height - Math.floor(height / pageHeight) * pageHeight;
    return height > pageHeight && rest > 0 && rest < short * pageHeight;
  };
  let fitted = 0;
  for (const level of [1, 2]) {          // measure all, then change all: one layout a round
    const tight = docs.filter(isShort);
    tight.forEach((doc) => doc.classList.add('fit-' + level));
    fitted += tight.length;
  }
  return fitted;
}"""


class PrintError(StaffError):
    """The PDF could not be made; the message is Japanese, for staff."""


class NoChromium(PrintError):
    """No Chromium to print with (or it does not start)."""


@dataclass
class Document:
    """One PDF to make: the HTML file printed, where the PDF goes, its header line."""

    html: Path
    pdf: Path
    header: str                  # office, month and title, shown at the top of every page


def find_chromium() -> str | None:
    """The Chromium (or Chrome) executable: ``$TEICHAKU_CHROMIUM``, else on PATH."""
    configured = os.environ.get("TEICHAKU_CHROMIUM")
    if configured:
        return configured if Path(configured).is_file() else shutil.which(configured)
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


# --- 1. one HTML page for many documents -------------------------------------------------------

def css_string(text: str) -> str:
    """``text`` as a CSS string literal.  Every ASCII character but letters, digits and the
    space is escaped, so nothing in it can end the string or the ``<style>`` element."""
    return '"' + "".join(c if c.isalnum() or c == " " or not c.isascii() else f"\\{ord(c):x} "
                         for c in text) + '"'


def _head_and_body(markup: str) -> tuple[str, str]:
    """The inside of ``<head>`` and of ``<body>`` of a document from the report template
    (whose user text is escaped, so these tags only occur as the template wrote them)."""
    head = markup.partition("<head>")[2].partition("</head>")[0]
    body = markup.partition("<body>")[2].rpartition("</body>")[0]
    return head, body


def combined_html(documents: list[Document]) -> str:
    """One HTML page holding ``documents`` end to end (see the module's docstring)."""
    headers = list(dict.fromkeys(d.header for d in documents))      # a named page per header line
    styles = ["#teichaku-pdf > .pdf-document { position: relative; }",
              "#teichaku-pdf > .pdf-document + .pdf-document { break-before: page; }",
              "a.pdf-mark { position: absolute; top: 0; left: 0; width: 1px; height: 1px; display: block; }"]
    for number, header in enumerate(headers):
        styles.append(f"@page teichaku-{number} {{ @top-right {{ content: {css_string(header)}; "
                      f"font-size: 8px; color: #666; font-family: {FONT_FAMILY}; vertical-align: bottom; }} }}")
    head = _head_and_body(documents[0].html.read_text(encoding="utf-8"))[0]
    parts = ["<!DOCTYPE html>\n<html lang=\"ja\">\n<head>", head, "<style>\n", "\n".join(styles),
             "\n</style>\n</head>\n<body>\n<div id=\"teichaku-pdf\">"]
    for index, document in enumerate(documents):
        body = _head_and_body(document.html.read_text(encoding="utf-8"))[1]
        parts.append(f'<div class="pdf-document" style="page: teichaku-{headers.index(document.header)}">'
                     f'<a class="pdf-mark" href="{MARK}{index}"></a>{body}</div>')
    parts.append("</div>\n</body>\n</html>\n")
    return "".join(parts)


# --- 2. one Chromium call ----------------------------------------------------------------------

class Printer:
    """One Chromium for a batch, started as soon as the batch begins: ``with Printer(executable)
    as printer: ... printer.print(documents, staging)``.  It starts in a thread of its own (with
    its own event loop) and opens its page for printing, so it is ready by the time the
    documents' HTML is: the wait for the browser overlaps the notebooks' work.  A browser that
    cannot start is reported by ``print`` (``NoChromium``)."""

    def __init__(self, executable: str):
        self.executable = executable
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="teichaku-chromium", daemon=True)
        self._browser = None

    def __enter__(self) -> Printer:
        self._thread.start()
        self._started = asyncio.run_coroutine_threadsafe(self._start(), self._loop)
        return self

    def __exit__(self, *exc) -> None:
        try:
            asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(timeout=60)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
            if not self._thread.is_alive():
                self._loop.close()

    async def _start(self) -> None:
        try:
            from playwright.async_api import async_playwright
        except ModuleNotFoundError as error:
            raise NoChromium(f"PDF には playwright（Python パッケージ）が必要です: {error}\n{INSTALL_CHROMIUM}") from error
        args = ["--no-sandbox"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
        self._playwright = await async_playwright().start()
        try:
            self._browser = await self._playwright.chromium.launch(
                executable_path=self.executable, args=args,
                handle_sigint=False, handle_sigterm=False, handle_sighup=False)
        except Exception as error:
            raise NoChromium(f"Chromium（{self.executable}）を起動できません: {error}\n{INSTALL_CHROMIUM}") from error
        self._page = await self._browser.new_page(viewport={"width": CONTENT_WIDTH_PX,
                                                            "height": round(CONTENT_HEIGHT_PX)})
        await self._page.emulate_media(media="print")

    async def _stop(self) -> None:
        try:
            await asyncio.wrap_future(self._started)
        except Exception:        # noqa: BLE001 - said by print, or nothing was printed
            pass
        if self._browser is not None:
            await self._browser.close()
        if getattr(self, "_playwright", None) is not None:
            await self._playwright.stop()

    def print(self, documents: list[Document], staging: Path, progress: Callable[[], None] | None = None) -> None:
        """Print ``documents`` (in chunks of ``CHUNK``).  ``staging`` is a private folder for the
        combined pages.  ``progress()`` is called per document."""
        self._started.result()
        asyncio.run_coroutine_threadsafe(self._print(documents, staging, progress), self._loop).result()

    async def _print(self, documents: list[Document], staging: Path, progress) -> None:
        page = self._page
        for start in range(0, len(documents), CHUNK):
            chunk = documents[start:start + CHUNK]
            source = staging / f"print-{start}.html"
            printed = staging / f"print-{start}.pdf"
            source.write_text(combined_html(chunk), encoding="utf-8")
            await page.goto(source.as_uri(), wait_until="load")
            await page.evaluate(FIT_SCRIPT, [CONTENT_HEIGHT_PX, SHORT_LAST_PAGE])
            await page.pdf(path=str(printed), format="A4", print_background=True, prefer_css_page_size=True)
            split(printed, chunk, progress=progress)


def print_pdfs(documents: list[Document], *, executable: str, staging: Path,
               progress: Callable[[], None] | None = None) -> None:
    """Print ``documents`` with a Chromium of their own (``Printer``)."""
    with Printer(executable) as printer:
        printer.print(documents, staging, progress)


# --- 3. cut apart, page numbers ----------------------------------------------------------------

def _is_jump(annotation) -> bool:
    """A link to a place in the same file (which may be another document's page)."""
    action = annotation.get("/A")
    return "/Dest" in annotation or (action is not None and str(action.get("/S", "")) in ("/GoTo", "/GoToR"))


def _document_starts(pdf, count: int) -> list[int]:
    """The page index where each of ``count`` documents begins; removes the markers (and any
    link that jumps inside the file)."""
    import pikepdf

    starts: dict[int, int] = {}
    for index, page in enumerate(pdf.pages):
        annotations = page.obj.get("/Annots")
        if annotations is None:
            continue
        kept = pikepdf.Array()
        for annotation in annotations:
            uri = str(annotation.get("/A", {}).get("/URI", ""))
            if uri.startswith(MARK):
                starts.setdefault(int(uri[len(MARK):]), index)
            elif not _is_jump(annotation):
                kept.append(annotation)
        if len(kept):
            page.obj.Annots = kept
        else:
            del page.obj["/Annots"]
    found = [starts.get(n) for n in range(count)]
    if None in found or found[:1] != [0] or any(b <= a for a, b in zip(found, found[1:])):
        raise PrintError("PDF を文書ごとに分けられませんでした（印刷結果に区切りが見つかりません）。"
                         "HTML（--format html）で作ってください。")
    return found


def _stamp(page, text: str, font) -> None:
    """Write ``text`` (digits, spaces and slashes) centred in the bottom margin of ``page``."""
    import pikepdf

    name = page.add_resource(font, pikepdf.Name.Font, prefix="TeichakuPageNumber")
    width = sum(HELVETICA_WIDTHS[c] for c in text) * PAGE_NUMBER_SIZE / 1000
    x0, y0, x1, _ = (float(v) for v in page.mediabox)
    page.contents_add(b"q", prepend=True)                # whatever the page leaves set is undone first
    page.contents_add(f"Q q 0.4 g BT {name} {PAGE_NUMBER_SIZE} Tf {(x0 + x1 - width) / 2:.2f} "
                      f"{y0 + 9 * MM:.2f} Td ({text}) Tj ET Q".encode("ascii"))


def split(printed: Path, documents: list[Document], *, progress: Callable[[], None] | None = None) -> None:
    """Save each document's pages of the combined PDF ``printed`` as ``document.pdf``."""
    import pikepdf

    with pikepdf.open(printed) as pdf:
        starts = _document_starts(pdf, len(documents))
        pages = [page.obj for page in pdf.pages]
        font = pdf.make_indirect(pikepdf.Dictionary(
            Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica,
            Encoding=pikepdf.Name.WinAnsiEncoding))
        info = {key: pdf.docinfo[key] for key in ("/Creator", "/Producer", "/CreationDate") if key in pdf.docinfo}
        for document, start, end in zip(documents, starts, starts[1:] + [len(pages)]):
            own = pages[start:end]
            for number, page in enumerate(own, 1):
                _stamp(pikepdf.Page(page), f"{number} / {len(own)}", font)
            tree = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Pages, Kids=pikepdf.Array(own),
                                                        Count=len(own)))
            for page in own:
                page.Parent = tree
            pdf.trailer.Root = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Catalog, Pages=tree))
            pdf.trailer.Info = pdf.make_indirect(pikepdf.Dictionary(**{k[1:]: v for k, v in info.items()},
                                                                    Title=pikepdf.String(document.header)))
            with replacing(document.pdf) as temporary:          # renamed into place when complete
                pdf.save(temporary, object_stream_mode=pikepdf.ObjectStreamMode.generate)
            if progress:
                progress()
