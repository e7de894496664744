"""Errors whose message is for staff.

Every error the package raises on purpose derives from ``StaffError``: its message is
Japanese, says where and what, and is shown as it is (the CLI prints it after 「エラー: 」,
the app after 「…ができませんでした: 」); anything else is a bug of ours, shown as such and
logged.  Subclasses exist where a caller must tell errors apart:

- ``FormError``: what a person typed into the app cannot be saved as it is (a required
  field, a case not chosen, who records it);
- ``store.StoreError`` and ``store.Conflict``: the records (a bad value, a store that
  cannot be used, someone else saved first);
- ``reports.ReportError`` (``NoBrowser``) and ``report_views.ReportDataError``: documents;
- ``pdf.PrintError`` (``NoChromium``): printing;
- ``files.OutputRefused``: a file a command must not write.
"""

from __future__ import annotations


class StaffError(Exception):
    """An error with a Japanese message for staff (never a traceback)."""


class FormError(StaffError, ValueError):
    """What was typed into the app cannot be saved as it is."""
