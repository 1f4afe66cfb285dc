"""Build the hostile corpus: every kind of file a real postmortem folder ends up holding.

`build_hostile_corpus(folder)` copies the small files of `tests/data/hostile/` into
`folder` and generates the others there (large files, exact bytes, links, a named pipe,
names git cannot hold), then returns {path: expected outcome}:

- "loaded": loads (its postmortems are in the database),
- "rejected: <fragment>": rejected, the one-line reason contains the fragment,
- "skipped": counted as skipped (README, templates, hidden and `_` folders),
- "read": an export, read row by row (its rows load or are rejected one by one),
- "ignored": never seen (not a corpus file, or only reachable through a link).

Paths are the ones pmanalytics reports: POSIX, relative to `folder`, bytes that are not
UTF-8 written `\\xff`. The file a link points outside to is written beside `folder`, in
`<folder>.outside/`.

Run it as a script to look at the corpus: `python tests/hostile_corpus.py /tmp/hostile`.
"""

from __future__ import annotations

import os
import random
import shutil
import sys
from pathlib import Path

DATA = Path(__file__).parent / "data" / "hostile"

HEADER = """---
id: {id}
title: {title}
severity: S3
started_at: 2026-02-10T09:00:00Z
resolved_at: 2026-02-10T10:00:00Z
{extra}---
"""

# outcomes of the committed files of tests/data/hostile
COMMITTED = {
    "README.md": "skipped",
    "_template.md": "skipped",
    "good.md": "loaded",
    "alias_bomb.md": "rejected: front matter too complex (YAML aliases expand to more than 100,000 values",
    "alias_cycle.md": "rejected: front matter too complex (YAML aliases expand to more than 50 levels of nesting",
    "python_tag_name.md": "rejected: front matter uses the YAML tag '!!python/name:os.system', which pmanalytics "
                          "never runs or builds",
    "never_closed.md": "rejected: front matter never closed",
    "year_1628.md": "loaded",
    "year_9999.md": "loaded",
    "year_9999_utc_overflow.md": "rejected: started_at: '9999-12-31T23:00:00-05:00' is out of range",
    "negative_durations.md": "loaded",
    "html_script.md": "loaded",
    "postmortems.csv": "read",
    "shared_id.md": "rejected: duplicate id 'HOST-SHARED': already used by postmortems.csv:2",
}

ACTION_ROWS = 100_000
HUGE_BYTES = 20_000_000
PWNED = "pwned-by-yaml"  # a file the python tag would create, were it ever constructed


def header(postmortem_id: str, title: str = "Hostile case", extra: str = "") -> str:
    return HEADER.format(id=postmortem_id, title=title, extra=extra)


