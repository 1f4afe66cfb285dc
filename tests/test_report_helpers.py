"""The report's helpers on small hand-written inputs: formatting, what needs attention, comparisons, links."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import pandas as pd
import pytest
from corpus_builder import build, two_published_two_drafts

import pmanalytics as pm
from pmanalytics.metrics import make_scope
from pmanalytics.report import charts, style
from pmanalytics.report import formatting as fmt
from pmanalytics.report.attention import (
    Attention,
    Facts,
    Overdue,
    Recurrence,
    needs_attention,
    overdue_facts,
)
from pmanalytics.report.comparison import comparisons, points
from pmanalytics.report.i18n import category_name, chart_plural, plural, rejection_reason, text, value_name
from pmanalytics.report.page import Report, fill_link

NBSP, NNBSP = "\N{NO-BREAK SPACE}", "\N{NARROW NO-BREAK SPACE}"


@pytest.mark.parametrize(("hours", "en", "fr"), [
    (0.75, "45 minutes", "45 minutes"),
    (5.5, "5.5 hours", f"5,5{NBSP}heures"),
    (42.75, "43 hours", f"43{NBSP}heures"),
    (72, "3 days", f"3{NBSP}jours"),
    (877.6, "37 days", f"37{NBSP}jours"),
])
def test_durations_take_the_unit_of_their_size(hours: float, en: str, fr: str) -> None:
    assert fmt.duration_hours(hours, "en") == en
    assert fmt.duration_hours(hours, "fr") == fr


def test_rates_counts_quarters_and_dates_in_each_language() -> None:
    assert fmt.rate(0.556, "en") == "56%"
    assert fmt.rate(0.556, "fr") == f"56{NBSP}%"
    assert fmt.count(1234, "en") == "1,234"
    assert fmt.count(1234, "fr") == f"1{NNBSP}234"
    assert fmt.quarter("2026Q3", "en") == "Q3 2026"
    assert fmt.quarter("2026Q3", "fr") == "T3 2026"
    assert fmt.quarter("2026-01-01..2026-03-31", "fr") == "1 janv. 2026 – 31 mars 2026"
    assert fmt.date(dt.date(2026, 10, 1), "fr") == "1 oct. 2026"
    assert fmt.date(dt.date(2026, 10, 1), "en") == "Oct 1, 2026"
    assert fmt.points(-0.087, "en") == "−9 points"
    assert fmt.signed_duration_hours(0.5, "en") == "+30 minutes"


def test_timestamps_are_shown_in_the_corpus_time_zone() -> None:
    utc = pd.Timestamp("2026-08-07 12:54:00+00:00")
    assert fmt.timestamp(utc, "Europe/Paris", "fr") == "7 août 2026, 14:54"
    assert fmt.timestamp(utc, "America/New_York", "en") == "7 Aug 2026, 08:54"


@pytest.mark.parametrize("missing", [None, float("nan"), math.inf, pd.NaT, pd.NA])
def test_a_missing_value_is_a_dash_never_nan(missing: object) -> None:
    for write in (fmt.rate, fmt.count, fmt.duration_hours, fmt.date, fmt.points):
        assert write(missing, "en") == fmt.MISSING
    assert fmt.timestamp(missing, "UTC", "fr") == fmt.MISSING


def test_french_names_of_stored_values() -> None:
    assert category_name("deployment", "fr") == "déploiement"
    assert category_name("tech-debt", "fr") == "dette technique"
    assert category_name("automation", "fr") == "automation"  # the corpus's own category, as written
    assert value_name("status", "in_progress", "fr") == "en cours"
    assert value_name("team", "(other owner)", "fr") == "(autre responsable)"


@pytest.mark.parametrize(("message", "en", "fr"), [
    ("severity 'huge' not understood (write S1, S2, S3 or S4; SEV-1, Sev 1, P1 or 1 also work)",
     "severity not understood", "sévérité non reconnue"),
    ("front matter never closed (add a line '---' below line 20, the last key)",
     "front matter never closed", "en-tête jamais refermé"),
    ("front matter is not valid YAML: a tab: indent with spaces",
     "front matter is not valid YAML", "en-tête illisible (YAML non valide)"),
    ("detected_at: 'yesterday' is not an ISO 8601 timestamp (write e.g. 2026-03-04T09:12:00+01:00)",
     "detected_at is not an ISO 8601 timestamp", f"detected_at{NNBSP}: horodatage illisible (ISO 8601 attendu)"),
    ("missing required keys id, title (add them to the front matter)",
     "missing required keys id, title", f"clés obligatoires manquantes{NNBSP}: id, title"),
    ("file of 20.0 MB is over the 10 MB limit", "file over the 10 MB limit", "fichier de plus de 10 Mo"),
    ("incident row: 'x' is not a date (write e.g. 2026-03-04)", "incident row not understood",
     "ligne d'incident illisible"),
    # a reason no pattern knows: as `check` writes it in English; never English in French
    ("the moon is in the way (move it)", "the moon is in the way",
     "refusé au chargement (la raison est donnée par pmanalytics check)"),
])
def test_why_a_file_was_rejected_in_each_language(message: str, en: str, fr: str) -> None:
    assert rejection_reason(message, "en") == en
    assert rejection_reason(message, "fr") == fr


def test_french_punctuation_does_not_start_a_line() -> None:
    assert text("previous_value", "fr", previous="T2 2026", value="50 %") == f"T2 2026{NNBSP}: 50 %"


@pytest.mark.parametrize(("count", "en", "fr"), [
    (0, "n = 0 required incidents", "n = 0 incident obligatoire"),  # French takes the singular for 0
    (1, "n = 1 required incident", "n = 1 incident obligatoire"),
    (2, "n = 2 required incidents", "n = 2 incidents obligatoires"),
    (None, "n = — required incidents", "n = — incidents obligatoires"),  # a missing count: the plural
])
def test_counts_take_the_singular_or_the_plural_of_their_language(count: int | None, en: str, fr: str) -> None:
    assert plural("n_required", count, "en", n=fmt.count(count, "en")) == en
    assert plural("n_required", count, "fr", n=fmt.count(count, "fr")) == fr


def test_a_change_of_one_point_is_singular() -> None:
    assert points(-0.01, "en") == "−1 point"
    assert points(-0.01, "fr") == "−1 point"
    assert points(0.012, "en") == "+1 point"  # rounded to 1 before the form is chosen
    assert points(0.05, "fr") == "+5 points"
    assert points(-0.087, "en") == "−9 points"
    assert points(0.0, "en") == "+0 points"
    assert points(0.0, "fr") == "+0 point"
    assert points(None, "fr") == fmt.MISSING


def test_chart_hovers_count_in_french() -> None:
    one = chart_plural("trend_hover", 1, "fr", category="configuration", period="T3 2026", count="1", total="29")
    assert one == f"configuration, T3 2026{NNBSP}: 1 postmortem sur 29"
    many = chart_plural("trend_hover", 4, "fr", category="configuration", period="T3 2026", count="4", total="29")
    assert many == f"configuration, T3 2026{NNBSP}: 4 postmortems sur 29"


def test_french_charts_name_categories_quarters_and_rates_in_french() -> None:
    trend = charts.root_cause_trend(pd.DataFrame({
        "period": ["2026Q1", "2025Q4", "2026Q1"], "category": ["tech-debt", "config", "config"],
        "postmortems": [1, 3, 2], "period_postmortems": [4, 3, 4], "share": [0.25, 1.0, 0.5],
    }), lang="fr")
    heat = trend.data[0]
    assert list(heat.x) == ["T4 2025", "T1 2026"] and list(trend.layout.xaxis.categoryarray) == ["T4 2025", "T1 2026"]
    assert list(heat.y) == ["configuration", "dette technique"]
    assert heat.hovertext[1][1] == f"dette technique, T1 2026{NNBSP}: 1 postmortem sur 4"
    assert list(heat.colorbar.ticktext) == [f"{v}{NBSP}%" for v in (0, 20, 40, 60, 80, 100)]
    assert trend.layout.separators == f",{NNBSP}"
    recurring = charts.top_recurring(pd.DataFrame({"service_name": ["api"], "category": ["deployment"],
                                                   "recurring": [2]}), lang="fr")
    assert list(recurring.data[0].y) == ["api × déploiement"]
    assert list(recurring.data[0].marker.color) == [style.CATEGORY_COLORS["deployment"]]  # the colour of its key
    backlog = charts.backlog(pd.DataFrame({"month_end": pd.to_datetime(["2026-01-31", "2026-02-28"]),
                                           "open": [1, 3], "overdue": [0, 2]}), lang="fr")
    assert list(backlog.layout.xaxis.ticktext) == ["janv. 2026", "févr. 2026"]
    assert list(backlog.data[0].hovertext) == [f"31 janv. 2026{NNBSP}: 1 ouverte", f"28 févr. 2026{NNBSP}: 3 ouvertes"]
    curve = charts.time_to_postmortem_curve(pd.DataFrame({"time": [0.0, 42.75], "survival": [1.0, 0.5],
                                                          "ci_lower": [1.0, 0.2], "ci_upper": [1.0, 0.8]}),
                                            deadline_hours=42.8, lang="fr")
    assert curve.layout.shapes and curve.layout.annotations[0].text == "délai 42,8 h"
    assert list(curve.data[2].hovertext) == [f"0 minute{NNBSP}: 100{NBSP}%", f"43{NBSP}heures{NNBSP}: 50{NBSP}%"]


def test_nothing_needs_attention() -> None:
    assert needs_attention(Facts()) == []
    assert needs_attention(Facts(overdue_actions={"payments": 0})) == []


def test_attention_most_urgent_first_naming_what_and_where() -> None:
    facts = Facts(
        overdue_postmortems=[Overdue("PM-2", 3), Overdue("PM-1", 12)],
        missing_postmortems=[Overdue("INC-7", 5)],
        overdue_actions={"search": 1, "payments": 4, "data": 4},
        recurrences=[Recurrence("PM-9", ("checkout",), ("config",)),
                     Recurrence("PM-8", ("checkout",), ("config", "deployment"))],
        worse_kpis=["coverage"],
    )
    assert needs_attention(facts) == [
        Attention("overdue_postmortems", 2, ("PM-1",), days=12),
        Attention("overdue_actions", 9, ("data", "payments", "search"), (4, 4, 1)),
        Attention("missing_postmortems", 1, ("INC-7",), days=5),
        Attention("open_fix", 2, ("checkout × config", "checkout × deployment"), (2, 1)),
        Attention("worse", 1, ("coverage",)),
    ]


def test_at_most_six_sentences_worse_kpis_share_one_when_short_of_room() -> None:
    facts = Facts(overdue_postmortems=[Overdue("PM-1", 1)], missing_postmortems=[Overdue("INC-1", 1)],
                  overdue_actions={"sre": 2}, recurrences=[Recurrence("PM-3", ("api",), ("data",))],
                  worse_kpis=["coverage", "time_to_resolve", "recurrence_rate"])
    found = needs_attention(facts)
    assert len(found) == 5
    assert found[-1] == Attention("worse", 3, ("coverage", "time_to_resolve", "recurrence_rate"))
    two = needs_attention(Facts(overdue_actions={"sre": 2}, worse_kpis=["coverage", "recurrence_rate"]))
    assert [item.kind for item in two] == ["overdue_actions", "worse", "worse"]


def test_overdue_table_splits_drafts_from_incidents_without_postmortem() -> None:
    overdue = pd.DataFrame({"incident_key": ["INC-1", "PM-4"], "postmortem_id": [None, "PM-4"],
                            "days_overdue": [51, 40]})
    drafts, missing = overdue_facts(overdue)
    assert drafts == [Overdue("PM-4", 40)]
    assert missing == [Overdue("INC-1", 51)]


def test_comparisons_read_the_verdicts_of_docs_corpus_4_3() -> None:
    result = {"previous_period": "2026Q2", "kpis": {
        "coverage": {"value": 0.5, "previous": 0.8, "n": 12, "previous_n": 15, "difference": -0.3,
                     "low": -0.5, "high": -0.1, "verdict": "worse"},
        "time_to_resolve_median_minutes": {"value": 90.0, "previous": None, "n": 3, "previous_n": 0,
                                           "difference": None, "low": None, "high": None, "verdict": "too_few"},
    }}
    found = comparisons(result)
    assert found["coverage"].verdict == "worse"
    assert found["coverage"].previous_period == "2026Q2"
    assert found["time_to_resolve"].value == 1.5  # minutes read as hours
    assert found["time_to_resolve"].verdict == "too_few"


def test_comparisons_of_the_older_table_get_a_verdict_and_no_nan() -> None:
    table = pd.DataFrame([
        {"kpi": "recurrence_rate", "value": 0.6, "previous": 0.4, "change": 0.2, "ci_lower": 0.05, "ci_upper": 0.35,
         "is_noise": False, "n": 40, "n_previous": 30, "previous_period": "2026Q2"},
        {"kpi": "action_completion_rate", "value": 0.7, "previous": float("nan"), "change": float("nan"),
         "ci_lower": None, "ci_upper": None, "is_noise": True, "n": 20, "n_previous": 0, "previous_period": "2026Q2"},
    ])
    found = comparisons(table)
    assert found["recurrence_rate"].verdict == "worse"  # a higher recurrence rate is worse
    assert found["completion_rate"].verdict == "too_few"
    assert found["completion_rate"].previous is None


def test_links_fill_the_template() -> None:
    assert fill_link("https://wiki/pm/{id}", "PM 1/2") == "https://wiki/pm/PM%201%2F2"
    assert fill_link("https://git/blob/main/{path}", "PM-1", "2026/PM-1.md") == "https://git/blob/main/2026/PM-1.md"


def test_time_to_postmortem_card_and_sentence_show_one_number_drafts_counted(tmp_path: Path) -> None:
    # As of 2026-04-01 00:00: published 10 h and 60 h after resolution; drafts 100 h (03-27 20:00) and
    # 200 h (03-23 16:00) old. Kaplan–Meier: 10 h r = 4 -> S = 3/4; 60 h r = 3 -> S = 3/4 · 2/3 = 1/2 <= 0.5,
    # median 60 h = 2.5 days; within 72 h 1 − 1/2 = 50 %. Published only it would be 35 hours and 100 %.
    files = two_published_two_drafts()  # median with drafts 60 h, within 72 h 50 % (see there)
    with pm.open_database(build(tmp_path, files)) as db:
        report = Report(db, make_scope(db, "2026Q1", as_of="2026-04-01"), "en")
        cards = {card.split('class="pm-name">')[1].split("<")[0]: card for card in report._cards()}
        sentence = report._learning_sentence()
        french = Report(db, report.scope, "fr")._cards()
    median, within = cards["Median time to postmortem"], cards["Postmortems within deadline"]
    assert '<div class="pm-value">2.5 days</div>' in median
    assert '<div class="pm-value">50%</div>' in within
    for card in (median, within):
        assert '<div class="pm-n">n = 4 postmortems, drafts counted as not yet published</div>' in card
    assert sentence == ("2 of 4 postmortems are published; with open drafts counted as not yet published, "
                        "half are published within 2.5 days of resolution.")
    assert any("n = 4 postmortems, brouillons comptés comme non publiés" in card for card in french)


@pytest.mark.parametrize(("hours", "en", "fr"), [
    (1.96, "2 hours", "2\u00a0heures"),        # the plural follows the number shown, not 1.96
    (0.999, "1 hour", "1\u00a0heure"),         # 59.94 minutes would show as "60 minutes"
    (1.04, "1 hour", "1\u00a0heure"),
    (0.99 / 60, "1 minute", "1 minute"),  # CLDR writes this one with a plain space
    (47.99, "2 days", "2\u00a0jours"),         # 48 hours shown is past the switch to days
    (122.05, "5.1 days", "5,1\u00a0jours"),
])
def test_durations_choose_unit_and_plural_on_the_number_shown(hours: float, en: str, fr: str) -> None:
    # French keeps the number and its unit together with a no-break space
    assert (fmt.duration_hours(hours, "en"), fmt.duration_hours(hours, "fr")) == (en, fr)
