"""The bundled demo workbook as the tests know it: its file, its office's name (as documents
and the app print it) and its key (its 事業所番号, under which the store keeps its records)."""

from __future__ import annotations

from pathlib import Path

from teichaku_nb.workbook import load_casebook

DEMO = Path(__file__).resolve().parents[1] / "teichaku_nb" / "demo" / "demo.xlsx"
DEMO_NAME = "デモ就労定着支援センター"
DEMO_KEY = load_casebook(DEMO).key