def build_hostile_corpus(folder: Path) -> dict[str, str]:
    """Write the hostile corpus into `folder` (created); {path: expected outcome}."""
    folder = folder.absolute()
    folder.mkdir(parents=True, exist_ok=True)
    expected = dict(COMMITTED)
    for name in COMMITTED:
        shutil.copyfile(DATA / name, folder / name)

    def write(path: str, data: bytes | str, outcome: str) -> Path:
        target = folder / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
        expected[path] = outcome
        return target

    # --- encodings and bytes --------------------------------------------------------------
    noise = random.Random(1628).randbytes(4096)
    write("binary.md", b"\x89PNG\r\n\x1a\n\x00\x00" + noise, "rejected: binary data, not a text file")
    write("empty.md", b"", "rejected: no front matter")
    write("latin1.md", header("HOST-LATIN1", "Incident réseau à Orléans").encode("latin-1"),
          "rejected: not UTF-8 text")
    write("utf16.md", header("HOST-UTF16").encode("utf-16"), "rejected: UTF-16 text: save the file as UTF-8")
    write("utf16_no_bom.md", header("HOST-UTF16-NOBOM").encode("utf-16-le"),
          "rejected: UTF-16 text: save the file as UTF-8")
    crlf = header("HOST-CRLF-BOM", "CRLF line ends and a byte-order mark") + "\n## Timeline\n- 09:00 — starts\n"
    write("crlf_bom.md", b"\xef\xbb\xbf" + crlf.replace("\n", "\r\n").encode("utf-8"), "loaded")

    # --- sizes ----------------------------------------------------------------------------
    line = "An attachment pasted into the postmortem as text. " * 20 + "\n"
    write("huge_20mb.md", header("HOST-HUGE") + "\n## Context\n" + line * (HUGE_BYTES // len(line) + 1),
          "rejected: is over the 10 MB limit")
    long_text = "x" * 1_100_000
    write("front_matter_1mb.md", header("HOST-FM-1MB", extra=f"notes: {long_text}\n"),
          "rejected: front matter larger than 1 MB")
    rows = "".join(f"| BIG-{n} | Action number {n} | sre | 2026-03-01 | {'done' if n % 2 else 'open'} |\n"
                   for n in range(1, ACTION_ROWS + 1))
    write("actions_100k.md", header("HOST-100K", "A 100,000-row action table")
          + "\n## Corrective actions\n| ID | Action | Owner | Due | Status |\n|---|---|---|---|---|\n" + rows,
          "loaded")

    # --- YAML -----------------------------------------------------------------------------
    marker = folder.parent / PWNED
    hook = f"hook: !!python/object/apply:os.system [\"touch '{marker}'\"]\n"
    write("python_tag.md", header("HOST-PYTHON", extra=hook),
          "rejected: front matter uses the YAML tag '!!python/object/apply:os.system', which pmanalytics never "
          "runs or builds")
    big = "lol " * 25_000
    write("alias_text_bomb.md",
          header("HOST-TEXT-BOMB", extra=f"a: &a \"{big}\"\nb: [{', '.join(['*a'] * 30)}]\n"),
          "rejected: front matter too complex (YAML aliases expand to more than 2,000,000 characters of text")
    write("deep_nesting.md", header("HOST-DEEP", extra="x: " + "[" * 5000 + "]" * 5000 + "\n"),
          "rejected: front matter nested too deeply")
    nested = "".join("  " * level + f"k{level}:\n" for level in range(60)) + "  " * 60 + "leaf\n"
    write("deep_nesting_60.md", header("HOST-DEEP-60", extra=nested),
          "rejected: front matter nested too deeply")

    # --- names ----------------------------------------------------------------------------
    write("names/with space.md", header("HOST-SPACE"), "loaded")
    write("names/new\nline.md", header("HOST-NEWLINE", extra="detected_at: soon\n"), "loaded")
    write("names/café-事故.md", header("HOST-UNICODE", "Incident à 東京"), "loaded")
    raw_name = os.path.join(os.fsencode(folder), b"names", b"bad-\xff.md")
    with open(raw_name, "wb") as handle:
        handle.write(header("HOST-NOT-UTF8-NAME").encode("utf-8"))
    expected["names/bad-\\xff.md"] = "loaded"

    # --- links, pipes, permissions --------------------------------------------------------
    outside = folder.parent / f"{folder.name}.outside"
    outside.mkdir(exist_ok=True)
    (outside / "secret.md").write_text(header("HOST-OUTSIDE"), encoding="utf-8")
    links = folder / "links"
    links.mkdir()
    os.symlink("loop_b.md", links / "loop_a.md")
    os.symlink("loop_a.md", links / "loop_b.md")
    expected["links/loop_a.md"] = expected["links/loop_b.md"] = "rejected: symbolic link loop"
    os.symlink(outside / "secret.md", links / "outside.md")
    expected["links/outside.md"] = "rejected: symbolic link to a file outside the corpus"
    os.symlink(outside, links / "outside_folder")
    expected["links/outside_folder/secret.md"] = "ignored"
    os.symlink("..", links / "up")
    expected["links/up/good.md"] = "ignored"
    os.symlink("nowhere.md", links / "broken.md")
    expected["links/broken.md"] = "rejected: symbolic link to a file that does not exist"
    os.mkfifo(folder / "named_pipe.md")
    expected["named_pipe.md"] = "rejected: not a regular file but a named pipe"
    if os.geteuid() != 0:  # root reads a file whatever its mode (see test_hostile.py)
        write("unreadable.md", header("HOST-UNREADABLE"), "rejected: cannot be read")
        (folder / "unreadable.md").chmod(0)

    # --- skipped and ignored --------------------------------------------------------------
    write(".hidden/secret.md", header("HOST-HIDDEN"), "skipped")
    write("_drafts/draft.md", "not even front matter", "skipped")
    write("notes.txt", "not a postmortem", "ignored")
    write("attachments/diagram.png", noise, "ignored")

    # --- exports --------------------------------------------------------------------------
    deep_json = '{"id": "INC-DEEP", "title": ' + "[" * 100_000 + "]" * 100_000 + "}"
    write("incidents.ndjson",
          '{"id": "INC-1", "title": "<script>alert(1)</script>", "severity": "S1", "postmortem_id": "HOST-GOOD"}\n'
          + deep_json + "\n"
          + '{"id": ["INC-LIST"], "title": "an id that is a list"}\n'
          + '{"id": "INC-2", "title": {"nested": "object"}}\n',
          "read")
    return expected


# rows of the exports that are rejected: (path, line, reason fragment)
REJECTED_ROWS = [
    ("incidents.ndjson", 2, "JSON nested too deeply"),
    ("incidents.ndjson", 3, "incident row: expected a single value, found a list or mapping"),
    ("incidents.ndjson", 4, "incident row: expected a single value, found a list or mapping"),
]


def remove_hostile_corpus(folder: Path) -> None:
    """Undo what would stop `shutil.rmtree` (permissions) and remove the corpus and its outside."""
    for path in (folder / "unreadable.md",):
        if path.exists():
            path.chmod(0o644)
    shutil.rmtree(folder, ignore_errors=True)
    shutil.rmtree(folder.parent / f"{folder.name}.outside", ignore_errors=True)


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "hostile")
    for path, outcome in sorted(build_hostile_corpus(target).items()):
        print(f"{path!r}: {outcome}")
