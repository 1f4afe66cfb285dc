"""Synthetic postmortem corpus: demos, tests and benchmarks without real incidents.

`write_sample` writes a corpus that follows docs/corpus.md (sections 1 to 3):
Markdown postmortems in French and English, one folder per year, plus `README.md`,
`_template.md`, `pmanalytics.toml`, `incidents.csv` and an `actions.csv` tracker
overlay at the root.

Every choice comes from one `random.Random(seed)`, in a fixed order, so the same
arguments give byte-identical files. Instants are computed as UTC epoch seconds and
shown in Europe/Paris with the EU daylight-saving rule written out below, so the
output depends neither on the machine's time zone nor on its tz database. Documents
are rendered and written one at a time: memory stays flat at any `count`. This module
is the engine; the texts it draws from, in English, in French and shared by both, are
package data in `sample_texts/*.toml`, read once.

The corpus holds patterns a reliability report should reveal (recurring
service/category pairs, a rising and a falling cause, late postmortems, overdue
actions, incidents without a postmortem) and, from 50 postmortems on, a fixed set
of deliberately broken files for the data-quality report (`PROBLEMS`).
"""

from __future__ import annotations

import bisect
import csv
import functools
import itertools
import math
import random
import re
import shutil
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from importlib import resources
from pathlib import Path
from typing import IO, Any, Generic, Protocol, TypeVar

MARKER_NAME = "_generated.txt"
INCIDENTS_NAME = "incidents.csv"
TRACKER_NAME = "actions.csv"
TIMEZONE = "Europe/Paris"
SETTINGS_TOML = (
    '# Settings of the sample corpus (see the README, section "pmanalytics.toml").\n'
    'timezone = "Europe/Paris"\n'
    "deadline_hours = 72\n"
    "recurrence_days = 180\n"
)
INCIDENT_COLUMNS = (
    "id", "title", "severity", "public", "started_at", "resolved_at", "postmortem_id",
)
TRACKER_COLUMNS = ("postmortem_id", "id", "status", "closed", "action", "owner", "due", "type")

EPOCH_DATE = date(1970, 1, 1)
EPOCH_ORDINAL = EPOCH_DATE.toordinal()
DAY_SECONDS = 86_400
MEAN_YEAR_SECONDS = 31_556_952
SNAPSHOT_DELAY_DAYS = 21
REVIEW_DELAY_DAYS = 7
NEXT_REVIEW_DAYS = 14
PROBLEM_MIN_COUNT = 50
EXTRA_INCIDENT_RATE = 0.10
INCIDENT_ROW_RATE = 0.92
TRACKER_UPDATE_RATE = 0.10
TRACKER_NEW_RATE = 0.02
BLAME_EVERY = 33
HUMAN_ERROR_EVERY = 100
LONG_TIMELINE_SECONDS = 20 * 3600
SECOND_SERVICE_RATE = 0.2

T = TypeVar("T")
Pairs = Sequence[tuple[T, float]]


class _RowWriter(Protocol):
    def writerow(self, row: Sequence[str], /) -> object: ...


@dataclass(frozen=True)
class SampleSummary:
    """What `write_sample` wrote."""

    out_dir: Path
    postmortems: int
    incidents: int
    tracker_rows: int
    files: int


class _Weighted(Generic[T]):
    """A fixed weighted choice, with cumulative weights computed once."""

    __slots__ = ("cum", "items", "total")

    def __init__(self, pairs: Pairs[T]) -> None:
        self.items = [item for item, _ in pairs]
        self.cum = list(itertools.accumulate(float(weight) for _, weight in pairs))
        self.total = self.cum[-1]

    def pick(self, rng: random.Random) -> T:
        """Same draw as `rng.choices(items, cum_weights=cum)[0]`, without its overhead."""
        return self.items[bisect.bisect(self.cum, rng.random() * self.total, 0, len(self.cum) - 1)]


# --- Vocabulary ------------------------------------------------------------------

SERVICE_WEIGHTS = _Weighted((
    ("checkout-api", 10), ("payments", 8), ("search", 8), ("auth", 7), ("notifications", 6),
    ("catalog", 6), ("inventory", 5), ("gateway", 7), ("dns", 3), ("kafka", 5),
    ("postgres-main", 5), ("billing", 5), ("mobile-bff", 7), ("cdn", 4), ("identity", 5),
))
SERVICE_TEAM = {
    "checkout-api": "payments", "payments": "payments", "billing": "payments",
    "search": "search", "catalog": "search", "inventory": "data", "postgres-main": "data",
    "auth": "identity", "identity": "identity", "notifications": "platform",
    "kafka": "platform", "gateway": "network", "dns": "network", "cdn": "network",
    "mobile-bff": "mobile",
}
RELATED_SERVICES = {
    "checkout-api": ("payments", "inventory", "gateway"), "payments": ("checkout-api", "billing"),
    "billing": ("payments", "postgres-main"), "search": ("catalog", "kafka"),
    "catalog": ("search", "inventory"), "inventory": ("postgres-main", "catalog"),
    "postgres-main": ("inventory", "billing"), "auth": ("identity", "mobile-bff"),
    "identity": ("auth", "postgres-main"), "notifications": ("kafka", "mobile-bff"),
    "kafka": ("notifications", "search"), "gateway": ("cdn", "auth"), "dns": ("gateway", "cdn"),
    "cdn": ("gateway", "dns"), "mobile-bff": ("auth", "gateway"),
}
TEAM_PREFIX = {
    "payments": "PAY", "sre": "SRE", "platform": "PLT", "search": "SRCH", "identity": "IDN",
    "data": "DATA", "mobile": "MOB", "network": "NET", "support": "SUP",
}
CATEGORY_TEAMS = {
    "config": ("platform",), "deployment": ("platform",), "software": (),
    "capacity": ("sre", "platform"), "dependency": (), "infrastructure": ("network", "sre"),
    "data": ("data",), "security": ("identity", "sre"), "monitoring": ("sre",),
    "communication": ("support", "sre"), "process": ("sre",), "tech-debt": (),
}
RECURRING_THEMES = (
    ("checkout-api", "config", 0.08),
    ("kafka", "capacity", 0.06),
    ("dns", "infrastructure", 0.05),
    ("postgres-main", "tech-debt", 0.04),
)
SEVERITY_WEIGHTS = _Weighted(((1, 10), (2, 25), (3, 40), (4, 25)))
EXTRA_SEVERITY_WEIGHTS = _Weighted(((1, 12), (2, 28), (3, 40), (4, 20)))
PUBLIC_RATE = {1: 0.6, 2: 0.25, 3: 0.05, 4: 0.01}
IMPACT_SCALE = {1: 1.0, 2: 0.5, 3: 0.2, 4: 0.08}
FAILING_PERCENT = {1: (20, 81), 2: (10, 51), 3: (3, 31), 4: (1, 11)}
SEVERITY_FORMS = _Weighted((
    ("S{n}", 35), ("SEV-{n}", 15), ("Sev {n}", 10), ("P{n}", 10), ("sev{n}", 10),
    ("SEV{n}", 10), ("{n}", 10),
))
TIMESTAMP_STYLES = _Weighted((("offset", 55), ("offset_space", 10), ("utc", 17), ("naive", 18)))
ROOT_CAUSE_COUNT = _Weighted(((1, 68), (2, 26), (3, 6)))
ACTION_COUNT = _Weighted(((2, 8), (3, 14), (4, 20), (5, 20), (6, 16), (7, 12), (8, 10)))
SECONDARY_BASE = (
    ("process", 12), ("communication", 10), ("tech-debt", 12), ("config", 8),
    ("software", 8), ("capacity", 6), ("dependency", 6),
)
NUMBERING = _Weighted((("dot", 5), ("paren", 1), ("none", 4)))
CATEGORIES = (
    "config", "deployment", "software", "capacity", "dependency", "infrastructure", "data",
    "security", "monitoring", "communication", "process", "tech-debt",
)
ACTION_STATUSES = ("done", "open", "in_progress", "cancelled")  # the order their words are drawn in

