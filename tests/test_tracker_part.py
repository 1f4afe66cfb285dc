"""A reload overlays again only the tracker rows naming the postmortems it deleted or wrote
(`validate.TrackerPart`): the other rows keep the problems the previous load gave them, and
every overlay problem ends up at its row's place, after the problems of parsing."""

from __future__ import annotations

from pmanalytics.corpus.records import CorpusFile, FileResult, Problem
from pmanalytics.ingest.validate import tracker_part

PATH = "actions.csv"
PARSED = [Problem(PATH, 5, "warning", "status 'wip' not understood", "status"),
          Problem(PATH, 9, "error", "action row has no postmortem_id")]
# (line, postmortem id) of the rows that parsing kept: line 9 was rejected
ROWS = [(2, "PM-1"), (3, "PM-2"), (4, "PM-1"), (5, "PM-3"), (6, "PM-2"), (7, "PM-4")]


def overlay_error(line: int, postmortem_id: str) -> Problem:
    return Problem(PATH, line, "error", f"action for postmortem {postmortem_id!r}, which is not in the corpus")


PREVIOUS = [*PARSED, overlay_error(3, "PM-2"), overlay_error(6, "PM-2"), overlay_error(7, "PM-4")]


def parsed_result() -> FileResult:
    file = CorpusFile(PATH, f"/corpus/{PATH}", "export", 100, 0)
    return FileResult(file, "loaded", "sha", problems=list(PARSED), rejected=1)


def test_the_rows_of_other_postmortems_keep_their_problems_in_row_order() -> None:
    part = tracker_part(parsed_result(), ROWS, PREVIOUS, {"PM-1", "PM-2"})
    assert part is not None
    assert part.kept == [overlay_error(7, "PM-4")]  # PM-2's rows are overlaid again
    # the overlay of the rows of PM-1 and PM-2 (lines 2, 3, 4, 6): PM-2 is back, PM-1 went
    part.result.problems += [overlay_error(2, "PM-1"), overlay_error(4, "PM-1")]
    part.result.rejected += 2
    result = part.finish()
    assert result.problems == [*PARSED, overlay_error(2, "PM-1"), overlay_error(4, "PM-1"), overlay_error(7, "PM-4")]
    assert result.rejected == 1 + 2 + 1


def test_nothing_overlaid_again_keeps_every_problem() -> None:
    part = tracker_part(parsed_result(), ROWS, PREVIOUS, set())
    assert part is not None
    assert part.finish().problems == PREVIOUS


def test_rows_without_lines_or_out_of_order_are_overlaid_whole() -> None:
    json_rows = [(None, postmortem_id) for _, postmortem_id in ROWS]
    assert tracker_part(parsed_result(), json_rows, PREVIOUS, {"PM-1"}) is None
    assert tracker_part(parsed_result(), [(3, "PM-1"), (2, "PM-2")], PREVIOUS[:2], {"PM-1"}) is None
    assert tracker_part(parsed_result(), [(2, "PM-1"), (2, "PM-2")], PREVIOUS[:2], {"PM-1"}) is None


def test_previous_problems_that_do_not_fit_the_rows_are_not_trusted() -> None:
    other_parse = [Problem(PATH, 5, "warning", "another warning", "status"), *PREVIOUS[1:]]
    assert tracker_part(parsed_result(), ROWS, other_parse, {"PM-1"}) is None
    at_no_row = [*PARSED, overlay_error(8, "PM-9")]
    assert tracker_part(parsed_result(), ROWS, at_no_row, {"PM-1"}) is None
