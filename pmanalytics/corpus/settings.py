"""`pmanalytics.toml`: the settings of one corpus (docs/corpus.md section 3).

```toml
timezone = "Europe/Paris"      # IANA name; timestamps without an offset are in it (default UTC)
deadline_hours = 72            # postmortem deadline after resolved_at
recurrence_days = 180          # recurrence window
default_severity = "S3"        # stands in for a missing `severity`
extra_categories = ["automation"]   # more root-cause categories, counted as themselves

timestamp_formats = ["%d/%b/%y %I:%M %p"]   # strptime patterns tried after ISO 8601
link_template = "https://git.example.com/postmortems/blob/main/{path}"   # {id} and {path}

[category_aliases]             # your category names → a category of docs/corpus.md 1.2 (or an extra one)
"config-change" = "config"
[severity_aliases]             # your severity names → S1..S4 (matched without regard to case)
Critical = "S1"
[status_aliases]               # your action statuses → open, in_progress, done, cancelled
Resolved = "done"

[fields]                       # front matter and postmortems.*: contract key = the key your files use
id = "uuid"
started_at = "start_time"
[fields.incidents]             # incidents.*: contract column = your column or a dotted JSON path
severity = "severity.name"
[fields.actions]               # actions.*: contract column = your column or a dotted JSON path
postmortem_id = "Parent"
```
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import string
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pmanalytics.corpus import values
from pmanalytics.corpus.vocabulary import ACTION_STATUS_INDEX, ACTION_STATUSES, CATEGORY_INDEX, fold, severity
from pmanalytics.errors import SettingsError

SETTINGS_FILE = "pmanalytics.toml"

CONTRACT_KEYS = (
    "id", "title", "severity", "started_at", "detected_at", "mitigated_at", "resolved_at",
    "published_at", "status", "public", "published_to", "services", "teams", "root_causes",
    "tags",
)
INCIDENT_COLUMNS = ("id", "title", "severity", "public", "started_at", "resolved_at", "postmortem_id")
ACTION_COLUMNS = ("postmortem_id", "action", "id", "type", "owner", "due", "status", "closed")
EXPORT_COLUMNS = {"incidents": INCIDENT_COLUMNS, "actions": ACTION_COLUMNS}
TIMESTAMP_KEYS = frozenset(("started_at", "detected_at", "mitigated_at", "resolved_at", "published_at"))
LINK_PLACEHOLDERS = ("id", "path")
NUMBER_SETTINGS = ("deadline_hours", "recurrence_days")  # positive numbers, see `positive_number`
_KNOWN = {
    "timezone", "deadline_hours", "recurrence_days", "default_severity",
    "extra_categories", "category_aliases", "fields", "severity_aliases", "status_aliases",
    "timestamp_formats", "link_template",
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
    incident_fields: Mapping[str, str] = field(default_factory=dict)
    action_fields: Mapping[str, str] = field(default_factory=dict)
    severity_aliases: Mapping[str, str] = field(default_factory=dict)
    status_aliases: Mapping[str, str] = field(default_factory=dict)
    timestamp_formats: tuple[str, ...] = ()
    link_template: str | None = None

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

    def severity(self, value: object) -> str | None:
        """`S1`..`S4` for a written severity: `[severity_aliases]` first, then the spellings of 1.1."""
        if isinstance(value, str) and fold(value) in self._severity_index:
            return self._severity_index[fold(value)]
        return severity(value)

    @cached_property
    def _severity_index(self) -> dict[str, str]:
        return {fold(alias): target for alias, target in self.severity_aliases.items()}

    @cached_property
    def action_statuses(self) -> dict[str, str]:
        """Folded written status → open, in_progress, done or cancelled (1.3 plus `[status_aliases]`)."""
        return {**ACTION_STATUS_INDEX, **{fold(k): v for k, v in self.status_aliases.items()}}

    def timestamp(self, value: object) -> dt.datetime:
        """An instant in the forms of docs/corpus.md 1.1 and 2, or one of `timestamp_formats`."""
        return values.timestamp(value, self.tz, self.timestamp_formats)

    def date(self, value: object) -> dt.date:
        return values.date(value, self.timestamp_formats)

    def translate(self, raw: Mapping[str, Any], export: str | None = None) -> dict[str, Any]:
        """A row or front matter with the contract's keys and values (docs/corpus.md sections 2, 3.1).

        Keys are renamed by `[fields]` (front matter, `postmortems.*`) or `[fields.<export>]`; a
        severity in `[severity_aliases]` becomes `S1`..`S4`; a timestamp written in one of
        `timestamp_formats` becomes a datetime (naive when it has no offset, so that the corpus
        time zone still applies). Values not understood are left as written, for the caller to
        report.
        """
        exports = {"incidents": self.incident_fields, "actions": self.action_fields}
        row = renamed(raw, self.fields if export is None else exports[export])
        written = row.get("severity")
        if isinstance(written, str) and fold(written) in self._severity_index:
            row["severity"] = self._severity_index[fold(written)]
        if self.timestamp_formats:
            for key in TIMESTAMP_KEYS.intersection(row):
                if isinstance(row[key], str):
                    with contextlib.suppress(values.ValueProblem):  # reported where the key is read
                        row[key] = values.instant(row[key], self.timestamp_formats)
        return row

    def as_rows(self) -> list[tuple[str, str]]:
        return [
            ("timezone", self.timezone),
            ("deadline_hours", str(self.deadline_hours)),
            ("recurrence_days", str(self.recurrence_days)),
            ("default_severity", self.default_severity or ""),
            ("extra_categories", ";".join(self.extra_categories)),
            ("link_template", self.link_template or ""),
        ]


def renamed(raw: Mapping[str, Any], mapping: Mapping[str, str]) -> dict[str, Any]:
    """`raw` with each contract key taken from the key (or dotted path) the mapping names.

    A key written as is wins over a dotted path (`service.summary` may be a CSV header).
    The source is dropped (for a path, its first key: the object was read from); a contract
    key whose source is absent keeps its own value.
    """
    row = dict(raw)
    found = {key: lookup(raw, source) for key, source in mapping.items()}
    for key, source in mapping.items():
        if source in raw or found[key][0]:
            row.pop(source if source in raw else source.split(".")[0], None)
    for key, (is_found, value) in found.items():
        if is_found:
            row[key] = value
    return row


def lookup(raw: Mapping[str, Any], source: str) -> tuple[bool, Any]:
    """(found, value) of a key, or of a dotted path through JSON objects and lists (`items.0.name`)."""
    if source in raw:
        return True, raw[source]
    value: Any = raw
    for part in source.split("."):
        if isinstance(value, Mapping) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return False, None
    return True, value


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
    _check_timezone(timezone, path)
    default = raw.get("default_severity")
    default_severity = None
    if default is not None:
        default_severity = severity(default)
        if default_severity is None:
            raise SettingsError(path, f"default_severity {default!r} is not S1..S4")
    fields, exports = _fields(raw, path)
    extra = _names(raw, "extra_categories", path)
    return CorpusSettings(
        timezone=timezone,
        deadline_hours=_positive(raw, "deadline_hours", 72.0, path),
        recurrence_days=_positive(raw, "recurrence_days", 180.0, path),
        default_severity=default_severity,
        extra_categories=extra,
        category_aliases=_table(raw, "category_aliases", path),
        fields=fields,
        incident_fields=exports["incidents"],
        action_fields=exports["actions"],
        severity_aliases=_severity_aliases(raw, path),
        status_aliases=_status_aliases(raw, path),
        timestamp_formats=_timestamp_formats(raw, path),
        link_template=_link_template(raw, path),
    )


def _check_timezone(name: str, path: Path) -> None:
    """An IANA name that both Python and DuckDB know: the system's `posix/…`, `right/…` and
    `localtime` files load in Python, but every query in DuckDB (ICU) would then fail."""
    try:
        ZoneInfo(name)
        known = name in duckdb_time_zones()
    except (ZoneInfoNotFoundError, ValueError):
        known = False
    if not known:
        raise SettingsError(path, f"timezone {name!r} is not an IANA time zone name (e.g. Europe/Paris)")


@cache
def duckdb_time_zones() -> frozenset[str]:
    """The time zone names DuckDB accepts (`pg_timezone_names()`), read once per process."""
    import duckdb  # nothing else in corpus/ needs DuckDB

    with duckdb.connect() as con:
        return frozenset(str(name) for (name,) in con.execute("SELECT name FROM pg_timezone_names()").fetchall())


def _fields(raw: Mapping[str, object], path: Path) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """`[fields]` (front matter and postmortems.*) and its sub-tables `[fields.incidents]`, `[fields.actions]`."""
    value = raw.get("fields", {})
    tables = {k: v for k, v in value.items() if isinstance(v, dict)} if isinstance(value, dict) else {}
    unknown = sorted(set(tables) - set(EXPORT_COLUMNS))
    if unknown:
        raise SettingsError(path, f"[fields.{unknown[0]}] is not an export with its own mapping "
                                  f"(known: {', '.join(f'[fields.{e}]' for e in EXPORT_COLUMNS)})")
    own = {k: v for k, v in value.items() if k not in tables} if isinstance(value, dict) else value
    fields = _table({"fields": own}, "fields", path)
    _check_keys(fields, CONTRACT_KEYS, "[fields]", path)
    exports = {}
    for export, columns in EXPORT_COLUMNS.items():
        name = f"fields.{export}"
        exports[export] = _table({name: tables.get(export, {})}, name, path)
        _check_keys(exports[export], columns, f"[{name}]", path)
    return fields, exports


def _check_keys(mapping: Mapping[str, str], known: tuple[str, ...], table: str, path: Path) -> None:
    bad = sorted(set(mapping) - set(known))
    if bad:
        raise SettingsError(path, f"{table} maps unknown contract key {bad[0]!r} (known: {', '.join(known)})")
    first: dict[str, str] = {}
    for key, source in mapping.items():
        if source in first:
            raise SettingsError(path, f"{table} takes both {first[source]} and {key} from {source!r} "
                                      "(one key of your files gives one contract key: remove one of them)")
        first[source] = key


def hidden_keys(raw: Mapping[str, Any], mapping: Mapping[str, str]) -> list[tuple[str, str]]:
    """(contract key, source) for each key `raw` writes as is that the mapping replaces by another
    one `raw` also has: `started_at` beside `start_time` under `started_at = "start_time"`.

    A key that is itself the source of a mapping is read (as another key), not hidden.
    """
    sources = {source.split(".")[0] for source in mapping.values()}
    return [(key, source) for key, source in mapping.items()
            if key in raw and key not in sources and lookup(raw, source)[0]]


def _names(raw: Mapping[str, object], key: str, path: Path) -> tuple[str, ...]:
    value = raw.get(key, [])
    if not isinstance(value, list) or not all(isinstance(c, str) and c.strip() for c in value):
        raise SettingsError(path, f"{key} must be a list of names")
    return tuple(c.strip() for c in value)


def _severity_aliases(raw: Mapping[str, object], path: Path) -> dict[str, str]:
    aliases = _table(raw, "severity_aliases", path)
    for alias, target in aliases.items():
        level = severity(target)
        if level is None:
            raise SettingsError(path, f"[severity_aliases] {alias!r} = {target!r}: not S1, S2, S3 or S4")
        aliases[alias] = level
    return aliases


def _status_aliases(raw: Mapping[str, object], path: Path) -> dict[str, str]:
    aliases = _table(raw, "status_aliases", path)
    for alias, target in aliases.items():
        if target.lower() not in ACTION_STATUSES:
            raise SettingsError(path, f"[status_aliases] {alias!r} = {target!r}: not one of "
                                      f"{', '.join(ACTION_STATUSES)}")
        aliases[alias] = target.lower()
    return aliases


def _timestamp_formats(raw: Mapping[str, object], path: Path) -> tuple[str, ...]:
    """strptime patterns; each must read back what it writes (which refuses unknown directives)."""
    patterns = _names(raw, "timestamp_formats", path)
    sample = dt.datetime(2026, 11, 3, 13, 5, 7, tzinfo=dt.UTC)
    for pattern in patterns:
        try:
            if "%" not in pattern:
                raise ValueError("no % directive")
            dt.datetime.strptime(sample.strftime(pattern), pattern)
        except ValueError as exc:
            raise SettingsError(path, f"timestamp_formats {pattern!r} is not a strptime pattern ({exc}; "
                                      "write e.g. \"%d/%b/%y %I:%M %p\")") from None
    return patterns


def _link_template(raw: Mapping[str, object], path: Path) -> str | None:
    """An address with `{id}` and/or `{path}`; `{{` and `}}` write a brace."""
    if "link_template" not in raw:
        return None
    template = _text(raw, "link_template", "", path)
    allowed = " and ".join(f"{{{name}}}" for name in LINK_PLACEHOLDERS)
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise SettingsError(path, f"link_template {template!r}: {exc} (placeholders are {allowed})") from None
    names = [(name, spec, conversion) for _, name, spec, conversion in parts if name is not None]
    for name, spec, conversion in names:
        if name not in LINK_PLACEHOLDERS or spec or conversion:
            written = "{" + name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}"
            raise SettingsError(path, f"link_template: unknown placeholder {written} (use {allowed})")
    if not names:
        raise SettingsError(path, f"link_template {template!r} has no placeholder (use {allowed})")
    return template


def _text(raw: Mapping[str, object], key: str, default: str, path: Path) -> str:
    value = raw.get(key, default)
    if not isinstance(value, str) or not value.strip():
        raise SettingsError(path, f"{key} must be a non-empty string")
    return value.strip()


def _positive(raw: Mapping[str, object], key: str, default: float, path: Path) -> float:
    try:
        return positive_number(key, raw.get(key, default))
    except ValueError as exc:
        raise SettingsError(path, str(exc)) from None


def positive_number(key: str, value: object) -> float:
    """A setting in NUMBER_SETTINGS, from TOML or from the command line: a finite number above 0.

    TOML writes `nan` and `inf` as floats, and `float()` reads them too; neither is a
    number of hours or days. Raises ValueError with the one-line reason.
    """
    number = value
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            number = float(value)
    if isinstance(number, bool) or not isinstance(number, int | float) or not 0 < number < math.inf:
        raise ValueError(f"{key} must be a positive number, not {value!r}")
    return float(number)


def _table(raw: Mapping[str, object], key: str, path: Path) -> dict[str, str]:
    value = raw.get(key, {})
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise SettingsError(path, f"[{key}] must map names to names (name = \"other name\")")
    return {k.strip(): v.strip() for k, v in value.items()}
