"""The keyword rules of `pmanalytics migrate` as data: `migrate_rules.toml`, read once, checked, documented.

`pmanalytics.tools.migrate` drafts front matter; this module gives it the words and labels it
reads (stage keywords, summary-line labels, time zones, duration units, root-cause keywords…)
from the data file shipped with the package, and writes the rule tables of docs/migrate.md from
the same data. The tables sit between `<!-- generated: NAME -->` and `<!-- end generated: NAME -->`
comments; the text around them is written by hand:

    python -m pmanalytics.tools.migrate_rules docs/migrate.md

(tests/test_docs.py fails when a table is stale).
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pmanalytics.corpus.vocabulary import ROOT_CAUSE_CATEGORIES, fold
from pmanalytics.rulefiles import RulesError, entry, read_rules

SOURCE = "pmanalytics/tools/migrate_rules.toml"
STAGES = ("detected_at", "mitigated_at", "resolved_at")
LABELS = ("severity", "date", "category", "root_cause", "status", "summary")
STATUSES = ("published", "review", "draft")
_OFFSET = re.compile(r"^([+-])(\d{2}):(\d{2})$")


@dataclass(frozen=True)
class Zone:
    name: str  # as written in a timeline, in capitals
    minutes: int  # offset from UTC
    summer: tuple[str, str, str] | None  # (region, summer abbreviation, summer offset) where it applies


@dataclass(frozen=True)
class Stage:
    says: str  # what the notes call it: "detected/alerted/reported"
    en: tuple[str, ...]
    fr: tuple[str, ...]
    summary_lines: tuple[str, ...]  # labels of a `Time to detection: 8 minutes` line


@dataclass(frozen=True)
class Unit:
    name: str
    length: dt.timedelta
    words: tuple[str, ...]


@dataclass(frozen=True)
class MigrateRules:
    labels: dict[str, tuple[str, ...]]  # severity, date, category: as written
    template_events: tuple[str, ...]
    zones: tuple[Zone, ...]
    stages: dict[str, Stage]
    not_done_window: int
    not_done: dict[str, tuple[str, ...]]  # en, fr: as written
    units: tuple[Unit, ...]
    placeholders: dict[str, tuple[str, ...]]  # duration_not_stated, no_action: as written
    categories: dict[str, tuple[str, ...]]  # category: keywords as written, `*` for any ending
    root_cause_sections: tuple[str, ...]  # headings read as a root-cause section, besides docs/corpus.md 1.3
    statuses: dict[str, tuple[str, ...]]  # front-matter status: the words of a `Status:` line that give it
    impact: dict[str, tuple[str, ...]]  # starts, ends: the words of a timeline event that say so

    def folded(self, words: tuple[str, ...]) -> frozenset[str]:
        """Labels or words as they are compared: case, accents and punctuation ignored."""
        return frozenset(fold(word) for word in words)

    def category_rules(self) -> tuple[tuple[str, str], ...]:
        """(keyword, category) in file order, keywords folded and keeping their trailing `*`."""
        return tuple((fold(keyword.rstrip("*")) + ("*" if keyword.endswith("*") else ""), category)
                     for category, keywords in self.categories.items() for keyword in keywords)


def load() -> MigrateRules:
    """The rules of the data file shipped with the package."""
    return parse(read_rules("pmanalytics.tools", "migrate_rules.toml"))


def parse(table: dict[str, Any], source: str = SOURCE) -> MigrateRules:
    """Check a rules table (as `tomllib` reads it); `RulesError` names the file and the entry to fix."""
    labels = entry(table, "labels", dict, source)
    stages = entry(table, "stages", dict, source)
    if tuple(stages) != STAGES:
        raise RulesError(f"{source}: [stages] must be {', '.join(STAGES)}, in that order")
    not_done = entry(table, "not_done", dict, source)
    placeholders = entry(table, "placeholders", dict, source)
    categories = entry(table, "categories", dict, source)
    unknown = sorted(set(categories) - set(ROOT_CAUSE_CATEGORIES))
    if unknown:
        raise RulesError(f"{source}: [categories] {', '.join(unknown)} is not a category of docs/corpus.md "
                         f"(one of {', '.join(ROOT_CAUSE_CATEGORIES)})")
    statuses = entry(table, "statuses", dict, source)
    impact = entry(table, "impact", dict, source)
    return MigrateRules(
        labels={key: _words(labels, key, f"{source}: [labels]") for key in LABELS},
        template_events=_words(table, "template_events", source),
        zones=tuple(_zone(name, value, f"{source}: [zones.{name}]")
                    for name, value in entry(table, "zones", dict, source).items()),
        stages={name: _stage(entry(stages, name, dict, f"{source}: [stages]"), f"{source}: [stages.{name}]")
                for name in STAGES},
        not_done_window=entry(not_done, "window", int, f"{source}: [not_done]"),
        not_done={lang: _words(not_done, lang, f"{source}: [not_done]") for lang in ("en", "fr")},
        units=tuple(_unit(name, value, f"{source}: [units.{name}]")
                    for name, value in entry(table, "units", dict, source).items()),
        placeholders={key: _words(placeholders, key, f"{source}: [placeholders]")
                      for key in ("duration_not_stated", "no_action")},
        categories={name: _words(categories, name, f"{source}: [categories]") for name in categories},
        root_cause_sections=_words(table, "root_cause_sections", source),
        statuses={name: _words(statuses, name, f"{source}: [statuses]") for name in STATUSES},
        impact={key: _words(impact, key, f"{source}: [impact]") for key in ("starts", "ends")},
    )


def _words(table: dict[str, Any], key: str, where: str) -> tuple[str, ...]:
    words = entry(table, key, list, where)
    if not all(isinstance(word, str) and word.strip() for word in words):
        raise RulesError(f"{where}: `{key}` must be a list of non-empty strings")
    return tuple(words)


def _minutes(written: str, where: str) -> int:
    match = _OFFSET.match(written)
    if not match:
        raise RulesError(f"{where}: offset {written!r} must be written +HH:MM or -HH:MM")
    minutes = int(match.group(2)) * 60 + int(match.group(3))
    return minutes if match.group(1) == "+" else -minutes


def _zone(name: str, value: dict[str, Any], where: str) -> Zone:
    if not re.fullmatch(r"[A-Z]+", name):
        raise RulesError(f"{where}: a zone is written in capital letters (CET, UTC)")
    minutes = _minutes(entry(value, "offset", str, where), where)
    if "summer" not in value:
        return Zone(name, minutes, None)
    summer_offset = entry(value, "summer_offset", str, where)
    _minutes(summer_offset, where)
    return Zone(name, minutes, (entry(value, "region", str, where), entry(value, "summer", str, where),
                                summer_offset))


def _stage(value: dict[str, Any], where: str) -> Stage:
    return Stage(entry(value, "says", str, where), _words(value, "en", where), _words(value, "fr", where),
                 _words(value, "summary_lines", where))


def _unit(name: str, value: dict[str, Any], where: str) -> Unit:
    words = _words(value, "words", where)
    if not all(re.fullmatch(r"[a-z]+", word) for word in words):
        raise RulesError(f"{where}: unit words are written in lower-case letters a to z")
    return Unit(name, dt.timedelta(seconds=entry(value, "seconds", int, where)), words)


# --- the generated tables of docs/migrate.md ----------------------------------------------------------


def _code(words: tuple[str, ...]) -> str:
    return ", ".join(f"`{word}`" for word in words)


def _keywords(words: tuple[str, ...]) -> str:
    return ", ".join(word.replace("*", "\\*") for word in words)


def _zones_table(rules: MigrateRules) -> list[str]:
    lines = ["| written | offset | in summer time, if local time was meant |", "|---|---|---|"]
    for zone in rules.zones:
        sign = "+" if zone.minutes >= 0 else "−"
        offset = f"{sign}{abs(zone.minutes) // 60:02d}:{abs(zone.minutes) % 60:02d}"
        summer = f"{zone.summer[1]}, {zone.summer[2]} ({zone.summer[0]})" if zone.summer else ""
        lines.append(f"| `{zone.name}` | {offset} | {summer} |")
    return lines


def _stage_keywords_table(rules: MigrateRules) -> list[str]:
    lines = ["| stage | English | French |", "|---|---|---|"]
    for name, stage in rules.stages.items():
        lines.append(f"| {name.removesuffix('_at')} | {', '.join(stage.en)} | {', '.join(stage.fr)} |")
    return lines


def _not_done_table(rules: MigrateRules) -> list[str]:
    return [f"| among the {rules.not_done_window} words before the keyword | words |", "|---|---|",
            f"| English | {', '.join(rules.not_done['en'])}, …n't |", f"| French | {', '.join(rules.not_done['fr'])} |"]


def _summary_lines_table(rules: MigrateRules) -> list[str]:
    lines = ["| stage | labels of the summary line |", "|---|---|"]
    for name, stage in rules.stages.items():
        lines.append(f"| `{name}` | {_code(stage.summary_lines)} |")
    return lines


def _units_table(rules: MigrateRules) -> list[str]:
    lines = ["| unit | written |", "|---|---|"]
    lines += [f"| {unit.name} | {_code(unit.words)} |" for unit in rules.units]
    return lines


def _categories_table(rules: MigrateRules) -> list[str]:
    lines = ["| category | keywords |", "|---|---|"]
    lines += [f"| `{name}` | {_keywords(keywords)} |" for name, keywords in rules.categories.items()]
    return lines


def _labels_table(rules: MigrateRules) -> list[str]:
    rows = [
        ("`Severity:` line (severity)", rules.labels["severity"]),
        ("`Date:` line (the day of times without a date)", rules.labels["date"]),
        ("`Category:` line (root causes)", rules.labels["category"]),
        ("`Root causes:` line (its keywords suggest root causes)", rules.labels["root_cause"]),
        ("heading of a root-cause section, besides docs/corpus.md 1.3", rules.root_cause_sections),
        ("`Status:` line (status)", rules.labels["status"]),
        *((f"`Status:` value for `{name}`", words) for name, words in rules.statuses.items()),
        ("`Summary:` line (summary)", rules.labels["summary"]),
        ("event that says the impact began (started_at)", rules.impact["starts"]),
        ("event that says the impact ended (resolved_at)", rules.impact["ends"]),
        ("timeline row of a template (ignored)", rules.template_events),
        ("duration not stated", rules.placeholders["duration_not_stated"]),
        ("action item that is no action", rules.placeholders["no_action"]),
    ]
    return ["| what | written (case and accents ignored) |", "|---|---|",
            *(f"| {what} | {_code(words)} |" for what, words in rows)]


TABLES: dict[str, Callable[[MigrateRules], list[str]]] = {
    "labels": _labels_table,
    "zones": _zones_table,
    "stage keywords": _stage_keywords_table,
    "not done": _not_done_table,
    "summary lines": _summary_lines_table,
    "units": _units_table,
    "categories": _categories_table,
}


def update(text: str, rules: MigrateRules | None = None) -> str:
    """`text` (docs/migrate.md) with each generated table rewritten from the rules, at the
    indentation of its opening comment. A table whose comments are missing is an error."""
    rules = rules or load()
    for name, table in TABLES.items():
        block = re.compile(rf"^([ \t]*)<!-- generated: {re.escape(name)} -->\n.*?^[ \t]*<!-- end generated: "
                           rf"{re.escape(name)} -->$", re.M | re.S)
        found = block.search(text)
        if found is None:
            raise RulesError(f"docs/migrate.md: the comments <!-- generated: {name} --> and "
                             f"<!-- end generated: {name} --> are missing")
        indent = found.group(1)
        lines = [f"<!-- generated: {name} -->", *table(rules), f"<!-- end generated: {name} -->"]
        text = text[:found.start()] + "\n".join(indent + line for line in lines) + text[found.end():]
    return text


def main(argv: list[str]) -> int:
    """`python -m pmanalytics.tools.migrate_rules docs/migrate.md`: rewrite its generated tables."""
    if len(argv) != 1:
        print("usage: python -m pmanalytics.tools.migrate_rules docs/migrate.md", file=sys.stderr)
        return 2
    path = Path(argv[0])
    path.write_text(update(path.read_text(encoding="utf-8")), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
