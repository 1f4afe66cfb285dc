"""`pmanalytics.toml`: the settings of one corpus (docs/corpus.md section 3).

```toml
timezone = "Europe/Paris"      # IANA name; timestamps without an offset are in it (default UTC)
deadline_hours = 72            # postmortem deadline after resolved_at
recurrence_days = 180          # recurrence window
default_severity = "S3"        # stands in for a missing `severity`
extra_categories = ["automation"]   # more root-cause categories, counted as themselves

[category_aliases]             # your category names → a category of docs/corpus.md 1.2 (or an extra one)
"config-change" = "config"

[fields]                       # contract key = the key your files use
id = "uuid"
started_at = "start_time"
```
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pmanalytics.corpus.vocabulary import CATEGORY_INDEX, fold, severity
from pmanalytics.errors import SettingsError

SETTINGS_FILE = "pmanalytics.toml"

CONTRACT_KEYS = (
    "id", "title", "severity", "started_at", "detected_at", "mitigated_at", "resolved_at",
    "published_at", "status", "public", "published_to", "services", "teams", "root_causes",
    "tags",
)
_KNOWN = {
    "timezone", "deadline_hours", "recurrence_days", "default_severity",
    "extra_categories", "category_aliases", "fields",
}


@dataclass(frozen=True)
class CorpusSettings:
    """Settings in force for one corpus; the defaults are those of docs/corpus.md section 3.1."""

    timezone: str = "UTC"
    deadline_hours: float = 72.0
    recurrence_days: float = 180.0
    default_severity: str | None = None
    extra_categories: tuple[str, ...] = ()
    category_aliases: Mapping[str, str] = field(default_factory=dict)
    fields: Mapping[str, str] = field(default_factory=dict)

    @property
    def tz(self) -> dt.tzinfo:
        return ZoneInfo(self.timezone)

    def category(self, written: str) -> str | None:
        """The category a written name stands for, or None when it is not known."""
        key = fold(written)
        if key in self._category_index:
            return self._category_index[key]
        return None

    @cached_property
    def _category_index(self) -> dict[str, str]:
        index = dict(CATEGORY_INDEX)
        for extra in self.extra_categories:
            index[fold(extra)] = extra
        for alias, target in self.category_aliases.items():
            index[fold(alias)] = index.get(fold(target), target)
        return index

    def as_rows(self) -> list[tuple[str, str]]:
        return [
            ("timezone", self.timezone),
            ("deadline_hours", str(self.deadline_hours)),
            ("recurrence_days", str(self.recurrence_days)),
            ("default_severity", self.default_severity or ""),
            ("extra_categories", ";".join(self.extra_categories)),
        ]


def settings_path(corpus: Path, override: Path | None = None) -> Path | None:
    """The settings file in force: `override` when given, else the corpus's own, if any."""
    if override is not None:
        if not override.is_file():
            raise SettingsError(override, "no such settings file")
        return override
    own = corpus / SETTINGS_FILE
    return own if own.is_file() else None


def read_settings(corpus: Path, override: Path | None = None) -> CorpusSettings:
    """Read the corpus settings (`override`, else `pmanalytics.toml` at the root, else defaults)."""
    path = settings_path(corpus, override)
    if path is None:
        return CorpusSettings()
    try:
        with path.open("rb") as handle:
            raw = tomllib.load(handle)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SettingsError(path, f"not valid TOML: {exc}") from None
    except OSError as exc:
        raise SettingsError(path, f"cannot be read: {exc.strerror}") from None
    return settings_from_mapping(raw, path)


def settings_from_mapping(raw: Mapping[str, object], path: Path) -> CorpusSettings:
    unknown = sorted(set(raw) - _KNOWN)
    if unknown:
        raise SettingsError(path, f"unknown setting {unknown[0]!r} (known: {', '.join(sorted(_KNOWN))})")
    timezone = _text(raw, "timezone", "UTC", path)
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsError(path, f"timezone {timezone!r} is not an IANA time zone name (e.g. Europe/Paris)") from None
    default = raw.get("default_severity")
    default_severity = None
    if default is not None:
        default_severity = severity(default)
        if default_severity is None:
            raise SettingsError(path, f"default_severity {default!r} is not S1..S4")
    fields = _table(raw, "fields", path)
    bad = sorted(set(fields) - set(CONTRACT_KEYS))
    if bad:
        raise SettingsError(path, f"[fields] maps unknown contract key {bad[0]!r} (known: {', '.join(CONTRACT_KEYS)})")
    extra = raw.get("extra_categories", [])
    if not isinstance(extra, list) or not all(isinstance(c, str) and c.strip() for c in extra):
        raise SettingsError(path, "extra_categories must be a list of names")
    return CorpusSettings(
        timezone=timezone,
        deadline_hours=_positive(raw, "deadline_hours", 72.0, path),
        recurrence_days=_positive(raw, "recurrence_days", 180.0, path),
        default_severity=default_severity,
        extra_categories=tuple(c.strip() for c in extra),
        category_aliases=_table(raw, "category_aliases", path),
        fields=fields,
    )


def _text(raw: Mapping[str, object], key: str, default: str, path: Path) -> str:
    value = raw.get(key, default)
    if not isinstance(value, str) or not value.strip():
        raise SettingsError(path, f"{key} must be a non-empty string")
    return value.strip()


def _positive(raw: Mapping[str, object], key: str, default: float, path: Path) -> float:
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise SettingsError(path, f"{key} must be a positive number, not {value!r}")
    return float(value)


def _table(raw: Mapping[str, object], key: str, path: Path) -> dict[str, str]:
    value = raw.get(key, {})
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise SettingsError(path, f"[{key}] must map names to names (name = \"other name\")")
    return {k.strip(): v.strip() for k, v in value.items()}
