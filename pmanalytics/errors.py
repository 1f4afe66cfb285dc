"""Errors for people: each one says what is wrong and what to do, in one line.

The CLI prints `str(error)` and exits non-zero; a traceback is shown only with --debug.
"""

from __future__ import annotations

from pathlib import Path


class PmanalyticsError(Exception):
    """Base of every error pmanalytics raises for a user mistake."""


class CorpusError(PmanalyticsError):
    """The corpus folder cannot be used at all (missing, not a folder, unreadable)."""


class SettingsError(PmanalyticsError):
    """`pmanalytics.toml` cannot be used; the message names the file and the setting."""

    def __init__(self, path: Path, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}")


class DatabaseError(PmanalyticsError):
    """The database is missing, locked by another load, or from another schema version."""


class PeriodError(PmanalyticsError):
    """A period or date that cannot be read (`2026Q3`, `last-quarter`, `2026-01-01..2026-03-31`)."""
