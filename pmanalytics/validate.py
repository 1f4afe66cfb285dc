"""Stage 3: the rules that look across files (contract sections 2 and 5).

- Duplicate ids: the first postmortem in path order is kept, the others rejected.
- The tracker overlay: `actions.*` rows update the status and closed date of the
  matching Markdown action, or add actions.
- Incidents: one row per incident id, first in path order.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from pmanalytics.records import Action, FileResult, Incident, Postmortem, Problem


@dataclass
class ValidCorpus:
    """What will be stored: every loaded record, every problem, every file's outcome."""

    results: list[FileResult]
    postmortems: list[Postmortem] = field(default_factory=list)
    incidents: list[Incident] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def loaded(self) -> int:
        return len(self.postmortems)

    @property
    def rejected(self) -> int:
        return sum(r.rejected for r in self.results)

    @property
    def skipped(self) -> int:
        return sum(1 for r in self.results if r.outcome == "skipped")

    @property
    def warnings(self) -> int:
        return sum(1 for p in self.problems if p.level == "warning")

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "error"]


def validate(results: list[FileResult]) -> ValidCorpus:
    """Apply the cross-file rules; `results` must be in path order."""
    corpus = ValidCorpus(results)
    corpus.postmortems = _unique_postmortems(results)
    by_id = {pm.postmortem_id: pm for pm in corpus.postmortems}
    _overlay_tracker(results, by_id)
    corpus.incidents = _unique_incidents(results)
    corpus.problems = [p for r in results for p in r.problems]
    return corpus


def _unique_postmortems(results: list[FileResult]) -> list[Postmortem]:
    first_path: dict[str, str] = {}
    kept: list[Postmortem] = []
    for result in results:
        for pm in list(result.postmortems):
            if pm.postmortem_id not in first_path:
                first_path[pm.postmortem_id] = _where(pm.source_path, pm.source_line, pm.source_format)
                kept.append(pm)
                continue
            reason = (
                f"duplicate id {pm.postmortem_id!r}: already used by {first_path[pm.postmortem_id]} "
                "(give this postmortem its own id)"
            )
            _reject_postmortem(result, pm, reason)
    return kept


def _where(path: str, line: int | None, source_format: str) -> str:
    return path if source_format == "markdown" or line is None else f"{path}:{line}"


def _reject_postmortem(result: FileResult, pm: Postmortem, reason: str) -> None:
    result.postmortems.remove(pm)
    result.rejected += 1
    error = Problem(result.file.path, pm.source_line, "error", reason)
    if result.file.kind == "postmortem":
        result.outcome = "rejected"
        result.problems = [error]
    else:
        line = pm.source_line
        result.problems = [p for p in result.problems if p.line != line] + [error]


def _overlay_tracker(results: list[FileResult], by_id: dict[str, Postmortem]) -> None:
    index: dict[tuple[str, str], list[Action]] = defaultdict(list)
    for pm in by_id.values():
        for action in pm.actions:
            index[(pm.postmortem_id, action.action_id)].append(action)
    for result in results:
        kept: list[Action] = []
        for row in result.actions:
            pm = by_id.get(row.postmortem_id)
            if pm is None:
                _reject_row(result, row.source_line,
                            f"action for postmortem {row.postmortem_id!r}, which is not in the corpus "
                            "(fix postmortem_id)")
                continue
            matches = index.get((row.postmortem_id, row.action_id)) if row.action_id else None
            if matches:
                for action in matches:
                    _update(action, row)
                continue
            if not row.description:
                _reject_row(result, row.source_line,
                            f"action {row.action_id or '(no id)'} matches no action of "
                            f"{row.postmortem_id!r} and has no Action text to add it")
                continue
            row.action_id = row.action_id or f"{pm.postmortem_id}#{len(pm.actions) + 1}"
            pm.actions.append(row)
            index[(pm.postmortem_id, row.action_id)].append(row)
            kept.append(row)
        result.actions = kept


def _update(action: Action, row: Action) -> None:
    """The tracker is the source of truth for progress: its status and closed date win."""
    if row.status_as_written:
        action.status = row.status
        action.status_as_written = row.status_as_written
        action.closed_date = row.closed_date
    elif row.closed_date is not None:
        action.closed_date = row.closed_date
    action.is_tracker_updated = True


def _reject_row(result: FileResult, line: int | None, reason: str) -> None:
    result.rejected += 1
    result.problems.append(Problem(result.file.path, line, "error", reason))


def _unique_incidents(results: list[FileResult]) -> list[Incident]:
    seen: dict[str, Incident] = {}
    for result in results:
        for incident in result.incidents:
            first = seen.get(incident.incident_id)
            if first is None:
                seen[incident.incident_id] = incident
                continue
            _reject_row(result, incident.source_line,
                        f"duplicate incident id {incident.incident_id!r}: already used by "
                        f"{first.source_path}:{first.source_line}")
    return list(seen.values())
