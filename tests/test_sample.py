"""Tests of the synthetic corpus generator (pmanalytics.tools.sample).

The checks read the generated files the way a person would, by hand, and never
through the project's loader: they pin what the generator promises, section by
section of the corpus contract.
"""

from __future__ import annotations

import csv
import re
import string
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from pmanalytics.tools.sample import (
    MARKER_NAME,
    SETTINGS_TOML,
    SampleSummary,
    _paris_offset,
    last_full_quarter,
    read_texts,
    write_sample,
)

PARIS = ZoneInfo("Europe/Paris")
REQUIRED_KEYS = {"id", "title", "severity", "started_at", "resolved_at"}
ROOT_FILES = {"README.md", "_template.md", "pmanalytics.toml", "incidents.csv", "actions.csv",
              MARKER_NAME}
COMMITTED_SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
COMMITTED_ARGUMENTS = {"count": 300, "seed": 7, "end_quarter": "2026Q3"}
STATUS_ALIASES = {
    "done": "done", "closed": "done", "fait": "done", "terminé": "done", "clos": "done",
    "open": "open", "todo": "open", "ouvert": "open", "à faire": "open",
    "in_progress": "in_progress", "en cours": "in_progress",
    "cancelled": "cancelled", "won't do": "cancelled", "annulé": "cancelled",
}
STATUS_HEADERS = {"Status", "Statut", "État"}
TAXONOMY = {"config", "deployment", "software", "capacity", "dependency", "infrastructure", "data",
            "security", "monitoring", "communication", "process", "tech-debt"}
SERVICES = {"checkout-api", "payments", "search", "auth", "notifications", "catalog", "inventory",
            "gateway", "dns", "kafka", "postgres-main", "billing", "mobile-bff", "cdn", "identity"}
SECTIONS = {"context", "timeline", "analysis", "actions", "lessons", "follow_up"}
# Tables only French has: its words for the taxonomy's (English) names, and the notes of the
# comment column that only a French action layout has.
FRENCH_ONLY = {("category_words",), ("actions", "notes")}
# The generator takes up to these many distinct entries, or reads them by position.
FEWEST = {("timeline", "investigate"): 6, ("timeline", "recover"): 4, ("timeline", "status_page"): 2,
          ("analysis", "not_caught"): 2, ("lessons", "well"): 3, ("lessons", "wrong"): 3,
          ("lessons", "lucky"): 3, ("follow_up", "sentences"): 3}
PLACEHOLDERS = {"svc", "svc2", "team", "teams", "services", "title", "trigger", "primary_summary",
                "severity", "duration", "pct", "users", "tickets", "money", "det", "mit", "clock",
                "start_clock", "end_clock", "resolve_clock", "review", "next_review", "related"}


def _tables(value: object, path: tuple[str, ...] = ()) -> dict[tuple[str, ...], object]:
    """Every table and list of a texts file by path (the items of a list of tables share one)."""
    found: dict[tuple[str, ...], object] = {path: value}
    if isinstance(value, dict):
        for key, item in value.items():
            found.update(_tables(item, (*path, key)))
    elif isinstance(value, tuple):
        for item in value:
            if isinstance(item, dict):
                found.update(_tables(item, (*path, "[]")))
    return found


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    items = value.values() if isinstance(value, dict) else value if isinstance(value, tuple) else ()
    return [text for item in items for text in _strings(item)]


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _postmortem_files(root: Path) -> list[Path]:
    return [p for p in sorted(root.rglob("*.md"))
            if p.name != "README.md" and not p.name.startswith("_")]


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8-sig").replace("\r\n", "\n")


def _split(text: str) -> tuple[str, str] | None:
    """Front matter and body, or None when the front matter is never closed."""
    assert text.startswith("---\n")
    end = text.find("\n---\n", 3)
    return None if end < 0 else (text[4:end], text[end + 5:])


def _started_at(front: str) -> datetime:
    match = re.search(r"^started_at:\s*\"?([^\"\n]+?)\"?\s*$", front, re.MULTILINE)
    assert match is not None
    value = datetime.fromisoformat(match.group(1))
    return value if value.tzinfo else value.replace(tzinfo=PARIS)


