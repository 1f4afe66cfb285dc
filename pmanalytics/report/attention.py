"""What needs attention: the few findings a reader must act on, most urgent first, as data.

`needs_attention` chooses and orders them from plain facts (so it can be tested on a
handful of hand-written values); the page turns each `Attention` into a sentence of the
report's language. The order is fixed by urgency: postmortems past their deadline, then
overdue corrective actions, required incidents with no postmortem at all, incidents that
recurred while an earlier fix was still open, and last every KPI judged worse than the
previous quarter (docs/corpus.md sections 4 and 4.3).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

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


def open_fix_by_incident(open_fix: pd.DataFrame, pairs: pd.DataFrame, actions: pd.DataFrame,
                         as_of_date: dt.date) -> pd.DataFrame:
    """One row per incident that recurred with a fix still open (docs/corpus.md section 4, item 5).

    `open_fix` is `causes.recurred_with_open_fix` (one row per action open when the incident
    started), `pairs` is `causes.recurring_pairs` (what each earlier/later pair shares),
    `actions` holds postmortem_id, action_id, status and closed_date of those actions.
    An action is still open at `as_of_date` unless it is cancelled, or done and closed by then
    (or done without a closed date). Columns: postmortem_id, service, cause,
    earlier_postmortem_id, open_then, open_now; the most still-open first.
    """
    columns = ["postmortem_id", "service", "cause", "earlier_postmortem_id", "open_then", "open_now"]
    if open_fix.empty:
        return pd.DataFrame(columns=columns)
    fixes = open_fix[["postmortem_id", "earlier_postmortem_id", "action_id"]].drop_duplicates()
    state = actions.rename(columns={"postmortem_id": "earlier_postmortem_id"})
    fixes = fixes.merge(state[["earlier_postmortem_id", "action_id", "status", "closed_date"]],
                        on=["earlier_postmortem_id", "action_id"], how="left")
    fixes["still_open"] = [_still_open(status, closed, as_of_date)
                           for status, closed in zip(fixes["status"], fixes["closed_date"], strict=True)]
    shared = pairs.merge(fixes[["postmortem_id", "earlier_postmortem_id"]].drop_duplicates(),
                         on=["postmortem_id", "earlier_postmortem_id"])
    rows = []
    for key, group in fixes.groupby("postmortem_id", sort=False):
        mine = shared[shared["postmortem_id"] == key]
        rows.append({
            "postmortem_id": key,
            "service": _joined(mine["service_names"]),
            "cause": _joined(mine["categories"]),
            "earlier_postmortem_id": ", ".join(dict.fromkeys(group["earlier_postmortem_id"])),
            "open_then": len(group),
            "open_now": int(group["still_open"].sum()),
        })
    table = pd.DataFrame(rows, columns=columns)
    return table.sort_values(["open_now", "open_then", "postmortem_id"], ascending=[False, False, True],
                             ignore_index=True)


def _still_open(status: object, closed: Any, as_of_date: dt.date) -> bool:
    if status == "cancelled":
        return False
    if status == "done":
        return not (closed is None or pd.isna(closed) or pd.Timestamp(closed).date() <= as_of_date)
    return True


def _joined(values: pd.Series) -> str:
    """"a, b" strings of several rows as one list, each name once, in first-seen order."""
    names: dict[str, None] = {}
    for value in values:
        for name in str(value).split(", "):
            if name:
                names[name] = None
    return ", ".join(names)


def recurrence_facts(by_incident: pd.DataFrame) -> list[Recurrence]:
    """The rows of `open_fix_by_incident` as facts for `needs_attention`."""
    return [Recurrence(str(row.postmortem_id), _split(row.service), _split(row.cause))
            for row in by_incident.itertuples(index=False)]


def _split(value: object) -> tuple[str, ...]:
    return tuple(name for name in str(value).split(", ") if name)