PROBLEMS = (
    ("bad_severity", "rejected", "`severity: critical-ish` is not a severity"),
    ("unclosed_front_matter", "rejected", "front matter never closed"),
    ("unknown_action_status", "warning", "action status `blocked` is not a known status"),
    ("bad_detected_at", "warning", '`detected_at: "yesterday"` is not a timestamp'),
    ("unknown_category", "warning", "root-cause category `cosmic-rays` is not in the taxonomy"),
    ("out_of_order", "warning", "`mitigated_at` is before `started_at`"),
    ("unknown_status", "warning", "`status: approved` is not draft, review or published"),
)


# --- Texts (sample_texts/*.toml) ----------------------------------------------------------

TEXTS_FOLDER = "sample_texts"
LANGUAGES = ("en", "fr")


@dataclass(frozen=True, slots=True)
class _Language:
    """The texts of one language, from `sample_texts/<code>.toml`, weighted choices prepared."""

    service_roles: dict[str, str]
    headings: dict[str, _Weighted]
    context: dict[str, Any]
    timeline: dict[str, Any]
    list_separators: _Weighted
    analysis: dict[str, Any]
    actions: dict[str, Any]
    action_layouts: _Weighted
    lessons: dict[str, Any]
    follow_up: dict[str, Any]
    extra_sections: tuple[dict[str, str], ...]
    categories: dict[str, dict[str, tuple[str, ...]]]
    category_words: dict[str, tuple[str, ...]]


def read_texts(name: str) -> dict[str, Any]:
    """One file of `sample_texts/` ("en", "fr" or "common"), its lists read as tuples."""
    resource = resources.files("pmanalytics.tools").joinpath(TEXTS_FOLDER, f"{name}.toml")
    return _tuples(tomllib.loads(resource.read_text(encoding="utf-8")))


def _tuples(value: Any) -> Any:
    """Lists as tuples all the way down, so that no draw can change the cached texts."""
    if isinstance(value, list):
        return tuple(_tuples(item) for item in value)
    if isinstance(value, dict):
        return {key: _tuples(item) for key, item in value.items()}
    return value


@functools.cache
def _language(code: str) -> _Language:
    texts = read_texts(code)
    layouts = texts["actions"]["layouts"]
    return _Language(
        service_roles=texts["service_roles"],
        headings={key: _Weighted(pairs) for key, pairs in texts["headings"].items()},
        context=texts["context"],
        timeline=texts["timeline"],
        list_separators=_Weighted(texts["timeline"]["separators"]),
        analysis=texts["analysis"],
        actions=texts["actions"],
        action_layouts=_Weighted([(layout["columns"], layout["weight"]) for layout in layouts]),
        lessons=texts["lessons"],
        follow_up=texts["follow_up"],
        extra_sections=texts["extra_sections"],
        categories=texts["categories"],
        category_words=texts.get("category_words", {}),  # English writes the taxonomy's names
    )


@functools.cache
def _common_texts() -> dict[str, Any]:
    return read_texts("common")


# --- Calendar and time zone -------------------------------------------------------------


def last_full_quarter(today: date) -> str:
    """The last calendar quarter that ended before `today`, as `2026Q3`."""
    quarter = (today.month - 1) // 3 + 1
    if quarter == 1:
        return f"{today.year - 1}Q4"
    return f"{today.year}Q{quarter - 1}"


def _parse_quarter(text: object) -> tuple[int, int]:
    match = re.fullmatch(r"(\d{4})[Qq]([1-4])", text) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"end_quarter must look like 2026Q3, got {text!r}")
    return int(match.group(1)), int(match.group(2))


def _quarter_span(end_quarter: str, quarters: int) -> tuple[date, date]:
    """First day of the first quarter and first day after the last one."""
    year, quarter = _parse_quarter(end_quarter)
    last = year * 4 + quarter - 1
    first = last - quarters + 1
    return _quarter_start(first), _quarter_start(last + 1)