def _action_statuses(body: str) -> list[str]:
    statuses = []
    lines = body.split("\n")
    for i, line in enumerate(lines):
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not line.startswith("|") or not STATUS_HEADERS & set(cells):
            continue
        column = next(k for k, c in enumerate(cells) if c in STATUS_HEADERS)
        for row in lines[i + 2:]:
            if not row.startswith("|"):
                break
            statuses.append(row.strip().strip("|").split("|")[column].strip().lower())
    return statuses


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SampleSummary]:
    out = tmp_path_factory.mktemp("sample") / "corpus"
    return out, write_sample(out, count=160, seed=11, end_quarter="2026Q1", quarters=4)


def test_same_arguments_give_the_same_bytes(tmp_path: Path) -> None:
    write_sample(tmp_path / "a", count=60, seed=3, end_quarter="2025Q4", quarters=3)
    write_sample(tmp_path / "b", count=60, seed=3, end_quarter="2025Q4", quarters=3)
    assert _tree(tmp_path / "a") == _tree(tmp_path / "b")


def test_another_seed_gives_another_corpus(tmp_path: Path) -> None:
    write_sample(tmp_path / "a", count=60, seed=3, end_quarter="2025Q4")
    write_sample(tmp_path / "b", count=60, seed=4, end_quarter="2025Q4")
    a, b = _tree(tmp_path / "a"), _tree(tmp_path / "b")
    assert a["pmanalytics.toml"] == b["pmanalytics.toml"]
    assert a["incidents.csv"] != b["incidents.csv"]
    assert any(a[name] != b.get(name) for name in a if name.endswith(".md"))


def test_layout_and_summary(corpus: tuple[Path, SampleSummary]) -> None:
    root, summary = corpus
    files = _tree(root)
    assert set(files) >= ROOT_FILES
    postmortems = _postmortem_files(root)
    assert len(postmortems) == summary.postmortems == 160
    assert summary.files == len(files)
    for path in postmortems:
        year, name = path.relative_to(root).parts
        assert re.fullmatch(rf"PM-{year}-\d{{4,}}\.md", name)
    assert files["pmanalytics.toml"].decode() == SETTINGS_TOML
    with open(root / "incidents.csv", encoding="utf-8", newline="") as f:
        assert len(list(csv.DictReader(f))) == summary.incidents
    with open(root / "actions.csv", encoding="utf-8", newline="") as f:
        assert len(list(csv.DictReader(f))) == summary.tracker_rows


def test_front_matter_parses_with_required_keys(corpus: tuple[Path, SampleSummary]) -> None:
    root, _ = corpus
    ids, unclosed = set(), []
    for path in _postmortem_files(root):
        parts = _split(_text(path))
        if parts is None:
            unclosed.append(path.name)
            continue
        meta = yaml.safe_load(parts[0])
        assert set(meta) >= REQUIRED_KEYS, path
        assert f"{meta['id']}.md" == path.name
        ids.add(meta["id"])
    assert len(unclosed) == 1
    assert len(ids) == 159


def test_started_at_falls_within_the_quarters(corpus: tuple[Path, SampleSummary]) -> None:
    root, _ = corpus
    first = datetime(2025, 4, 1, tzinfo=PARIS)
    end = datetime(2026, 4, 1, tzinfo=PARIS)
    for path in _postmortem_files(root):
        front = _text(path).split("\n---\n", 1)[0]
        assert first <= _started_at(front) < end, path


def test_first_timeline_event_is_at_started_at(corpus: tuple[Path, SampleSummary]) -> None:
    root, _ = corpus
    for path in _postmortem_files(root):
        parts = _split(_text(path))
        if parts is None:
            continue
        front, body = parts
        clock = re.search(r"^started_at:\s*\"?\d{4}-\d\d-\d\d[T ](\d\d:\d\d)", front, re.M)
        event = re.search(r"^(?:- |\| )(?:\d{4}-\d\d-\d\d )?(\d\d:\d\d)", body, re.M)
        assert clock and event, path
        assert event.group(1) == clock.group(1), path


