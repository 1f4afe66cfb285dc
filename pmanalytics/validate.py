"""Stage 3: the rules that look across files (contract sections 2 and 5).

- Duplicate ids: the first postmortem in path order is kept, the others rejected.
- The tracker overlay: `actions.*` rows update the status and closed date of the
  matching Markdown action, or add actions.
- Incidents: one row per incident id, first in path order.

The first and last rules only look backwards in path order, so :class:`Validator`
applies them as results arrive: a load streams 100,000 files through it without
holding their content. The overlay needs every postmortem, so it runs at the end, on
the actions of the postmortems the tracker names, wherever they are held (in memory
for `check`, in the database being built for `load`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from pmanalytics.records import Action, FileResult, Incident, Postmortem, PostmortemRef, Problem

AnyPostmortem = Postmortem | PostmortemRef


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
    """Apply the cross-file rules to fully parsed results; `results` must be in path order."""
    validator = Validator()
    for result in results:
        validator.add(result)
    kept = [pm for pm in validator.kept if isinstance(pm, Postmortem)]
    validator.overlay_tracker({pm.postmortem_id: pm.actions for pm in kept})
    return ValidCorpus(results, kept, validator.incidents, [p for r in results for p in r.problems])


class Validator:
    """The cross-file rules over results fed in path order (see the module docstring)."""

    def __init__(self) -> None:
        self.results: list[FileResult] = []
        self.kept: list[AnyPostmortem] = []
        self.incidents: list[Incident] = []
        self._first_path: dict[str, str] = {}
        self._first_incident: dict[str, Incident] = {}

    def add(self, result: FileResult) -> list[AnyPostmortem]:
        """Take the next result in path order; returns its postmortems rejected as duplicates."""
        self.results.append(result)
        rejected = self._unique_postmortems(result)
        self._unique_incidents(result)
        return rejected

    @property
    def tracker_ids(self) -> set[str]:
        """The postmortem ids that `actions.*` rows name."""
        return {row.postmortem_id for result in self.results for row in result.actions}

    def overlay_tracker(self, actions_by_postmortem: Mapping[str, list[Action]]) -> None:
        """Apply the `actions.*` rows to the actions of each kept postmortem they name.

        `actions_by_postmortem` maps the id of every kept postmortem that the rows name
        (others may be present) to its actions; those lists are updated in place.
        """
        _overlay_tracker(self.results, actions_by_postmortem)

    @property
    def problems(self) -> Iterable[Problem]:
        return (p for r in self.results for p in r.problems)

    def _unique_postmortems(self, result: FileResult) -> list[AnyPostmortem]:
        rejected = []
        for pm in list(result.postmortems):
            first = self._first_path.get(pm.postmortem_id)
            if first is None:
                self._first_path[pm.postmortem_id] = _where(pm.source_path, pm.source_line, pm.source_format)
                self.kept.append(pm)
                continue
            reason = (
                f"duplicate id {pm.postmortem_id!r}: already used by {first} "
                "(give this postmortem its own id)"
            )
            _reject_postmortem(result, pm, reason)
            rejected.append(pm)
        return rejected

    def _unique_incidents(self, result: FileResult) -> None:
        for incident in result.incidents:
            first = self._first_incident.get(incident.incident_id)
            if first is None:
                self._first_incident[incident.incident_id] = incident
                self.incidents.append(incident)
                continue
            _reject_row(result, incident.source_line,
                        f"duplicate incident id {incident.incident_id!r}: already used by "
                        f"{first.source_path}:{first.source_line}")


def _where(path: str, line: int | None, source_format: str) -> str:
    return path if source_format == "markdown" or line is None else f"{path}:{line}"


def _reject_postmortem(result: FileResult, pm: AnyPostmortem, reason: str) -> None:
    result.postmortems.remove(pm)
    result.rejected += 1
    error = Problem(result.file.path, pm.source_line, "error", reason)
    if result.file.kind == "postmortem":
        result.outcome = "rejected"
        result.problems = [error]
    else:
        line = pm.source_line
        result.problems = [p for p in result.problems if p.line != line] + [error]


def _overlay_tracker(results: list[FileResult], actions_by_postmortem: Mapping[str, list[Action]]) -> None:
    index: dict[tuple[str, str], list[Action]] = defaultdict(list)
    for postmortem_id, actions in actions_by_postmortem.items():
        for action in actions:
            index[(postmortem_id, action.action_id)].append(action)
    for result in results:
        kept: list[Action] = []
        for row in result.actions:
            actions = actions_by_postmortem.get(row.postmortem_id)
            if actions is None:
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
            row.action_id = row.action_id or f"{row.postmortem_id}#{len(actions) + 1}"
            actions.append(row)
            index[(row.postmortem_id, row.action_id)].append(row)
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