def _quarter_start(index: int) -> date:
    """First day of a quarter counted as `year * 4 + quarter - 1`."""
    return date(index // 4, index % 4 * 3 + 1, 1)


def _last_sunday_at_one_utc(year: int, month: int) -> int:
    last_day = date(year, month, 31)
    sunday = last_day - timedelta(days=(last_day.weekday() + 1) % 7)
    return (sunday - EPOCH_DATE).days * DAY_SECONDS + 3600


@functools.cache
def _summer_time(year: int) -> tuple[int, int]:
    """EU summer time of `year` in UTC epoch seconds: last Sunday of March to October, 01:00."""
    return _last_sunday_at_one_utc(year, 3), _last_sunday_at_one_utc(year, 10)


def _paris_offset(ts: int) -> int:
    """UTC offset of Europe/Paris at an instant, in seconds.

    The year is estimated from the mean Gregorian year; it can be off by a day around
    New Year, where no daylight-saving change happens, so the offset is still right.
    """
    start, end = _summer_time(1970 + ts // MEAN_YEAR_SECONDS)
    return 7200 if start <= ts < end else 3600


def _paris_to_utc(local_seconds: int) -> int:
    """Epoch seconds of a Paris wall-clock time (itself counted in seconds since 1970)."""
    winter = local_seconds - 3600
    summer = local_seconds - 7200
    return summer if _paris_offset(summer) == 7200 else winter


@functools.lru_cache(maxsize=4096)
def _day_text(day: int) -> str:
    return date.fromordinal(EPOCH_ORDINAL + day).isoformat()


def _local_text(ts: int, offset: int, sep: str = "T", timespec: str = "seconds") -> str:
    """ISO 8601 wall-clock text of an instant at a UTC offset, without the offset."""
    day, seconds = divmod(ts + offset, DAY_SECONDS)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    text = f"{_day_text(day)}{sep}{hours:02d}:{minutes:02d}"
    return text if timespec == "minutes" else f"{text}:{seconds:02d}"


def _clock(ts: int, offset: int) -> str:
    minutes = (ts + offset) // 60 % 1440
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _paris_day(ts: int) -> int:
    """The Paris calendar date of an instant, as days since 1970-01-01."""
    return (ts + _paris_offset(ts)) // DAY_SECONDS


def _offset_text(offset: int) -> str:
    return f"+{offset // 3600:02d}:{offset % 3600 // 60:02d}"


def _paris_iso(ts: int) -> str:
    offset = _paris_offset(ts)
    return _local_text(ts, offset) + _offset_text(offset)


def _changes_clock(first: int, last: int) -> bool:
    """Whether a daylight-saving change falls within a day of [first, last]."""
    for year in range(1970 + first // MEAN_YEAR_SECONDS, 1971 + last // MEAN_YEAR_SECONDS):
        for change in _summer_time(year):
            if first - DAY_SECONDS <= change <= last + DAY_SECONDS:
                return True
    return False


def _duration_text(minutes: int, lang: str) -> str:
    if minutes < 90:
        return f"{minutes} minutes"
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    if days:
        unit = ("day" if days == 1 else "days") if lang == "en" else (
            "jour" if days == 1 else "jours")
        glue = "and" if lang == "en" else "et"
        return f"{days} {unit} {glue} {hours} h"
    return f"{hours} h {mins:02d} min" if lang == "en" else f"{hours} h {mins:02d}"


def _yaml_quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


# --- The model of one incident ---------------------------------------------------------


@dataclass(slots=True)
class _Action:
    """One action item; `due` and `closed` are Paris dates as days since 1970-01-01."""

    ident: str
    text: str
    horizon: str
    owner: str
    due: int
    status: str
    closed: int | None
    markdown_status: str
    tracked: bool = False


@dataclass(slots=True)
class _Postmortem:
    """One drawn incident and its review; instants are UTC epoch seconds."""

    pm_id: str
    lang: str
    severity: int
    public: bool
    services: list[str]
    teams: list[str]
    categories: list[str]
    started: int
    detected: int
    mitigated: int
    resolved: int
    published: int | None
    status: str
    problem: str | None
    ctx: dict[str, str]
    actions: list[_Action] = field(default_factory=list)
    blame: bool = False
    human_error: bool = False
    review_day: int = 0


# --- The writer ----------------------------------------------------------------------------


class _CorpusWriter:
    """Draws and writes one corpus; every random choice goes through `self.rng`."""

    def __init__(self, out_dir: Path, count: int, seed: int, start: date, end: date) -> None:
        self.out_dir = out_dir
        self.count = count
        self.seed = seed
        self.rng = random.Random(seed)
        self.texts = {code: _language(code) for code in LANGUAGES}
        self.common = _common_texts()
        self.start = start
        self.days = (end - start).days
        self.last_quarter_day = (_quarter_start(end.year * 4 + end.month // 3 - 1)
                                 - start).days
        self.snapshot_day = (end - EPOCH_DATE).days + SNAPSHOT_DELAY_DAYS
        self.snapshot = _paris_to_utc(self.snapshot_day * DAY_SECONDS)
        self.problem_at = self._problem_positions(count)
        self.problem_files: list[tuple[str, str, str]] = []
        self.year_seq: dict[int, int] = {}
        self.last_seen: dict[tuple[str, str], str] = {}
        self.folders: set[str] = set()
        self.action_seq: dict[str, int] = {}
        self.incident_seq = 1000
        self.incident_rows = 0
        self.tracker_rows = 0
        self.languages = {"en": 0, "fr": 0}

    @staticmethod
    def _problem_positions(count: int) -> dict[int, str]:
        if count < PROBLEM_MIN_COUNT:
            return {}
        step = len(PROBLEMS) + 1
        return {(k + 1) * count // step: name for k, (name, _, _) in enumerate(PROBLEMS)}

    def run(self, incidents: IO[str], tracker: IO[str]) -> None:
        """Writes every postmortem file and streams the rows of both CSV files."""
        incident_csv = csv.writer(incidents, lineterminator="\n")
        tracker_csv = csv.writer(tracker, lineterminator="\n")
        incident_csv.writerow(INCIDENT_COLUMNS)
        tracker_csv.writerow(TRACKER_COLUMNS)
        index = 0
        for day, minute, is_extra in self._plan():
            started = _paris_to_utc(((self.start - EPOCH_DATE).days + day) * DAY_SECONDS
                                    + minute * 60)
            if is_extra:
                incident_csv.writerow(self._extra_incident(started))
            else:
                pm = self._postmortem(index, day, started)
                self._write_postmortem(pm)
                self._write_rows(pm, incident_csv, tracker_csv)
                index += 1

    def _plan(self) -> list[tuple[int, int, bool]]:
        rng = self.rng
        total = self.count + int(self.count * EXTRA_INCIDENT_RATE)
        plan = []
        for i in range(total):
            minute = _between(rng, 480, 1140) if rng.random() < 0.65 else _between(rng, 0, 1440)
            plan.append((_between(rng, 0, self.days), minute, i >= self.count))
        plan.sort()
        return plan

    # -- drawing ---------------------------------------------------------------------------

    def _postmortem(self, index: int, day: int, started: int) -> _Postmortem:
        rng = self.rng
        problem = self.problem_at.get(index)
        progress = day / self.days
        lang = "fr" if rng.random() < 0.5 else "en"
        self.languages[lang] += 1
        severity = SEVERITY_WEIGHTS.pick(rng)
        public = rng.random() < PUBLIC_RATE[severity]
        services, categories = self._causes(progress)
        teams = self._teams(services[0], categories, public)
        detected, mitigated, resolved = self._durations(started, categories)
        year = int(_day_text(_paris_day(started))[:4])
        self.year_seq[year] = self.year_seq.get(year, 0) + 1
        pm_id = f"PM-{year}-{self.year_seq[year]:04d}"
        published, status = self._publication(severity, public, resolved, day, problem)
        svc2 = services[1] if len(services) > 1 else _choice(rng, RELATED_SERVICES[services[0]])
        other_teams = [t for t in teams if t != SERVICE_TEAM[services[0]]]
        ctx = {"svc": services[0], "svc2": svc2,
               "team": other_teams[0] if other_teams else "sre"}
        ctx["title"] = _choice(rng, self.texts[lang].categories[categories[0]]["title"]).format_map(ctx)
        pm = _Postmortem(pm_id, lang, severity, public, services, teams, categories, started,
                         detected, mitigated, resolved, published, status, problem, ctx)
        pm.actions = self._actions(pm)
        pm.review_day = _paris_day(resolved if published is None else published) + REVIEW_DELAY_DAYS
        if problem is None:
            pm.blame = index % BLAME_EVERY == BLAME_EVERY // 2
            pm.human_error = index % HUMAN_ERROR_EVERY == HUMAN_ERROR_EVERY * 7 // 10
        return pm

    def _causes(self, progress: float) -> tuple[list[str], list[str]]:
        rng = self.rng
        draw = rng.random()
        for service, category, rate in RECURRING_THEMES:
            if draw < rate:
                primary_service, primary = service, category
                break
            draw -= rate
        else:
            primary_service = SERVICE_WEIGHTS.pick(rng)
            primary = _primary_categories(progress).pick(rng)
        services = [primary_service]
        if rng.random() < SECOND_SERVICE_RATE:
            services.append(_choice(rng, RELATED_SERVICES[primary_service]))
        categories = [primary]
        wanted = ROOT_CAUSE_COUNT.pick(rng)
        secondary = _secondary_categories(progress)
        while len(categories) < wanted:
            category = secondary.pick(rng)
            if category not in categories:
                categories.append(category)
        return services, categories

    def _teams(self, service: str, categories: list[str], public: bool) -> list[str]:
        rng = self.rng
        teams = [SERVICE_TEAM[service]]
        candidates = ["sre"] if rng.random() < 0.6 else []
        candidates += CATEGORY_TEAMS[categories[0]]
        if public:
            candidates.append("support")
        for team in candidates:
            if team not in teams and len(teams) < 3:
                teams.append(team)
        return teams

    def _durations(self, started: int, categories: list[str]) -> tuple[int, int, int]:
        rng = self.rng
        detect = min(60, max(1, int(rng.lognormvariate(math.log(7), 0.9))))
        if "monitoring" in categories:
            detect = min(60, detect * 3)
        mitigate = min(360, max(10, detect + int(rng.lognormvariate(math.log(35), 0.9))))
        if rng.random() < 0.05:
            extra = _between(rng, 18 * 60, 3 * 1440)
        else:
            extra = min(720, max(5, int(rng.lognormvariate(math.log(45), 0.9))))
        return started + detect * 60, started + mitigate * 60, started + (mitigate + extra) * 60

    def _publication(self, severity: int, public: bool, resolved: int, day: int,
                     problem: str | None) -> tuple[int | None, str]:
        rng = self.rng
        required = severity == 1 or public
        forgotten = rng.random() < self._unpublished_rate(day, required)
        if problem in {"unknown_status", "out_of_order"}:
            forgotten = False
        late = rng.random() < (0.35 if required else 0.15)
        if late:
            hours = rng.uniform(72, 24 * 42) if rng.random() < 0.5 else rng.uniform(72, 24 * 14)
        else:
            hours = rng.triangular(2, 72, 30)
        published = self._working_hours(resolved, resolved + int(hours * 3600))
        if forgotten or published > self.snapshot:
            return None, "review" if rng.random() < 0.3 else "draft"
        return published, "published"

    def _unpublished_rate(self, day: int, required: bool) -> float:
        """Drafts: rising through the last quarter, rare before, a bit more for required ones."""
        if day >= self.last_quarter_day:
            position = (day - self.last_quarter_day) / (self.days - self.last_quarter_day)
            return 0.1 + 0.4 * position
        return 0.08 if required else 0.025

    def _working_hours(self, after: int, ts: int) -> int:
        """Moves an instant to a Paris working hour on its day, keeping it an hour after `after`."""
        local_day = _paris_day(ts)
        minute = _between(self.rng, 9 * 60, 19 * 60)
        moved = _paris_to_utc(local_day * DAY_SECONDS + minute * 60)
        if moved < after + 3600:
            moved = _paris_to_utc((local_day + 1) * DAY_SECONDS + minute * 60)
        return moved

    def _actions(self, pm: _Postmortem) -> list[_Action]:
        rng = self.rng
        texts = self._action_texts(pm, ACTION_COUNT.pick(rng))
        resolved_day = _paris_day(pm.resolved)
        actions = []
        closed: int | None
        for position, (text, horizon, category) in enumerate(texts):
            owner = _choice(rng, (*CATEGORY_TEAMS[category], SERVICE_TEAM[pm.services[0]]))
            if position == 0:
                due = resolved_day
                status, closed = "done", _paris_day(pm.mitigated)
            else:
                span = _between(rng, 1, 15) if horizon == "short" else _between(rng, 21, 121)
                due = resolved_day + span
                status, closed = self._action_state(resolved_day, due)
            actions.append(_Action("", text, horizon, owner, due, status, closed, status))
        self._identify(pm, actions)
        return actions

    def _action_texts(self, pm: _Postmortem, wanted: int) -> list[tuple[str, str, str]]:
        rng = self.rng
        texts = self.texts[pm.lang]
        pools: list[tuple[str, str, str]] = []
        for category in pm.categories:
            bank = texts.categories[category]
            pools += [(text, "short", category) for text in bank["short"]]
            pools += [(text, "long", category) for text in bank["long"]]
        first = texts.categories[pm.categories[0]]["short"][0]
        chosen = [(first, "short", pm.categories[0])]
        rest = [entry for entry in pools if entry[0] != first]
        chosen += _some(rng, rest, min(wanted - 1, len(rest)))
        generic = [(text, "short", "process") for text in texts.actions["generic_short"]]
        generic += [(text, "long", "process") for text in texts.actions["generic_long"]]
        while len(chosen) < wanted:
            chosen.append(generic.pop(_between(rng, 0, len(generic))))
        return [(text.format_map(pm.ctx), horizon, cat) for text, horizon, cat in chosen]

    def _action_state(self, resolved_day: int, due: int) -> tuple[str, int | None]:
        """True state at the snapshot; due and closed dates are days since 1970-01-01."""
        rng = self.rng
        draw = rng.random()
        if draw < 0.05:
            return "cancelled", None
        if draw < 0.20:
            return ("in_progress" if rng.random() < 0.4 else "open"), None
        late = rng.random() < 0.3
        slip = _between(rng, 1, 60) if late else -_between(rng, 0, due - resolved_day + 1)
        closed = due + slip
        if closed > self.snapshot_day:
            return ("in_progress" if rng.random() < 0.5 else "open"), None
        return "done", closed

    def _identify(self, pm: _Postmortem, actions: list[_Action]) -> None:
        rng = self.rng
        for action in actions:
            action.ident = self._next_action_id(action.owner)
            if action.status == "done" and rng.random() < 0.08:
                action.closed = None
            if pm.problem not in {"bad_severity", "unclosed_front_matter"} \
                    and rng.random() < TRACKER_UPDATE_RATE:
                action.tracked = True
                action.markdown_status = "open"
        if pm.problem == "unknown_action_status":
            actions[-1].markdown_status = "blocked"
            actions[-1].tracked = False

    def _next_action_id(self, team: str) -> str:
        prefix = TEAM_PREFIX[team]
        self.action_seq[prefix] = self.action_seq.get(prefix, 100) + 1
        return f"{prefix}-{self.action_seq[prefix]}"

    # -- rendering ----------------------------------------------------------------------------

    def _write_postmortem(self, pm: _Postmortem) -> None:
        rng = self.rng
        text = self._render(pm)
        if pm.problem is None:
            draw = rng.random()
            if draw < 0.02:
                text = text.replace("\n", "\r\n")
            elif draw < 0.03:
                text = "\ufeff" + text
        year = pm.pm_id.split("-")[1]
        if year not in self.folders:
            (self.out_dir / year).mkdir(exist_ok=True)
            self.folders.add(year)
        with open(f"{self.out_dir}/{year}/{pm.pm_id}.md", "wb") as out:
            out.write(text.encode())
        if pm.problem is not None:
            kind, reason = next((k, r) for n, k, r in PROBLEMS if n == pm.problem)
            self.problem_files.append((f"{year}/{pm.pm_id}.md", kind, reason))

    def _render(self, pm: _Postmortem) -> str:
        rng = self.rng
        style = TIMESTAMP_STYLES.pick(rng)
        last = pm.published if pm.published is not None else pm.resolved
        if style == "naive" and _changes_clock(pm.started - DAY_SECONDS, last):
            style = "offset"
        clock_offset = 0 if style == "utc" else _paris_offset(pm.started)
        pm.ctx["start_clock"] = _clock(pm.started, clock_offset)
        pm.ctx["end_clock"] = _clock(pm.mitigated, clock_offset)
        pm.ctx["clock"] = pm.ctx["start_clock"]
        pm.ctx["resolve_clock"] = _clock(pm.resolved, clock_offset)
        front = self._front_matter(pm, style)
        sections = self._sections(pm, style, clock_offset)
        head = [f"# {pm.ctx['title']}"]
        if rng.random() < 0.7:
            minutes = (pm.mitigated - pm.started) // 60
            head.append(self.texts[pm.lang].context["in_short"].format(
                primary_summary=pm.ctx["primary_summary"], severity=pm.severity,
                duration=_duration_text(minutes, pm.lang)))
        body = "\n\n".join([*head, *sections])
        if pm.problem == "unclosed_front_matter":
            return front + "\n" + body + "\n"
        return front + "\n---\n\n" + body + "\n"

    def _front_matter(self, pm: _Postmortem, style: str) -> str:
        rng = self.rng
        quoted = rng.random() < 0.2
        seconds = rng.random() < 0.5

        def stamp(ts: int) -> str:
            return _timestamp(ts, style, quoted, seconds)

        severity = str(SEVERITY_FORMS.pick(rng)).format(n=pm.severity)
        if pm.problem == "bad_severity":
            severity = "critical-ish"
        lines = ["---", f"id: {pm.pm_id}", f"title: {_yaml_quote(pm.ctx['title'])}",
                 f"severity: {severity}"]
        status = "approved" if pm.problem == "unknown_status" else pm.status
        if pm.published is None or rng.random() < 0.75 or pm.problem == "unknown_status":
            lines.append(f"status: {status}")
        if pm.public or rng.random() < 0.6:
            lines.append(f"public: {'true' if pm.public else 'false'}")
        if pm.published is not None and (pm.public or rng.random() < 0.3):
            external = pm.public and rng.random() < 0.8
            lines.append(f"published_to: {'external' if external else 'internal'}")
        lines += _yaml_list("services", pm.services, rng)
        lines += _yaml_list("teams", pm.teams, rng)
        lines.append(f"started_at: {stamp(pm.started)}")
        if pm.problem == "bad_detected_at":
            lines.append('detected_at: "yesterday"')
        elif rng.random() < 0.96 or pm.problem:
            lines.append(f"detected_at: {stamp(pm.detected)}")
        if pm.problem == "out_of_order":
            lines.append(f"mitigated_at: {stamp(pm.started - DAY_SECONDS + 1800)}")
        elif rng.random() < 0.95 or pm.problem:
            lines.append(f"mitigated_at: {stamp(pm.mitigated)}")
        lines.append(f"resolved_at: {stamp(pm.resolved)}")
        if pm.published is not None:
            lines.append(f"published_at: {self._published_stamp(pm, pm.published, stamp)}")
        lines += self._root_causes(pm)
        lines += self._tags(pm)
        if rng.random() < 0.25:
            lines.append(f"review_meeting: {_yaml_quote(_day_text(pm.review_day))}")
        return "\n".join(lines)

    def _published_stamp(self, pm: _Postmortem, published: int,
                         stamp: Callable[[int], str]) -> str:
        """Now and then a date alone, only when that day is after the resolution day."""
        published_day = _paris_day(published)
        if published_day > _paris_day(pm.resolved) and self.rng.random() < 0.05:
            return _day_text(published_day)
        return stamp(published)

    def _root_causes(self, pm: _Postmortem) -> list[str]:
        rng = self.rng
        texts = self.texts[pm.lang]
        lines = ["root_causes:"]
        causes = [(category, _choice(rng, texts.categories[category]["summary"]))
                  for category in pm.categories]
        if pm.human_error:
            human_error = texts.analysis["human_error"]
            causes.append((human_error["category"], human_error["summary"]))
        if pm.problem == "unknown_category":
            causes.append(("cosmic-rays", "A bit flip on a host without ECC memory corrupted a "
                                          "cached routing table."))
        pm.ctx["primary_summary"] = causes[0][1].format_map(pm.ctx)
        pm.ctx["summaries"] = "\n".join(
            f"- {summary.format_map(pm.ctx)}" for _, summary in causes)
        for category, summary in causes:
            written = _category_word(category, texts.category_words, rng)
            text = summary.format_map(pm.ctx)
            if rng.random() < 0.6:
                lines += [f"  - category: {written}", f"    summary: {_yaml_quote(text)}"]
            else:
                lines.append(f"  - {_yaml_quote(f'{written}: {text}')}")
        return lines

    def _tags(self, pm: _Postmortem) -> list[str]:
        rng = self.rng
        tags = [_choice(rng, self.common["category_tags"][pm.categories[0]])]
        if pm.public:
            tags.append("customer-facing")
        if not 7 <= (pm.started + _paris_offset(pm.started)) // 3600 % 24 < 22:
            tags.append("night")
        if rng.random() < 0.15:
            return []
        return [f"tags: [{', '.join(tags)}]"]

    def _sections(self, pm: _Postmortem, style: str, clock_offset: int) -> list[str]:
        rng = self.rng
        numbering = NUMBERING.pick(rng)
        emoji = rng.random() < 0.05
        actions_in_follow_up = rng.random() < 0.05
        bodies = [
            ("context", self._context(pm)),
            ("timeline", self._timeline(pm, style, clock_offset)),
            ("analysis", self._analysis(pm)),
        ]
        texts = self.texts[pm.lang]
        intro = _choice(rng, texts.actions["intro"]).format(
            review=_day_text(pm.review_day))
        table = f"{intro}\n\n{self._action_table(pm)}"
        if not actions_in_follow_up:
            bodies.append(("actions", table))
        bodies.append(("lessons", self._lessons(pm)))
        follow = self._follow_up(pm)
        bodies.append(("follow_up", f"{table}\n\n{follow}" if actions_in_follow_up else follow))
        if rng.random() < 0.1:
            bodies.append(("extra", ""))
        rendered = []
        for number, (key, body) in enumerate(bodies, start=1):
            if key == "extra":
                section = _choice(rng, texts.extra_sections)
                heading, body = section["heading"], section["text"].format(teams=", ".join(pm.teams))
            else:
                heading = str(texts.headings[key].pick(rng))
            if emoji:
                heading = f"{self.common['heading_emoji'][key]} {heading}"
            elif numbering == "dot":
                heading = f"{number}. {heading}"
            elif numbering == "paren":
                heading = f"{number}) {heading}"
            rendered.append(f"## {heading}\n{body}")
        return rendered

    def _context(self, pm: _Postmortem) -> str:
        rng = self.rng
        texts = self.texts[pm.lang]
        text = texts.context
        minutes = (pm.mitigated - pm.started) // 60
        scale = IMPACT_SCALE[pm.severity]
        users = f"{_between(rng, 10, 600) * scale * 100:,.0f}"
        low, high = FAILING_PERCENT[pm.severity]
        values = {
            **pm.ctx, "duration": _duration_text(minutes, pm.lang),
            "pct": str(_between(rng, low, high)),
            "users": users.replace(",", " ") if pm.lang == "fr" else users,
            "tickets": str(1 + int(_between(rng, 5, 300) * scale)),
            "money": str(1 + int(_between(rng, 5, 400) * scale)),
            "services": ", ".join(pm.services), "teams": ", ".join(pm.teams),
            "det": str((pm.detected - pm.started) // 60),
        }
        role = texts.service_roles[pm.services[0]]
        symptom = _choice(rng, text["symptom" if pm.public else "internal_symptom"])
        sentences = [role, _choice(rng, text["impact"]), symptom,
                     _choice(rng, text["public"] if pm.public else text["internal"]),
                     _choice(rng, text["business"]), text["detection_note"]]
        paragraph = " ".join([s.format_map(values) for s in sentences])
        figures = zip(text["figures"], (values["duration"], f"{values['pct']} %",
                                        values["users"], values["tickets"]), strict=True)
        colon = " :" if pm.lang == "fr" else ":"
        listing = "\n".join([f"- {label}{colon} {value}" for label, value in figures])
        return f"{paragraph}\n\n{listing}\n\n{text['scope'].format_map(values)}"

    def _timeline(self, pm: _Postmortem, style: str, clock_offset: int) -> str:
        rng = self.rng
        events = self._events(pm)
        dated = pm.resolved - pm.started >= LONG_TIMELINE_SECONDS or rng.random() < 0.05
        as_table = rng.random() < 0.3
        utc_suffix = style == "utc" and not as_table and rng.random() < 0.5
        texts = self.texts[pm.lang]
        separator = str(texts.list_separators.pick(rng))
        lines = []
        if as_table:
            left, right = texts.timeline["table_header"]
            lines += [f"| {left} | {right} |", "|---|---|"]
        for ts, text in events:
            when = (_local_text(ts, clock_offset, " ", "minutes") if dated
                    else _clock(ts, clock_offset))
            if as_table:
                lines.append(f"| {when} | {text} |")
            elif utc_suffix:
                lines.append(f"- {when} UTC: {text}")
            else:
                lines.append(f"- {when}{separator}{text}")
        return "\n".join(lines)

    def _events(self, pm: _Postmortem) -> list[tuple[int, str]]:
        rng = self.rng
        texts = self.texts[pm.lang]
        text = texts.timeline
        bank = texts.categories[pm.categories[0]]
        total = _between(rng, 6, 15)
        middle = total - 4
        before = max(1, round(middle * 0.6))
        after = middle - before
        investigate = [text["investigate"][i]
                       for i in sorted(_some(rng, range(len(text["investigate"])), before))]
        recover = [text["recover"][i]
                   for i in sorted(_some(rng, range(len(text["recover"])), after))]
        if pm.public:
            investigate[0] = text["status_page"][0]
            if recover:
                recover[-1] = text["status_page"][1]
        pm.ctx["trigger"] = _choice(rng, bank["start"]).format_map(pm.ctx)
        events = [(pm.started, pm.ctx["trigger"]),
                  (pm.detected, _choice(rng, text["detect"]))]
        events += zip(_spread(rng, pm.detected, pm.mitigated, before), investigate, strict=True)
        events.append((pm.mitigated, _choice(rng, bank["mitigate"])))
        events += zip(_spread(rng, pm.mitigated, pm.resolved, after), recover, strict=True)
        events.append((pm.resolved, _choice(rng, text["resolve"])))
        return [(ts, line.format_map(pm.ctx)) for ts, line in events]

    def _analysis(self, pm: _Postmortem) -> str:
        rng = self.rng
        texts = self.texts[pm.lang]
        text = texts.analysis
        primary = texts.categories[pm.categories[0]]["analysis"]
        sentences = [_choice(rng, text["blameless"])]
        sentences += [primary[i] for i in sorted(_some(rng, range(3), _choice(rng, (2, 3, 3))))]
        sentences += [_choice(rng, texts.categories[c]["analysis"]) for c in pm.categories[1:]]
        if pm.blame:
            sentences.insert(_between(rng, 1, len(sentences) + 1), _choice(rng, text["blame"]))
        paragraph = " ".join([s.format_map(pm.ctx) for s in sentences])
        note = _choice(rng, text["duration_note"]).format(
            mit=(pm.mitigated - pm.started) // 60, det=(pm.detected - pm.started) // 60)
        trigger = text["trigger"].format_map(pm.ctx)
        parts = [f"{paragraph} {trigger}", f"{text['factors']}\n{pm.ctx['summaries']}",
                 " ".join([*_some(rng, text["not_caught"], _choice(rng, (1, 2))), note])]
        if rng.random() < 0.06:
            parts.insert(1, _choice(rng, self.common["analysis"]["code_blocks"]).format_map(pm.ctx))
        return "\n\n".join(parts)

    def _action_table(self, pm: _Postmortem) -> str:
        rng = self.rng
        texts = self.texts[pm.lang]
        actions = texts.actions
        layout = texts.action_layouts.pick(rng)
        word_lang = "en" if pm.lang == "fr" and rng.random() < 0.1 else pm.lang
        words = self.texts[word_lang].actions["status_words"]
        statuses = {status: _choice(rng, words[status]) for status in ACTION_STATUSES}
        types = actions["type_words"]
        lines = ["| " + " | ".join(header for _, header in layout) + " |",
                 "|" + "---|" * len(layout)]
        columns = [column for column, _ in layout]
        for action in pm.actions:
            ident = "" if "id" not in columns or rng.random() < 0.04 else action.ident
            if not ident:
                action.tracked = False
            values = {
                "id": ident,
                "action": action.text,
                "type": _choice(rng, types[action.horizon]) if "type" in columns else "",
                "owner": action.owner,
                "due": _day_text(action.due),
                "status": statuses.get(action.markdown_status, action.markdown_status),
                "closed": "" if action.markdown_status != "done" or action.closed is None
                else _day_text(action.closed),
                "note": _choice(rng, actions["notes"]) if "note" in columns else "",
            }
            lines.append("| " + " | ".join([values[column] for column in columns]) + " |")
        return "\n".join(lines)

    def _lessons(self, pm: _Postmortem) -> str:
        rng = self.rng
        text = self.texts[pm.lang].lessons
        groups = [(text["well_heading"], "well"), (_choice(rng, text["wrong_headings"]), "wrong")]
        if rng.random() < 0.6:
            groups.append((text["lucky_heading"], "lucky"))
        bold = rng.random() < 0.15
        blocks = []
        for heading, key in groups:
            items = _some(rng, text[key], _choice(rng, (1, 2, 2, 3)))
            title = f"**{heading}**" if bold else f"### {heading}"
            blocks.append(title + "\n" + "\n".join([f"- {i.format_map(pm.ctx)}" for i in items]))
        return "\n".join(blocks)

    def _follow_up(self, pm: _Postmortem) -> str:
        rng = self.rng
        values = {**pm.ctx, "review": _day_text(pm.review_day),
                  "next_review": _day_text(pm.review_day + NEXT_REVIEW_DAYS)}
        text = self.texts[pm.lang].follow_up
        chosen = _some(rng, text["sentences"], _choice(rng, (2, 3)))
        key = (pm.services[0], pm.categories[0])
        related = self.last_seen.get(key)
        self.last_seen[key] = pm.pm_id
        if related is not None:
            chosen.append(text["related"].format(related=related))
        return " ".join([s.format_map(values) for s in chosen])

    # -- tables ---------------------------------------------------------------------------

    def _write_rows(self, pm: _Postmortem, incident_csv: _RowWriter,
                    tracker_csv: _RowWriter) -> None:
        rng = self.rng
        if rng.random() < INCIDENT_ROW_RATE:
            severity = pm.severity
            if rng.random() < 0.03:
                severity = min(4, severity + 1)
            incident_csv.writerow((self._incident_id(), pm.ctx["title"], f"S{severity}",
                                   _bool(pm.public), _paris_iso(pm.started),
                                   _paris_iso(pm.resolved), pm.pm_id))
            self.incident_rows += 1
        for action in pm.actions:
            if action.tracked:
                closed = "" if action.closed is None else _day_text(action.closed)
                tracker_csv.writerow((pm.pm_id, action.ident, action.status, closed,
                                      "", "", "", ""))
                self.tracker_rows += 1
        if pm.problem is None and rng.random() < TRACKER_NEW_RATE:
            tracker_csv.writerow(self._new_tracker_action(pm))
            self.tracker_rows += 1

    def _new_tracker_action(self, pm: _Postmortem) -> tuple[str, ...]:
        rng = self.rng
        owner = _choice(rng, pm.teams)
        text = _choice(rng, self.texts["en"].actions["generic_long"]).format_map(pm.ctx)
        resolved_day = _paris_day(pm.resolved)
        due = resolved_day + _between(rng, 14, 90)
        status, closed = self._action_state(resolved_day, due)
        return (pm.pm_id, self._next_action_id(owner), status,
                "" if closed is None else _day_text(closed), text, owner, _day_text(due), "long")

    def _extra_incident(self, started: int) -> tuple[str, ...]:
        rng = self.rng
        severity = EXTRA_SEVERITY_WEIGHTS.pick(rng)
        public = rng.random() < PUBLIC_RATE[severity]
        service = SERVICE_WEIGHTS.pick(rng)
        category = _choice(rng, CATEGORIES)
        ctx = {"svc": service, "svc2": _choice(rng, RELATED_SERVICES[service])}
        title = _choice(rng, self.texts["en"].categories[category]["title"]).format_map(ctx)
        resolved = started + _between(rng, 20, 600) * 60
        self.incident_rows += 1
        return (self._incident_id(), title, f"S{severity}", _bool(public),
                _paris_iso(started), _paris_iso(resolved), "")

    def _incident_id(self) -> str:
        self.incident_seq += 1
        return f"INC-{self.incident_seq}"


# --- Small pure helpers --------------------------------------------------------------------


def _quarter_label(day: date) -> str:
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


@functools.lru_cache(maxsize=64)
def _primary_categories_at(step: int) -> _Weighted:
    t = step / 20
    weights = {
        "config": 14, "deployment": 2 + 30 * t, "software": 16, "capacity": 10,
        "dependency": 10, "infrastructure": 8, "data": 6, "security": 4,
        "monitoring": 18 - 16 * t, "communication": 2, "process": 4, "tech-debt": 6,
    }
    return _Weighted(tuple(weights.items()))


def _primary_categories(progress: float) -> _Weighted:
    """Category weights at a point of the span: deployment rises, monitoring falls."""
    return _primary_categories_at(round(progress * 20))


@functools.lru_cache(maxsize=64)
def _secondary_categories_at(step: int) -> _Weighted:
    t = step / 20
    return _Weighted((*SECONDARY_BASE, ("monitoring", 30 - 26 * t), ("deployment", 2 + 12 * t)))


def _secondary_categories(progress: float) -> _Weighted:
    """Contributing-factor weights: missing monitoring fades, deployment grows."""
    return _secondary_categories_at(round(progress * 20))


def _choice(rng: random.Random, items: Sequence[T]) -> T:
    """A uniform pick costing one `random()` call (`Random.choice` is several times slower)."""
    return items[int(rng.random() * len(items))]


def _between(rng: random.Random, low: int, high: int) -> int:
    """A uniform integer in [low, high), like `randrange(low, high)` but cheaper."""
    return low + int(rng.random() * (high - low))


def _some(rng: random.Random, items: Sequence[T], count: int) -> list[T]:
    """`count` distinct items in random order, like `Random.sample` but cheaper."""
    pool = list(items)
    size = len(pool)
    for i in range(count):
        j = i + int(rng.random() * (size - i))
        pool[i], pool[j] = pool[j], pool[i]
    return pool[:count]


def _spread(rng: random.Random, low: int, high: int, count: int) -> list[int]:
    """`count` sorted whole minutes strictly inside (low, high), or at `low` if too short."""
    minutes = (high - low) // 60
    if minutes < 2:
        return [low] * count
    return sorted(low + _between(rng, 1, minutes) * 60 for _ in range(count))


def _timestamp(ts: int, style: str, quoted: bool, seconds: bool) -> str:
    if style == "utc":
        text = _local_text(ts, 0) + "Z"
    else:
        offset = _paris_offset(ts)
        if style == "naive":
            text = _local_text(ts, offset, "T", "seconds" if seconds else "minutes")
        else:
            text = (_local_text(ts, offset, " " if style == "offset_space" else "T")
                    + _offset_text(offset))
    return f'"{text}"' if quoted else text


def _category_word(category: str, words: dict[str, tuple[str, ...]], rng: random.Random) -> str:
    """The category's name, or now and then a word of the document's language for it."""
    if category not in words:
        return category
    if rng.random() < 0.75:
        word = _choice(rng, words[category])
        return word.capitalize() if rng.random() < 0.2 else word
    return category


def _yaml_list(key: str, values: list[str], rng: random.Random) -> list[str]:
    draw = rng.random()
    if len(values) == 1 and draw < 0.2:
        return [f"{key}: {values[0]}"]
    if draw < 0.75:
        return [f"{key}: [{', '.join(values)}]"]
    return [f"{key}:", *(f"  - {value}" for value in values)]


def _bool(value: bool) -> str:
    return "true" if value else "false"


# --- Output folder and root files ----------------------------------------------------------


def _prepare_out_dir(out_dir: Path) -> None:
    if out_dir.exists() and not out_dir.is_dir():
        raise ValueError(f"{out_dir} exists and is not a directory")
    if out_dir.is_dir() and any(out_dir.iterdir()):
        if not (out_dir / MARKER_NAME).is_file():
            raise ValueError(f"{out_dir} is not empty and was not written by write_sample; "
                             "refusing to overwrite it")
        for child in sorted(out_dir.iterdir()):
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child)
            else:
                child.unlink()
    out_dir.mkdir(parents=True, exist_ok=True)


def _marker_text(count: int, seed: int, end_quarter: str, quarters: int) -> str:
    return (f"Written by pmanalytics.tools.sample.write_sample(count={count}, seed={seed}, "
            f"end_quarter={end_quarter!r}, quarters={quarters}).\n"
            "write_sample clears and rewrites this folder; do not keep other files here.\n")


def _readme(writer: _CorpusWriter, end_quarter: str, quarters: int, start: date) -> str:
    problems = ", ".join(f"`{path}` ({reason}; {kind})"
                         for path, kind, reason in writer.problem_files)
    broken = (f"{len(writer.problem_files)} files are broken on purpose so that the data-quality "
              f"report has something to show: {problems}." if problems else
              "No file is broken on purpose (that needs at least 50 postmortems).")
    extra = int(writer.count * EXTRA_INCIDENT_RATE)
    return f"""# Sample postmortem corpus

This corpus is synthetic: {writer.count} postmortems ({writer.languages['fr']} in French, \
{writer.languages['en']} in English) of incidents that started from {_quarter_label(start)} to \
{end_quarter} ({quarters} quarters, {TIMEZONE} time), written by `pmanalytics sample` with seed \
{writer.seed} (`write_sample(count={writer.count}, seed={writer.seed}, \
end_quarter="{end_quarter}", quarters={quarters})`). No real company, person or incident is \
described, and the same arguments always rewrite exactly these bytes. Postmortems are in one \
folder per year; `incidents.csv` lists {writer.incident_rows} incidents ({extra} of them without \
a postmortem) and `actions.csv` is a tracker export with {writer.tracker_rows} rows that update \
or add actions. `_template.md` is a blank template.

What a reliability report should find: checkout-api keeps failing on configuration changes, \
kafka on capacity, dns on infrastructure and postgres-main on technical debt, so recurrence \
within 180 days shows; deployment causes rise quarter after quarter while monitoring gaps \
fade; most postmortems are published within 72 hours, but some S1 and public incidents are \
late or still drafts, and some incidents have no postmortem at all; actions are a mix of done, \
done late, done without a date, open past their due date, in progress and cancelled. About 3 % \
of the documents contain a blaming sentence and about 1 % cite human error as a root cause. \
{broken}
"""


def write_sample(out_dir: Path, count: int = 300, seed: int = 7, end_quarter: str | None = None,
                 quarters: int = 8) -> SampleSummary:
    """Write a synthetic corpus of `count` postmortems into `out_dir`.

    The corpus spans `quarters` calendar quarters ending with `end_quarter` (default: the
    last full quarter before today). `out_dir` must be absent, empty, or a folder written
    earlier by this function, which is then cleared. From 50 postmortems on, `PROBLEMS`
    lists the deliberately broken ones (two of them rejected by design).

    Raises:
        ValueError: bad `count`, `quarters` or `end_quarter`, or a foreign non-empty folder.
    """
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise ValueError(f"count must be a non-negative integer, got {count!r}")
    if isinstance(quarters, bool) or not isinstance(quarters, int) or quarters < 1:
        raise ValueError(f"quarters must be a positive integer, got {quarters!r}")
    if end_quarter is None:
        end_quarter = last_full_quarter(date.today())
    start, end = _quarter_span(end_quarter, quarters)
    end_quarter = _quarter_label(end - timedelta(days=1))
    out_dir = Path(out_dir)
    _prepare_out_dir(out_dir)
    (out_dir / MARKER_NAME).write_text(_marker_text(count, seed, end_quarter, quarters),
                                       encoding="utf-8", newline="")
    writer = _CorpusWriter(out_dir, count, seed, start, end)
    with (open(out_dir / INCIDENTS_NAME, "w", encoding="utf-8", newline="") as incidents,
          open(out_dir / TRACKER_NAME, "w", encoding="utf-8", newline="") as tracker):
        writer.run(incidents, tracker)
    root_files = {"README.md": _readme(writer, end_quarter, quarters, start),
                  "_template.md": writer.common["root_files"]["template"],
                  "pmanalytics.toml": SETTINGS_TOML}
    for name, text in root_files.items():
        (out_dir / name).write_text(text, encoding="utf-8", newline="")
    files = count + len([MARKER_NAME, INCIDENTS_NAME, TRACKER_NAME, *root_files])
    return SampleSummary(out_dir=out_dir, postmortems=count, incidents=writer.incident_rows,
                         tracker_rows=writer.tracker_rows, files=files)