def test_languages_severities_and_statuses(corpus: tuple[Path, SampleSummary]) -> None:
    root, _ = corpus
    french = english = 0
    severities, statuses = set(), set()
    for path in _postmortem_files(root):
        text = _text(path)
        french += "Ce qui a bien fonctionné" in text
        english += "What went well" in text
        severity = re.search(r"^severity:\s*(.+)$", text, re.MULTILINE)
        assert severity is not None
        severities.add(re.sub(r"\D", "", severity.group(1)) or severity.group(1))
        statuses |= {STATUS_ALIASES.get(s, s) for s in _action_statuses(text)}
    assert french + english == 160
    assert 0.35 < french / 160 < 0.65
    assert {"1", "2", "3", "4"} <= severities
    assert {"done", "open", "in_progress", "cancelled"} <= statuses


def test_incidents_without_postmortem(corpus: tuple[Path, SampleSummary]) -> None:
    root, _ = corpus
    with open(root / "incidents.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    without = [row for row in rows if not row["postmortem_id"]]
    assert without
    assert len(without) < len(rows) / 5
    assert all(row["id"].startswith("INC-") for row in rows)


def test_tracker_updates_name_markdown_actions(corpus: tuple[Path, SampleSummary]) -> None:
    root, _ = corpus
    files = {p.stem: _text(p) for p in _postmortem_files(root)}
    with open(root / "actions.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    updates = [row for row in rows if not row["action"]]
    assert updates and len(updates) < len(rows)
    for row in updates:
        assert f"| {row['id']} |" in files[row["postmortem_id"]]
        assert row["status"] in {"done", "open", "in_progress", "cancelled"}


@pytest.mark.parametrize("count", [50, 160])
def test_deliberate_problems_are_fixed(tmp_path: Path, count: int) -> None:
    write_sample(tmp_path, count=count, seed=5, end_quarter="2026Q2")
    texts = [_text(p) for p in _postmortem_files(tmp_path)]
    assert sum(_split(t) is None for t in texts) == 1
    for needle in ("severity: critical-ish", 'detected_at: "yesterday"', "cosmic-rays",
                   "status: approved", "| blocked |"):
        assert sum(needle in t for t in texts) == 1, needle


def test_small_corpus_has_no_deliberate_problem(tmp_path: Path) -> None:
    write_sample(tmp_path, count=49, seed=5, end_quarter="2026Q2")
    for path in _postmortem_files(tmp_path):
        parts = _split(_text(path))
        assert parts is not None
        assert "critical-ish" not in parts[0] and "cosmic-rays" not in parts[0]


def test_fenced_heading_lines_exist(corpus: tuple[Path, SampleSummary]) -> None:
    root, _ = corpus
    assert any(re.search(r"^```[a-z]*\n## ", _text(p), re.MULTILINE)
               for p in _postmortem_files(root))


@pytest.mark.parametrize(("today", "expected"), [
    (date(2026, 11, 26), "2026Q3"),
    (date(2027, 1, 1), "2026Q4"),
    (date(2026, 3, 31), "2025Q4"),
    (date(2026, 4, 1), "2026Q1"),
    (date(2026, 7, 15), "2026Q2"),
    (date(2026, 10, 1), "2026Q3"),
    (date(2026, 12, 31), "2026Q3"),
])
def test_last_full_quarter(today: date, expected: str) -> None:
    assert last_full_quarter(today) == expected


@pytest.mark.skipif(not hasattr(time, "tzset"), reason="time.tzset is Unix only")
def test_machine_time_zone_changes_nothing(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    for zone in ("UTC", "Pacific/Auckland", "America/Los_Angeles"):
        monkeypatch.setenv("TZ", zone)
        time.tzset()
        write_sample(tmp_path / zone.replace("/", "-"), count=60, seed=9, end_quarter="2026Q1")
    monkeypatch.undo()
    time.tzset()
    trees = [_tree(folder) for folder in sorted(tmp_path.iterdir())]
    assert trees[0] == trees[1] == trees[2]


def test_default_end_quarter_is_the_last_full_one(tmp_path: Path) -> None:
    write_sample(tmp_path / "a", count=5, seed=1)
    write_sample(tmp_path / "b", count=5, seed=1, end_quarter=last_full_quarter(date.today()))
    assert _tree(tmp_path / "a") == _tree(tmp_path / "b")


def test_refuses_a_foreign_directory(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(ValueError, match="not written by write_sample"):
        write_sample(tmp_path, count=5)
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_refuses_a_file(tmp_path: Path) -> None:
    target = tmp_path / "corpus"
    target.write_text("not a folder", encoding="utf-8")
    with pytest.raises(ValueError, match="not a directory"):
        write_sample(target, count=5)


def test_rewrites_its_own_directory(tmp_path: Path) -> None:
    target = tmp_path / "corpus"
    write_sample(target, count=60, seed=2, end_quarter="2026Q1")
    (target / "2099").mkdir()
    write_sample(target, count=8, seed=2, end_quarter="2026Q1")
    write_sample(tmp_path / "fresh", count=8, seed=2, end_quarter="2026Q1")
    assert _tree(target) == _tree(tmp_path / "fresh")
    assert not (target / "2099").exists()


@pytest.mark.parametrize("arguments", [
    {"count": -1},
    {"end_quarter": "2026-Q3"},
    {"end_quarter": "2026Q5"},
    {"end_quarter": "Q3"},
    {"quarters": 0},
])
def test_bad_arguments(tmp_path: Path, arguments: dict[str, object]) -> None:
    with pytest.raises(ValueError) as error:
        write_sample(tmp_path / "out", **arguments)  # type: ignore[arg-type]
    assert "\n" not in str(error.value)
    assert not (tmp_path / "out").exists()


def test_paris_offset_matches_the_tz_database() -> None:
    start = datetime(2019, 1, 1, tzinfo=UTC)
    hours = (start + timedelta(hours=h) for h in range(12 * 366 * 24))
    for hour in hours:
        minutes = (0, 59) if hour.month in (3, 10) else (17,) if hour.hour % 7 == 0 else ()
        for instant in (hour + timedelta(minutes=m) for m in minutes):
            expected = instant.astimezone(PARIS).utcoffset()
            assert expected is not None
            assert _paris_offset(int(instant.timestamp())) == expected.total_seconds(), instant


def test_committed_sample_is_reproducible(tmp_path: Path) -> None:
    write_sample(tmp_path / "sample", **COMMITTED_ARGUMENTS)  # type: ignore[arg-type]
    assert _tree(tmp_path / "sample") == _tree(COMMITTED_SAMPLE)


def test_both_languages_have_the_same_tables() -> None:
    english, french = _tables(read_texts("en")), _tables(read_texts("fr"))
    assert set(english) == {path for path in french if not any(path[:len(p)] == p for p in FRENCH_ONLY)}
    for texts in (read_texts("en"), read_texts("fr")):
        assert set(texts["categories"]) == TAXONOMY
        assert set(texts["service_roles"]) == SERVICES
        assert set(texts["headings"]) == SECTIONS
        assert set(texts["actions"]["status_words"]) == {"done", "open", "in_progress", "cancelled"}
        assert set(texts["actions"]["type_words"]) == {"short", "long"}
        note_column = any("note" in dict(layout["columns"]) for layout in texts["actions"]["layouts"])
        assert note_column == ("notes" in texts["actions"])
    common = read_texts("common")
    assert set(common["category_tags"]) == TAXONOMY
    assert set(common["heading_emoji"]) == SECTIONS | {"extra"}


@pytest.mark.parametrize("name", ["en", "fr", "common"])
def test_no_text_table_is_empty(name: str) -> None:
    for path, value in _tables(read_texts(name)).items():
        if isinstance(value, dict | tuple):
            assert value, path


@pytest.mark.parametrize("language", ["en", "fr"])
def test_enough_texts_for_each_draw(language: str) -> None:
    texts = read_texts(language)
    for (table, key), fewest in FEWEST.items():
        assert len(texts[table][key]) >= fewest, (table, key)
    assert len(texts["context"]["figures"]) == 4  # duration, failed requests, users affected, tickets
    for category, bank in texts["categories"].items():
        assert len(bank["analysis"]) >= 3, category  # a primary cause takes two or three of the first three


@pytest.mark.parametrize("name", ["en", "fr", "common"])
def test_placeholders_are_ones_the_generator_fills(name: str) -> None:
    for text in _strings(read_texts(name)):
        fields = {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}
        assert fields <= PLACEHOLDERS, text
