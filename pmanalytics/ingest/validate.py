"""Stage 3: the rules that look across files (docs/corpus.md sections 2 and 5).

- Duplicate ids: the first postmortem in path order is kept, the others rejected.
- The tracker overlay: `actions.*` rows update the status and closed date of the
  matching Markdown action, or add actions.
- Incidents: one row per incident id, the first in path order, then row order.

The first rule only looks backwards in path order, so :class:`Validator` applies it as
results arrive, and a result is final once added: a load streams 100,000 files through
it and stores each batch right away. The overlay needs every postmortem, so it runs at
the end, on the actions of the postmortems the tracker names, read back from the
database being built; only the tracker results wait for it. Its verdict on a row depends
on the row's postmortem alone, so a reload overlays again only the rows naming the
postmortems it deleted or wrote (see :class:`TrackerPart`). The incident rule runs on
the stored rows too, once every export is in (`store.Build.reject_duplicate_incidents`
finds the later rows of each id, `duplicate_incident_problems` says why each goes): an
`incidents.*` export of any size then costs the load no memory per row.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence, Set
from dataclasses import dataclass, field
from typing import NamedTuple

from pmanalytics.corpus.records import Action, FileResult, Postmortem, PostmortemRef, Problem

AnyPostmortem = Postmortem | PostmortemRef


@dataclass
class TrackedActions:
    """What the tracker overlay needs of the actions of one kept postmortem that rows name."""

    count: int  # how many it has: a row added to it takes the next number
    by_id: dict[str, list[Action]] = field(default_factory=dict)  # those that rows may name, by id
    added: list[Action] = field(default_factory=list)  # the rows added to it, in order


class Validator:
    """The cross-file rules over results fed in path order (see the module docstring).

    After `add`, a result holds only its kept postmortems (records or references alike),
    and its final problems and outcome, unless it has tracker rows: those are in
    `trackers` until `overlay_tracker`. (Incident rows are checked once stored: see the
    module docstring.)
    """

    def __init__(self) -> None:
        self.trackers: list[FileResult] = []
        self._first_path: dict[str, str] = {}

    def add(self, result: FileResult) -> None:
        """Take the next result in path order."""
        self._unique_postmortems(result)
        if result.actions:
            self.trackers.append(result)

    @staticmethod
    def is_final(result: FileResult) -> bool:
        """Whether an added result is done with; one with tracker rows waits for the overlay."""
        return not result.actions

    @property
    def tracker_ids(self) -> set[str]:
        """The postmortem ids that `actions.*` rows name."""
        return {row.postmortem_id for result in self.trackers for row in result.actions}

    def overlay_tracker(self, tracked: Mapping[str, TrackedActions]) -> None:
        """Apply the `actions.*` rows to the actions of each kept postmortem they name.

        `tracked` maps the id of every kept postmortem that the rows name (others may be
        present) to its actions: those the rows match are updated in place, the rows
        added are appended to `added`.
        """
        _overlay_tracker(self.trackers, tracked)

    def _unique_postmortems(self, result: FileResult) -> None:
        for pm in list(result.postmortems):
            first = self._first_path.get(pm.postmortem_id)
            if first is None:
                self._first_path[pm.postmortem_id] = _where(pm.source_path, pm.source_line, pm.source_format)
                continue
            reason = (
                f"duplicate id {pm.postmortem_id!r}: already used by {first} "
                "(give this postmortem its own id)"
            )
            _reject_postmortem(result, pm, reason)


@dataclass
class TrackerPart:
    """A tracker export of which a reload overlays again only the rows naming some postmortems.

    The overlay decides on a row from its postmortem alone: whether it is kept, its actions,
    and the rows before it that name it. The rows naming a postmortem that the reload
    neither deleted nor wrote get the verdicts of the previous load, and their problems
    are kept as it wrote them; `finish` puts them back, in row order, among those of the
    rows overlaid again. Only for an export whose rows each have a line of their own, in
    row order (CSV, NDJSON): a row then has at most one overlay problem, at its line.
    """

    result: FileResult  # the export's parse problems, and its rows naming the postmortems overlaid again
    parse_problems: int  # how many problems of `result` its parsing gave: the overlay's come after them
    kept: list[Problem]  # the previous overlay's problems on the rows naming the other postmortems

    def finish(self) -> FileResult:
        """The result with every overlay problem, the kept and the new, in row order (after the overlay)."""
        problems = self.result.problems
        overlaid = sorted(self.kept + problems[self.parse_problems:], key=_line)
        self.result.problems = problems[: self.parse_problems] + overlaid
        self.result.rejected += len(self.kept)
        return self.result


def tracker_part(
    result: FileResult, rows: Sequence[tuple[int | None, str]], previous: list[Problem], postmortem_ids: Set[str]
) -> TrackerPart | None:
    """The part of a tracker export to overlay again for `postmortem_ids` (see :class:`TrackerPart`).

    `result` is the export as parsed, with only its rows naming `postmortem_ids`; `rows`
    holds (line, postmortem id) of each of its rows, in row order; `previous` is every
    problem the previous load gave the export, in order. None when those problems cannot
    be told apart by row (rows without lines: a JSON array): the whole tracker is then
    overlaid again.
    """
    lines = [line for line, _ in rows if line is not None]
    if len(lines) < len(rows) or lines != sorted(set(lines)):  # each row at a line of its own, in order
        return None
    named = dict(rows)
    count = len(result.problems)
    overlaid = previous[count:]
    if previous[:count] != result.problems or any(p.line not in named for p in overlaid):
        return None
    kept = [p for p in overlaid if named[p.line] not in postmortem_ids]
    return TrackerPart(result, count, kept)


def _line(problem: Problem) -> int:
    return problem.line or 0


class LaterIncident(NamedTuple):
    """An `incidents.*` row whose id an earlier row has (in path order, then row order), and where that one is."""

    incident_id: str
    source_path: str
    source_line: int | None  # None: an item of a JSON array
    first_path: str
    first_line: int | None


def duplicate_incident_problems(rows: Iterable[LaterIncident]) -> list[Problem]:
    """The error of each incident row rejected for its id (docs/corpus.md section 2): the first row is kept."""
    return [
        Problem(row.source_path, row.source_line, "error",
                f"duplicate incident id {row.incident_id!r}: already used by {row.first_path}:{row.first_line}")
        for row in rows
    ]


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


def _overlay_tracker(results: list[FileResult], tracked: Mapping[str, TrackedActions]) -> None:
    for result in results:
        kept: list[Action] = []
        for row in result.actions:
            actions = tracked.get(row.postmortem_id)
            if actions is None:
                _reject_row(result, row.source_line,
                            f"action for postmortem {row.postmortem_id!r}, which is not in the corpus "
                            "(fix postmortem_id)")
                continue
            matches = actions.by_id.get(row.action_id) if row.action_id else None
            if matches:
                for action in matches:
                    _update(action, row)
                continue
            if not row.description:
                _reject_row(result, row.source_line,
                            f"action {row.action_id or '(no id)'} matches no action of "
                            f"{row.postmortem_id!r} and has no Action text to add it")
                continue
            actions.count += 1
            row.action_id = row.action_id or f"{row.postmortem_id}#{actions.count}"
            actions.added.append(row)
            actions.by_id.setdefault(row.action_id, []).append(row)
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
