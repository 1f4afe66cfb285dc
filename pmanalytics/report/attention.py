"""What needs attention: the few findings a reader must act on, most urgent first, as data.

`needs_attention` chooses and orders them from plain facts (so it can be tested on a
handful of hand-written values); the page turns each `Attention` into a sentence of the
report's language. The order is fixed by urgency: postmortems past their deadline, then
overdue corrective actions, required incidents with no postmortem at all, incidents that
recurred while an earlier fix was still open, and last every KPI judged worse than the
previous quarter (docs/corpus.md sections 4 and 4.3).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

MAX_SENTENCES = 6
MAX_NAMES = 3


@dataclass(frozen=True)
class Overdue:
    """A required incident past its postmortem deadline."""

    key: str
    days_overdue: int


@dataclass(frozen=True)
class Recurrence:
    """An incident that recurred while a fix of an earlier one was still open."""

    postmortem_id: str
    services: tuple[str, ...]
    causes: tuple[str, ...]


@dataclass(frozen=True)
class Facts:
    overdue_postmortems: Sequence[Overdue] = ()  # a postmortem exists but is not published
    missing_postmortems: Sequence[Overdue] = ()  # no postmortem at all
    overdue_actions: Mapping[str, int] | None = None  # owner team -> overdue actions
    recurrences: Sequence[Recurrence] = ()
    worse_kpis: Sequence[str] = ()


@dataclass(frozen=True)
class Attention:
    """One sentence to write: its kind, how many, and what/where, most important first.

    `names` are postmortem ids, teams, "service × cause" pairs or KPI keys; `counts`
    gives each name's count where that is meaningful (teams, pairs), `days` the age of
    the oldest item (overdue postmortems).
    """

    kind: str
    count: int
    names: tuple[str, ...] = ()
    counts: tuple[int, ...] = ()
    days: int | None = None


def needs_attention(facts: Facts) -> list[Attention]:
    """At most `MAX_SENTENCES` findings in order of urgency; empty when nothing needs attention."""
    found: list[Attention] = []
    if facts.overdue_postmortems:
        oldest = max(facts.overdue_postmortems, key=lambda item: (item.days_overdue, item.key))
        found.append(Attention("overdue_postmortems", len(facts.overdue_postmortems), (oldest.key,),
                               days=oldest.days_overdue))
    teams = {team: n for team, n in (facts.overdue_actions or {}).items() if n > 0}
    if teams:
        ranked = sorted(teams.items(), key=lambda item: (-item[1], item[0]))
        found.append(Attention("overdue_actions", sum(teams.values()), tuple(t for t, _ in ranked),
                               tuple(n for _, n in ranked)))
    if facts.missing_postmortems:
        ranked_missing = sorted(facts.missing_postmortems, key=lambda item: (-item.days_overdue, item.key))
        found.append(Attention("missing_postmortems", len(ranked_missing), tuple(i.key for i in ranked_missing),
                               days=ranked_missing[0].days_overdue))
    if facts.recurrences:
        pairs = Counter(f"{service} × {cause}" for item in facts.recurrences
                        for service in item.services for cause in item.causes)
        ranked_pairs = sorted(pairs.items(), key=lambda item: (-item[1], item[0]))
        found.append(Attention("open_fix", len(facts.recurrences), tuple(p for p, _ in ranked_pairs),
                               tuple(n for _, n in ranked_pairs)))
    found.extend(_worse(facts.worse_kpis, MAX_SENTENCES - len(found)))
    return found


def _worse(kpis: Sequence[str], room: int) -> list[Attention]:
    """One sentence per worse KPI, or all of them in one when there is no room for each."""
    if not kpis or room <= 0:
        return []
    if len(kpis) <= room:
        return [Attention("worse", 1, (kpi,)) for kpi in kpis]
    return [Attention("worse", len(kpis), tuple(kpis))]


def overdue_facts(overdue: pd.DataFrame) -> tuple[list[Overdue], list[Overdue]]:
    """Split the overdue postmortems table (`learning.overdue_postmortems`) into drafts and missing ones."""
    drafts: list[Overdue] = []
    missing: list[Overdue] = []
    for key, postmortem_id, days in zip(overdue["incident_key"], overdue["postmortem_id"], overdue["days_overdue"],
                                        strict=True):
        item = Overdue(str(key), int(days))
        (drafts if isinstance(postmortem_id, str) else missing).append(item)
    return drafts, missing


def recurrence_facts(by_incident: pd.DataFrame) -> list[Recurrence]:
    """The rows of `causes.open_fix_by_incident` as facts for `needs_attention`."""
    return [Recurrence(str(row.postmortem_id), _split(row.service), _split(row.cause))
            for row in by_incident.itertuples(index=False)]


def _split(value: object) -> tuple[str, ...]:
    return tuple(name for name in str(value).split(", ") if name)
