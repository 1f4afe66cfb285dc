"""The one Markdown line scanner: every line's kind, number, indent, marker and content."""

from __future__ import annotations

import pytest

from pmanalytics.corpus.markdown import (
    BLANK,
    CODE,
    FENCE,
    HEADING,
    ITEM,
    QUOTE,
    ROW,
    RULE,
    SEPARATOR,
    TEXT,
    cell_spans,
    cells,
    classify,
    scan,
    task,
)


def kinds(text: str) -> list[tuple[int, str]]:
    return [(line[0], line[5]) for line in scan(text)]


# --- fences --------------------------------------------------------------------------------


def test_backtick_and_tilde_fences_hide_headings_and_items():
    text = "```bash\n## a shell comment\n- not an item\n```\n~~~\n## nor this\n~~~\n## Heading"
    assert kinds(text) == [
        (FENCE, "bash"),
        (CODE, "## a shell comment"),
        (CODE, "- not an item"),
        (FENCE, ""),
        (FENCE, ""),
        (CODE, "## nor this"),
        (FENCE, ""),
        (HEADING, "Heading"),
    ]


def test_a_fence_closes_only_with_the_same_character_at_least_as_long():
    text = "````\n```\n~~~~\n`````\n## after"
    assert kinds(text) == [(FENCE, ""), (CODE, "```"), (CODE, "~~~~"), (FENCE, ""), (HEADING, "after")]


def test_a_closing_fence_has_nothing_after_it():
    text = "```\n``` python\n   ```\nafter"
    assert [line[0] for line in scan(text)] == [FENCE, CODE, FENCE, TEXT]


def test_an_unclosed_fence_runs_to_the_end():
    assert kinds("text\n~~~\n## Timeline\n- 09:12 event") == [
        (TEXT, "text"), (FENCE, ""), (CODE, "## Timeline"), (CODE, "- 09:12 event"),
    ]


def test_a_fence_indented_four_spaces_or_by_a_tab_is_text():
    assert kinds("   ```\nin\n   ```") == [(FENCE, ""), (CODE, "in"), (FENCE, "")]
    assert [line[0] for line in scan("    ```\n\t```\n## h")] == [TEXT, TEXT, HEADING]


def test_lines_inside_a_fence_keep_their_text_and_number():
    assert scan("```\n  - x\n```", 10) == [
        (FENCE, 10, "```", 0, "```", ""),
        (CODE, 11, "  - x", 0, "", "  - x"),
        (FENCE, 12, "```", 0, "```", ""),
    ]


# --- headings --------------------------------------------------------------------------------


def test_heading_levels():
    assert [(line[0], line[4], line[5]) for line in scan("# One\n## Two\n### Three\n###### Six\n####### Seven")] == [
        (HEADING, "#", "One"),
        (HEADING, "##", "Two"),
        (HEADING, "###", "Three"),
        (HEADING, "######", "Six"),
        (TEXT, "", "####### Seven"),
    ]


def test_a_heading_needs_a_space_and_at_most_three_spaces_before_it():
    assert scan("#hashtag\n##\n   ## Indented\n    ## Code-like") == [
        (TEXT, 1, "#hashtag", 0, "", "#hashtag"),
        (TEXT, 2, "##", 0, "", "##"),
        (HEADING, 3, "   ## Indented", 3, "##", "Indented"),
        (TEXT, 4, "    ## Code-like", 4, "", "## Code-like"),
    ]


def test_heading_text_keeps_its_closing_hashes_for_the_reader_to_drop():
    assert scan("##   Timeline ##") == [(HEADING, 1, "##   Timeline ##", 0, "##", "Timeline ##")]


# --- list items ----------------------------------------------------------------------------------


def test_every_list_marker():
    text = "- dash\n* star\n+ plus\n1. dot\n12) paren\n123456789. nine digits\n1234567890. ten digits"
    assert [(line[0], line[4], line[5]) for line in scan(text)] == [
        (ITEM, "-", "dash"),
        (ITEM, "*", "star"),
        (ITEM, "+", "plus"),
        (ITEM, "1.", "dot"),
        (ITEM, "12)", "paren"),
        (ITEM, "123456789.", "nine digits"),
        (TEXT, "", "1234567890. ten digits"),
    ]


def test_nested_items_give_their_indent():
    text = "- top\n  - two spaces\n    * four spaces\n\t+ a tab\n   3. three"
    assert [(line[0], line[3], line[4], line[5]) for line in scan(text)] == [
        (ITEM, 0, "-", "top"),
        (ITEM, 2, "-", "two spaces"),
        (ITEM, 4, "*", "four spaces"),
        (ITEM, 1, "+", "a tab"),
        (ITEM, 3, "3.", "three"),
    ]


def test_a_marker_needs_whitespace_after_it():
    assert kinds("-\n- \n-x\n**bold**\n1.5 GB\n2026-03-04 09:12 deploy") == [
        (TEXT, "-"), (ITEM, ""), (TEXT, "-x"), (TEXT, "**bold**"), (TEXT, "1.5 GB"), (TEXT, "2026-03-04 09:12 deploy"),
    ]


def test_item_text_starts_after_all_the_whitespace_after_the_marker():
    assert scan("-   spaced  ") == [(ITEM, 1, "-   spaced  ", 0, "-", "spaced  ")]


def test_thematic_breaks_are_rules_not_items():
    assert [line[0] for line in scan("---\n- - -\n* * *\n___\n  -- --\n- -")] == [RULE, RULE, RULE, RULE, RULE, ITEM]


def test_checkboxes():
    assert task("[x] done") == (True, "done")
    assert task("[X]  done") == (True, "done")
    assert task("[ ] open") == (False, "open")
    assert task("[x]") == (None, "[x]")
    assert task("[y] other") == (None, "[y] other")
    assert task("plain") == (None, "plain")


# --- tables ---------------------------------------------------------------------------------------


def test_rows_with_and_without_outer_pipes():
    text = "| Action | Status |\n| Fix it | done\n  | indented | row |\nAction | Status"
    assert [(line[0], line[3], line[5]) for line in scan(text)] == [
        (ROW, 0, "| Action | Status |"),
        (ROW, 0, "| Fix it | done"),
        (ROW, 2, "| indented | row |"),
        (TEXT, 0, "Action | Status"),  # the loader reads only rows that start with a pipe
    ]
    assert cells("| Action | Status |") == ["Action", "Status"]
    assert cells("| Fix it | done") == ["Fix it", "done"]
    assert cells("|a||b|") == ["a", "", "b"]


def test_separator_rows_with_colons():
    text = "|---|---|\n| :--- | ---: |\n|:-:|\n|-\n| --- | |\n| - - | x |\n|"
    assert [line[0] for line in scan(text)] == [SEPARATOR, SEPARATOR, SEPARATOR, SEPARATOR, ROW, ROW, ROW]


def test_an_escaped_pipe_stays_in_its_cell():
    assert cells(r"| a \| b | c \|") == ["a | b", "c |"]
    row = r"| a \| b | c |"
    assert [row[start:end] for start, end in cell_spans(row)] == [r" a \| b ", " c "]


# --- quotes and text ------------------------------------------------------------------------------


def test_quotes_keep_the_quoted_line_for_classify():
    assert scan("> > - quoted item\n  >text") == [
        (QUOTE, 1, "> > - quoted item", 0, "> > ", "- quoted item"),
        (QUOTE, 2, "  >text", 2, ">", "text"),
    ]
    assert classify("- quoted item") == (ITEM, 0, "-", "quoted item")


def test_blank_and_text_lines():
    assert scan("Plain text\n  indented text\n \t \nÉté") == [
        (TEXT, 1, "Plain text", 0, "", "Plain text"),
        (TEXT, 2, "  indented text", 2, "", "indented text"),
        (BLANK, 3, " \t ", 0, "", ""),
        (TEXT, 4, "Été", 0, "", "Été"),
    ]


# --- numbering and line endings ------------------------------------------------------------------


def test_numbers_count_from_the_first_line_after_the_front_matter():
    assert [(line[0], line[1]) for line in scan("## Timeline\n\n- 09:12 x", 9)] == [
        (HEADING, 9), (BLANK, 10), (ITEM, 11),
    ]


def test_crlf_line_endings_are_not_part_of_the_line():
    assert scan("## Timeline\r\n- 09:12 x\r\n```\r\n## code\r\n```\r\n") == [
        (HEADING, 1, "## Timeline", 0, "##", "Timeline"),
        (ITEM, 2, "- 09:12 x", 0, "-", "09:12 x"),
        (FENCE, 3, "```", 0, "```", ""),
        (CODE, 4, "## code", 0, "", "## code"),
        (FENCE, 5, "```", 0, "```", ""),
        (BLANK, 6, "", 0, "", ""),
    ]


def test_empty_text_is_one_blank_line():
    assert scan("") == [(BLANK, 1, "", 0, "", "")]
    assert scan("", 7) == [(BLANK, 7, "", 0, "", "")]


# --- the shortcuts of `scan` agree with `classify` --------------------------------------------------

LINES = [
    "- item", "- - -", "- -x", "-  two spaces", "- ", "-\tx", "| a | b |", "|---|", "| --- |", "| :-: |", "|  a |",
    "|", "|a", "## Two", "###### Six", "####### Seven", "#", "# ", "#x", "## ", "text", "", " ", "1. one", "> q",
]


@pytest.mark.parametrize("line", LINES)
def test_scan_classifies_a_line_as_classify_does(line):
    kind, number, written, indent, marker, content = scan(line)[0]
    assert (number, written) == (1, line)
    assert (kind, indent, marker, content) == classify(line)
    assert line.endswith(content)
